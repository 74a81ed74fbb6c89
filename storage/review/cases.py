"""Review: the case as moderators see it (`cases`, its reports and notes), its decision and
reopening, escalation, and the figures the queue and reporter scoring read."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from moderation.reporting.types import CaseStatus
from moderation.review.priority import ReporterRecord
from moderation.review.severe_waits import Overdue
from moderation.review.types import (
    CaseNote,
    CaseView,
    DecisionRecord,
    Escalation,
    QueueEntry,
    RejectReason,
)
from storage.codec import decode_optional_time, decode_time, encode_time
from storage.reporting.targets import target_from_row
from storage.sql import Connection, fetch_all, fetch_one, fetch_value, per_dialect, run

SAMPLE_QUERIES = 3
SAMPLE_COMMENTS = 3
NOTES_SHOWN = 3


class ReviewRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def view(self, case_id: int) -> CaseView | None:
        row = await fetch_one(
            self._conn,
            "SELECT c.id, c.status, c.version, c.category, c.decided_by, c.decided_by_name, "
            "c.decided_at, c.decision_category, c.reject_reason, c.reject_note, c.priority, "
            "c.escalated_at, c.escalated_by, c.escalated_by_name, c.escalation_note, "
            "c.provisionally_hidden_at, t.kind, t.username, t.chat_id, t.post_id, "
            "t.invite_hash, t.term, t.title, "
            "EXISTS (SELECT 1 FROM search_blocklist b WHERE b.target_id = c.target_id) AS hidden, "
            "CASE WHEN p.message_id IS NULL THEN p.send_started_at "
            "WHEN p.copies_unknown > 0 THEN p.copy_since END AS copy_since "
            "FROM cases c JOIN targets t ON t.id = c.target_id "
            "LEFT JOIN case_posts p ON p.case_id = c.id WHERE c.id = ?",
            (case_id,),
        )
        if row is None:
            return None
        counts = await fetch_one(
            self._conn,
            "SELECT count(*) AS reports, count(DISTINCT reporter_id) AS reporters, "
            "min(created_at) AS first_at, max(created_at) AS last_at "
            "FROM reports WHERE case_id = ?",
            (case_id,),
        )
        queries = await fetch_all(
            self._conn,
            "SELECT query FROM reports WHERE case_id = ? GROUP BY query ORDER BY min(id) LIMIT ?",
            (case_id, SAMPLE_QUERIES),
        )
        comments = await fetch_all(
            self._conn,
            "SELECT comment FROM reports WHERE case_id = ? AND comment IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            (case_id, SAMPLE_COMMENTS),
        )
        notes = await fetch_all(
            self._conn,
            "SELECT author_name, text, created_at, count(*) OVER () AS total FROM case_notes "
            "WHERE case_id = ? ORDER BY id DESC LIMIT ?",
            (case_id, NOTES_SHOWN),
        )
        escalation = (
            Escalation(
                by=row["escalated_by"],
                by_name=row["escalated_by_name"],
                at=decode_time(row["escalated_at"]),
                note=row["escalation_note"],
            )
            if row["escalated_at"]
            else None
        )
        first_at = decode_time(counts["first_at"]) if counts["first_at"] else None
        last_at = decode_time(counts["last_at"]) if counts["last_at"] else None
        opened = first_at or decode_time("1970-01-01T00:00:00+00:00")
        return CaseView(
            id=row["id"],
            status=CaseStatus(row["status"]),
            version=row["version"],
            target=target_from_row(row),
            category=row["category"],
            reports=counts["reports"],
            reporters=counts["reporters"],
            sample_queries=tuple(q["query"] for q in queries),
            comments=tuple(c["comment"] for c in comments),
            first_report_at=opened,
            last_report_at=last_at or opened,
            decided_by=row["decided_by"],
            decided_by_name=row["decided_by_name"],
            decided_at=decode_optional_time(row["decided_at"]),
            decision_category=row["decision_category"],
            reject_reason=RejectReason(row["reject_reason"]) if row["reject_reason"] else None,
            reject_note=row["reject_note"],
            priority=row["priority"],
            escalation=escalation,
            notes=tuple(
                CaseNote(n["author_name"], n["text"], decode_time(n["created_at"]))
                for n in reversed(notes)
            ),
            notes_total=notes[0]["total"] if notes else 0,
            provisionally_hidden_at=decode_optional_time(row["provisionally_hidden_at"]),
            hidden_now=bool(row["hidden"]),
            copy_since=decode_optional_time(row["copy_since"]),
        )

    async def decide(self, record: DecisionRecord, decided_by_name: str) -> bool:
        """The one atomic transition pending -> decided; False when someone else won."""
        when = encode_time(record.decided_at)
        changed = await run(
            self._conn,
            "UPDATE cases SET status = ?, decided_by = ?, decided_by_name = ?, decided_at = ?, "
            "decision_category = ?, reject_reason = ?, reject_note = ?, version = version + 1, "
            "provisional_due_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending'",
            (
                record.decision.value,
                record.decided_by,
                decided_by_name,
                when,
                record.category,
                record.reason.value if record.reason else None,
                record.note,
                when,
                record.case_id,
            ),
        )
        return changed == 1

    async def reopen(self, case_id: int, decided_at: datetime, at: datetime) -> bool:
        """Undo: back to pending, only if the decision is still the one we looked at."""
        changed = await run(
            self._conn,
            "UPDATE cases SET status = 'pending', decided_by = NULL, decided_by_name = NULL, "
            "decided_at = NULL, decision_category = NULL, reject_reason = NULL, "
            "reject_note = NULL, version = version + 1, updated_at = ? "
            "WHERE id = ? AND status <> 'pending' AND decided_at = ?",
            (encode_time(at), case_id, encode_time(decided_at)),
        )
        return changed == 1

    async def bump(self, case_id: int, at: datetime) -> None:
        """Something shown on the case message changed (a new report): edit it later."""
        await run(
            self._conn,
            "UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?",
            (encode_time(at), case_id),
        )

    async def mark_provisionally_hidden(self, case_id: int, at: datetime) -> None:
        """The case's target was just hidden provisionally: the case message says since when."""
        when = encode_time(at)
        await run(
            self._conn,
            "UPDATE cases SET provisionally_hidden_at = coalesce(provisionally_hidden_at, ?), "
            "version = version + 1, updated_at = ? WHERE id = ?",
            (when, when, case_id),
        )

    async def opened_at(self, case_id: int) -> datetime:
        return decode_time(
            await fetch_value(self._conn, "SELECT opened_at FROM cases WHERE id = ?", (case_id,))
        )

    async def set_provisional_due(self, case_id: int, due: datetime | None) -> None:
        """When the case's provisional hiding falls due (None: not waiting for one); written
        only when it changes, as each report on the case asks again."""
        value = None if due is None else encode_time(due)
        await run(
            self._conn,
            "UPDATE cases SET provisional_due_at = ? WHERE id = ? "
            "AND coalesce(provisional_due_at, '') <> coalesce(?, '')",
            (value, case_id, value),
        )

    async def provisional_due(self, now: datetime, limit: int) -> list[int]:
        """Pending cases whose provisional hiding fell due by `now` (the partial index
        cases_provisional_due holds only the waiting ones)."""
        rows = await fetch_all(
            self._conn,
            "SELECT id FROM cases WHERE provisional_due_at IS NOT NULL "
            "AND provisional_due_at <= ? AND status = 'pending' "
            "ORDER BY provisional_due_at, id LIMIT ?",
            (encode_time(now), limit),
        )
        return [row["id"] for row in rows]

    async def other_pending_case(self, case_id: int) -> int | None:
        """Another open case on the same target (a reopened target), which blocks a reopen."""
        value = await fetch_value(
            self._conn,
            "SELECT o.id FROM cases c JOIN cases o ON o.target_id = c.target_id "
            "AND o.id <> c.id AND o.status = 'pending' WHERE c.id = ?",
            (case_id,),
        )
        return None if value is None else int(value)

    async def legal_request_on(self, case_id: int) -> int | None:
        """A legal request about the violator this case confirmed; such a decision is
        evidence in a legal process and cannot be undone."""
        value = await fetch_value(
            self._conn,
            "SELECT min(r.id) FROM legal_requests r "
            "JOIN violator_cases vc ON vc.violator_id = r.violator_id WHERE vc.case_id = ?",
            (case_id,),
        )
        return None if value is None else int(value)

    async def escalate(
        self, case_id: int, by: int, by_name: str, note: str | None, at: datetime
    ) -> bool:
        """Pending -> escalated; an escalated case only takes a (new) note. False if decided."""
        when = encode_time(at)
        changed = await run(
            self._conn,
            "UPDATE cases SET escalated_at = coalesce(escalated_at, ?), "
            "escalated_by = coalesce(escalated_by, ?), "
            "escalated_by_name = coalesce(escalated_by_name, ?), "
            "escalation_note = coalesce(?, escalation_note), version = version + 1, "
            "updated_at = ? WHERE id = ? AND status = 'pending'",
            (when, by, by_name, note, when, case_id),
        )
        return changed == 1

    async def set_reject_note(self, case_id: int, note: str, at: datetime) -> None:
        when = encode_time(at)
        await run(
            self._conn,
            "UPDATE cases SET reject_note = ?, version = version + 1, updated_at = ? WHERE id = ?",
            (note, when, case_id),
        )

    async def add_note(
        self, case_id: int, author_id: int, author_name: str, text: str, at: datetime
    ) -> int:
        when = encode_time(at)
        note_id = await fetch_value(
            self._conn,
            "INSERT INTO case_notes (case_id, author_id, author_name, text, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (case_id, author_id, author_name, text, when),
        )
        await self.bump(case_id, at)
        return int(note_id)

    async def reporter_records(self, case_id: int) -> list[ReporterRecord]:
        """Each distinct reporter of the case with their decided reports so far."""
        rows = await fetch_all(
            self._conn,
            "SELECT r.reporter_id, "
            # Only reports a moderator had before them when deciding: a report that joined
            # an already decided case was never reviewed and says nothing of its reporter.
            "count(*) FILTER (WHERE c.status = 'approved' AND r.created_at <= c.decided_at) "
            "AS approved, "
            "count(*) FILTER (WHERE c.status = 'rejected' AND r.created_at <= c.decided_at) "
            "AS rejected "
            "FROM (SELECT DISTINCT reporter_id FROM reports WHERE case_id = ?) me "
            "JOIN reports r ON r.reporter_id = me.reporter_id "
            "JOIN cases c ON c.id = r.case_id GROUP BY r.reporter_id",
            (case_id,),
        )
        return [ReporterRecord(r["reporter_id"], r["approved"], r["rejected"]) for r in rows]

    async def set_priority(self, case_id: int, priority: int) -> None:
        await run(self._conn, "UPDATE cases SET priority = ? WHERE id = ?", (priority, case_id))

    async def pending_cases_of_reporters(self, case_id: int) -> list[tuple[int, str]]:
        """(id, category) of other pending cases reported by this case's reporters."""
        rows = await fetch_all(
            self._conn,
            "SELECT DISTINCT c.id, c.category FROM reports mine "
            "JOIN reports other ON other.reporter_id = mine.reporter_id "
            "JOIN cases c ON c.id = other.case_id "
            "WHERE mine.case_id = ? AND c.status = 'pending' AND c.id <> ?",
            (case_id, case_id),
        )
        return [(row["id"], row["category"]) for row in rows]

    async def queue(self, limit: int, *, escalated: bool) -> list[QueueEntry]:
        """Pending cases in priority order: the everyday queue, or the escalated one."""
        rows = await fetch_all(
            self._conn,
            "SELECT c.id, c.category, c.priority, c.escalated_at, p.message_id, p.chat_id, "
            "(SELECT count(DISTINCT reporter_id) FROM reports r WHERE r.case_id = c.id) "
            "AS reporters, t.kind, t.username, t.chat_id AS target_chat_id, t.post_id, "
            "t.invite_hash, t.term, t.title FROM cases c "
            "JOIN targets t ON t.id = c.target_id LEFT JOIN case_posts p ON p.case_id = c.id "
            "WHERE c.status = 'pending' AND (c.escalated_at IS NOT NULL) = ? "
            "ORDER BY c.priority DESC, c.id LIMIT ?",
            (escalated, limit),
        )
        return [
            QueueEntry(
                case_id=row["id"],
                category=row["category"],
                priority=row["priority"],
                reporters=row["reporters"],
                target=target_from_row({**dict(row), "chat_id": row["target_chat_id"]}),
                message_id=row["message_id"],
                chat_id=row["chat_id"],
                escalated=row["escalated_at"] is not None,
            )
            for row in rows
        ]

    async def overdue(self, categories: Collection[str], opened_before: datetime) -> Overdue:
        """Pending cases of these categories opened before `opened_before`: how many, and the
        oldest (the cases_status index holds both columns)."""
        rows = await fetch_all(
            self._conn,
            "SELECT id, opened_at, count(*) OVER () AS total FROM cases "  # noqa: S608
            "WHERE status = 'pending' AND opened_at < ? AND category IN "
            + per_dialect(
                self._conn,
                sqlite="(SELECT value FROM json_each(?))",
                postgresql="(SELECT json_array_elements_text(?::json))",
            )
            + " ORDER BY opened_at, id LIMIT 1",
            (encode_time(opened_before), json.dumps(sorted(categories))),
        )
        if not rows:
            return Overdue(0)
        row = rows[0]
        return Overdue(row["total"], row["id"], decode_time(row["opened_at"]))

    async def counts(self) -> tuple[int, int]:
        """(pending cases, escalated pending cases)."""
        row = await fetch_one(
            self._conn,
            "SELECT count(*) AS pending, count(escalated_at) AS escalated FROM cases "
            "WHERE status = 'pending'",
            (),
        )
        assert row is not None
        return row["pending"], row["escalated"]

    async def reporters_to_notify(self, case_id: int) -> list[tuple[int, int, str | None]]:
        """(report id, reporter id, language) for reporters who want outcomes."""
        rows = await fetch_all(
            self._conn,
            "SELECT r.id, r.reporter_id, coalesce(u.language_code, r.language_code) AS language "
            "FROM reports r LEFT JOIN users u ON u.user_id = r.reporter_id "
            "WHERE r.case_id = ? AND coalesce(u.notify_outcomes, 1) = 1 ORDER BY r.id",
            (case_id,),
        )
        return [(row["id"], row["reporter_id"], row["language"]) for row in rows]
