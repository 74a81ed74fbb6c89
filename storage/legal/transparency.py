"""Counts for the transparency report: aggregates over indexed request and ledger times.

Every method takes a half-open UTC range [start, end) and returns counts grouped by country,
never rows. Times are stored as fixed-width UTC text (storage/codec.py), so comparing the text
compares the instants. Indexes used (migrations/0012_legal.sql): legal_requests_registered,
legal_requests_rejected (partial: rejected_at IS NOT NULL, implied by the range) and
disclosure_ledger_time; the role grants read the audit log's rows about users
(audit_log_subject), a small part of it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from moderation.legal.transparency import COUNTED_ROLES, Disclosed, RoleGrantCounts
from storage.codec import decode_json, encode_time
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

    async def role_grants_in(self, start: datetime, end: datetime) -> dict[str, RoleGrantCounts]:
        """Per role (legal, admin): grants proposed, confirmed, withdrawn and revoked in the
        range, from the audit log, and the distinct proposer-confirmer pairs of the
        confirmations with the most by one pair. Counts only."""
        rows = await fetch_all(
            self._conn,
            "SELECT action, details FROM audit_log WHERE subject_type = 'user' AND action IN "
            "('role.proposed', 'role.granted', 'role.withdrawn', 'role.revoked') "
            "AND at >= ? AND at < ?",
            _range(start, end),
        )
        counted: dict[str, Counter[str]] = {role: Counter() for role in COUNTED_ROLES}
        pairs: dict[str, Counter[tuple[object, object]]] = {r: Counter() for r in COUNTED_ROLES}
        for row in rows:
            details = decode_json(row["details"])
            role = details.get("role")
            if role not in counted:
                continue
            action = str(row["action"]).removeprefix("role.")
            if action == "granted":
                if "confirmed_by" not in details:
                    continue  # a grant from before confirmations existed
                action = "confirmed"
                pairs[role][(details.get("proposed_by"), details["confirmed_by"])] += 1
            counted[role][action] += 1
        return {
            role: RoleGrantCounts(
                proposed=counted[role]["proposed"],
                confirmed=counted[role]["confirmed"],
                withdrawn=counted[role]["withdrawn"],
                revoked=counted[role]["revoked"],
                confirming_pairs=len(pairs[role]),
                most_by_one_pair=max(pairs[role].values(), default=0),
            )
            for role in COUNTED_ROLES
        }
