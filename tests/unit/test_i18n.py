"""The message catalogs: complete in every language, and escaping by construction."""

from __future__ import annotations

import re

import pytest

from handlers.i18n import PLURAL_FORMS, Catalog, Html, Plural, default_catalog, plural_form


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


# The numbers CLDR's rules tell apart: 0, 1, 2-4, 5-20, 11-14, 21, 22-24, 25, 101, 111.
PLURAL_CASES = [0, 1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["other", "one", *["other"] * 10]),
        (
            "ru",
            [
                "many",  # 0
                "one",  # 1
                "few",  # 2
                "many",  # 5
                "many",  # 11
                "many",  # 12
                "many",  # 14
                "one",  # 21
                "few",  # 22
                "many",  # 25
                "one",  # 101
                "many",  # 111
            ],
        ),
    ],
)
def test_plural_forms_follow_cldr(language: str, expected: list[str]) -> None:
    """issue 28, point 12: real plural forms, English one/other, Russian one/few/many."""
    assert [plural_form(language, n) for n in PLURAL_CASES] == expected


def test_every_language_has_every_plural_form_of_every_plural_text() -> None:
    """issue 28, point 12: a text about a number of things has each form its language's
    numbers take (Russian three), in every language, and every form says the number."""
    texts = default_catalog()
    plural = texts.plural_keys("en")
    assert plural  # the catalogs do use plurals
    for language in texts.languages:
        assert texts.plural_keys(language) == plural, language
        for key in plural:
            assert texts.forms(language, key) == set(PLURAL_FORMS[language]), (language, key)
            for form in PLURAL_FORMS[language]:
                assert "count" in texts.form_placeholders(language, key, form), (language, key)
                assert texts.form_placeholders(language, key, form) == texts.placeholders(
                    "en", key
                ), (language, key, form)


def test_no_text_hedges_its_plural() -> None:
    """issue 28, point 12: "report(s)", "объект(ов)", "сообщ." are gone from every text."""
    texts = default_catalog()
    hedges = re.compile(r"\w\((s|es|ies|а|ов|ей|и|ы)\)|\bчел\.|\bсообщ\.")
    for language in texts.languages:
        for key in texts.keys(language):
            for form in texts.forms(language, key) or {None}:
                params = dict.fromkeys(texts.placeholders(language, key), "")
                text = texts.render(language, key, **{**params, "count": 2 if form else ""})
                assert not hedges.search(text), (language, key)


@pytest.mark.parametrize(
    ("language", "counts"),
    [
        ("en", {1: "1 reporter", 2: "2 reporters", 0: "0 reporters", 21: "21 reporters"}),
        (
            "ru",
            {
                1: "1 заявитель",
                2: "2 заявителя",
                5: "5 заявителей",
                11: "11 заявителей",
                14: "14 заявителей",
                21: "21 заявитель",
                22: "22 заявителя",
                111: "111 заявителей",
            },
        ),
    ],
)
def test_a_plural_text_takes_the_form_of_its_count(language: str, counts: dict[int, str]) -> None:
    texts = default_catalog()
    for count, expected in counts.items():
        assert texts.render(language, "review.count.reporters", count=count) == expected


def test_a_language_without_the_text_falls_back_to_english_forms() -> None:
    texts = Catalog({"en": {"x": Plural(one="{count} cat", other="{count} cats")}, "ru": {}})
    assert texts.render("ru", "x", count=2) == "2 cats"
    assert texts.render("ru", "x", count=1) == "1 cat"
