"""Report categories: what reporters pick from, and how severe each is for the review queue.

The list and its order are configurable (REPORT_CATEGORIES). Known keys get translated labels
from the message catalogs; a deployment may add its own as `key=Label` (shown as given in every
language).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

#: Known categories in their default order, with a severity used to order the review queue
#: (child sexual abuse material and terrorism first).
KNOWN_SEVERITY: Final[dict[str, int]] = {
    "drugs": 50,
    "csam": 100,
    "terrorism": 90,
    "scam": 40,
    "weapons": 60,
    "violence": 60,
    "doxxing": 50,
    "illegal_goods": 40,
    "other": 10,
}
DEFAULT_CATEGORIES: Final = ",".join(KNOWN_SEVERITY)
CUSTOM_SEVERITY: Final = 20
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    severity: int
    label: str | None = None  # None: the catalog's translated label for a known key


class Categories:
    """The configured categories, in display order."""

    def __init__(self, items: tuple[Category, ...]) -> None:
        if not items:
            raise ValueError("at least one category is needed")
        self.items = items
        self._by_key = {item.key: item for item in items}

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Category]:
        return iter(self.items)

    def get(self, key: str) -> Category | None:
        return self._by_key.get(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)


def parse_categories(spec: str) -> Categories:
    """Parses `drugs,csam,my_key=My label`; raises ValueError naming the bad item."""
    items: list[Category] = []
    seen: set[str] = set()
    for position, raw in enumerate(spec.split(","), start=1):
        part = raw.strip()
        if not part:
            continue
        key, has_label, label = (s.strip() for s in part.partition("="))
        key = key.lower()
        if not _KEY.fullmatch(key):
            raise ValueError(
                f"item {position} ({key[:20]!r}) is not a key of lowercase letters, digits and _ "
                "starting with a letter, at most 20 characters"
            )
        if key in seen:
            raise ValueError(f"item {position}: {key} is listed twice")
        seen.add(key)
        if has_label:
            if not label or len(label) > 40:
                raise ValueError(f"item {position}: the label after = must be 1-40 characters")
            items.append(Category(key, KNOWN_SEVERITY.get(key, CUSTOM_SEVERITY), label))
        elif key in KNOWN_SEVERITY:
            items.append(Category(key, KNOWN_SEVERITY[key]))
        else:
            raise ValueError(
                f"item {position}: {key} is not a built-in category; give it a label as "
                f"{key}=Label (built-in: {DEFAULT_CATEGORIES})"
            )
    if not items:
        raise ValueError("no categories given")
    return Categories(tuple(items))
