"""Counts for the transparency report: aggregates over indexed request and ledger times.

Every method takes a half-open UTC range [start, end) and returns counts grouped by country,
never rows. Times are stored as fixed-width UTC text (storage/codec.py), so comparing the text
compares the instants. Indexes used (migrations/0012_legal.sql): legal_requests_registered,
legal_requests_rejected (partial: rejected_at IS NOT NULL, implied by the range) and
disclosure_ledger_time.
"""

from __future__ import annotations

from datetime import datetime

from moderation.legal.transparency import Disclosed
from storage.codec import encode_time
from storage.errors import StorageError
from storage.sql import Connection, fetch_all, fetch_one


def _range(start: datetime, end: datetime) -> tuple[str, str]:
    return encode_time(start), encode_time(end)


class TransparencyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def requests_received_by_country(self, start: datetime, end: datetime) -> dict[str, int]:
        """Legal requests registered in the range, per country."""
        rows = await fetch_all(
            self._conn,
            "SELECT country, count(*) AS n "
            "FROM legal_requests INDEXED BY legal_requests_registered "
            "WHERE registered_at >= ? AND registered_at < ? GROUP BY country",
            _range(start, end),
        )
        return {row["country"]: row["n"] for row in rows}

    async def requests_rejected_by_country(self, start: datetime, end: datetime) -> dict[str, int]:
        """Legal requests rejected in the range, per country (whenever they were registered)."""
        rows = await fetch_all(
            self._conn,
            "SELECT country, count(*) AS n "
            "FROM legal_requests INDEXED BY legal_requests_rejected "
            "WHERE rejected_at >= ? AND rejected_at < ? GROUP BY country",
            _range(start, end),
        )
        return {row["country"]: row["n"] for row in rows}

    async def disclosures_by_country(self, start: datetime, end: datetime) -> dict[str, Disclosed]:
        """Per country: ledger entries made in the range and the distinct violators in them."""
        rows = await fetch_all(
            self._conn,
            "SELECT country, count(*) AS n, count(DISTINCT violator_id) AS users "
            "FROM disclosure_ledger INDEXED BY disclosure_ledger_time "
            "WHERE disclosed_at >= ? AND disclosed_at < ? AND kind = 'disclosure' "
            "GROUP BY country",
            _range(start, end),
        )
        return {row["country"]: Disclosed(row["n"], row["users"]) for row in rows}

    async def copies_by_country(self, start: datetime, end: datetime) -> dict[str, int]:
        """Per country: copies of earlier disclosures sent again in the range (each showed
        phone numbers and IP addresses once more, so each is counted)."""
        rows = await fetch_all(
            self._conn,
            "SELECT country, count(*) AS n "
            "FROM disclosure_ledger INDEXED BY disclosure_ledger_time "
            "WHERE disclosed_at >= ? AND disclosed_at < ? AND kind = 'copy' GROUP BY country",
            _range(start, end),
        )
        return {row["country"]: row["n"] for row in rows}

    async def disclosures_in(self, start: datetime, end: datetime) -> Disclosed:
        """All ledger entries made in the range and the distinct violators in them, counted
        on their own (not summed from the countries)."""
        row = await fetch_one(
            self._conn,
            "SELECT count(*) AS n, count(DISTINCT violator_id) AS users "
            "FROM disclosure_ledger INDEXED BY disclosure_ledger_time "
            "WHERE disclosed_at >= ? AND disclosed_at < ? AND kind = 'disclosure'",
            _range(start, end),
        )
        if row is None:  # an aggregate without GROUP BY always gives one row
            raise StorageError("counting the disclosure ledger returned no row")
        return Disclosed(row["n"], row["users"])

    async def ledger_head(self) -> tuple[int, str] | None:
        row = await fetch_one(
            self._conn, "SELECT seq, entry_hash FROM disclosure_ledger ORDER BY seq DESC LIMIT 1"
        )
        return None if row is None else (int(row["seq"]), str(row["entry_hash"]))
