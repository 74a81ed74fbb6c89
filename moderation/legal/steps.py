"""How every step on a legal request runs: the officer checked against the roles table, one
transaction, one audit row; a refusal rolled back and put on record on its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from moderation.legal.officers import Officer, unverified_note, verified
from moderation.legal.ports import LegalRequestRecords, LegalStore, LegalUnit
from moderation.legal.types import LegalPolicy, LegalRefused, LegalRequest
from moderation.ports import AuditTrail


async def audit_step(
    audit: AuditTrail,
    action: str,
    request_id: int | None,
    actor: Officer | int | None,
    now: datetime,
    **details: Any,
) -> None:
    """The audit row of one step on a legal request. An officer's name goes in as `by`, so the
    trail reads without the roles table; a bare id (a role change voiding votes) has none."""
    actor_id = actor.user_id if isinstance(actor, Officer) else actor
    if isinstance(actor, Officer):
        details = {"by": actor.name, **details}
    await audit.append(
        at=now,
        actor_id=actor_id,
        action=action,
        subject_type="legal_request",
        subject_id=request_id,
        details=details,
    )


async def get_request(records: LegalRequestRecords, request_id: int) -> LegalRequest:
    request = await records.request(request_id)
    if request is None:
        raise LegalRefused(f"there is no legal request #{request_id}; /legal lists open ones")
    return request


@dataclass(frozen=True, slots=True)
class Refused:
    """A step's body refusing after it wrote something that must stay (voided approvals):
    the transaction commits with the refusal on record, then LegalRefused is raised."""

    problem: str


T = TypeVar("T")


async def run_step(
    store: LegalStore,
    policy: LegalPolicy,
    officer: Officer,
    step: str,
    request_id: int | None,
    now: datetime,
    body: Callable[[LegalUnit, Officer], Awaitable[T | Refused]],
    *,
    admins_too: bool = False,
) -> T:
    """One step of a legal request in one transaction, after checking, from the roles table
    and the bootstrap ids, that the officer may take it. A refusal (LegalRefused raised by the
    body) rolls the step back and is recorded on its own; every refusal is audit-logged."""
    try:
        async with store.transaction() as uow:
            acting = await verified(uow.roles, policy, officer)
            if not (acting.is_legal or (admins_too and acting.is_admin)):
                raise LegalRefused(
                    "only legal officers handle legal requests"
                    + (" (admins may override a failed check)" if admins_too else "")
                    + unverified_note(acting)
                )
            outcome = await body(uow, acting)
            if isinstance(outcome, Refused):
                await refusal(uow, officer, request_id, step, outcome.problem, now)
    except LegalRefused as exc:
        async with store.transaction() as uow:
            await refusal(uow, officer, request_id, step, str(exc), now)
        raise
    if isinstance(outcome, Refused):
        raise LegalRefused(outcome.problem)
    return outcome


async def refusal(
    uow: LegalUnit, officer: Officer, request_id: int | None, step: str, why: str, now: datetime
) -> None:
    await audit_step(uow.audit, "legal.refused", request_id, officer, now, step=step, why=why)
