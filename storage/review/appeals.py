"""Appeals and the review-chat message of each (posted and edited through the outbox pattern)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moderation.reporting.types import CaseStatus
from moderation.review.appeals import AppealRecord, AppealStatus, NewAppeal
from moderation.review.types import CaseView, PostTask
from storage.codec import decode_optional_time, decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_one, fetch_value, insert, run


class AppealRepository:
    def __init__(self, conn: Connection, bot_id: int) -> None:
        self._conn = conn
        #: The bot whose update files an appeal (storage/updates.py: update ids are per bot).
        self._bot_id = bot_id

    async def add(self, appeal: NewAppeal, case: CaseView, at: datetime) -> int:
        assert case.decided_by is not None
        assert case.decided_at is not None
        when = encode_time(at)
        return await insert(
            self._conn,
            "INSERT INTO appeals (case_id, appellant_id, language_code, statement, "
            "original_status, original_decided_by, original_decided_at, created_at, update_id, "
            "next_attempt_at, bot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                case.id,
                appeal.appellant_id,
                appeal.language_code,
                appeal.statement,
                case.status.value,
                case.decided_by,
                encode_time(case.decided_at),
                when,
                appeal.update_id,
                when,
                self._bot_id,
            ),
        )

    async def by_update(self, update_id: int, since: datetime) -> int | None:
        value = await fetch_value(
            self._conn,
            "SELECT id FROM appeals WHERE bot_id = ? AND update_id = ? AND created_at >= ?",
            (self._bot_id, update_id, encode_time(since)),
        )
        return None if value is None else int(value)

    async def pending_for(self, case_id: int, appellant_id: int) -> int | None:
        value = await fetch_value(
            self._conn,
            "SELECT id FROM appeals WHERE case_id = ? AND appellant_id = ? AND status = 'pending'",
            (case_id, appellant_id),
        )
        return None if value is None else int(value)

    async def count_since(self, appellant_id: int, since: datetime) -> int:
        value = await fetch_value(
            self._conn,
            "SELECT count(*) FROM appeals WHERE appellant_id = ? AND created_at >= ?",
            (appellant_id, encode_time(since)),
        )
        return int(value)

    async def get(self, appeal_id: int) -> AppealRecord | None:
        row = await fetch_one(self._conn, "SELECT * FROM appeals WHERE id = ?", (appeal_id,))
        return None if row is None else _record(row)

    async def decide(
        self, appeal_id: int, status: AppealStatus, by: int, by_name: str, at: datetime
    ) -> bool:
        changed = await run(
            self._conn,
            "UPDATE appeals SET status = ?, decided_by = ?, decided_by_name = ?, decided_at = ?, "
            "version = version + 1 WHERE id = ? AND status = 'pending'",
            (status.value, by, by_name, encode_time(at), appeal_id),
        )
        return changed == 1

    async def due(self, now: datetime, limit: int) -> list[PostTask]:
        """Appeal messages still to post or to edit; `case_id` of each task is the appeal's id."""
        rows = await fetch_all(
            self._conn,
            "SELECT id, message_id, chat_id, version, attempts, status FROM appeals "
            "WHERE (message_id IS NULL OR shown_version < version) AND next_attempt_at <= ? "
            "ORDER BY id LIMIT ?",
            (encode_time(now), limit),
        )
        return [
            PostTask(
                case_id=row["id"],
                message_id=row["message_id"],
                chat_id=row["chat_id"],
                version=row["version"],
                attempts=row["attempts"],
                requested=True,
                decided=row["status"] != "pending",
            )
            for row in rows
        ]

    async def posted(
        self, appeal_id: int, chat_id: int, message_id: int, version: int, at: datetime
    ) -> None:
        await run(
            self._conn,
            "UPDATE appeals SET message_id = ?, chat_id = ?, shown_version = ?, attempts = 0, "
            "last_error = NULL WHERE id = ?",
            (message_id, chat_id, version, appeal_id),
        )

    async def shown(self, appeal_id: int, version: int, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE appeals SET shown_version = CASE WHEN shown_version > ? THEN shown_version "
            "ELSE ? END, attempts = 0, last_error = NULL WHERE id = ?",
            (version, version, appeal_id),
        )

    async def failed(self, appeal_id: int, retry_at: datetime, error: str) -> None:
        await run(
            self._conn,
            "UPDATE appeals SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE id = ?",
            (encode_time(retry_at), error[:200], appeal_id),
        )

    async def moved(self, old_chat_id: int, new_chat_id: int) -> None:
        await run(
            self._conn,
            "UPDATE appeals SET chat_id = ? WHERE chat_id = ?",
            (new_chat_id, old_chat_id),
        )


def _record(row: Any) -> AppealRecord:
    return AppealRecord(
        id=row["id"],
        case_id=row["case_id"],
        appellant_id=row["appellant_id"],
        language_code=row["language_code"],
        statement=row["statement"],
        original_status=CaseStatus(row["original_status"]),
        original_decided_by=row["original_decided_by"],
        original_decided_at=decode_time(row["original_decided_at"]),
        status=AppealStatus(row["status"]),
        decided_by=row["decided_by"],
        decided_by_name=row["decided_by_name"],
        decided_at=decode_optional_time(row["decided_at"]),
        created_at=decode_time(row["created_at"]),
        version=row["version"],
    )
