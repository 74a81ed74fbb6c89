"""Message catalogs and the one function that renders them.

Every parameter is HTML-escaped when it is substituted, so user-supplied text can never break the
HTML parse mode or inject markup; a value that is already safe HTML must be wrapped in `Html`.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from typing import Final

from handlers.locales import (
    en,
    legal_en,
    legal_ru,
    operating_en,
    operating_ru,
    roles_en,
    roles_ru,
    ru,
    stats_en,
    stats_ru,
    transparency_en,
    transparency_ru,
)

DEFAULT_LANGUAGE: Final = "en"


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


class Catalog:
    """All texts of all languages; `render` picks the user's language, falling back to en."""

    def __init__(self, catalogs: Mapping[str, Mapping[str, str]]) -> None:
        if DEFAULT_LANGUAGE not in catalogs:
            raise ValueError("the default language's catalog is required")
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
        language = self.language_for(language_code)
        template = self._catalogs[language].get(key)
        if template is None:
            template = self._catalogs[DEFAULT_LANGUAGE][key]
        safe = {name: _escape(value) for name, value in params.items()}
        return template.format(**safe)

    def keys(self, language: str) -> frozenset[str]:
        return frozenset(self._catalogs[language])

    def placeholders(self, language: str, key: str) -> frozenset[str]:
        template = self._catalogs[language][key]
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(template) if name is not None
        )


def _escape(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


def merge_catalogs(*parts: Mapping[str, str]) -> dict[str, str]:
    """One language's texts from its per-feature modules; a key defined twice is a bug."""
    merged: dict[str, str] = {}
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
            ),
            "ru": merge_catalogs(
                ru.TEXTS,
                roles_ru.TEXTS,
                stats_ru.TEXTS,
                operating_ru.TEXTS,
                legal_ru.TEXTS,
                transparency_ru.TEXTS,
            ),
        }
    )
