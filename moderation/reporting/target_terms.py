"""The search term itself as the reported thing (when the query is what is illegal), in one
spelling per term so the same query joins one case."""

from __future__ import annotations

import unicodedata
from typing import Final

from moderation.reporting.targets import (
    ParseProblem,
    ProblemKind,
    TargetKind,
    TargetRef,
    visible_text,
)

#: Search terms lose invisible characters but keep U+200D (ZWJ), which emoji sequences need.
_DROPPED_IN_TERMS: Final = frozenset({"Cc", "Cs"})


def normalise_term(query: str) -> str:
    """One spelling per term, so the same query joins one case: compatibility forms folded
    (full-width letters), case folded (ß -> ss), invisible characters dropped, whitespace
    collapsed. NFKC runs again after casefold, which can denormalise (so this is idempotent)."""
    visible = visible_text(query, _DROPPED_IN_TERMS)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())


def search_term(query: str) -> TargetRef | ParseProblem:
    """The search term itself as the reported thing (when the query is what is illegal)."""
    term = normalise_term(query)
    if not term:
        return ParseProblem(ProblemKind.EMPTY)
    return TargetRef(TargetKind.SEARCH_TERM, term=term)
