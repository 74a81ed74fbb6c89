"""REPORT_CATEGORIES: built-in keys, custom labels, clear errors."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from moderation.reporting.categories import DEFAULT_CATEGORIES, KNOWN_SEVERITY, parse_categories


def test_default_list_is_the_issue_order() -> None:
    categories = parse_categories(DEFAULT_CATEGORIES)
    assert categories.keys == (
        "drugs",
        "csam",
        "terrorism",
        "scam",
        "weapons",
        "violence",
        "doxxing",
        "illegal_goods",
        "other",
    )


def test_csam_and_terrorism_are_the_most_severe() -> None:
    ranked = sorted(KNOWN_SEVERITY, key=KNOWN_SEVERITY.__getitem__, reverse=True)
    assert ranked[:2] == ["csam", "terrorism"]


def test_custom_category_keeps_its_label_and_order() -> None:
    categories = parse_categories("csam, gambling=Illegal gambling ,other")
    assert categories.keys == ("csam", "gambling", "other")
    gambling = categories.get("gambling")
    assert gambling is not None
    assert gambling.label == "Illegal gambling"
    assert "gambling" in categories


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("drugs,drugs", "listed twice"),
        ("gambling", "not a built-in category"),
        ("Bad Key=x", "lowercase letters"),
        ("x=", "label after ="),
        (" , ", "no categories"),
    ],
)
def test_bad_category_lists_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_categories(spec)


def test_bad_setting_names_the_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(report_categories="drugs,drugs")
    assert caught.value.problems[0].startswith("REPORT_CATEGORIES: ")


def test_daily_limit_below_hourly_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(report_limit_per_hour=50, report_limit_per_day=10)
    assert caught.value.problems[0].startswith("REPORT_LIMIT_PER_DAY: ")
