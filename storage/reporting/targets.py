"""Reported targets, one row per canonical target.

A public chat may first be reported by @username (when Telegram could not resolve it) and later
by id (from a forward): both find the same row, which learns the id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moderation.reporting.targets import TargetKind, TargetRef
from storage.codec import encode_time
from storage.sql import Connection, fetch_one, fetch_value, insert, matching, run


class TargetRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def find(self, target: TargetRef) -> int | None:
        row = await self._find_row(target)
        return None if row is None else int(row["id"])

    async def find_or_create(self, target: TargetRef, at: datetime) -> int:
        row = await self._find_row(target)
        when = encode_time(at)
        if row is None:
            return await insert(
                self._conn,
                "INSERT INTO targets (key, kind, username, chat_id, post_id, invite_hash, term, "
                "title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    target.key,
                    target.kind.value,
                    target.username,
                    target.chat_id,
                    target.post_id,
                    target.invite_hash,
                    target.term,
                    target.title,
                    when,
                    when,
                ),
            )
        await self._learn(row, target, when)
        return int(row["id"])

    async def _find_row(self, target: TargetRef) -> Any:
        row = await fetch_one(self._conn, "SELECT * FROM targets WHERE key = ?", (target.key,))
        if row is not None or target.kind in (TargetKind.INVITE, TargetKind.SEARCH_TERM):
            return row
        post, post_params = matching("post_id", target.post_id)
        if target.username is not None:
            row = await fetch_one(
                self._conn,
                f"SELECT * FROM targets WHERE username = ? AND {post} ORDER BY id LIMIT 1",  # noqa: S608
                (target.username, *post_params),
            )
        if row is None and target.chat_id is not None:
            row = await fetch_one(
                self._conn,
                f"SELECT * FROM targets WHERE chat_id = ? AND {post} ORDER BY id LIMIT 1",  # noqa: S608
                (target.chat_id, *post_params),
            )
        return row

    async def _learn(self, row: Any, target: TargetRef, when: str) -> None:
        """Fills in what this report knows and the stored row did not (id, kind, title)."""
        chat_id = row["chat_id"] if row["chat_id"] is not None else target.chat_id
        username = row["username"] if row["username"] is not None else target.username
        kind = row["kind"]
        if kind == TargetKind.PUBLIC.value and target.kind is not TargetKind.PUBLIC:
            kind = target.kind.value
        title = target.title or row["title"]
        learned = TargetRef(
            kind=TargetKind(kind),
            username=username,
            chat_id=chat_id,
            post_id=row["post_id"],
            invite_hash=row["invite_hash"],
            term=row["term"],
            title=title,
        )
        if (chat_id, username, kind, title) == (
            row["chat_id"],
            row["username"],
            row["kind"],
            row["title"],
        ):
            return
        key = learned.key
        taken = await fetch_value(
            self._conn, "SELECT 1 FROM targets WHERE key = ? AND id <> ?", (key, row["id"])
        )
        if taken is not None:
            key = row["key"]  # another row owns that key already: keep ours
        await run(
            self._conn,
            "UPDATE targets SET key = ?, kind = ?, username = ?, chat_id = ?, title = ?, "
            "updated_at = ? WHERE id = ?",
            (key, kind, username, chat_id, title, when, row["id"]),
        )


def target_from_row(row: Any) -> TargetRef:
    return TargetRef(
        kind=TargetKind(row["kind"]),
        username=row["username"],
        chat_id=row["chat_id"],
        post_id=row["post_id"],
        invite_hash=row["invite_hash"],
        term=row["term"],
        title=row["title"],
    )
