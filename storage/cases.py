"""Cases: all reports about one target while it awaits a decision."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from moderation.reports import OpenCase
from storage.codec import encode_time
from storage.sql import fetch_one, insert


class CaseRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
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
