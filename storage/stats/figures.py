"""Aggregates for /stats: counts over indexed time ranges, never rows carried into Python.

Every method takes a half-open range [start, end); start None means all time (the empty string
sorts before every stored timestamp, so the same SQL and the same index serve it). Times are
stored as fixed-width UTC text (storage/codec.py), so the first ten characters are the UTC day.
The indexes each query uses are in migrations/0013_stats.sql.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from moderation.stats.figures import (
    LegalCounts,
    ModeratorDecisions,
    PendingCase,
    ReportCount,
    StatusCount,
    TargetCount,
    TargetRanking,
    ViolatorCounts,
)
from storage.codec import decode_time, encode_time
from storage.reporting.targets import target_from_row
from storage.sql import Connection, fetch_all, fetch_one, fetch_value, per_dialect

#: A lower bound every stored timestamp is above: "all time".
_BEGINNING = ""


def _bounds(start: datetime | None, end: datetime) -> tuple[str, str]:
    return (_BEGINNING if start is None else encode_time(start), encode_time(end))


class StatsRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def reports_by_day(self, start: datetime | None, end: datetime) -> list[ReportCount]:
        """Reports made in the range, per UTC day, category and current status of their case:
        one pass over the range gives the totals, the categories, the statuses and the chart."""
        rows = await fetch_all(
            self._conn,
            "SELECT substr(r.created_at, 1, 10) AS day, r.category, c.status, count(*) AS n "
            "FROM reports r INDEXED BY reports_stats JOIN cases c ON c.id = r.case_id "
            "WHERE r.created_at >= ? AND r.created_at < ? GROUP BY day, r.category, c.status",
            _bounds(start, end),
        )
        return [
            ReportCount(date.fromisoformat(row["day"]), row["category"], row["status"], row["n"])
            for row in rows
        ]

    async def distinct_reporters(self, start: datetime | None, end: datetime) -> int:
        """How many different people reported in the range: a count, never who.

        A bounded range is read from the time index and de-duplicated in a temporary b-tree;
        all time walks the reporter index instead, in reporter order, which de-duplicates as
        it goes (1.5 s -> 0.07 s over a million reports, bench/stats.py)."""
        if start is None:
            value = await fetch_value(
                self._conn,
                "SELECT count(DISTINCT reporter_id) FROM reports "
                "INDEXED BY reports_reporter_time WHERE created_at < ?",
                (encode_time(end),),
            )
        else:
            value = await fetch_value(
                self._conn,
                "SELECT count(DISTINCT reporter_id) FROM reports INDEXED BY reports_stats "
                "WHERE created_at >= ? AND created_at < ?",
                _bounds(start, end),
            )
        return int(value or 0)

    async def cases_by_category(self, start: datetime | None, end: datetime) -> list[StatusCount]:
        """Cases opened in the range, by category and current status."""
        rows = await fetch_all(
            self._conn,
            "SELECT category, status, count(*) AS n FROM cases INDEXED BY cases_opened "
            "WHERE opened_at >= ? AND opened_at < ? GROUP BY category, status",
            _bounds(start, end),
        )
        return [StatusCount(row["category"], row["status"], row["n"]) for row in rows]

    async def decisions_by_moderator(
        self, start: datetime | None, end: datetime
    ) -> list[ModeratorDecisions]:
        """Decisions taken in the range, per moderator; the name is the one shown on their
        latest decision."""
        rows = await fetch_all(
            self._conn,
            "SELECT decided_by, max(decided_at) AS latest, "
            + per_dialect(
                self._conn,
                # SQLite takes a bare column from the row that gave max().
                sqlite="decided_by_name, ",
                postgresql="(array_agg(decided_by_name ORDER BY decided_at DESC))[1] "
                "AS decided_by_name, ",
            )
            + "count(*) FILTER (WHERE status = 'approved') AS approved, "
            "count(*) FILTER (WHERE status = 'approved') AS approved, "
            "count(*) FILTER (WHERE status = 'rejected') AS rejected "
            "FROM cases INDEXED BY cases_decided "
            "WHERE decided_at >= ? AND decided_at < ? AND decided_by IS NOT NULL "
            "GROUP BY decided_by",
            _bounds(start, end),
        )
        return [
            ModeratorDecisions(
                row["decided_by"], row["decided_by_name"], row["approved"], row["rejected"]
            )
            for row in rows
        ]

    async def decision_times(
        self, start: datetime | None, end: datetime, percentiles: tuple[int, ...]
    ) -> tuple[int, list[timedelta | None]]:
        """The number of decisions in the range and, for each percentile p (in percent), the
        nearest-rank p-th percentile of the time from opening to decision: the value at rank
        ceil(p * n / 100) in ascending order. One sort of the range's durations, in SQL."""
        rows = await fetch_all(
            self._conn,
            per_dialect(  # noqa: S608
                self._conn,
                sqlite="WITH d AS (SELECT (julianday(decided_at) - julianday(opened_at)) "
                "* 86400.0 AS s FROM cases INDEXED BY cases_decided ",
                postgresql="WITH d AS (SELECT extract(epoch FROM decided_at::timestamptz "
                "- opened_at::timestamptz)::float8 AS s FROM cases ",
            )
            + "WHERE decided_at >= ? AND decided_at < ?), "
            "ranked AS (SELECT s, row_number() OVER (ORDER BY s) AS rn, count(*) OVER () AS n "
            "FROM d) "
            "SELECT w.key AS i, max(r.n) AS n, "
            "max(CASE WHEN r.rn = (w.value * r.n + 99) / 100 THEN r.s END) AS s FROM ranked r, "
            + per_dialect(
                self._conn,
                sqlite="json_each(?) w",
                postgresql="(SELECT ordinality - 1 AS key, value::bigint AS value FROM "
                "json_array_elements_text(?::json) WITH ORDINALITY) w",
            )
            + " GROUP BY w.key",
            (*_bounds(start, end), json.dumps([int(p) for p in percentiles])),
        )
        count = rows[0]["n"] if rows else 0
        values: list[timedelta | None] = [None] * len(percentiles)
        for row in rows:
            values[row["i"]] = timedelta(seconds=round(row["s"]))
        return count, values

    async def pending_count(self) -> int:
        value = await fetch_value(self._conn, "SELECT count(*) FROM cases WHERE status = 'pending'")
        return int(value or 0)

    async def oldest_pending(self) -> PendingCase | None:
        row = await fetch_one(
            self._conn,
            "SELECT id, category, opened_at FROM cases INDEXED BY cases_status "
            "WHERE status = 'pending' ORDER BY opened_at, id LIMIT 1",
        )
        if row is None:
            return None
        return PendingCase(row["id"], row["category"], decode_time(row["opened_at"]))

    async def top_targets(self, start: datetime | None, end: datetime, limit: int) -> TargetRanking:
        """The most reported targets in the range (ties: the earlier target first), and how
        many different targets were reported (counted over the same groups)."""
        rows = await fetch_all(
            self._conn,
            "SELECT t.*, s.n, s.reporters, s.targets FROM ("
            "SELECT target_id, count(*) AS n, count(DISTINCT reporter_id) AS reporters, "
            "count(*) OVER () AS targets "
            "FROM reports INDEXED BY reports_stats WHERE created_at >= ? AND created_at < ? "
            "GROUP BY target_id ORDER BY n DESC, target_id LIMIT ?"
            ") s JOIN targets t ON t.id = s.target_id ORDER BY s.n DESC, s.target_id",
            (*_bounds(start, end), max(1, limit)),
        )
        top = tuple(
            TargetCount(target_from_row(row), row["n"], row["reporters"]) for row in rows[:limit]
        )
        return TargetRanking(top, rows[0]["targets"] if rows else 0)

    async def violators(self, start: datetime | None, end: datetime) -> ViolatorCounts:
        bounds = _bounds(start, end)
        row = await fetch_one(
            self._conn,
            "SELECT (SELECT count(*) FROM violators INDEXED BY violators_confirmed "
            "WHERE confirmed_at >= ? AND confirmed_at < ?) AS new, "
            "(SELECT count(*) FROM violator_cases INDEXED BY violator_cases_confirmed "
            "WHERE confirmed_at >= ? AND confirmed_at < ?) AS confirmations, "
            "(SELECT count(*) FROM violators) AS total",
            (*bounds, *bounds),
        )
        return ViolatorCounts(row["new"], row["confirmations"], row["total"])

    async def legal(self, start: datetime | None, end: datetime) -> LegalCounts:
        bounds = _bounds(start, end)
        row = await fetch_one(
            self._conn,
            "SELECT (SELECT count(*) FROM legal_requests INDEXED BY legal_requests_registered "
            "WHERE registered_at >= ? AND registered_at < ?) AS received, "
            "(SELECT count(*) FROM legal_requests INDEXED BY legal_requests_rejected "
            "WHERE rejected_at >= ? AND rejected_at < ?) AS rejected, "
            "(SELECT count(*) FROM disclosure_ledger INDEXED BY disclosure_ledger_time "
            "WHERE disclosed_at >= ? AND disclosed_at < ? AND kind = 'disclosure') AS disclosed, "
            "(SELECT count(*) FROM legal_requests "
            "WHERE state NOT IN ('rejected', 'closed')) AS open_now",
            (*bounds, *bounds, *bounds),
        )
        return LegalCounts(row["received"], row["rejected"], row["disclosed"], row["open_now"])

    async def decisions_per_day(self, start: datetime | None, end: datetime) -> dict[date, int]:
        rows = await fetch_all(
            self._conn,
            "SELECT substr(decided_at, 1, 10) AS day, count(*) AS n "
            "FROM cases INDEXED BY cases_decided WHERE decided_at >= ? AND decided_at < ? "
            "GROUP BY day",
            _bounds(start, end),
        )
        return {date.fromisoformat(row["day"]): row["n"] for row in rows}
