"""The review group's message budget in the database (migration 0022): what every instance
sharing it has sent in the last minute, and a pause after a 429."""

from __future__ import annotations

from storage.sql import Connection, fetch_all, fetch_value, run


class SendRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def sent_since(self, budget: str, since_ms: int) -> list[int]:
        """When each message of the window was sent, oldest first."""
        rows = await fetch_all(
            self._conn,
            "SELECT sent_ms FROM chat_sends WHERE budget = ? AND sent_ms > ? ORDER BY sent_ms",
            (budget, since_ms),
        )
        return [int(row[0]) for row in rows]

    async def last_sent(self, budget: str) -> int | None:
        value = await fetch_value(
            self._conn, "SELECT max(sent_ms) FROM chat_sends WHERE budget = ?", (budget,)
        )
        return None if value is None else int(value)

    async def add(self, budget: str, sent_ms: int) -> None:
        await run(
            self._conn,
            "INSERT INTO chat_sends (budget, sent_ms) VALUES (?, ?)",
            (budget, sent_ms),
        )

    async def drop_latest(self, budget: str) -> None:
        """The last message counted did not count at Telegram (it answered 429)."""
        await run(
            self._conn,
            "DELETE FROM chat_sends WHERE id = (SELECT id FROM chat_sends WHERE budget = ? "
            "ORDER BY sent_ms DESC, id DESC LIMIT 1)",
            (budget,),
        )

    async def forget_before(self, budget: str, before_ms: int) -> None:
        await run(
            self._conn,
            "DELETE FROM chat_sends WHERE budget = ? AND sent_ms <= ?",
            (budget, before_ms),
        )

    async def paused_until(self, budget: str) -> int | None:
        value = await fetch_value(
            self._conn, "SELECT until_ms FROM chat_pauses WHERE budget = ?", (budget,)
        )
        return None if value is None else int(value)

    async def pause(self, budget: str, until_ms: int) -> None:
        """A pause never shortens one already running."""
        await run(
            self._conn,
            "INSERT INTO chat_pauses (budget, until_ms) VALUES (?, ?) ON CONFLICT (budget) "
            "DO UPDATE SET until_ms = CASE WHEN chat_pauses.until_ms > excluded.until_ms "
            "THEN chat_pauses.until_ms ELSE excluded.until_ms END",
            (budget, until_ms),
        )
