"""Rules that run whenever a case changes: its priority, and provisional hiding.

Both run inside the caller's transaction, so the priority the queue sorts by and the hiding the
search reads are always consistent with the reports and decisions they follow from.

Provisional hiding may also require a wait (PROVISIONAL_HIDE_AFTER_MINUTES): the trusted
reporters alone do not hide the target until the case has waited that long undecided since it
opened, so moderators get the first chance to decide. A case whose reporters qualify before
then keeps the time it becomes due (`provisional_due_at`); the leading instance's job hides the
due ones (`hide_waited`), checking the reporters again, and a decision made first means no hide.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Final, Protocol

from moderation.ports import AuditTrail, CaseScoring, ProvisionalHiding
from moderation.review.priority import CasePolicy, priority, trusted_count

#: Due cases handled per transaction by the wait job (each a few reads and writes).
WAITED_BATCH: Final = 100


async def rescore(
    review: CaseScoring,
    blocklist: ProvisionalHiding,
    audit: AuditTrail,
    case_id: int,
    category: str,
    policy: CasePolicy,
    now: datetime,
) -> int:
    """Recomputes the case's priority and hides its target provisionally when enough trusted
    reporters stand behind it and it has waited long enough (only while pending; the caller
    knows it is)."""
    records = await review.reporter_records(case_id)
    score = priority(policy.severity_of(category), records)
    await review.set_priority(case_id, score)
    if policy.provisional_reporters > 0:
        await _hide_if_due(review, blocklist, audit, case_id, trusted_count(records), policy, now)
    return score


async def _hide_if_due(
    review: CaseScoring,
    blocklist: ProvisionalHiding,
    audit: AuditTrail,
    case_id: int,
    trusted: int,
    policy: CasePolicy,
    now: datetime,
) -> bool:
    """Hides now when the reporters qualify and the wait (if any) is over; when they qualify
    before it is over, records when it will be, for the job. True when it hid the target."""
    enough = trusted >= policy.provisional_reporters
    wait = policy.provisional_wait
    if wait > timedelta(0):
        due = await review.opened_at(case_id) + wait if enough else None
        if due is not None and due > now:
            await review.set_provisional_due(case_id, due)
            return False
        await review.set_provisional_due(case_id, None)
    if not enough or not await blocklist.hide_provisionally(case_id, now):
        return False
    await review.mark_provisionally_hidden(case_id, now)
    details: dict[str, object] = {
        "before": "visible",
        "after": "hidden",
        "trusted_reporters": trusted,
    }
    if wait > timedelta(0):
        details["waited_minutes"] = int(wait.total_seconds() // 60)
    await audit.append(
        at=now,
        actor_id=None,
        action="case.provisionally_hidden",
        subject_type="case",
        subject_id=case_id,
        details=details,
    )
    return True


class WaitingCases(CaseScoring, Protocol):
    async def provisional_due(self, now: datetime, limit: int) -> list[int]:
        """Pending cases whose provisional hiding fell due by `now`, oldest due first."""
        ...


class WaitUnit(Protocol):
    @property
    def review(self) -> WaitingCases: ...
    @property
    def blocklist(self) -> ProvisionalHiding: ...
    @property
    def audit(self) -> AuditTrail: ...


class WaitStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[WaitUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[WaitUnit]: ...


async def hide_waited(store: WaitStore, policy: CasePolicy, now: datetime) -> int:
    """Hides the targets of pending cases whose wait is over and whose trusted reporters still
    qualify (a track record may have changed since); returns how many were hidden. One read
    when nothing is due, which is nearly always."""
    if policy.provisional_reporters == 0 or policy.provisional_wait <= timedelta(0):
        return 0
    async with store.reading() as uow:
        if not await uow.review.provisional_due(now, 1):
            return 0
    hidden = 0
    while True:
        async with store.transaction() as uow:
            due = await uow.review.provisional_due(now, WAITED_BATCH)
            for case_id in due:
                trusted = trusted_count(await uow.review.reporter_records(case_id))
                if await _hide_if_due(
                    uow.review, uow.blocklist, uow.audit, case_id, trusted, policy, now
                ):
                    hidden += 1
        if len(due) < WAITED_BATCH:
            return hidden
