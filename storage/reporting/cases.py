"""Cases: all reports about one target while it awaits a decision."""

from __future__ import annotations

from datetime import datetime

from moderation.reporting.types import CaseStatus, ClosedCase, OpenCase
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_one, fetch_value, insert, run


class CaseRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def open_case_for(self, target_id: int) -> OpenCase | None:
        row = await fetch_one(
            self._conn,
            "SELECT id, target_id, category FROM cases WHERE target_id = ? AND status = 'pending'",
            (target_id,),
        )
        if row is None:
            return None
        return OpenCase(id=row["id"], target_id=row["target_id"], category=row["category"])

    async def open(self, target_id: int, category: str, at: datetime) -> int:
        when = encode_time(at)
        return await insert(
            self._conn,
            "INSERT INTO cases (target_id, status, category, opened_at, updated_at) "
            "VALUES (?, 'pending', ?, ?, ?)",
            (target_id, category, when, when),
        )

    async def last_closed_for(self, target_id: int) -> ClosedCase | None:
        row = await fetch_one(
            self._conn,
            "SELECT id, status, decided_at FROM cases WHERE target_id = ? "
            "AND status <> 'pending' AND decided_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            (target_id,),
        )
        if row is None:
            return None
        return ClosedCase(row["id"], CaseStatus(row["status"]), decode_time(row["decided_at"]))

    async def reporters_after(self, case_id: int, after: datetime) -> int:
        """Distinct reporters who joined the case after its decision (one report each)."""
        value = await fetch_value(
            self._conn,
            "SELECT count(DISTINCT reporter_id) FROM reports WHERE case_id = ? AND created_at > ?",
            (case_id, encode_time(after)),
        )
        return int(value)

    async def move_reports_after(self, case_id: int, to_case_id: int, after: datetime) -> int:
        return await run(
            self._conn,
            "UPDATE reports SET case_id = ? WHERE case_id = ? AND created_at > ?",
            (to_case_id, case_id, encode_time(after)),
        )
