"""/stats windows: which words name a window, and where each one starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.stats.figures import BadWindow, parse_window

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_no_argument_means_the_last_seven_days() -> None:
    assert parse_window(None).label == "7d"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("30D", NOW - timedelta(days=30)),
        (" all ", None),
    ],
)
def test_each_window_starts_its_span_before_now(text: str, start: datetime | None) -> None:
    assert parse_window(text).start(NOW) == start


@pytest.mark.parametrize("text", ["", "week", "1d", "7", "-7d", "7d7d"])
def test_anything_else_is_refused_naming_what_was_given(text: str) -> None:
    with pytest.raises(BadWindow) as refused:
        parse_window(text)
    assert str(refused.value) == text.strip().lower()
