"""Plural forms: CLDR's rules for whole numbers in the languages the bot speaks, and `Plural`,
the catalog entry for a text about a number of things (one template per form).

Apart from handlers/i18n.py so that the locale modules, which i18n imports, can use `Plural`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, TypeAlias


def _english_form(count: int) -> str:
    """CLDR (en), whole numbers: one for 1, other for everything else (0 included)."""
    return "one" if count == 1 else "other"


def _russian_form(count: int) -> str:
    """CLDR (ru), whole numbers: one for 1, 21, 31, 101 (not 11, 111); few for 2-4, 22-24
    (not 12-14); many for the rest: 0, 5-20, 25-30, 11-14, 111."""
    last, last_two = count % 10, count % 100
    if last == 1 and last_two != 11:
        return "one"
    if 2 <= last <= 4 and not 12 <= last_two <= 14:
        return "few"
    return "many"


#: The plural forms each language's whole numbers take, and the rule that picks one.
PLURAL_FORMS: Final[Mapping[str, tuple[str, ...]]] = {
    "en": ("one", "other"),
    "ru": ("one", "few", "many"),
}
_PLURAL_RULES: Final[Mapping[str, Callable[[int], str]]] = {
    "en": _english_form,
    "ru": _russian_form,
}


def plural_form(language: str, count: int) -> str:
    """The plural form `count` takes in `language` (a negative count as its magnitude)."""
    return _PLURAL_RULES[language](abs(count))


class Plural:
    """A text about `count` things: one template per plural form of its language, e.g.
    `Plural(one="{count} reporter", other="{count} reporters")`."""

    __slots__ = ("forms",)

    def __init__(self, **forms: str) -> None:
        if not forms:
            raise ValueError("a plural text needs its forms")
        self.forms: Mapping[str, str] = dict(forms)

    def __repr__(self) -> str:
        return f"Plural({self.forms!r})"


#: A catalog entry: a plain text, or a text about a number of things.
Text: TypeAlias = str | Plural
