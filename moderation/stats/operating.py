"""Operating the bot: the review queue and the outbox at a glance, and running totals of
reports and decisions, all read from the database (the one source of truth).

Totals that only grow are read incrementally: `RunningTotals` remembers the last row id it
counted, so each reading asks only for the rows added since.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Final, Protocol

#: Audit actions that record a moderator's decision on a case, and the decision each means.
DECISION_ACTIONS: Final[Mapping[str, str]] = {
    "case.approved": "approved",
    "case.rejected": "rejected",
}


@dataclass(frozen=True, slots=True)
class CountsAfter:
    """Rows after an id, counted by one column; `last_id` is where to continue next time."""

    last_id: int
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class QueueState:
    pending_cases: int  # cases waiting for a decision
    escalated_cases: int  # of those, escalated to admins and legal
    unposted_cases: int  # cases not yet posted to the review chat
    outbox_pending: int  # messages owed to users, not yet sent


@dataclass(frozen=True, slots=True)
class Totals:
    """What the metrics show: all-time totals and the current state."""

    reports_by_category: Mapping[str, int]
    decisions: Mapping[str, int]  # by decision (approved, rejected)
    cases_by_status: Mapping[str, int]
    queue: QueueState


class OperatingCounts(Protocol):
    async def reports_after(self, report_id: int) -> CountsAfter: ...
    async def audit_actions_after(self, audit_id: int, actions: Collection[str]) -> CountsAfter: ...
    async def cases_by_status(self) -> dict[str, int]: ...
    async def outbox_pending(self) -> int: ...


class PostCounts(Protocol):
    async def backlog(self) -> int: ...


class CaseCounts(Protocol):
    async def counts(self) -> tuple[int, int]: ...


class OperatingUnit(Protocol):
    @property
    def operating(self) -> OperatingCounts: ...
    @property
    def posts(self) -> PostCounts: ...
    @property
    def review(self) -> CaseCounts: ...


class OperatingStore(Protocol):
    def reading(self) -> AbstractAsyncContextManager[OperatingUnit]: ...


async def queue_state(store: OperatingStore) -> QueueState:
    async with store.reading() as uow:
        return await _queue(uow)


async def _queue(uow: OperatingUnit) -> QueueState:
    pending, escalated = await uow.review.counts()
    return QueueState(
        pending_cases=pending,
        escalated_cases=escalated,
        unposted_cases=await uow.posts.backlog(),
        outbox_pending=await uow.operating.outbox_pending(),
    )


class RunningTotal:
    """A total by label that only grows, fed with the rows after the last id counted."""

    def __init__(self) -> None:
        self.last_id = 0
        self._counts: Counter[str] = Counter()

    def add(self, batch: CountsAfter) -> None:
        self._counts.update(batch.counts)
        self.last_id = max(self.last_id, batch.last_id)

    def counts(self) -> dict[str, int]:
        return dict(self._counts)


class RunningTotals:
    """Reports and decisions counted so far, plus the current cases and queue; one reading
    at a time, so two scrapes at once never count the same rows twice."""

    def __init__(self) -> None:
        self._reports = RunningTotal()
        self._decisions = RunningTotal()
        self._lock = asyncio.Lock()

    async def read(self, store: OperatingStore) -> Totals:
        async with self._lock, store.reading() as uow:
            counts = uow.operating
            self._reports.add(await counts.reports_after(self._reports.last_id))
            self._decisions.add(
                await counts.audit_actions_after(self._decisions.last_id, DECISION_ACTIONS)
            )
            cases = await counts.cases_by_status()
            queue = await _queue(uow)
        return Totals(
            reports_by_category=self._reports.counts(),
            decisions={
                DECISION_ACTIONS[action]: n for action, n in self._decisions.counts().items()
            },
            cases_by_status=cases,
            queue=queue,
        )
