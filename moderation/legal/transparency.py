"""The transparency report: legal requests per period and country, counted from the ledger.

Four numbers per country and period, each from one place, so each can be checked row by row:
- received: legal requests registered in the period (legal_requests.registered_at);
- fulfilled: disclosures made in the period (disclosure_ledger entries, by disclosed_at);
- rejected: legal requests rejected in the period (legal_requests.rejected_at);
- users: distinct violators whose data was disclosed in the period (the same ledger entries);
- copies: copies of earlier disclosures sent again in the period (ledger entries of kind copy:
  each showed phone numbers and IP addresses once more).
A request registered in one quarter and fulfilled in the next counts as received in the first
and fulfilled in the second, as in published transparency reports.

Beside them, the legal and admin roles granted from the bot in the period (from the audit log,
counts only, never who): proposed, confirmed by a second admin, withdrawn, revoked, and how
concentrated the confirmations are (distinct proposer-confirmer pairs, the most by one pair).
Two colluding admins can still make legal officers of accounts they control; a period in which
one pair confirmed every new legal role shows it to anyone reading the published report.

Periods are half-open UTC ranges [start, end): a quarter (2026Q3), a half year (2026H1) or a
year (2026). The default is the current quarter, to date.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

from moderation.legal.form import country_name

_PERIOD: Final = re.compile(r"(\d{4})(?:([QH])(\d))?")
#: Years a period may name: before Telegram existed nothing can be counted, and far ahead
#: is a typo.
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2999
#: What every period error says, so the fix is always in the message.
PERIOD_SYNTAX: Final = "write the period as 2026Q3 (a quarter), 2026H1 (a half year) or 2026"
#: The country column of the all-countries row in the CSV export.
ALL_COUNTRIES: Final = "ALL"


class BadPeriod(ValueError):
    """The period is not written as 2026Q3, 2026H1 or 2026, or does not exist."""


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # 2026Q3, 2026H1 or 2026
    start: date  # the first day
    end: date  # the first day after the period

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        """The first instant of the period, UTC (inclusive)."""
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period, UTC (exclusive)."""
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)

    def bounds(self) -> tuple[datetime, datetime]:
        return self.start_at, self.end_at

    def is_over(self, now: datetime) -> bool:
        """Whether the period has ended at `now` (otherwise its counts are to date)."""
        return now >= self.end_at


def parse_period(text: str) -> Period:
    """2026Q3, 2026H1 or 2026 (letters in either case) as a Period; BadPeriod otherwise."""
    cleaned = text.strip().upper()
    match = _PERIOD.fullmatch(cleaned)
    if match is None:
        raise BadPeriod(PERIOD_SYNTAX)
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadPeriod(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}; {PERIOD_SYNTAX}")
    unit, number = match.group(2), match.group(3)
    if unit is None:
        return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))
    months = 3 if unit == "Q" else 6
    count = 12 // months
    index = int(number)
    if not 1 <= index <= count:
        raise BadPeriod(f"{cleaned} does not exist: {unit}1 to {unit}{count}; {PERIOD_SYNTAX}")
    first_month = 1 + (index - 1) * months
    start = date(year, first_month, 1)
    after = first_month + months
    end = date(year + 1, 1, 1) if after > 12 else date(year, after, 1)
    return Period(f"{year}{unit}{index}", start, end)


def current_quarter(today: date) -> Period:
    """The quarter `today` falls in (the default period: counts to date)."""
    return parse_period(f"{today.year}Q{(today.month - 1) // 3 + 1}")


def period_or_default(text: str | None, now: datetime) -> Period:
    """The period the user wrote, or the current quarter (UTC) when they wrote none."""
    if text is None or not text.strip():
        return current_quarter(now.astimezone(UTC).date())
    return parse_period(text)


@dataclass(frozen=True, slots=True)
class Disclosed:
    """Ledger entries in a period and the distinct violators they disclosed."""

    entries: int
    users: int


@dataclass(frozen=True, slots=True)
class CountryCounts:
    country: str  # ISO 3166-1 alpha-2, upper case
    received: int
    fulfilled: int
    rejected: int
    users: int  # distinct users whose data was disclosed
    copies: int = 0  # earlier disclosures sent again

    @property
    def name(self) -> str:
        return country_name(self.country)


@dataclass(frozen=True, slots=True)
class Totals:
    """All countries together. `users` counts a person once even if two countries' requests
    disclosed them, so it can be below the sum of the countries' users."""

    received: int
    fulfilled: int
    rejected: int
    users: int
    copies: int = 0


@dataclass(frozen=True, slots=True)
class RoleGrantCounts:
    """One role's grants from the bot in a period. `confirming_pairs`: distinct (proposer,
    confirmer) pairs of admins among the confirmations; `most_by_one_pair`: the confirmations
    of the pair that confirmed most."""

    proposed: int = 0
    confirmed: int = 0
    withdrawn: int = 0
    revoked: int = 0
    confirming_pairs: int = 0
    most_by_one_pair: int = 0


#: The roles whose grants the report counts (those a second admin must confirm).
COUNTED_ROLES: Final = ("legal", "admin")


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    period: Period
    countries: tuple[CountryCounts, ...]  # with any activity; most requests first
    totals: Totals
    #: A plain count of the ledger entries in the period, taken on its own in the same
    #: snapshot; always equal to totals.fulfilled, shown so a reader can see it is.
    ledger_entries: int
    #: The ledger's last entry when the report was made (seq, keyed hash): published with the
    #: report, it pins the ledger so it cannot be rewritten unnoticed later.
    ledger_head: tuple[int, str] | None = None
    #: Grants of the legal and admin roles in the period, by role ("legal", "admin").
    role_grants: Mapping[str, RoleGrantCounts] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.countries


