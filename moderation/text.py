"""Cleaning what people type before we store or show it."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that only hide or reorder text (zero-width, bidi controls, BOM);
# U+200D (zero-width joiner) stays because emoji sequences need it.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"
        "\u2066\u2067\u2068\u2069\u061c",
    ),
    None,
)
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_line(text: str) -> str:
    """One line: control characters removed, runs of whitespace collapsed, trimmed."""
    kept = "".join(
        " " if ch in "\t\n\r\v\f" else ch
        for ch in text.translate(_INVISIBLE)
        if ch in "\t\n\r\v\f" or unicodedata.category(ch) != "Cc"
    )
    return _SPACES.sub(" ", kept).strip()


def clean_multiline(text: str) -> str:
    """A comment: like `clean_line` but keeps single line breaks (at most one blank line)."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [clean_line(line) for line in normalised.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def counted(count: int, one: str, other: str | None = None) -> str:
    """A count in the English an operator reads on the command line and in the logs: "1
    value", "3 values" (the bot's own texts have plural forms per language: handlers/plurals.py)."""
    noun = one if count == 1 else (other if other is not None else f"{one}s")
    return f"{count} {noun}"
