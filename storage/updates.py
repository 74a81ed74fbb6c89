"""Which Telegram updates have had their effects committed (redelivery protection)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import encode_time


class ProcessedUpdateRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        """Returns False when the update was already processed (Telegram delivered it again)."""
        cursor = await self._conn.execute(
            "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?) "
            "ON CONFLICT (update_id) DO NOTHING",
            (update_id, encode_time(at)),
        )
        first_time = cursor.rowcount == 1
        await cursor.close()
        return first_time

    async def was_processed(self, update_id: int) -> bool:
        async with self._conn.execute(
            "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def forget_before(self, before: datetime) -> int:
        """Drops old marks; Telegram never redelivers an update after 24 hours."""
        cursor = await self._conn.execute(
            "DELETE FROM processed_updates WHERE processed_at < ?", (encode_time(before),)
        )
        removed = cursor.rowcount
        await cursor.close()
        return removed
