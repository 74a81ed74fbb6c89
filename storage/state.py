"""Small named values the bot keeps across restarts."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import encode_time
from storage.sql import fetch_value, run


class StateRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def get(self, key: str) -> str | None:
        value = await fetch_value(self._conn, "SELECT value FROM bot_state WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def put(self, key: str, value: str, at: datetime) -> None:
        await run(
            self._conn,
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (key, value, encode_time(at)),
        )

    async def delete(self, key: str) -> bool:
        return await run(self._conn, "DELETE FROM bot_state WHERE key = ?", (key,)) == 1
