"""Retention: a violator's metadata is purged a set time after its last confirmed case, unless
a legal hold keeps it. Purges are audit-logged with counts, never with the values."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Protocol

from moderation.ports import AuditTrail

BATCH = 200


class RetentionRecords(Protocol):
    async def purge_candidates(self, confirmed_before: datetime, limit: int) -> list[int]: ...
    async def purge(self, violator_id: int) -> int: ...
    async def set_hold(self, violator_id: int, hold: bool) -> bool: ...


class RetentionUnit(Protocol):
    @property
    def registry(self) -> RetentionRecords: ...
    @property
    def audit(self) -> AuditTrail: ...


class RetentionStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RetentionUnit]: ...


async def purge_expired(store: RetentionStore, retention: timedelta, now: datetime) -> int:
    """Deletes the timelines that have outlived the retention period; returns how many values."""
    total = 0
    while True:
        async with store.transaction() as uow:
            due = await uow.registry.purge_candidates(now - retention, BATCH)
            for violator_id in due:
                removed = await uow.registry.purge(violator_id)
                total += removed
                await uow.audit.append(
                    at=now,
                    actor_id=None,
                    action="registry.purged",
                    subject_type="violator",
                    subject_id=violator_id,
                    details={
                        "before": {"observations": removed},
                        "after": {"observations": 0},
                        "retention_days": retention.days,
                    },
                )
        if len(due) < BATCH:
            return total


async def set_legal_hold(
    store: RetentionStore, violator_id: int, hold: bool, by: str, reason: str, now: datetime
) -> bool:
    """False when there is no such violator."""
    async with store.transaction() as uow:
        if not await uow.registry.set_hold(violator_id, hold):
            return False
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="registry.hold_set" if hold else "registry.hold_cleared",
            subject_type="violator",
            subject_id=violator_id,
            details={"by": by, "why": reason, "before": not hold, "after": hold},
        )
        return True
