"""Retention: a violator's metadata is purged a set time after its last confirmed case, unless
a legal hold keeps it. Purges are audit-logged with counts, never with the values.

A hold is set or cleared by someone `HOLD_ROLES` names, checked as the legal flow checks its
officers (moderation/legal/officers.py: `verified`, from the settings' ids and the sealed
grants, in the transaction that acts, whatever the caller claims); a refusal is audit-logged
too. Setting one needs a reason; clearing one records a reason when given.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Final, Protocol

from moderation.legal.officers import Officer, OfficerRoles, unverified_note, verified
from moderation.legal.types import LegalPolicy
from moderation.ports import AuditTrail
from moderation.staff.roles import Role

BATCH = 200
#: Who may set or clear a legal hold (any one of the roles): legal officers, whose requests a
#: hold serves, and admins, who run retention (`report-bot purge`).
HOLD_ROLES: Final = frozenset({Role.LEGAL, Role.ADMIN})


class HoldRefused(Exception):
    """The person named may not set or clear a hold (the refusal is audit-logged)."""


class BadHold(ValueError):
    """The hold asked for is incomplete (no reason to set it); nothing was done."""


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


class HoldUnit(RetentionUnit, Protocol):
    @property
    def roles(self) -> OfficerRoles: ...


class HoldStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[HoldUnit]: ...


def _may_hold(acting: Officer) -> bool:
    held = {Role.LEGAL} if acting.is_legal else set()
    held |= {Role.ADMIN} if acting.is_admin else set()
    return bool(held & HOLD_ROLES)


async def set_legal_hold(
    store: HoldStore,
    policy: LegalPolicy,
    violator_id: int,
    hold: bool,
    officer: Officer,
    reason: str | None,
    now: datetime,
) -> bool:
    """False when there is no such violator; HoldRefused (on record) when the officer holds
    none of `HOLD_ROLES`; BadHold when a hold is set without a reason."""
    why = (reason or "").strip() or None
    if hold and why is None:
        raise BadHold("say why the hold is set: a legal request id or a ticket")
    action = "registry.hold_set" if hold else "registry.hold_cleared"
    refused: str | None = None
    async with store.transaction() as uow:
        acting = await verified(uow.roles, policy, officer)
        if not _may_hold(acting):
            refused = "only legal officers and admins set or clear a legal hold" + (
                unverified_note(acting)
            )
            await uow.audit.append(
                at=now,
                actor_id=officer.user_id,
                action="registry.hold_refused",
                subject_type="violator",
                subject_id=violator_id,
                details={"by": officer.name, "asked": action, "refused": refused},
            )
        else:
            if not await uow.registry.set_hold(violator_id, hold):
                return False
            details: dict[str, object] = {"by": officer.name, "before": not hold, "after": hold}
            if why is not None:
                details["why"] = why
            await uow.audit.append(
                at=now,
                actor_id=officer.user_id,
                action=action,
                subject_type="violator",
                subject_id=violator_id,
                details=details,
            )
            return True
    raise HoldRefused(refused)
