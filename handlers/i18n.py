"""Message catalogs and the one function that renders them.

Every parameter is HTML-escaped when it is substituted, so user-supplied text can never break the
HTML parse mode or inject markup; a value that is already safe HTML must be wrapped in `Html`.

A text about a number of things is a `Plural`: one template per plural form of its language
(CLDR's rules for whole numbers, written once here), picked by its `count` parameter, so that
no text hedges with "report(s)" or "объект(ов)".
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from typing import Final

from handlers.locales import (
    console_en,
    console_ru,
    en,
    legal_en,
    legal_ru,
    operating_en,
    operating_ru,
    private_review_en,
    private_review_ru,
    roles_en,
    roles_ru,
    ru,
    stats_en,
    stats_ru,
    transparency_en,
    transparency_ru,
)
from handlers.plurals import PLURAL_FORMS, Plural, Text, plural_form

__all__ = ["PLURAL_FORMS", "Catalog", "Html", "Plural", "Text", "default_catalog", "plural_form"]

DEFAULT_LANGUAGE: Final = "en"


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


class Catalog:
    """All texts of all languages; `render` picks the user's language, falling back to en."""

    def __init__(self, catalogs: Mapping[str, Mapping[str, Text]]) -> None:
        if DEFAULT_LANGUAGE not in catalogs:
            raise ValueError("the default language's catalog is required")
        unruled = set(catalogs) - set(PLURAL_FORMS)
        if unruled:
            raise ValueError(f"no plural rule for the languages {sorted(unruled)}")
        self._catalogs = catalogs

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._catalogs)

    def language_for(self, language_code: str | None) -> str:
        """Maps Telegram's IETF tag (en, ru, pt-br, ...) to a catalog we have."""
        if language_code:
            primary = language_code.strip().lower().replace("_", "-").split("-", 1)[0]
            if primary in self._catalogs:
                return primary
        return DEFAULT_LANGUAGE

    def render(self, language_code: str | None, key: str, **params: object) -> str:
        """The text `key` in the reader's language; a `Plural` text in the form its `count`
        parameter takes."""
        language = self.language_for(language_code)
        text = self._catalogs[language].get(key)
        if text is None:
            language, text = DEFAULT_LANGUAGE, self._catalogs[DEFAULT_LANGUAGE][key]
        if isinstance(text, Plural):
            count = params.get("count")
            if not isinstance(count, int):
                raise TypeError(f"the plural text {key} needs an integer count")
            text = text.forms[plural_form(language, count)]
        safe = {name: _escape(value) for name, value in params.items()}
        return text.format(**safe)

    def count(self, language_code: str | None, key: str, count: int, **params: object) -> Html:
        """A `Plural` text rendered for `count`, to be set into another text."""
        return Html(self.render(language_code, key, count=count, **params))

    def keys(self, language: str) -> frozenset[str]:
        return frozenset(self._catalogs[language])

    def plural_keys(self, language: str) -> frozenset[str]:
        return frozenset(
            key for key, text in self._catalogs[language].items() if isinstance(text, Plural)
        )

    def forms(self, language: str, key: str) -> frozenset[str]:
        """The plural forms the text has (empty for a plain text)."""
        text = self._catalogs[language][key]
        return frozenset(text.forms) if isinstance(text, Plural) else frozenset()

    def placeholders(self, language: str, key: str) -> frozenset[str]:
        """The parameters the text uses; for a `Plural`, those of every form together."""
        text = self._catalogs[language][key]
        templates = text.forms.values() if isinstance(text, Plural) else (text,)
        return frozenset(name for template in templates for name in _names(template))

    def form_placeholders(self, language: str, key: str, form: str) -> frozenset[str]:
        text = self._catalogs[language][key]
        assert isinstance(text, Plural), key
        return frozenset(_names(text.forms[form]))


def _names(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _escape(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


def merge_catalogs(*parts: Mapping[str, Text]) -> dict[str, Text]:
    """One language's texts from its per-feature modules; a key defined twice is a bug."""
    merged: dict[str, Text] = {}
    for part in parts:
        clash = merged.keys() & part.keys()
        if clash:
            raise ValueError(f"message keys defined twice: {sorted(clash)}")
        merged.update(part)
    return merged


def default_catalog() -> Catalog:
    return Catalog(
        {
            "en": merge_catalogs(
                en.TEXTS,
                roles_en.TEXTS,
                stats_en.TEXTS,
                operating_en.TEXTS,
                legal_en.TEXTS,
                transparency_en.TEXTS,
                console_en.TEXTS,
                private_review_en.TEXTS,
            ),
            "ru": merge_catalogs(
                ru.TEXTS,
                roles_ru.TEXTS,
                stats_ru.TEXTS,
                operating_ru.TEXTS,
                legal_ru.TEXTS,
                transparency_ru.TEXTS,
                console_ru.TEXTS,
                private_review_ru.TEXTS,
            ),
        }
    )
