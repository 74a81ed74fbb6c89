"""Severe cases waiting too long for review: admins are told once per breach, privately.

A breach starts when the first pending case of a severe category (SLA_SEVERE_CATEGORIES) has
waited, since it opened, longer than SLA_SEVERE_PENDING_MINUTES, and lasts until no such case
is left. Each admin gets one notice when it starts, with the count and the oldest case: not one
per case and not one per check. A new notice needs a new breach, after the last one cleared;
meanwhile the review chat's digest shows the current count. The breach is kept in the database
(with its audit entries), so a restart neither repeats the notice nor forgets it is owed; the
notice itself goes through the outbox like every other message.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from moderation.clock import utc_text
from moderation.ports import AuditTrail, NoticeQueue
from moderation.staff.roles import Role

BREACH_KEY: Final = "severe_wait_breach"
NOTICE_KIND: Final = "severe_wait"


@dataclass(frozen=True, slots=True)
class SeverePolicy:
    categories: frozenset[str]
    wait: timedelta  # zero: off

    @property
    def enabled(self) -> bool:
        return bool(self.categories) and self.wait > timedelta(0)


@dataclass(frozen=True, slots=True)
class Overdue:
    """Pending severe cases that have waited longer than allowed (count 0: none)."""

    count: int
    oldest_case_id: int | None = None
    oldest_since: datetime | None = None


NONE_OVERDUE: Final = Overdue(0)


class SevereCases(Protocol):
    async def overdue(self, categories: Collection[str], opened_before: datetime) -> Overdue: ...


class BreachState(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, value: str, at: datetime) -> None: ...
    async def delete(self, key: str) -> bool: ...


class RoleHolders(Protocol):
    async def holders(self, role: Role) -> frozenset[int]: ...


class SevereWaitUnit(Protocol):
    @property
    def review(self) -> SevereCases: ...
    @property
    def state(self) -> BreachState: ...
    @property
    def outbox(self) -> NoticeQueue: ...
    @property
    def roles(self) -> RoleHolders: ...
    @property
    def audit(self) -> AuditTrail: ...


class SevereWaitStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[SevereWaitUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[SevereWaitUnit]: ...


async def check_severe_waits(
    store: SevereWaitStore, policy: SeverePolicy, admin_ids: frozenset[int], now: datetime
) -> Overdue:
    """What is overdue now; starts a breach (and queues its notices) or ends one. One read
    when nothing changes, which is nearly always."""
    if not policy.enabled:
        return NONE_OVERDUE
    opened_before = now - policy.wait
    async with store.reading() as uow:
        overdue = await uow.review.overdue(policy.categories, opened_before)
        breach = await uow.state.get(BREACH_KEY)
    if (overdue.count > 0) == (breach is not None):
        return overdue
    async with store.transaction() as uow:
        overdue = await uow.review.overdue(policy.categories, opened_before)
        breach = await uow.state.get(BREACH_KEY)
        if overdue.count > 0 and breach is None:
            await _breach_started(uow, policy, overdue, admin_ids, now)
        elif overdue.count == 0 and breach is not None:
            await uow.state.delete(BREACH_KEY)
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="review.severe_wait_cleared",
                details={"before": json.loads(breach), "after": None},
            )
    return overdue


async def _breach_started(
    uow: SevereWaitUnit,
    policy: SeverePolicy,
    overdue: Overdue,
    admin_ids: frozenset[int],
    now: datetime,
) -> None:
    assert overdue.oldest_case_id is not None
    assert overdue.oldest_since is not None
    started = utc_text(now)
    minutes = int(policy.wait.total_seconds() // 60)
    record = {
        "started_at": started,
        "count": overdue.count,
        "oldest_case_id": overdue.oldest_case_id,
    }
    await uow.state.put(BREACH_KEY, json.dumps(record), now)
    admins = sorted(admin_ids | await uow.roles.holders(Role.ADMIN))
    for admin_id in admins:
        await uow.outbox.add(
            dedupe_key=f"severe_wait:{started}:{admin_id}",
            kind=NOTICE_KIND,
            chat_id=admin_id,
            payload={
                "count": overdue.count,
                "minutes": minutes,
                "case_id": overdue.oldest_case_id,
                "since": utc_text(overdue.oldest_since),
            },
            at=now,
            not_before=now,
        )
    await uow.audit.append(
        at=now,
        actor_id=None,
        action="review.severe_wait_breached",
        details={"before": None, "after": record, "notified": len(admins)},
    )
