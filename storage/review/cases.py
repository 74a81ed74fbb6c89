"""Review: case views and decisions, review-chat posts, the user outbox, blocklist, violators."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from moderation.reporting.types import CaseStatus
from moderation.review.case_copies import PostRef
from moderation.review.priority import ReporterRecord
from moderation.review.severe_waits import Overdue
from moderation.review.types import (
    CaseNote,
    CaseView,
    DecisionRecord,
    Escalation,
    Notification,
    PostTask,
    QueueEntry,
    RejectReason,
)
from storage.codec import (
    decode_json,
    decode_optional_time,
    decode_time,
    encode_json,
    encode_time,
)
from storage.reporting.targets import target_from_row
from storage.sql import fetch_all, fetch_one, fetch_value, run

SAMPLE_QUERIES = 3
SAMPLE_COMMENTS = 3
NOTES_SHOWN = 3


class ReviewRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
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
            "updated_at = ? WHERE id = ? AND status = 'pending'",
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

    async def hide_target(self, case_id: int, category: str, at: datetime) -> None:
        """Confirms the hiding (a provisional entry of this case becomes confirmed)."""
        await run(
            self._conn,
            "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at) "
            "SELECT t.id, t.key, c.id, ?, ? FROM cases c JOIN targets t ON t.id = c.target_id "
            "WHERE c.id = ? ON CONFLICT (target_id) DO UPDATE SET provisional = 0, "
            "category = excluded.category, hidden_at = excluded.hidden_at "
            "WHERE search_blocklist.case_id = excluded.case_id AND search_blocklist.provisional",
            (category, encode_time(at), case_id),
        )

    async def hide_provisionally(self, case_id: int, at: datetime) -> bool:
        """Hides a pending case's target until a moderator decides; False if already hidden."""
        when = encode_time(at)
        added = await run(
            self._conn,
            "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at, "
            "provisional) SELECT t.id, t.key, c.id, c.category, ?, 1 FROM cases c "
            "JOIN targets t ON t.id = c.target_id WHERE c.id = ? "
            "ON CONFLICT (target_id) DO NOTHING",
            (when, case_id),
        )
        if added:
            await run(
                self._conn,
                "UPDATE cases SET provisionally_hidden_at = coalesce(provisionally_hidden_at, ?), "
                "version = version + 1, updated_at = ? WHERE id = ?",
                (when, when, case_id),
            )
        return added == 1

    async def lift_provisional(self, case_id: int) -> bool:
        lifted = await run(
            self._conn,
            "DELETE FROM search_blocklist WHERE case_id = ? AND provisional = 1",
            (case_id,),
        )
        return lifted == 1

    async def confirm_violator(self, case_id: int, category: str, by: int, at: datetime) -> None:
        """One violator per target; every confirming case is linked to it."""
        when = encode_time(at)
        await run(
            self._conn,
            "INSERT INTO violators (target_id, category, case_id, confirmed_by, confirmed_at, "
            "last_confirmed_at) SELECT target_id, ?, id, ?, ?, ? FROM cases WHERE id = ? "
            "ON CONFLICT (target_id) DO UPDATE SET last_confirmed_at = "
            "max(coalesce(violators.last_confirmed_at, ''), excluded.last_confirmed_at)",
            (category, by, when, when, case_id),
        )
        await run(
            self._conn,
            "INSERT INTO violator_cases (violator_id, case_id, category, confirmed_by, "
            "confirmed_at) SELECT v.id, c.id, ?, ?, ? FROM cases c "
            "JOIN violators v ON v.target_id = c.target_id WHERE c.id = ? "
            "ON CONFLICT DO NOTHING",
            (category, by, when, case_id),
        )

    async def undo_effects(self, case_id: int) -> None:
        """Removes what this case's decision created (entries from earlier cases stay) and puts
        back a provisional hiding the decision confirmed or lifted. A violator no other case
        confirms goes, with its metadata timeline."""
        await run(self._conn, "DELETE FROM search_blocklist WHERE case_id = ?", (case_id,))
        violator_id = await fetch_value(
            self._conn, "SELECT violator_id FROM violator_cases WHERE case_id = ?", (case_id,)
        )
        if violator_id is not None:
            await run(self._conn, "DELETE FROM violator_cases WHERE case_id = ?", (case_id,))
            remaining = await fetch_one(
                self._conn,
                "SELECT min(case_id) AS first_case, max(confirmed_at) AS last_at "
                "FROM violator_cases WHERE violator_id = ?",
                (violator_id,),
            )
            if remaining["first_case"] is None:
                await run(
                    self._conn, "DELETE FROM observations WHERE violator_id = ?", (violator_id,)
                )
                await run(self._conn, "DELETE FROM violators WHERE id = ?", (violator_id,))
            else:
                await run(
                    self._conn,
                    "UPDATE violators SET case_id = ?, last_confirmed_at = ? WHERE id = ?",
                    (remaining["first_case"], remaining["last_at"], violator_id),
                )
        await run(
            self._conn,
            "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at, "
            "provisional) SELECT t.id, t.key, c.id, c.category, c.provisionally_hidden_at, 1 "
            "FROM cases c JOIN targets t ON t.id = c.target_id "
            "WHERE c.id = ? AND c.provisionally_hidden_at IS NOT NULL "
            "ON CONFLICT (target_id) DO NOTHING",
            (case_id,),
        )

    async def blocklist(self) -> list[dict[str, Any]]:
        """Every hidden target, for the platform's search (`report-bot blocklist export`)."""
        rows = await fetch_all(
            self._conn,
            "SELECT b.target_key, t.kind, t.username, t.chat_id AS telegram_id, t.post_id, "
            "b.category, b.provisional, b.case_id, b.hidden_at FROM search_blocklist b "
            "JOIN targets t ON t.id = b.target_id ORDER BY b.hidden_at, b.target_id",
            (),
        )
        return [{**dict(row), "provisional": bool(row["provisional"])} for row in rows]

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
            "coalesce(sum(c.status = 'approved' AND r.created_at <= c.decided_at), 0) "
            "AS approved, "
            "coalesce(sum(c.status = 'rejected' AND r.created_at <= c.decided_at), 0) "
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
            "SELECT id, opened_at, count(*) OVER () AS total FROM cases "
            "WHERE status = 'pending' AND opened_at < ? "
            "AND category IN (SELECT value FROM json_each(?)) ORDER BY opened_at, id LIMIT 1",
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


