"""The message catalogs: complete in every language, and escaping by construction."""

from __future__ import annotations

import pytest

from handlers.i18n import Html, default_catalog


def test_every_language_has_every_key() -> None:
    texts = default_catalog()
    english = texts.keys("en")
    for language in texts.languages:
        assert texts.keys(language) == english, language


def test_every_translation_uses_the_same_placeholders() -> None:
    texts = default_catalog()
    for language in texts.languages:
        for key in texts.keys("en"):
            assert texts.placeholders(language, key) == texts.placeholders("en", key), (
                language,
                key,
            )


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ru", "ru"), ("ru-RU", "ru"), ("RU_ru", "ru"), ("en-GB", "en"), ("de", "en"), (None, "en")],
)
def test_language_is_chosen_from_language_code(code: str | None, expected: str) -> None:
    assert default_catalog().language_for(code) == expected


def test_parameters_are_html_escaped() -> None:
    rendered = default_catalog().render("en", "start.greeting", name="<a href='x'>&")
    assert "&lt;a href='x'&gt;&amp;" in rendered


def test_html_parameters_are_trusted() -> None:
    rendered = default_catalog().render("en", "start.greeting", name=Html("<b>Bo</b>"))
    assert "<b>Bo</b>" in rendered
