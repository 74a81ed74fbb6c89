"""Counts for the transparency report: aggregates over indexed request and ledger times."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import encode_time
from storage.sql import fetch_all, fetch_one


class TransparencyRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def received_by_country(self, start: datetime, end: datetime) -> dict[str, int]:
        rows = await fetch_all(
            self._conn,
            "SELECT country, count(*) AS n FROM legal_requests "
            "WHERE registered_at >= ? AND registered_at < ? GROUP BY country",
            (encode_time(start), encode_time(end)),
        )
        return {row["country"]: row["n"] for row in rows}

    async def rejected_by_country(self, start: datetime, end: datetime) -> dict[str, int]:
        rows = await fetch_all(
            self._conn,
            "SELECT country, count(*) AS n FROM legal_requests "
            "WHERE rejected_at >= ? AND rejected_at < ? GROUP BY country",
            (encode_time(start), encode_time(end)),
        )
        return {row["country"]: row["n"] for row in rows}

    async def disclosed_by_country(
        self, start: datetime, end: datetime
    ) -> dict[str, tuple[int, int]]:
        """Per country: (ledger entries, distinct violators) disclosed in the period."""
        rows = await fetch_all(
            self._conn,
            "SELECT country, count(*) AS n, count(DISTINCT violator_id) AS users "
            "FROM disclosure_ledger WHERE disclosed_at >= ? AND disclosed_at < ? "
            "GROUP BY country",
            (encode_time(start), encode_time(end)),
        )
        return {row["country"]: (row["n"], row["users"]) for row in rows}

    async def ledger_totals(self, start: datetime, end: datetime) -> tuple[int, int]:
        row = await fetch_one(
            self._conn,
            "SELECT count(*) AS n, count(DISTINCT violator_id) AS users FROM disclosure_ledger "
            "WHERE disclosed_at >= ? AND disclosed_at < ?",
            (encode_time(start), encode_time(end)),
        )
        return (row["n"], row["users"]) if row is not None else (0, 0)
