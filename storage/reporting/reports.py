"""Reports as filed, with everything the reporter gave."""

from __future__ import annotations

from datetime import datetime

from moderation.reporting.targets import TargetRef
from moderation.reporting.types import CaseStatus, NewReport, ReportSummary
from storage.codec import decode_time, encode_json, encode_time, origin_to_json
from storage.reporting.targets import target_from_row
from storage.sql import Connection, fetch_all, fetch_value, insert


class ReportRepository:
    def __init__(self, conn: Connection, bot_id: int) -> None:
        self._conn = conn
        #: The bot whose update files a report (storage/updates.py: update ids are per bot).
        self._bot_id = bot_id

    async def add(self, report: NewReport, *, case_id: int, target_id: int, at: datetime) -> int:
        origin = (
            None
            if report.forward_origin is None
            else encode_json(origin_to_json(report.forward_origin))
        )
        return await insert(
            self._conn,
            "INSERT INTO reports (case_id, target_id, reporter_id, category, query, raw_input, "
            "source, forward_origin, comment, language_code, created_at, update_id, draft_id, "
            "bot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                case_id,
                target_id,
                report.reporter_id,
                report.category,
                report.query,
                report.raw_input,
                report.source.value,
                origin,
                report.comment,
                report.language_code,
                encode_time(at),
                report.update_id,
                report.draft_id,
                self._bot_id,
            ),
        )

    async def id_for_update(self, update_id: int, since: datetime) -> int | None:
        """The report a recent update of this bot filed (update ids are only unique for about a
        week, and per bot)."""
        found = await fetch_value(
            self._conn,
            "SELECT id FROM reports WHERE bot_id = ? AND update_id = ? AND created_at >= ? "
            "ORDER BY id DESC LIMIT 1",
            (self._bot_id, update_id, encode_time(since)),
        )
        return None if found is None else int(found)

    async def id_for_draft(self, draft_id: int) -> int | None:
        return await self._one_id("SELECT id FROM reports WHERE draft_id = ?", draft_id)

    async def by_reporter_on_case(self, case_id: int, reporter_id: int) -> int | None:
        return await self._one_id(
            "SELECT id FROM reports WHERE case_id = ? AND reporter_id = ?", case_id, reporter_id
        )

    async def times_since(self, reporter_id: int, since: datetime) -> list[datetime]:
        """When this reporter filed reports after `since`, oldest first (for rate limits)."""
        rows = await fetch_all(
            self._conn,
            "SELECT created_at FROM reports WHERE reporter_id = ? AND created_at > ? "
            "ORDER BY created_at",
            (reporter_id, encode_time(since)),
        )
        return [decode_time(row["created_at"]) for row in rows]

    async def recent_by_reporter(self, reporter_id: int, limit: int) -> list[ReportSummary]:
        rows = await fetch_all(
            self._conn,
            "SELECT r.id, r.case_id, c.status, r.category, r.query, r.created_at, "
            "t.kind, t.username, t.chat_id, t.post_id, t.invite_hash, t.term, t.title "
            "FROM reports r JOIN cases c ON c.id = r.case_id JOIN targets t ON t.id = r.target_id "
            "WHERE r.reporter_id = ? ORDER BY r.id DESC LIMIT ?",
            (reporter_id, limit),
        )
        return [
            ReportSummary(
                id=row["id"],
                case_id=row["case_id"],
                status=CaseStatus(row["status"]),
                category=row["category"],
                target=target_from_row(row),
                query=row["query"],
                created_at=decode_time(row["created_at"]),
            )
            for row in rows
        ]

    async def target_of(self, report_id: int) -> TargetRef | None:
        """The target as this report named it (its own target row, not the case's)."""
        rows = await fetch_all(
            self._conn,
            "SELECT t.kind, t.username, t.chat_id, t.post_id, t.invite_hash, t.term, t.title "
            "FROM reports r JOIN targets t ON t.id = r.target_id WHERE r.id = ?",
            (report_id,),
        )
        return target_from_row(rows[0]) if rows else None

    async def _one_id(self, sql: str, *params: int) -> int | None:
        found = await fetch_value(self._conn, sql, params)
        return None if found is None else int(found)
