"""Guided reports in progress (one per user)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moderation.reporting.drafts import Draft, Step
from moderation.reporting.types import ReportSource
from storage.codec import (
    decode_json,
    decode_time,
    encode_json,
    encode_time,
    origin_from_json,
    origin_to_json,
    target_from_json,
    target_to_json,
)
from storage.sql import Connection, fetch_all, fetch_one, run


class DraftRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, user_id: int) -> Draft | None:
        row = await fetch_one(
            self._conn, "SELECT * FROM report_drafts WHERE user_id = ?", (user_id,)
        )
        return None if row is None else _draft(row)

    async def save(self, draft: Draft) -> None:
        data = {
            "source": draft.source.value,
            "query": draft.query,
            "target": None if draft.target is None else target_to_json(draft.target),
            "raw_input": draft.raw_input,
            "forward_origin": (
                None if draft.forward_origin is None else origin_to_json(draft.forward_origin)
            ),
            "category": draft.category,
            "comment": draft.comment,
            "comment_done": draft.comment_done,
            "editing": draft.editing,
            "on_hold": draft.on_hold,
            "shown_in": draft.shown_in,
        }
        await run(
            self._conn,
            "INSERT INTO report_drafts (user_id, draft_id, chat_id, step, data, language_code, "
            "started_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET draft_id = excluded.draft_id, "
            "chat_id = excluded.chat_id, step = excluded.step, data = excluded.data, "
            "language_code = excluded.language_code, started_at = excluded.started_at, "
            "updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            (
                draft.user_id,
                draft.draft_id,
                draft.chat_id,
                draft.step.value,
                encode_json(data),
                draft.language_code,
                encode_time(draft.started_at),
                encode_time(draft.updated_at),
                encode_time(draft.expires_at),
            ),
        )

    async def delete(self, user_id: int) -> bool:
        deleted = await run(self._conn, "DELETE FROM report_drafts WHERE user_id = ?", (user_id,))
        return deleted > 0

    async def take_expired(self, now: datetime, limit: int) -> list[Draft]:
        """Removes and returns drafts idle past their expiry, oldest first."""
        rows = await fetch_all(
            self._conn,
            "SELECT * FROM report_drafts WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
            (encode_time(now), limit),
        )
        drafts = [_draft(row) for row in rows]
        for draft in drafts:
            await run(
                self._conn,
                "DELETE FROM report_drafts WHERE user_id = ? AND draft_id = ?",
                (draft.user_id, draft.draft_id),
            )
        return drafts


def _draft(row: Any) -> Draft:
    data = decode_json(row["data"])
    return Draft(
        draft_id=row["draft_id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        step=Step(row["step"]),
        language_code=row["language_code"],
        started_at=decode_time(row["started_at"]),
        updated_at=decode_time(row["updated_at"]),
        expires_at=decode_time(row["expires_at"]),
        source=ReportSource(data.get("source", ReportSource.GUIDED.value)),
        query=data.get("query"),
        target=None if data.get("target") is None else target_from_json(data["target"]),
        raw_input=data.get("raw_input"),
        forward_origin=(
            None if data.get("forward_origin") is None else origin_from_json(data["forward_origin"])
        ),
        category=data.get("category"),
        comment=data.get("comment"),
        comment_done=bool(data.get("comment_done", False)),
        editing=bool(data.get("editing", False)),
        on_hold=bool(data.get("on_hold", False)),
        shown_in=data.get("shown_in"),
    )