class PostRepository:
    """The review-chat message of each case."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def create(self, case_id: int, at: datetime) -> None:
        await run(
            self._conn,
            "INSERT INTO case_posts (case_id, next_attempt_at) VALUES (?, ?) "
            "ON CONFLICT (case_id) DO NOTHING",
            (case_id, encode_time(at)),
        )

    async def due(self, now: datetime, edit_before: datetime, limit: int) -> list[PostTask]:
        """What to send next, most urgent first: cases a moderator asked for, edits that show a
        decision, new cases by priority, then count updates (debounced by `edit_before`) and
        rechecks of messages an edit with a lost answer may have changed (see `recheck`)."""
        rows = await fetch_all(
            self._conn,
            "SELECT p.case_id, p.message_id, p.chat_id, c.version, p.attempts, "
            "p.requested_at IS NOT NULL AS requested, c.status <> 'pending' AS decided "
            "FROM case_posts p JOIN cases c ON c.id = p.case_id "
            "WHERE p.next_attempt_at <= ? AND (p.message_id IS NULL OR p.recheck_at <= ? OR "
            "(p.shown_version < c.version AND (p.edited_at IS NULL OR p.edited_at <= ? "
            "OR c.status <> 'pending'))) "
            "ORDER BY CASE WHEN p.message_id IS NULL AND p.requested_at IS NOT NULL THEN 0 "
            "WHEN p.message_id IS NOT NULL AND c.status <> 'pending' THEN 1 "
            "WHEN p.message_id IS NULL THEN 2 ELSE 3 END, c.priority DESC, p.case_id LIMIT ?",
            (encode_time(now), encode_time(now), encode_time(edit_before), limit),
        )
        return [
            PostTask(
                case_id=row["case_id"],
                message_id=row["message_id"],
                chat_id=row["chat_id"],
                version=row["version"],
                attempts=row["attempts"],
                requested=bool(row["requested"]),
                decided=bool(row["decided"]),
            )
            for row in rows
        ]

    async def backlog(self) -> int:
        """Cases not yet posted to the review chat."""
        value = await fetch_value(
            self._conn, "SELECT count(*) FROM case_posts WHERE message_id IS NULL", ()
        )
        return int(value)

    async def request(self, case_id: int, at: datetime) -> bool:
        """A moderator asked for this case from /queue: post it next. False if it is posted."""
        when = encode_time(at)
        changed = await run(
            self._conn,
            "UPDATE case_posts SET requested_at = ?, next_attempt_at = min(next_attempt_at, ?) "
            "WHERE case_id = ? AND message_id IS NULL",
            (when, when, case_id),
        )
        return changed == 1

    async def case_for_message(self, chat_id: int, message_id: int) -> int | None:
        value = await fetch_value(
            self._conn,
            "SELECT case_id FROM case_posts WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return None if value is None else int(value)

    async def lost(self, case_id: int, message_id: int, at: datetime) -> bool:
        """The case message is gone from the chat (deleted): post the case again."""
        changed = await run(
            self._conn,
            "UPDATE case_posts SET message_id = NULL, shown_version = -1, recheck_at = NULL, "
            "next_attempt_at = ?, "
            "requested_at = coalesce(requested_at, ?) WHERE case_id = ? AND message_id = ?",
            (encode_time(at), encode_time(at), case_id, message_id),
        )
        return changed == 1

    async def posted(
        self,
        case_id: int,
        chat_id: int,
        message_id: int,
        version: int,
        at: datetime,
        *,
        replacing: int | None = None,
        copies: int = 0,
        reedit: bool = False,
    ) -> bool:
        """Records the new post in place of `replacing` (None: the case had none); False when
        the case's post changed meanwhile (a press adopted a copy). `copies` more may be
        above it (migration 0019); `reedit` has the worker edit it once more, to say so."""
        when = encode_time(at)
        changed = await run(
            self._conn,
            "UPDATE case_posts SET message_id = ?, chat_id = ?, posted_at = ?, "
            "shown_version = CASE WHEN ? THEN -1 ELSE ? END, "
            "edited_at = ?, attempts = 0, last_error = NULL, requested_at = NULL, "
            "recheck_at = NULL, copies_unknown = copies_unknown + ?, "
            "copy_since = CASE WHEN copies_unknown + ? > 0 "
            "THEN coalesce(copy_since, send_started_at, ?) END, "
            "sends_unsettled = 0, send_started_at = NULL WHERE case_id = ? AND message_id IS ?",
            (
                message_id,
                chat_id,
                when,
                reedit,
                version,
                when,
                copies,
                copies,
                when,
                case_id,
                replacing,
            ),
        )
        return changed == 1

    async def unsettled(self, case_id: int) -> int:
        """Send attempts of the case's post begun and neither recorded nor refused."""
        value = await fetch_value(
            self._conn, "SELECT sends_unsettled FROM case_posts WHERE case_id = ?", (case_id,)
        )
        return int(value or 0)

    async def send_begun(self, case_id: int, at: datetime) -> None:
        """A sendMessage of the case's post is about to go out (committed before it does)."""
        await run(
            self._conn,
            "UPDATE case_posts SET sends_unsettled = sends_unsettled + 1, "
            "send_started_at = coalesce(send_started_at, ?) WHERE case_id = ?",
            (encode_time(at), case_id),
        )

    async def send_refused(self, case_id: int) -> None:
        """Telegram refused the attempt outright (a 4xx answer): it left no copy."""
        await run(
            self._conn,
            "UPDATE case_posts SET sends_unsettled = max(sends_unsettled - 1, 0), "
            "send_started_at = CASE WHEN sends_unsettled > 1 THEN send_started_at END "
            "WHERE case_id = ?",
            (case_id,),
        )

    async def recorded(self, case_id: int) -> PostRef | None:
        row = await fetch_one(
            self._conn,
            "SELECT chat_id, message_id FROM case_posts WHERE case_id = ? "
            "AND message_id IS NOT NULL",
            (case_id,),
        )
        return None if row is None else PostRef(row["chat_id"], row["message_id"])

    async def owner(self, chat_id: int, message_id: int) -> int | None:
        return await self.case_for_message(chat_id, message_id)

    async def adopt(self, case_id: int, post: PostRef, copies: int, at: datetime) -> bool:
        """A post of the case Telegram accepted and the bot never recorded becomes its post
        (it shows an older version: the worker edits it at once); `copies` more may exist."""
        when = encode_time(at)
        changed = await run(
            self._conn,
            "UPDATE case_posts SET message_id = ?, chat_id = ?, posted_at = ?, "
            "shown_version = -1, edited_at = NULL, attempts = 0, last_error = NULL, "
            "requested_at = NULL, recheck_at = NULL, next_attempt_at = ?, "
            "copies_unknown = copies_unknown + ?, "
            "copy_since = CASE WHEN copies_unknown + ? > 0 "
            "THEN coalesce(copy_since, send_started_at, ?) END, "
            "sends_unsettled = 0, send_started_at = NULL "
            "WHERE case_id = ? AND message_id IS NULL",
            (post.message_id, post.chat_id, when, when, copies, copies, when, case_id),
        )
        return changed == 1

    async def copy_found(self, case_id: int) -> None:
        """One copy fewer unknown; the post stops saying a copy may be above at its next edit
        once none is left."""
        await run(
            self._conn,
            "UPDATE case_posts SET copies_unknown = max(copies_unknown - 1, 0), "
            "copy_since = CASE WHEN copies_unknown > 1 THEN copy_since END WHERE case_id = ?",
            (case_id,),
        )

    async def shown(self, case_id: int, message_id: int, version: int, at: datetime) -> None:
        """An edit of message `message_id` started at `at` showed `version`. Edits of one
        message are made one at a time (handlers/runtime/message_locks.py), so the last to finish
        is the last Telegram applied and sets what the message shows: an older version's edit
        finishing after a newer one puts the post due again. It clears a recheck that was due
        by the time the edit started. An edit of another message of the case (a second post
        Telegram applied whose answer was lost, pressed by a moderator) records nothing."""
        when = encode_time(at)
        await run(
            self._conn,
            "UPDATE case_posts SET shown_version = ?, edited_at = ?, attempts = 0, "
            "last_error = NULL, recheck_at = CASE WHEN recheck_at <= ? THEN NULL "
            "ELSE recheck_at END WHERE case_id = ? AND message_id = ?",
            (version, when, when, case_id, message_id),
        )

    async def recheck(self, case_id: int, at: datetime) -> None:
        """The case message is edited once more at `at`: an edit of it lost an answer and
        Telegram may still apply it after a newer edit (see migration 0015), or its Undo
        button's window has closed. Only an edit started at `at` or later clears it."""
        when = encode_time(at)
        await run(
            self._conn,
            "UPDATE case_posts SET recheck_at = max(coalesce(recheck_at, ?), ?) "
            "WHERE case_id = ? AND message_id IS NOT NULL",
            (when, when, case_id),
        )

    async def failed(self, case_id: int, retry_at: datetime, error: str) -> None:
        await run(
            self._conn,
            "UPDATE case_posts SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE case_id = ?",
            (encode_time(retry_at), error[:200], case_id),
        )

    async def moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """The review group became a supergroup: its messages (cases, appeals) move with it."""
        for table in ("case_posts", "appeals"):
            await run(
                self._conn,
                f"UPDATE {table} SET chat_id = ? WHERE chat_id = ?",  # noqa: S608 - fixed names
                (new_chat_id, old_chat_id),
            )


class OutboxRepository:
    """Messages owed to users, sent by the delivery worker with retries."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
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
        rows = await fetch_all(
            self._conn,
            "SELECT id, chat_id, kind, payload, attempts FROM outbox "
            "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id "
            "LIMIT ?",
            (encode_time(now), limit),
        )
        return [
            Notification(
                id=row["id"],
                chat_id=row["chat_id"],
                kind=row["kind"],
                payload=decode_json(row["payload"]),
                attempts=row["attempts"],
            )
            for row in rows
        ]

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
