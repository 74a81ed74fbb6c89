"""Appeals: anyone may contest a decision on a target; a different moderator decides.

An appeal is posted to the review chat as its own message with Uphold / Overturn. Overturning
reverses the original decision exactly as Undo does (moderation.review.decisions.reverse_decision):
the case goes back to pending for a fresh review, its effects are removed. The appellant is
told the outcome in their language through the outbox.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from moderation.ports import CaseStore, TargetStore
from moderation.reporting.targets import TargetRef
from moderation.reporting.types import CaseStatus
from moderation.review.decisions import UndoRefusal, reverse_decision
from moderation.review.ports import ReviewUnit
from moderation.review.priority import CasePolicy
from moderation.review.types import CaseView, Moderator, PostTask

APPEAL_OUTCOME_KIND = "appeal_outcome"
STATEMENT_MIN = 10
STATEMENT_MAX = 1000
APPEALS_PER_DAY = 5
#: Telegram redelivers an unconfirmed update for at most a day.
REDELIVERY_WINDOW = timedelta(days=2)


class AppealStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


@dataclass(frozen=True, slots=True)
class NewAppeal:
    appellant_id: int
    language_code: str | None
    target: TargetRef
    statement: str
    update_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """The appeal as stored; who appealed never leaves the bot."""

    id: int
    case_id: int
    appellant_id: int
    language_code: str | None
    statement: str
    original_status: CaseStatus
    original_decided_by: int
    original_decided_at: datetime
    status: AppealStatus
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    created_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class AppealView:
    appeal: AppealRecord
    case: CaseView


# --- filing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppealFiled:
    appeal_id: int
    case_id: int


@dataclass(frozen=True, slots=True)
class AppealPending:
    """This person's appeal on this decision is already waiting (or this is a redelivery)."""

    appeal_id: int


class NothingReason(StrEnum):
    UNKNOWN = "unknown"  # never reported, or never decided
    UNDER_REVIEW = "under_review"


@dataclass(frozen=True, slots=True)
class NothingToAppeal:
    reason: NothingReason


@dataclass(frozen=True, slots=True)
class AppealLimit:
    limit: int


FileOutcome = AppealFiled | AppealPending | NothingToAppeal | AppealLimit


class Appeals(Protocol):
    async def add(self, appeal: NewAppeal, case: CaseView, at: datetime) -> int: ...
    async def by_update(self, update_id: int, since: datetime) -> int | None: ...
    async def pending_for(self, case_id: int, appellant_id: int) -> int | None: ...
    async def count_since(self, appellant_id: int, since: datetime) -> int: ...
    async def get(self, appeal_id: int) -> AppealRecord | None: ...
    async def decide(
        self, appeal_id: int, status: AppealStatus, by: int, by_name: str, at: datetime
    ) -> bool: ...
    async def due(self, now: datetime, limit: int) -> list[PostTask]: ...
    async def posted(
        self, appeal_id: int, chat_id: int, message_id: int, version: int, at: datetime
    ) -> None: ...
    async def shown(self, appeal_id: int, version: int, at: datetime) -> None: ...
    async def failed(self, appeal_id: int, retry_at: datetime, error: str) -> None: ...


class AppealUnit(ReviewUnit, Protocol):
    @property
    def appeals(self) -> Appeals: ...
    @property
    def targets(self) -> TargetStore: ...
    @property
    def cases(self) -> CaseStore: ...


class AppealStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[AppealUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[AppealUnit]: ...


async def file_appeal(store: AppealStore, appeal: NewAppeal, now: datetime) -> FileOutcome:
    async with store.transaction() as uow:
        if appeal.update_id is not None:
            existing = await uow.appeals.by_update(appeal.update_id, now - REDELIVERY_WINDOW)
            if existing is not None:
                return AppealPending(existing)
        target_id = await uow.targets.find(appeal.target)
        if target_id is None:
            return NothingToAppeal(NothingReason.UNKNOWN)
        closed = await uow.cases.last_closed_for(target_id)
        if closed is None:
            under_review = await uow.cases.open_case_for(target_id) is not None
            return NothingToAppeal(
                NothingReason.UNDER_REVIEW if under_review else NothingReason.UNKNOWN
            )
        if await uow.cases.open_case_for(target_id) is not None:
            return NothingToAppeal(NothingReason.UNDER_REVIEW)
        pending = await uow.appeals.pending_for(closed.id, appeal.appellant_id)
        if pending is not None:
            return AppealPending(pending)
        if await uow.appeals.count_since(appeal.appellant_id, now - timedelta(days=1)) >= (
            APPEALS_PER_DAY
        ):
            return AppealLimit(APPEALS_PER_DAY)
        case = await uow.review.view(closed.id)
        assert case is not None
        appeal_id = await uow.appeals.add(appeal, case, now)
        await uow.audit.append(
            at=now,
            actor_id=appeal.appellant_id,
            action="appeal.filed",
            subject_type="appeal",
            subject_id=appeal_id,
            details={"case_id": case.id, "before": None, "after": "pending"},
        )
        return AppealFiled(appeal_id, case.id)


# --- deciding ----------------------------------------------------------------------------


class AppealDecision(StrEnum):
    UPHOLD = "upheld"
    OVERTURN = "overturned"


class AppealRefusal(StrEnum):
    SAME_MODERATOR = "same_moderator"
    DECISION_CHANGED = "decision_changed"  # undone or re-decided since the appeal was filed
    NEWER_CASE = "newer_case"
    LEGAL_REQUEST = "legal_request"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True, slots=True)
