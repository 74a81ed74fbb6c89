"""The one source of the current time: timezone-aware UTC, replaceable in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def utc_text(moment: datetime) -> str:
    """UTC with microseconds and a zero-padded year: the one width every stored time has, so
    times compare as text (storage/codec.py stores them so; hashes and contexts use it too)."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%f+00:00")
