"""Small named values the bot keeps across restarts."""

from __future__ import annotations

from datetime import datetime

from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_value, run


class StateRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, key: str) -> str | None:
        value = await fetch_value(self._conn, "SELECT value FROM bot_state WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def get_stamped(self, key: str) -> tuple[str, datetime] | None:
        """The value and when it was last written."""
        rows = await fetch_all(
            self._conn, "SELECT value, updated_at FROM bot_state WHERE key = ?", (key,)
        )
        return None if not rows else (rows[0]["value"], decode_time(rows[0]["updated_at"]))

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

    async def with_prefix(self, prefix: str) -> list[tuple[str, str, datetime]]:
        """(key, value, updated_at) of every value whose key starts with `prefix`."""
        rows = await fetch_all(
            self._conn,
            "SELECT key, value, updated_at FROM bot_state WHERE key LIKE ? ESCAPE '\\' "
            "ORDER BY key",
            (_like_prefix(prefix),),
        )
        return [(row["key"], row["value"], decode_time(row["updated_at"])) for row in rows]

    async def delete_prefix_before(self, prefix: str, before: datetime) -> int:
        """Deletes the values under `prefix` last written before `before`."""
        return await run(
            self._conn,
            "DELETE FROM bot_state WHERE key LIKE ? ESCAPE '\\' AND updated_at < ?",
            (_like_prefix(prefix), encode_time(before)),
        )


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