class AppealDecided:
    view: AppealView


@dataclass(frozen=True, slots=True)
class AppealAlreadyDecided:
    view: AppealView


@dataclass(frozen=True, slots=True)
class AppealRefused:
    reason: AppealRefusal
    view: AppealView


@dataclass(frozen=True, slots=True)
class UnknownAppeal:
    pass


DecideAppealOutcome = AppealDecided | AppealAlreadyDecided | AppealRefused | UnknownAppeal


async def appeal_view(store: AppealStore, appeal_id: int) -> AppealView | None:
    async with store.reading() as uow:
        return await _view(uow, appeal_id)


async def _view(uow: AppealUnit, appeal_id: int) -> AppealView | None:
    record = await uow.appeals.get(appeal_id)
    if record is None:
        return None
    case = await uow.review.view(record.case_id)
    assert case is not None  # appeals reference cases, which are never deleted
    return AppealView(record, case)


async def decide_appeal(
    store: AppealStore,
    appeal_id: int,
    moderator: Moderator,
    decision: AppealDecision,
    *,
    now: datetime,
    policy: CasePolicy,
) -> DecideAppealOutcome:
    async with store.transaction() as uow:
        before = await _view(uow, appeal_id)
        if before is None:
            return UnknownAppeal()
        appeal = before.appeal
        if appeal.status is not AppealStatus.PENDING:
            return AppealAlreadyDecided(before)
        refusal = _refusal(before, moderator, decision)
        if refusal is not None:
            await _audit(uow, appeal_id, moderator, f"appeal.refused.{refusal.value}", now, {})
            return AppealRefused(refusal, before)
        if decision is AppealDecision.OVERTURN:
            reversed_case = await reverse_decision(
                uow,
                before.case,
                moderator.user_id,
                now,
                policy,
                action="case.overturned",
                details={"appeal_id": appeal_id},
            )
            if reversed_case is UndoRefusal.LEGAL_REQUEST:
                return AppealRefused(AppealRefusal.LEGAL_REQUEST, before)
            if isinstance(reversed_case, UndoRefusal):
                return AppealRefused(AppealRefusal.NEWER_CASE, before)
        status = AppealStatus(decision.value)
        if not await uow.appeals.decide(appeal_id, status, moderator.user_id, moderator.name, now):
            return AppealAlreadyDecided(before)  # pragma: no cover - the writer lock orders us
        after = await _view(uow, appeal_id)
        assert after is not None
        await uow.outbox.add(
            dedupe_key=f"appeal:{appeal_id}",
            kind=APPEAL_OUTCOME_KIND,
            chat_id=appeal.appellant_id,
            payload={
                "appeal_id": appeal_id,
                "decision": status.value,
                "language": appeal.language_code,
            },
            at=now,
            not_before=now,
        )
        await _audit(
            uow,
            appeal_id,
            moderator,
            f"appeal.{status.value}",
            now,
            {"before": "pending", "after": status.value, "case_id": appeal.case_id},
        )
        return AppealDecided(after)


def _refusal(
    view: AppealView, moderator: Moderator, decision: AppealDecision
) -> AppealRefusal | None:
    appeal, case = view.appeal, view.case
    if not moderator.reviews and not moderator.is_admin:
        return AppealRefusal.NOT_ALLOWED
    if moderator.user_id == appeal.original_decided_by:
        return AppealRefusal.SAME_MODERATOR
    still_same = case.status is appeal.original_status and case.decided_at == (
        appeal.original_decided_at
    )
    if decision is AppealDecision.OVERTURN and not still_same:
        return AppealRefusal.DECISION_CHANGED
    return None


async def _audit(
    uow: AppealUnit,
    appeal_id: int,
    moderator: Moderator,
    action: str,
    now: datetime,
    details: dict[str, object],
) -> None:
    await uow.audit.append(
        at=now,
        actor_id=moderator.user_id,
        action=action,
        subject_type="appeal",
        subject_id=appeal_id,
        details=details or {"before": "pending", "after": "pending"},
    )


# --- the review-chat message -------------------------------------------------------------


async def due_appeal_posts(store: AppealStore, now: datetime, limit: int = 10) -> list[PostTask]:
    async with store.reading() as uow:
        return await uow.appeals.due(now, limit)


async def appeal_posted(
    store: AppealStore, task: PostTask, chat_id: int, message_id: int, now: datetime
) -> None:
    async with store.transaction() as uow:
        await uow.appeals.posted(task.case_id, chat_id, message_id, task.version, now)
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="appeal.posted",
            subject_type="appeal",
            subject_id=task.case_id,
            details={"before": None, "after": {"message_id": message_id}},
        )


async def appeal_shown(store: AppealStore, appeal_id: int, version: int, now: datetime) -> None:
    async with store.transaction() as uow:
        await uow.appeals.shown(appeal_id, version, now)


async def appeal_post_failed(
    store: AppealStore, task: PostTask, error: str, retry_at: datetime
) -> None:
    async with store.transaction() as uow:
        await uow.appeals.failed(task.case_id, retry_at, error)
