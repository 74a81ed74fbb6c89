"""Which Telegram updates have had their effects committed (redelivery protection), and the
journal of updates taken and not yet handled.

Update ids are numbered per bot, so both are keyed by the bot as well (migration 0026): the
repositories read and write the rows of the bot the store serves (`Store.bot_id`), and a
database moved to another bot never mistakes that bot's updates for the old one's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from storage.codec import encode_time
from storage.sql import Connection, fetch_all, fetch_value, run

#: The bot of the rows from before migration 0026, whose id was never recorded; also the
#: bot of a store no bot serves (a CLI command), which reads and marks no update. No bot has it.
NO_BOT: Final = 0


class ProcessedUpdateRepository:
    def __init__(self, conn: Connection, bot_id: int) -> None:
        self._conn = conn
        self._bot_id = bot_id

    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        """Returns False when the update was already processed (Telegram delivered it again)."""
        changed = await run(
            self._conn,
            "INSERT INTO processed_updates (bot_id, update_id, processed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (bot_id, update_id) DO NOTHING",
            (self._bot_id, update_id, encode_time(at)),
        )
        return changed == 1

    async def was_processed(self, update_id: int) -> bool:
        found = await fetch_value(
            self._conn,
            "SELECT 1 FROM processed_updates WHERE bot_id = ? AND update_id = ?",
            (self._bot_id, update_id),
        )
        return found is not None

    async def forget_before(self, before: datetime) -> int:
        """Drops old marks, every bot's; Telegram never redelivers an update after 24 hours."""
        return await run(
            self._conn,
            "DELETE FROM processed_updates WHERE processed_at < ?",
            (encode_time(before),),
        )


class UpdateJournalRepository:
    """Updates taken from Telegram and not yet handled (see migration 0014), of the store's
    bot (migration 0026)."""

    def __init__(self, conn: Connection, bot_id: int) -> None:
        self._conn = conn
        self._bot_id = bot_id

    async def keep(
        self, entries: Sequence[tuple[int, str | None, bytes]], at: datetime
    ) -> list[int]:
        """Keeps each (update id, key id, payload) not seen before; returns the ids already
        known (a redelivery of an update kept or handled earlier)."""
        known: list[int] = []
        when = encode_time(at)
        for update_id, key_id, payload in entries:
            added = await run(
                self._conn,
                "INSERT INTO update_journal (bot_id, update_id, key_id, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (bot_id, update_id) DO NOTHING",
                (self._bot_id, update_id, key_id, payload, when),
            )
            if added == 0:
                known.append(update_id)
        return known

    async def keep_for_claim(
        self, update_id: int, key_id: str | None, payload: bytes, chat_key: str, at: datetime
    ) -> bool:
        """Keeps an update delivered by webhook for whichever instance claims it (migration
        0021); False when the journal knew it already."""
        added = await run(
            self._conn,
            "INSERT INTO update_journal "
            "(bot_id, update_id, key_id, payload, received_at, chat_key) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (bot_id, update_id) DO NOTHING",
            (self._bot_id, update_id, key_id, payload, encode_time(at), chat_key),
        )
        return added == 1

    async def claimable(
        self, alive_since: datetime, limit: int
    ) -> list[tuple[int, str | None, bytes, str | None]]:
        """The updates an instance may claim now, oldest first: unreleased, not claimed by a
        live instance, and the earliest unreleased of their chat; with who had claimed each
        (an instance that stopped or died), if anyone."""
        rows = await fetch_all(
            self._conn,
            "SELECT j.update_id, j.key_id, j.payload, j.claimed_by FROM update_journal j "
            "WHERE j.bot_id = ? AND j.released_at IS NULL AND j.chat_key IS NOT NULL "
            "AND (j.claimed_by IS NULL "
            "OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = j.claimed_by "
            "AND i.stopped_at IS NULL AND i.seen_at >= ?)) "
            "AND NOT EXISTS (SELECT 1 FROM update_journal e WHERE e.bot_id = j.bot_id "
            "AND e.released_at IS NULL AND e.chat_key = j.chat_key "
            "AND e.update_id < j.update_id) "
            "ORDER BY j.update_id LIMIT ?",
            (self._bot_id, encode_time(alive_since), limit),
        )
        return [
            (row["update_id"], row["key_id"], bytes(row["payload"]), row["claimed_by"])
            for row in rows
        ]

    async def claim(
        self, instance_id: str, alive_since: datetime, at: datetime, limit: int
    ) -> list[tuple[int, str | None, bytes, str | None]]:
        """Claims for `instance_id` what `claimable` lists (in the caller's write
        transaction, so no other instance claims the same)."""
        found = await self.claimable(alive_since, limit)
        when = encode_time(at)
        for update_id, *_ in found:
            await run(
                self._conn,
                "UPDATE update_journal SET claimed_by = ?, claimed_at = ? "
                "WHERE bot_id = ? AND update_id = ?",
                (instance_id, when, self._bot_id, update_id),
            )
        return found

    async def adopt_unclaimable(self) -> int:
        """Updates a polling run left unhandled, made claimable in webhook mode: each a
        conversation of its own (their order was the polling run's)."""
        return await run(
            self._conn,
            "UPDATE update_journal SET chat_key = 'update:' || CAST(update_id AS TEXT) "
            "WHERE bot_id = ? AND released_at IS NULL AND chat_key IS NULL",
            (self._bot_id,),
        )

    async def release(self, update_ids: Sequence[int], at: datetime) -> None:
        """Handled: the payload goes, a tombstone stays to recognise a redelivery."""
        when = encode_time(at)
        for update_id in update_ids:
            await run(
                self._conn,
                "UPDATE update_journal SET payload = NULL, key_id = NULL, chat_key = NULL, "
                "claimed_by = NULL, released_at = ? "
                "WHERE bot_id = ? AND update_id = ? AND released_at IS NULL",
                (when, self._bot_id, update_id),
            )

    async def unreleased(self) -> list[tuple[int, str | None, bytes]]:
        """Updates taken but never handled (the bot stopped first), oldest first."""
        rows = await fetch_all(
            self._conn,
            "SELECT update_id, key_id, payload FROM update_journal "
            "WHERE bot_id = ? AND released_at IS NULL ORDER BY update_id",
            (self._bot_id,),
        )
        return [(row["update_id"], row["key_id"], bytes(row["payload"])) for row in rows]

    async def forget_released_before(self, before: datetime) -> int:
        """Drops tombstones, every bot's; Telegram never redelivers an update after 24 hours."""
        return await run(
            self._conn,
            "DELETE FROM update_journal WHERE released_at IS NOT NULL AND released_at < ?",
            (encode_time(before),),
        )