class TransparencyCounts(Protocol):
    """What the report needs from storage: aggregates over [start, end), never rows."""

    async def requests_received_by_country(
        self, start: datetime, end: datetime
    ) -> Mapping[str, int]: ...

    async def requests_rejected_by_country(
        self, start: datetime, end: datetime
    ) -> Mapping[str, int]: ...

    async def disclosures_by_country(
        self, start: datetime, end: datetime
    ) -> Mapping[str, Disclosed]: ...

    async def disclosures_in(self, start: datetime, end: datetime) -> Disclosed: ...

    async def copies_by_country(self, start: datetime, end: datetime) -> Mapping[str, int]: ...

    async def ledger_head(self) -> tuple[int, str] | None: ...

    async def role_grants_in(
        self, start: datetime, end: datetime
    ) -> Mapping[str, RoleGrantCounts]: ...


class TransparencyUnit(Protocol):
    @property
    def transparency(self) -> TransparencyCounts: ...


class TransparencyStore(Protocol):
    def reading(self) -> AbstractAsyncContextManager[TransparencyUnit]: ...


async def build_report(store: TransparencyStore, period: Period) -> TransparencyReport:
    """The report for one period, every count read in one snapshot of the database."""
    start, end = period.bounds()
    async with store.reading() as uow:
        counts = uow.transparency
        received = await counts.requests_received_by_country(start, end)
        rejected = await counts.requests_rejected_by_country(start, end)
        disclosed = await counts.disclosures_by_country(start, end)
        ledger = await counts.disclosures_in(start, end)
        copies = await counts.copies_by_country(start, end)
        head = await counts.ledger_head()
        roles = await counts.role_grants_in(start, end)
    nothing = Disclosed(0, 0)
    countries = sorted(
        (
            CountryCounts(
                country=code,
                received=received.get(code, 0),
                fulfilled=disclosed.get(code, nothing).entries,
                rejected=rejected.get(code, 0),
                users=disclosed.get(code, nothing).users,
                copies=copies.get(code, 0),
            )
            for code in set(received) | set(rejected) | set(disclosed) | set(copies)
        ),
        key=lambda c: (-c.received, -c.fulfilled, -c.rejected, c.country),
    )
    totals = Totals(
        received=sum(c.received for c in countries),
        fulfilled=sum(c.fulfilled for c in countries),
        rejected=sum(c.rejected for c in countries),
        users=ledger.users,
        copies=sum(c.copies for c in countries),
    )
    return TransparencyReport(period, tuple(countries), totals, ledger.entries, head, roles)


# --- exports ---------------------------------------------------------------------------------


def to_data(report: TransparencyReport) -> dict[str, Any]:
    """The JSON export as plain data. `period_end` is the last day, inclusive."""
    period = report.period
    start, last = period.start.isoformat(), period.last_day.isoformat()
    totals = report.totals
    return {
        "period": period.label,
        "period_start": start,
        "period_end": last,
        "totals": {
            "requests_received": totals.received,
            "requests_fulfilled": totals.fulfilled,
            "requests_rejected": totals.rejected,
            "users_disclosed": totals.users,
            "copies_sent": totals.copies,
        },
        "ledger_head": (
            None
            if report.ledger_head is None
            else {"seq": report.ledger_head[0], "entry_hash": report.ledger_head[1]}
        ),
        "countries": [
            {
                "country": c.country,
                "country_name": c.name,
                "requests_received": c.received,
                "requests_fulfilled": c.fulfilled,
                "requests_rejected": c.rejected,
                "users_disclosed": c.users,
                "copies_sent": c.copies,
            }
            for c in report.countries
        ],
        # Who may disclose: the legal (and admin) roles granted from the bot in the period,
        # each confirmed by a second admin; counts only.
        "role_grants": {
            role: _role_counts(report.role_grants.get(role, RoleGrantCounts()))
            for role in COUNTED_ROLES
        },
        # The shape of Telegram's own published transparency reports: per country and period,
        # the requests answered with data (fulfilled) and the users they concerned. Countries
        # with nothing disclosed in the period have nothing to publish in that shape.
        "telegram_format": [
            {
                "country": c.country,
                "period_start": start,
                "period_end": last,
                "requests": c.fulfilled,
                "users_affected": c.users,
            }
            for c in report.countries
            if c.fulfilled
        ],
    }


def _role_counts(counts: RoleGrantCounts) -> dict[str, int]:
    return {
        "proposed": counts.proposed,
        "confirmed": counts.confirmed,
        "withdrawn": counts.withdrawn,
        "revoked": counts.revoked,
        "confirming_admin_pairs": counts.confirming_pairs,
        "most_confirmed_by_one_pair": counts.most_by_one_pair,
    }


def to_json(report: TransparencyReport) -> str:
    return json.dumps(to_data(report), ensure_ascii=False, indent=2)


CSV_HEADER: Final = (
    "period",
    "period_start",
    "period_end",
    "country",
    "country_name",
    "requests_received",
    "requests_fulfilled",
    "requests_rejected",
    "users_disclosed",
    "copies_sent",
)


def to_csv(report: TransparencyReport) -> str:
    """One row per country, then the all-countries row (country ALL)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    period = report.period
    dates = [period.label, period.start.isoformat(), period.last_day.isoformat()]
    for c in report.countries:
        writer.writerow(
            [*dates, c.country, c.name, c.received, c.fulfilled, c.rejected, c.users, c.copies]
        )
    totals = report.totals
    writer.writerow(
        [
            *dates,
            ALL_COUNTRIES,
            "All countries",
            totals.received,
            totals.fulfilled,
            totals.rejected,
            totals.users,
            totals.copies,
        ]
    )
    return out.getvalue()
