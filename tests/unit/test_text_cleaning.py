"""What people type is cleaned before it is stored or shown."""

from __future__ import annotations

import pytest

from moderation.text import clean_line, clean_multiline, counted, shorten


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hello   world ", "hello world"),
        ("tab\there", "tab here"),
        ("line\nbreak", "line break"),
        ("bell\x07char", "bellchar"),
        ("rtl\u202eoverride", "rtloverride"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("isolate\u2066x\u2069", "isolatex"),
        ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),  # the joiner stays
        ("שלום עולם", "שלום עולם"),
        ("", ""),
    ],
)
def test_clean_line(raw: str, clean: str) -> None:
    assert clean_line(raw) == clean


def test_clean_multiline_keeps_paragraphs_but_not_runs_of_blank_lines() -> None:
    assert clean_multiline("first\r\n\r\n\r\n\r\nsecond  line\n third") == (
        "first\n\nsecond line\nthird"
    )


def test_shorten_adds_an_ellipsis() -> None:
    assert shorten("abcdef", 4) == "abc…"
    assert shorten("abc", 4) == "abc"


def test_an_operators_count_takes_the_english_plural() -> None:
    """issue 28, point 12: the command line said "1 entries" and "value(s)"."""
    assert [counted(n, "value") for n in (0, 1, 2)] == ["0 values", "1 value", "2 values"]
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(21, "entry", "entries") == "21 entries"
