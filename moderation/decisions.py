"""Deciding a case: one atomic transition, its effects, its undo, and the audit trail.

Approve hides the target from search and records it as a confirmed violator; both approve and
reject queue a notification for each reporter who wants one. Notifications wait out the undo
window, so an undo simply cancels them and nobody is told an outcome that did not stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from moderation.reports import CaseStatus
from moderation.review import CaseView, Decision, DecisionRecord, Moderator, RejectReason
from moderation.review_ports import ReviewStore, ReviewUnit

OUTCOME_KIND = "case_outcome"


@dataclass(frozen=True, slots=True)
class Decided:
    view: CaseView


@dataclass(frozen=True, slots=True)
class AlreadyDecided:
    view: CaseView


@dataclass(frozen=True, slots=True)
class UnknownCase:
    pass


class UndoRefusal(StrEnum):
    NOT_DECIDED = "not_decided"
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True, slots=True)
class Undone:
    view: CaseView


@dataclass(frozen=True, slots=True)
class UndoRefused:
    reason: UndoRefusal
    view: CaseView


DecideOutcome = Decided | AlreadyDecided | UnknownCase
UndoOutcome = Undone | UndoRefused | UnknownCase


async def case_view(store: ReviewStore, case_id: int) -> CaseView | None:
    async with store.reading() as uow:
        return await uow.review.view(case_id)


async def decide(
    store: ReviewStore,
    case_id: int,
    moderator: Moderator,
    decision: Decision,
    *,
    category: str | None,
    reason: RejectReason | None,
    undo_window: timedelta,
    now: datetime,
) -> DecideOutcome:
    async with store.transaction() as uow:
        before = await uow.review.view(case_id)
        if before is None:
            return UnknownCase()
        record = DecisionRecord(case_id, decision, moderator.user_id, now, category, reason)
        if not await uow.review.decide(record, moderator.name):
            return AlreadyDecided(before)
        if decision is Decision.APPROVED:
            confirmed = category or before.category
            await uow.review.hide_target(case_id, confirmed, now)
            await uow.review.confirm_violator(case_id, confirmed, moderator.user_id, now)
        after = await uow.review.view(case_id)
        assert after is not None  # the row was just updated in this transaction
        await _queue_outcomes(uow, after, now + undo_window, now)
        await uow.audit.append(
            at=now,
            actor_id=moderator.user_id,
            action=f"case.{decision.value}",
            subject_type="case",
            subject_id=case_id,
            details={
                "before": before.status.value,
                "after": after.status.value,
                "category": category,
                "reason": reason.value if reason else None,
                "reports": after.reports,
            },
        )
        return Decided(after)


async def undo(
    store: ReviewStore,
    case_id: int,
    moderator: Moderator,
    *,
    undo_window: timedelta,
    now: datetime,
) -> UndoOutcome:
    async with store.transaction() as uow:
        before = await uow.review.view(case_id)
        if before is None:
            return UnknownCase()
        if before.status is CaseStatus.PENDING or before.decided_at is None:
            return UndoRefused(UndoRefusal.NOT_DECIDED, before)
        if before.decided_by != moderator.user_id and not moderator.is_admin:
            await _audit_refusal(uow, case_id, moderator.user_id, "undo_not_yours", now)
            return UndoRefused(UndoRefusal.NOT_YOURS, before)
        if now > before.decided_at + undo_window:
            return UndoRefused(UndoRefusal.EXPIRED, before)
        if not await uow.review.reopen(case_id, before.decided_at, now):
            after = await uow.review.view(case_id)
            assert after is not None
            return UndoRefused(UndoRefusal.NOT_DECIDED, after)
        await uow.review.undo_effects(case_id)
        cancelled = await uow.outbox.cancel_prefix(_outcome_prefix(case_id))
        after = await uow.review.view(case_id)
        assert after is not None
        await uow.audit.append(
            at=now,
            actor_id=moderator.user_id,
            action="case.undone",
            subject_type="case",
            subject_id=case_id,
            details={
                "before": before.status.value,
                "after": after.status.value,
                "decided_by": before.decided_by,
                "notifications_cancelled": cancelled,
            },
        )
        return Undone(after)


async def record_refused_press(
    store: ReviewStore, case_id: int | None, user_id: int, why: str, now: datetime
) -> None:
    """Someone who may not review pressed a button: nothing changes, but it is on record."""
    async with store.transaction() as uow:
        await _audit_refusal(uow, case_id, user_id, why, now)


async def _audit_refusal(
    uow: ReviewUnit, case_id: int | None, user_id: int, why: str, now: datetime
) -> None:
    await uow.audit.append(
        at=now,
        actor_id=user_id,
        action="case.press_refused",
        subject_type="case" if case_id is not None else None,
        subject_id=case_id,
        details={"why": why},
    )


async def _queue_outcomes(
    uow: ReviewUnit, view: CaseView, not_before: datetime, now: datetime
) -> None:
    decision = Decision.APPROVED if view.status is CaseStatus.APPROVED else Decision.REJECTED
    for report_id, reporter_id, language in await uow.review.reporters_to_notify(view.id):
        await uow.outbox.add(
            dedupe_key=f"{_outcome_prefix(view.id)}v{view.version}:{report_id}",
            kind=OUTCOME_KIND,
            chat_id=reporter_id,
            payload={
                "case_id": view.id,
                "report_id": report_id,
                "decision": decision.value,
                "category": view.decision_category or view.category,
                "language": language,
            },
            at=now,
            not_before=not_before,
        )


def _outcome_prefix(case_id: int) -> str:
    return f"outcome:{case_id}:"
