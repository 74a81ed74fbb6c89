"""Reporters an admin has blocked from reporting."""

from __future__ import annotations

from datetime import datetime

from storage.codec import encode_time
from storage.sql import Connection, fetch_value, run


class BlockRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def is_blocked(self, user_id: int) -> bool:
        found = await fetch_value(
            self._conn, "SELECT 1 FROM blocked_users WHERE user_id = ?", (user_id,)
        )
        return found is not None

    async def block(
        self, user_id: int, *, by: int | None, at: datetime, reason: str | None = None
    ) -> bool:
        """Returns False when the user was blocked already."""
        added = await run(
            self._conn,
            "INSERT INTO blocked_users (user_id, blocked_by, blocked_at, reason) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
            (user_id, by, encode_time(at), reason),
        )
        return added == 1

    async def unblock(self, user_id: int) -> bool:
        removed = await run(self._conn, "DELETE FROM blocked_users WHERE user_id = ?", (user_id,))
        return removed > 0
