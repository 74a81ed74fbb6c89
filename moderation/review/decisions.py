"""Deciding a case: one atomic transition, its effects, its undo, and the audit trail.

Approve hides the target from search and records it as a confirmed violator; both approve and
reject queue a notification for each reporter who wants one. Notifications wait out the undo
window, so an undo simply cancels them and nobody is told an outcome that did not stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from moderation.reporting.types import CaseStatus
from moderation.review.case_rules import rescore
from moderation.review.ports import ReviewStore, ReviewUnit
from moderation.review.priority import CasePolicy
from moderation.review.types import CaseView, Decision, DecisionRecord, Moderator, RejectReason
from moderation.review.undo import remove_decision_effects
from moderation.review.undo_window import undo_deadline, undo_open

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


@dataclass(frozen=True, slots=True)
class NotAllowed:
    """An escalated case waits for an admin or a legal officer."""

    view: CaseView


class UndoRefusal(StrEnum):
    NOT_DECIDED = "not_decided"
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"
    NEWER_CASE = "newer_case"  # the target has a newer open case; undoing would make two
    LEGAL_REQUEST = "legal_request"  # the violator is the subject of a legal request


@dataclass(frozen=True, slots=True)
class Undone:
    view: CaseView


@dataclass(frozen=True, slots=True)
class UndoRefused:
    reason: UndoRefusal
    view: CaseView


DecideOutcome = Decided | AlreadyDecided | NotAllowed | UnknownCase
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
    policy: CasePolicy,
    note: str | None = None,
) -> DecideOutcome:
    async with store.transaction() as uow:
        return await decide_in(
            uow,
            case_id,
            moderator,
            DecisionRecord(case_id, decision, moderator.user_id, now, category, reason, note),
            undo_window=undo_window,
            policy=policy,
        )


async def decide_in(
    uow: ReviewUnit,
    case_id: int,
    moderator: Moderator,
    record: DecisionRecord,
    *,
    undo_window: timedelta,
    policy: CasePolicy,
) -> DecideOutcome:
    """The one atomic transition pending -> decided and everything it causes."""
    now = record.decided_at
    before = await uow.review.view(case_id)
    if before is None:
        return UnknownCase()
    if before.status is CaseStatus.PENDING and not moderator.may_decide(before.escalated):
        await _audit_refusal(uow, case_id, moderator.user_id, "escalated", now, before)
        return NotAllowed(before)
    if not await uow.review.decide(record, moderator.name):
        return AlreadyDecided(before)
    await uow.menus.close(case_id)  # on every instance's next redraw too (moderation/review/menus)
    lifted = False
    if record.decision is Decision.APPROVED:
        confirmed = record.category or before.category
        await uow.blocklist.hide_target(case_id, confirmed, now)
        await uow.confirmations.confirm(case_id, confirmed, moderator.user_id, now)
    else:
        lifted = await uow.blocklist.lift_provisional(case_id)
    after = await uow.review.view(case_id)
    assert after is not None  # the row was just updated in this transaction
    deadline = undo_deadline(after, undo_window)
    assert deadline is not None  # just decided
    await _queue_outcomes(uow, after, deadline, now)
    await rescore_reporters(uow, case_id, policy, now)
    await uow.audit.append(
        at=now,
        actor_id=moderator.user_id,
        action=f"case.{record.decision.value}",
        subject_type="case",
        subject_id=case_id,
        details={
            "before": state_of(before),
            "after": state_of(after),
            "category": record.category,
            "reason": record.reason.value if record.reason else None,
            "note": record.note,
            "reports": after.reports,
            "provisional_hiding_lifted": lifted,
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
    policy: CasePolicy,
) -> UndoOutcome:
    async with store.transaction() as uow:
        before = await uow.review.view(case_id)
        if before is None:
            return UnknownCase()
        if before.status is CaseStatus.PENDING or before.decided_at is None:
            return UndoRefused(UndoRefusal.NOT_DECIDED, before)
        if before.decided_by != moderator.user_id and not moderator.is_admin:
            await _audit_refusal(uow, case_id, moderator.user_id, "undo_not_yours", now, before)
            return UndoRefused(UndoRefusal.NOT_YOURS, before)
        if not undo_open(before, now, undo_window):
            return UndoRefused(UndoRefusal.EXPIRED, before)
        reversed_view = await reverse_decision(
            uow, before, moderator.user_id, now, policy, action="case.undone"
        )
        if isinstance(reversed_view, UndoRefusal):
            return UndoRefused(reversed_view, before)
        return Undone(reversed_view)


async def reverse_decision(
    uow: ReviewUnit,
    before: CaseView,
    actor_id: int,
    now: datetime,
    policy: CasePolicy,
    *,
    action: str,
    details: dict[str, object] | None = None,
) -> CaseView | UndoRefusal:
    """Returns a decided case to pending and reverses everything its decision did (what that
    is: moderation/review/undo.py), and cancels unsent notifications. Undo and an overturned
    appeal both come here."""
    if before.decided_at is None or before.status is CaseStatus.PENDING:
        return UndoRefusal.NOT_DECIDED
    if await uow.review.other_pending_case(before.id) is not None:
        await _audit_refusal(uow, before.id, actor_id, "newer_open_case", now, before)
        return UndoRefusal.NEWER_CASE
    if await uow.review.legal_request_on(before.id) is not None:
        await _audit_refusal(uow, before.id, actor_id, "legal_request", now, before)
        return UndoRefusal.LEGAL_REQUEST
    if not await uow.review.reopen(before.id, before.decided_at, now):
        return UndoRefusal.NOT_DECIDED
    await remove_decision_effects(uow.blocklist, uow.confirmations, uow.registry, before.id)
    cancelled = await uow.outbox.cancel_prefix(_outcome_prefix(before.id))
    after = await uow.review.view(before.id)
    assert after is not None
    await rescore_reporters(uow, before.id, policy, now)
    await uow.audit.append(
        at=now,
        actor_id=actor_id,
        action=action,
        subject_type="case",
        subject_id=before.id,
        details={
            "before": state_of(before),
            "after": state_of(after),
            "decided_by": before.decided_by,
            "notifications_cancelled": cancelled,
            **(details or {}),
        },
    )
    return after


async def rescore_reporters(
    uow: ReviewUnit, case_id: int, policy: CasePolicy, now: datetime
) -> None:
    """A decision changes its reporters' track records, so their other pending cases move in
    the queue (and may now qualify for provisional hiding)."""
    for other_id, category in await uow.review.pending_cases_of_reporters(case_id):
        await rescore(uow.review, uow.blocklist, uow.audit, other_id, category, policy, now)
    view = await uow.review.view(case_id)
    if view is not None and view.status is CaseStatus.PENDING:
        await rescore(uow.review, uow.blocklist, uow.audit, case_id, view.category, policy, now)


async def record_refused_press(
    store: ReviewStore, case_id: int | None, user_id: int, why: str, now: datetime
) -> None:
    """Someone who may not review pressed a button: nothing changes, but it is on record."""
    async with store.transaction() as uow:
        await _audit_refusal(uow, case_id, user_id, why, now)


async def _audit_refusal(
    uow: ReviewUnit,
    case_id: int | None,
    user_id: int,
    why: str,
    now: datetime,
    view: CaseView | None = None,
) -> None:
    """Nothing changed, so before and after are the same state."""
    if view is None and case_id is not None:
        view = await uow.review.view(case_id)
    state = state_of(view) if view is not None else None
    await uow.audit.append(
        at=now,
        actor_id=user_id,
        action="case.press_refused",
        subject_type="case" if case_id is not None else None,
        subject_id=case_id,
        details={"why": why, "before": state, "after": state},
    )


def state_of(view: CaseView) -> str:
    """The case's state as the audit log records it."""
    if view.status is CaseStatus.PENDING and view.escalated:
        return "escalated"
    return view.status.value


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
