"""Stored times are fixed-width UTC text, so comparing the text compares the instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from storage.codec import decode_time, encode_time


def test_a_year_below_1000_is_zero_padded_and_reads_back() -> None:
    """glibc's %Y gives '1' for year 1: stored that way it sorted after 2026 and did not read
    back, which crashed a lookup of a violator with such an observation."""
    early = datetime(1, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    text = encode_time(early)
    assert text == "0001-01-02T03:04:05.000006+00:00"
    assert decode_time(text) == early
    assert text < encode_time(datetime(2026, 11, 20, tzinfo=UTC))


def test_every_time_is_stored_in_utc_with_microseconds() -> None:
    local = datetime(2026, 11, 20, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert encode_time(local) == "2026-11-20T12:00:00.000000+00:00"
    assert len({len(encode_time(datetime(y, 1, 1, tzinfo=UTC))) for y in (1, 999, 2026)}) == 1
