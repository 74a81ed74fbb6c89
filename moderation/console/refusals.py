"""Refusals of callers without a session, counted instead of one audit row each.

Anyone on the internet can call the console without a session (no token, an expired one,
init data that fails its check); one `console.refused` row per call would let them grow the
append-only audit log without bound. Every refusal is still on record, as a count: per
(endpoint, why, user) the first refusal in a minute is written at once, further ones in that
minute are counted and written as one row with `count` when a later minute's first refusal
comes, at the console's periodic tick, or when the console stops. Refusals of an
authenticated caller (a role the table does not serve) stay one row each: only staff can cause
them. The tally is per instance and in memory: a crash loses at most a minute's count of
refusals whose first is on record already.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from moderation.console.ports import ConsoleStore
from moderation.console.sessions import REFUSED_ACTION


@dataclass(frozen=True, slots=True)
class RefusalKind:
    endpoint: str
    why: str
    user_id: int | None  # the user signed init data names (a replay), else None


@dataclass(frozen=True, slots=True)
class Counted:
    """Refusals of one kind in one minute beyond the first (which is written at once)."""

    kind: RefusalKind
    minute: datetime
    count: int


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


class RefusalTally:
    """The current minute's count per kind; what is owed to the audit log."""

    def __init__(self) -> None:
        self._open: dict[RefusalKind, tuple[datetime, int]] = {}

    def note(self, kind: RefusalKind, at: datetime) -> tuple[bool, list[Counted]]:
        """Counts one refusal: whether it is its minute's first (written at once), and the
        counts of earlier minutes now owed to the log."""
        minute = minute_of(at)
        owed = self.due(at)
        current = self._open.get(kind)
        if current is None or current[0] != minute:
            self._open[kind] = (minute, 0)
            return True, owed
        self._open[kind] = (minute, current[1] + 1)
        return False, owed

    def due(self, at: datetime) -> list[Counted]:
        """Takes the counts of minutes before `at`'s (the tick's and a new minute's flush)."""
        minute = minute_of(at)
        return self._take(kind for kind, (seen, _) in self._open.items() if seen < minute)

    def drain(self) -> list[Counted]:
        """Takes every count, the current minute's too (on the way down)."""
        return self._take(list(self._open))

    def _take(self, kinds: Iterable[RefusalKind]) -> list[Counted]:
        owed: list[Counted] = []
        for kind in list(kinds):
            minute, count = self._open.pop(kind)
            if count:
                owed.append(Counted(kind, minute, count))
        return owed


async def record_refusal(
    store: ConsoleStore, user_id: int | None, endpoint: str, why: str, now: datetime
) -> None:
    """A console call refused: nothing changed, but the attempt is on record."""
    async with store.transaction() as uow:
        await uow.audit.append(
            at=now,
            actor_id=user_id,
            action=REFUSED_ACTION,
            details={"endpoint": endpoint, "why": why, "count": 1},
        )


async def record_counted(store: ConsoleStore, owed: list[Counted], now: datetime) -> None:
    """The counted refusals, one row per kind and minute (`count` of them, in `minute`)."""
    if not owed:
        return
    async with store.transaction() as uow:
        for counted in owed:
            await uow.audit.append(
                at=now,
                actor_id=counted.kind.user_id,
                action=REFUSED_ACTION,
                details={
                    "endpoint": counted.kind.endpoint,
                    "why": counted.kind.why,
                    "count": counted.count,
                    "minute": counted.minute.isoformat(),
                },
            )


async def refused_anonymously(
    store: ConsoleStore, tally: RefusalTally, kind: RefusalKind, now: datetime
) -> None:
    """One refusal of a caller without a session: written if its minute's first, else counted;
    earlier minutes' counts are written now."""
    first, owed = tally.note(kind, now)
    await record_counted(store, owed, now)
    if first:
        await record_refusal(store, kind.user_id, kind.endpoint, kind.why, now)
