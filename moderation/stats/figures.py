"""/stats: the team's figures over a window (24h, 7d, 30d or all time), as plain typed objects.

Every figure is counted by the database (aggregates over indexed time columns, see
storage/stats/figures.py); nothing here loads rows one by one. Windows are half-open, [now -
span, now), and each figure is placed in time by its own event: reports by when they were made,
cases by when they were opened, decisions by when they were taken (an undone or overturned
decision no longer counts: the case is pending again), violators by when they were confirmed,
legal requests by when they were registered or rejected, disclosures by their ledger time.
Reporters appear only as a count: no reporter's identity is ever part of a report.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Protocol

from moderation.reporting.targets import TargetRef

#: The windows an admin may ask for, in the order the usage text lists them.
WINDOWS: Final[dict[str, timedelta | None]] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
DEFAULT_WINDOW: Final = "7d"

#: Percentiles of the time from report to decision, nearest-rank, in percent.
MEDIAN: Final = 50
P90: Final = 90

STATUSES: Final = ("pending", "approved", "rejected")


class BadWindow(ValueError):
    """The window is not one of WINDOWS."""


@dataclass(frozen=True, slots=True)
class Window:
    label: str
    span: timedelta | None  # None: all time

    def start(self, now: datetime) -> datetime | None:
        return None if self.span is None else now - self.span


def parse_window(text: str | None) -> Window:
    label = DEFAULT_WINDOW if text is None else text.strip().lower()
    if label not in WINDOWS:
        raise BadWindow(label)
    return Window(label, WINDOWS[label])


@dataclass(frozen=True, slots=True)
class StatusCounts:
    """Counts of one category (or of everything) by the case's status."""

    category: str
    pending: int = 0
    approved: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.approved + self.rejected


@dataclass(frozen=True, slots=True)
class StatusCount:
    """One row of a by-category-and-status aggregate, as the database returns it."""

    category: str
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class ReportCount:
    """Reports made on one UTC day, of one category, whose case now has one status."""

    day: date
    category: str
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class DecisionTimes:
    """Time from a case's first report to its decision, over the decisions in the window."""

    decisions: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True, slots=True)
class PendingCase:
    case_id: int
    category: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class ModeratorDecisions:
    moderator_id: int
    name: str | None  # as shown on their latest decision in the window (@username or name)
    approved: int
    rejected: int

    @property
    def total(self) -> int:
        return self.approved + self.rejected


@dataclass(frozen=True, slots=True)
class TargetCount:
    target: TargetRef
    reports: int
    reporters: int


@dataclass(frozen=True, slots=True)
class TargetRanking:
    top: tuple[TargetCount, ...]  # most reports first
    targets: int  # distinct targets reported in the window


@dataclass(frozen=True, slots=True)
class ReachCounts:
    """How many different people reported, about how many different targets."""

    reporters: int
    targets: int


@dataclass(frozen=True, slots=True)
class ViolatorCounts:
    new: int  # violators first confirmed in the window
    confirmations: int  # cases that confirmed a violator (new or known) in the window
    total: int  # confirmed violators now, whenever confirmed


@dataclass(frozen=True, slots=True)
class LegalCounts:
    received: int  # registered in the window
    rejected: int  # rejected in the window
    disclosed: int  # disclosure ledger entries in the window
    open_now: int  # neither rejected nor closed, now


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    reports: int
    decisions: int


@dataclass(frozen=True, slots=True)
class StatsReport:
    window: Window
    start: datetime | None
    end: datetime
    reports: tuple[StatusCounts, ...]  # per category, by the status of the report's case
    cases: tuple[StatusCounts, ...]  # cases opened in the window, per category, by status
    reach: ReachCounts
    moderators: tuple[ModeratorDecisions, ...]  # most decisions first
    times: DecisionTimes
    pending_now: int
    oldest_pending: PendingCase | None
    top_targets: tuple[TargetCount, ...]  # most reports first
    violators: ViolatorCounts
    legal: LegalCounts
    days: tuple[DayCount, ...]  # every day from the first with activity to today, oldest first

    @property
    def reports_total(self) -> StatusCounts:
        return _sum("", self.reports)

    @property
    def cases_total(self) -> StatusCounts:
        return _sum("", self.cases)

    @property
    def approved(self) -> int:
        return sum(m.approved for m in self.moderators)

    @property
    def rejected(self) -> int:
        return sum(m.rejected for m in self.moderators)

    @property
    def decisions(self) -> int:
        return self.approved + self.rejected

    @property
    def approval_rate(self) -> float | None:
        """Approved decisions as a share of all decisions in the window; None without any."""
        return self.approved / self.decisions if self.decisions else None

    def oldest_pending_age(self) -> timedelta | None:
        if self.oldest_pending is None:
            return None
        return max(timedelta(0), self.end - self.oldest_pending.opened_at)


