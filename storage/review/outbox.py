"""Messages owed to users (`outbox`): queued in the transaction that owes them, sent later
by the delivery worker with retries, so a crash between the two loses nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from moderation.review.types import Notification
from storage.codec import decode_json, encode_json, encode_time
from storage.sql import Connection, fetch_all, fetch_one, fetch_value, per_dialect, run

#: Notifications due now, the longest-waiting first (the caller adds the LIMIT).
_DUE: Final = (
    "SELECT id, chat_id, kind, payload, attempts FROM outbox "
    "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id"
)


def _notification(row: Any) -> Notification:
    return Notification(
        id=row["id"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        payload=decode_json(row["payload"]),
        attempts=row["attempts"],
    )


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        dedupe_key: str,
        kind: str,
        chat_id: int,
        payload: Mapping[str, Any],
        at: datetime,
        not_before: datetime,
    ) -> int | None:
        row_id = await fetch_value(
            self._conn,
            "INSERT INTO outbox (dedupe_key, kind, chat_id, payload, created_at, "
            "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING "
            "RETURNING id",
            (
                dedupe_key,
                kind,
                chat_id,
                encode_json(payload),
                encode_time(at),
                encode_time(not_before),
            ),
        )
        return None if row_id is None else int(row_id)

    async def cancel_prefix(self, prefix: str) -> int:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return await run(
            self._conn,
            "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' "
            "AND dedupe_key LIKE ? ESCAPE '\\'",
            (escaped + "%",),
        )

    async def due(self, now: datetime, limit: int) -> list[Notification]:
        rows = await fetch_all(self._conn, f"{_DUE} LIMIT ?", (encode_time(now), limit))
        return [_notification(row) for row in rows]

    async def claim_next(self, now: datetime, until: datetime) -> Notification | None:
        """Takes the longest-due notification for the caller until `until` (see
        PostRepository.claim_next: the same claim, the same SKIP LOCKED on PostgreSQL)."""
        row = await fetch_one(
            self._conn,
            f"{_DUE} LIMIT 1"
            + per_dialect(self._conn, sqlite="", postgresql=" FOR UPDATE SKIP LOCKED"),
            (encode_time(now),),
        )
        if row is None:
            return None
        await run(
            self._conn,
            "UPDATE outbox SET next_attempt_at = ? WHERE id = ?",
            (encode_time(until), row["id"]),
        )
        return _notification(row)

    async def release(self, notification_id: int, claimed_until: datetime, at: datetime) -> None:
        """The claim ends: due again from `at`, unless it was sent or its retry set a time."""
        await run(
            self._conn,
            "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending' "
            "AND next_attempt_at = ?",
            (encode_time(at), notification_id, encode_time(claimed_until)),
        )

    async def sent(self, notification_id: int, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
            (encode_time(at), notification_id),
        )

    async def retry(self, notification_id: int, retry_at: datetime, error: str) -> None:
        await run(
            self._conn,
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE id = ?",
            (encode_time(retry_at), error[:200], notification_id),
        )

    async def give_up(self, notification_id: int, error: str) -> None:
        await run(
            self._conn,
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
            (error[:200], notification_id),
        )
