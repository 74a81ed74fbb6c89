"""Small named values the bot keeps across restarts."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import encode_time


class StateRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def get(self, key: str) -> str | None:
        async with self._conn.execute(
            "SELECT value FROM bot_state WHERE key = ?", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row["value"])

    async def put(self, key: str, value: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (key, value, encode_time(at)),
        )
