"""The transparency report: legal requests per period and country, counted from the ledger.

Received and rejected come from the requests (when they were registered / rejected); fulfilled
and users come from the disclosure ledger (entries and distinct violators disclosed in the
period), so the report can always be checked against the ledger entry by entry.
"""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from moderation.legal import country_name

_PERIOD = re.compile(r"^(\d{4})(?:([QqHh])([1-4]))?$")


class BadPeriod(ValueError):
    """The period is not written as 2026Q3, 2026H1 or 2026."""


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    start: date  # first day
    end: date  # first day after the period

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        return (
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC),
            datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC),
        )


def parse_period(text: str) -> Period:
    match = _PERIOD.fullmatch(text.strip())
    if match is None:
        raise BadPeriod("write the period as a quarter (2026Q3), a half (2026H1) or a year (2026)")
    year = int(match.group(1))
    if not 2000 <= year <= 2999:
        raise BadPeriod("the year must be between 2000 and 2999")
    unit, number = match.group(2), match.group(3)
    if unit is None:
        return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))
    index = int(number)
    months = 3 if unit.upper() == "Q" else 6
    if index > 12 // months:
        raise BadPeriod(f"{year}{unit.upper()}{index} does not exist")
    first = 1 + (index - 1) * months
    start = date(year, first, 1)
    end = date(year + 1, 1, 1) if first + months > 12 else date(year, first + months, 1)
    return Period(f"{year}{unit.upper()}{index}", start, end)


def current_quarter(today: date) -> Period:
    return parse_period(f"{today.year}Q{(today.month - 1) // 3 + 1}")


@dataclass(frozen=True, slots=True)
class CountryRow:
    country: str
    received: int
    fulfilled: int
    rejected: int
    users: int  # distinct users whose data was disclosed

    @property
    def name(self) -> str:
        return country_name(self.country)


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    period: Period
    rows: tuple[CountryRow, ...]  # countries with any activity, most requests first
    ledger_entries: int  # ledger entries in the period, counted on their own
    users_total: int  # distinct users over all countries

    @property
    def received(self) -> int:
        return sum(r.received for r in self.rows)

    @property
    def fulfilled(self) -> int:
        return sum(r.fulfilled for r in self.rows)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.rows)


class TransparencyCounts(Protocol):
    async def received_by_country(self, start: datetime, end: datetime) -> dict[str, int]: ...
    async def rejected_by_country(self, start: datetime, end: datetime) -> dict[str, int]: ...
    async def disclosed_by_country(
        self, start: datetime, end: datetime
    ) -> dict[str, tuple[int, int]]: ...
    async def ledger_totals(self, start: datetime, end: datetime) -> tuple[int, int]: ...


class TransparencyUnit(Protocol):
    @property
    def transparency(self) -> TransparencyCounts: ...


class TransparencyStore(Protocol):
    def reading(self) -> AbstractAsyncContextManager[TransparencyUnit]: ...


async def build_report(store: TransparencyStore, period: Period) -> TransparencyReport:
    start, end = period.bounds()
    async with store.reading() as uow:
        counts = uow.transparency
        received = await counts.received_by_country(start, end)
        rejected = await counts.rejected_by_country(start, end)
        disclosed = await counts.disclosed_by_country(start, end)
        entries, users = await counts.ledger_totals(start, end)
    countries = set(received) | set(rejected) | set(disclosed)
    rows = [
        CountryRow(
            country=code,
            received=received.get(code, 0),
            fulfilled=disclosed.get(code, (0, 0))[0],
            rejected=rejected.get(code, 0),
            users=disclosed.get(code, (0, 0))[1],
        )
        for code in countries
    ]
    rows.sort(key=lambda r: (-r.received, -r.fulfilled, r.country))
    return TransparencyReport(period, tuple(rows), entries, users)


def to_json(report: TransparencyReport) -> str:
    period = report.period
    data: dict[str, Any] = {
        "period": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.last_day.isoformat(),
        "totals": {
            "requests_received": report.received,
            "requests_fulfilled": report.fulfilled,
            "requests_rejected": report.rejected,
            "users_disclosed": report.users_total,
        },
        "countries": [
            {
                "country": r.country,
                "country_name": r.name,
                "requests_received": r.received,
                "requests_fulfilled": r.fulfilled,
                "requests_rejected": r.rejected,
                "users_disclosed": r.users,
            }
            for r in report.rows
        ],
        # The shape of Telegram's own published reports: per country and period, the number
        # of requests answered with data and the number of users they concerned.
        "telegram_format": [
            {
                "country": r.country,
                "period_start": period.start.isoformat(),
                "period_end": period.last_day.isoformat(),
                "requests": r.fulfilled,
                "users_affected": r.users,
            }
            for r in report.rows
            if r.fulfilled
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_csv(report: TransparencyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "period",
            "period_start",
            "period_end",
            "country",
            "country_name",
            "requests_received",
            "requests_fulfilled",
            "requests_rejected",
            "users_disclosed",
        ]
    )
    period = report.period
    for r in report.rows:
        writer.writerow(
            [
                period.label,
                period.start.isoformat(),
                period.last_day.isoformat(),
                r.country,
                r.name,
                r.received,
                r.fulfilled,
                r.rejected,
                r.users,
            ]
        )
    return out.getvalue()
