"""Which Telegram updates have had their effects committed (redelivery protection)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import encode_time
from storage.sql import fetch_value, run


class ProcessedUpdateRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        """Returns False when the update was already processed (Telegram delivered it again)."""
        changed = await run(
            self._conn,
            "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?) "
            "ON CONFLICT (update_id) DO NOTHING",
            (update_id, encode_time(at)),
        )
        return changed == 1

    async def was_processed(self, update_id: int) -> bool:
        found = await fetch_value(
            self._conn, "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)
        )
        return found is not None

    async def forget_before(self, before: datetime) -> int:
        """Drops old marks; Telegram never redelivers an update after 24 hours."""
        return await run(
            self._conn,
            "DELETE FROM processed_updates WHERE processed_at < ?",
            (encode_time(before),),
        )