class StatsCounts(Protocol):
    """What /stats needs from storage: aggregates over [start, end); start None: all time."""

    async def reports_by_day(self, start: datetime | None, end: datetime) -> list[ReportCount]: ...
    async def distinct_reporters(self, start: datetime | None, end: datetime) -> int: ...
    async def cases_by_category(
        self, start: datetime | None, end: datetime
    ) -> list[StatusCount]: ...
    async def decisions_by_moderator(
        self, start: datetime | None, end: datetime
    ) -> list[ModeratorDecisions]: ...
    async def decision_times(
        self, start: datetime | None, end: datetime, percentiles: tuple[int, ...]
    ) -> tuple[int, list[timedelta | None]]: ...
    async def pending_count(self) -> int: ...
    async def oldest_pending(self) -> PendingCase | None: ...
    async def top_targets(
        self, start: datetime | None, end: datetime, limit: int
    ) -> TargetRanking: ...
    async def violators(self, start: datetime | None, end: datetime) -> ViolatorCounts: ...
    async def legal(self, start: datetime | None, end: datetime) -> LegalCounts: ...
    async def decisions_per_day(self, start: datetime | None, end: datetime) -> dict[date, int]: ...


class StatsUnit(Protocol):
    @property
    def stats(self) -> StatsCounts: ...


class StatsStore(Protocol):
    def reading(self) -> AbstractAsyncContextManager[StatsUnit]: ...


async def build_stats(
    store: StatsStore, window: Window, now: datetime, *, top_targets: int = 10
) -> StatsReport:
    """Every figure of one window, read from one consistent snapshot."""
    start = window.start(now)
    async with store.reading() as uow:
        counts = uow.stats
        reports = await counts.reports_by_day(start, now)
        reporters = await counts.distinct_reporters(start, now)
        cases = await counts.cases_by_category(start, now)
        moderators = await counts.decisions_by_moderator(start, now)
        decided, (median, p90) = await counts.decision_times(start, now, (MEDIAN, P90))
        pending_now = await counts.pending_count()
        oldest = await counts.oldest_pending()
        targets = await counts.top_targets(start, now, top_targets)
        violators = await counts.violators(start, now)
        legal = await counts.legal(start, now)
        decisions_daily = await counts.decisions_per_day(start, now)
    return StatsReport(
        window=window,
        start=start,
        end=now,
        reports=_by_category([StatusCount(r.category, r.status, r.count) for r in reports]),
        cases=_by_category(cases),
        reach=ReachCounts(reporters, targets.targets),
        moderators=tuple(sorted(moderators, key=lambda m: (-m.total, -m.approved, m.moderator_id))),
        times=DecisionTimes(decided, median, p90),
        pending_now=pending_now,
        oldest_pending=oldest,
        top_targets=targets.top,
        violators=violators,
        legal=legal,
        days=_days(start, now, _per_day(reports), decisions_daily),
    )


def _by_category(rows: list[StatusCount]) -> tuple[StatusCounts, ...]:
    """Per category (most first, then by key), the counts by status."""
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        if row.status in STATUSES:
            per = table.setdefault(row.category, dict.fromkeys(STATUSES, 0))
            per[row.status] += row.count
    result = [StatusCounts(category, **per) for category, per in table.items()]
    result.sort(key=lambda c: (-c.total, c.category))
    return tuple(result)


def _per_day(rows: list[ReportCount]) -> dict[date, int]:
    days: dict[date, int] = {}
    for row in rows:
        days[row.day] = days.get(row.day, 0) + row.count
    return days


def _sum(category: str, rows: tuple[StatusCounts, ...]) -> StatusCounts:
    return StatusCounts(
        category,
        pending=sum(r.pending for r in rows),
        approved=sum(r.approved for r in rows),
        rejected=sum(r.rejected for r in rows),
    )


def _days(
    start: datetime | None, end: datetime, reports: dict[date, int], decisions: dict[date, int]
) -> tuple[DayCount, ...]:
    """One entry per calendar day (UTC) of the window, zeros included, so a chart shows gaps.

    For all time the days start at the first day with any activity.
    """
    active = sorted(set(reports) | set(decisions))
    if start is not None:
        first = start.date()
    elif active:
        first = active[0]
    else:
        first = end.date()
    last = end.date()
    count = (last - first).days + 1
    days = (first + timedelta(days=n) for n in range(count))
    return tuple(DayCount(d, reports.get(d, 0), decisions.get(d, 0)) for d in days)
