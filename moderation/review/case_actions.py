"""What moderators do to a case besides deciding it: escalate, annotate, explain a rejection,
and pull a case out of the backlog; plus the queue they pull from.

Each is one transaction with its audit entry (before and after), and each bumps the case's
version so the delivery worker brings the case message up to date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from moderation.reporting.types import CaseStatus
from moderation.review.decisions import (
    AlreadyDecided,
    Decided,
    NotAllowed,
    UnknownCase,
    decide_in,
    state_of,
)
from moderation.review.ports import ReviewStore
from moderation.review.priority import CasePolicy
from moderation.review.types import (
    CaseView,
    Decision,
    DecisionRecord,
    Moderator,
    QueueEntry,
    RejectReason,
)
from moderation.review.undo_window import undo_open

#: Notes and explanations are shown on the case message, which Telegram caps at 4096 characters.
NOTE_MAX = 500
QUEUE_SHOWN = 10


class ActionRefusal(StrEnum):
    DECIDED = "decided"  # escalation and explanations need a pending / own rejected case
    NOT_YOURS = "not_yours"
    EXPIRED = "expired"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    POSTED = "posted"
    UNDONE = "undone"  # an explanation asked for a rejection that was undone meanwhile


@dataclass(frozen=True, slots=True)
class Done:
    view: CaseView


@dataclass(frozen=True, slots=True)
class Refused:
    reason: ActionRefusal
    view: CaseView | None = None


ActionOutcome = Done | Refused | UnknownCase | NotAllowed


def _checked_text(text: str) -> ActionRefusal | None:
    if not text.strip():
        return ActionRefusal.EMPTY
    if len(text) > NOTE_MAX:
        return ActionRefusal.TOO_LONG
    return None


async def escalate(
    store: ReviewStore, case_id: int, moderator: Moderator, note: str | None, now: datetime
) -> ActionOutcome:
    """Hands a pending case to admins and legal officers; a state, not a decision."""
    if note is not None and (problem := _checked_text(note)) is not None:
        return Refused(problem)
    async with store.transaction() as uow:
        before = await uow.review.view(case_id)
        if before is None:
            return UnknownCase()
        if not await uow.review.escalate(case_id, moderator.user_id, moderator.name, note, now):
            return Refused(ActionRefusal.DECIDED, before)
        after = await uow.review.view(case_id)
        assert after is not None
        await uow.audit.append(
            at=now,
            actor_id=moderator.user_id,
            action="case.escalated" if not before.escalated else "case.escalation_noted",
            subject_type="case",
            subject_id=case_id,
            details={"before": state_of(before), "after": state_of(after), "note": note},
        )
        return Done(after)


async def add_note(
    store: ReviewStore, case_id: int, moderator: Moderator, text: str, now: datetime
) -> ActionOutcome:
    """A moderator's private note (a reply to the case message); never shown to reporters."""
    if (problem := _checked_text(text)) is not None:
        return Refused(problem)
    async with store.transaction() as uow:
        before = await uow.review.view(case_id)
        if before is None:
            return UnknownCase()
        note_id = await uow.review.add_note(case_id, moderator.user_id, moderator.name, text, now)
        after = await uow.review.view(case_id)
        assert after is not None
        await uow.audit.append(
            at=now,
            actor_id=moderator.user_id,
            action="case.note_added",
            subject_type="case",
            subject_id=case_id,
            details={
                "before": {"notes": before.notes_total},
                "after": {"notes": after.notes_total},
                "note_id": note_id,
            },
        )
        return Done(after)


async def reject_with_explanation(
    store: ReviewStore,
    case_id: int,
    moderator: Moderator,
    text: str,
    *,
    undo_window: timedelta,
    now: datetime,
    policy: CasePolicy,
    only_explain: bool = False,
) -> ActionOutcome | Decided | AlreadyDecided:
    """`/reject <why>` in reply to a case: rejects a pending case for "other" with the text, or
    adds the text to the moderator's own "other" rejection while it can still be undone.
    `only_explain`: never decides (a private chat's explanation, asked after the rejection,
    must not reject again a case an Undo made pending meanwhile)."""
    if (problem := _checked_text(text)) is not None:
        return Refused(problem)
    async with store.transaction() as uow:
        before = await uow.review.view(case_id)
        if before is None:
            return UnknownCase()
        if before.status is CaseStatus.PENDING and only_explain:
            return Refused(ActionRefusal.UNDONE, before)
        if before.status is CaseStatus.PENDING:
            record = DecisionRecord(
                case_id, Decision.REJECTED, moderator.user_id, now, None, RejectReason.OTHER, text
            )
            return await decide_in(
                uow, case_id, moderator, record, undo_window=undo_window, policy=policy
            )
        if before.status is not CaseStatus.REJECTED or before.reject_reason is not (
            RejectReason.OTHER
        ):
            return Refused(ActionRefusal.DECIDED, before)
        if before.decided_by != moderator.user_id and not moderator.is_admin:
            return Refused(ActionRefusal.NOT_YOURS, before)
        if not undo_open(before, now, undo_window):
            return Refused(ActionRefusal.EXPIRED, before)
        await uow.review.set_reject_note(case_id, text, now)
        after = await uow.review.view(case_id)
        assert after is not None
        await uow.audit.append(
            at=now,
            actor_id=moderator.user_id,
            action="case.reject_explained",
            subject_type="case",
            subject_id=case_id,
            details={"before": before.reject_note, "after": text},
        )
        return Done(after)


async def request_post(
    store: ReviewStore, case_id: int, moderator: Moderator, now: datetime
) -> ActionOutcome:
    """A moderator picked a case from /queue: it is posted before the rest of the backlog."""
    async with store.transaction() as uow:
        view = await uow.review.view(case_id)
        if view is None:
            return UnknownCase()
        if view.status is not CaseStatus.PENDING:
            return Refused(ActionRefusal.DECIDED, view)
        if not await uow.posts.request(case_id, now):
            return Refused(ActionRefusal.POSTED, view)
        await uow.audit.append(
            at=now,
            actor_id=moderator.user_id,
            action="case.post_requested",
            subject_type="case",
            subject_id=case_id,
            details={"before": "queued", "after": "requested"},
        )
        return Done(view)


async def case_at(store: ReviewStore, chat_id: int, message_id: int) -> CaseView | None:
    """The case a review-chat message shows, if it is a case message."""
    async with store.reading() as uow:
        case_id = await uow.posts.case_for_message(chat_id, message_id)
        return None if case_id is None else await uow.review.view(case_id)


@dataclass(frozen=True, slots=True)
class Queue:
    entries: tuple[QueueEntry, ...]
    pending: int
    escalated: int
    unposted: int


async def queue(store: ReviewStore, *, escalated: bool, limit: int = QUEUE_SHOWN) -> Queue:
    async with store.reading() as uow:
        entries = await uow.review.queue(limit, escalated=escalated)
        pending, escalated_count = await uow.review.counts()
        unposted = await uow.posts.backlog()
    return Queue(tuple(entries), pending, escalated_count, unposted)
