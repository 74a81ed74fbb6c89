"""The append-only audit log (the schema's triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from moderation.audit import AuditEntry
from storage.codec import decode_json, decode_time, encode_json, encode_time
from storage.sql import Connection, fetch_all, insert

_COLUMNS = "id, at, actor_id, action, subject_type, subject_id, details"


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def append(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject_type: str | None = None,
        subject_id: str | int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        return await insert(
            self._conn,
            "INSERT INTO audit_log (at, actor_id, action, subject_type, subject_id, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                encode_time(at),
                actor_id,
                action,
                subject_type,
                None if subject_id is None else str(subject_id),
                encode_json(details or {}),
            ),
        )

    async def for_subject(self, subject_type: str, subject_id: str | int) -> list[AuditEntry]:
        rows = await fetch_all(
            self._conn,
            f"SELECT {_COLUMNS} FROM audit_log WHERE subject_type = ? AND subject_id = ? "  # noqa: S608 - constant column list
            "ORDER BY id",
            (subject_type, str(subject_id)),
        )
        return [_entry(row) for row in rows]

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        rows = await fetch_all(
            self._conn,
            f"SELECT {_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?",  # noqa: S608 - constant column list
            (limit,),
        )
        return [_entry(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=decode_time(row["at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        details=decode_json(row["details"]),
    )
