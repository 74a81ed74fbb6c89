"""Copies of case posts Telegram named to the bot, until each is retired (migration 0019)."""

from __future__ import annotations

from datetime import datetime

from moderation.review.case_copies import CopyTask, FoundBy, PostRef, RetiredHow
from storage.codec import encode_time
from storage.sql import Connection, fetch_all, fetch_value, run


class CopyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def found(
        self, case_id: int, copy: PostRef, by: FoundBy, at: datetime, retry_at: datetime
    ) -> bool:
        """False when the copy was found before (its retirement is already on its way)."""
        return (
            await run(
                self._conn,
                "INSERT INTO case_post_copies (chat_id, message_id, case_id, found_at, found_by, "
                "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    copy.chat_id,
                    copy.message_id,
                    case_id,
                    encode_time(at),
                    by,
                    encode_time(retry_at),
                ),
            )
            == 1
        )

    async def retired(self, copy: PostRef, how: RetiredHow, at: datetime) -> int | None:
        """The copy's case, the first time it is retired; None after."""
        value = await fetch_value(
            self._conn,
            "UPDATE case_post_copies SET retired_at = ?, retired_how = ? "
            "WHERE chat_id = ? AND message_id = ? AND retired_at IS NULL RETURNING case_id",
            (encode_time(at), how, copy.chat_id, copy.message_id),
        )
        return None if value is None else int(value)

    async def failed(self, copy: PostRef, retry_at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE case_post_copies SET attempts = attempts + 1, next_attempt_at = ? "
            "WHERE chat_id = ? AND message_id = ?",
            (encode_time(retry_at), copy.chat_id, copy.message_id),
        )

    async def due(self, now: datetime, limit: int) -> list[CopyTask]:
        rows = await fetch_all(
            self._conn,
            "SELECT k.chat_id, k.message_id, k.case_id, k.attempts, "
            "p.chat_id AS live_chat, p.message_id AS live_message "
            "FROM case_post_copies k LEFT JOIN case_posts p ON p.case_id = k.case_id "
            "WHERE k.retired_at IS NULL AND k.next_attempt_at <= ? "
            "ORDER BY k.next_attempt_at LIMIT ?",
            (encode_time(now), limit),
        )
        return [
            CopyTask(
                copy=PostRef(row["chat_id"], row["message_id"]),
                case_id=row["case_id"],
                attempts=row["attempts"],
                live=(
                    PostRef(row["live_chat"], row["live_message"])
                    if row["live_message"] is not None
                    else None
                ),
            )
            for row in rows
        ]
