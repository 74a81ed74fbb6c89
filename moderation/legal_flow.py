"""A legal request's life: registered, analysed, approved by four eyes, disclosed, closed.

Every step is one transaction that also writes its audit entry, so a step either happened and
is on record or did not happen. Only IP addresses and phone numbers observed in the requested
period are ever disclosed, only about the one confirmed violator the target resolves to, and
every disclosure is chained into the ledger in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from moderation.legal import (
    ANALYSIS_MIN,
    REASON_MIN,
    LegalPolicy,
    OrderDocument,
    RequestForm,
    RequestState,
    analyse,
    check_document,
)
from moderation.legal_records import (
    LegalRefused,
    LegalRequest,
    LegalStore,
    Officer,
    _blocking_problem,
    _get,
    _observation_kind,
    _opened,
    _refusal,
    _require_legal,
    _resolve,
)
from moderation.registry import Sealer, seal

# --- registering and analysing ----------------------------------------------------------


async def register(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    form: RequestForm,
    document: OrderDocument,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """Stores the request and its document and runs the automatic checklist on it."""
    _require_legal(officer)
    check_document(document)
    registered_by = officer.user_id or 0
    async with store.transaction() as uow:
        existing = await uow.legal.duplicate_of(form.country, form.authority, form.reference)
        if existing is not None:
            raise LegalRefused(
                f"this order ({form.country}, {form.authority}, {form.reference}) is already "
                f"registered as request #{existing}"
            )
        sealed = None
        if form.target.kind.personal:
            sealed = seal(sealer, _observation_kind(form.target.kind), form.target.value)
        request_id = await uow.legal.add_request(form, sealed, registered_by, now)
        await uow.legal.add_document(request_id, document, now)
        violators = await _resolve(uow.registry, sealer, form.target)
        checks = analyse(form, policy, violators, now.date())
        await uow.legal.set_analysis(
            request_id,
            violator_id=violators[0] if len(violators) == 1 else None,
            checks=checks,
            state=RequestState.RECEIVED,
        )
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.registered",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "country": form.country,
                "order_type": form.order_type.value,
                "target_kind": form.target.kind.value,
                "document_sha256": document.sha256,
                "checks": {c.key.value: c.passed for c in checks},
                "violator_id": violators[0] if len(violators) == 1 else None,
            },
        )
        request = await uow.legal.request(request_id)
    assert request is not None
    return _opened(sealer, request)


async def write_analysis(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    text: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """The officer's written analysis; the checklist is run again with it (time has passed,
    the target may have been confirmed since) and the request is then under analysis."""
    _require_legal(officer)
    analysis = " ".join(text.split())
    if len(analysis) < ANALYSIS_MIN:
        raise LegalRefused(
            f"write the legal analysis in at least {ANALYSIS_MIN} characters: why the order is "
            "valid and what it asks for"
        )
    async with store.transaction() as uow:
        request = _opened(sealer, await _get(uow.legal, request_id))
        if request.state not in (RequestState.RECEIVED, RequestState.UNDER_ANALYSIS):
            raise LegalRefused(f"request #{request_id} is {request.state.value}; it cannot change")
        violators = await _resolve(uow.registry, sealer, request.form.target)
        checks = analyse(request.form, policy, violators, now.date())
        await uow.legal.write_analysis(request_id, analysis, officer.user_id or 0, now)
        await uow.legal.set_analysis(
            request_id,
            violator_id=violators[0] if len(violators) == 1 else None,
            checks=checks,
            state=RequestState.UNDER_ANALYSIS,
        )
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.analysed",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "before": request.state.value,
                "after": RequestState.UNDER_ANALYSIS.value,
                "checks": {c.key.value: c.passed for c in checks},
                "analysis_chars": len(analysis),
            },
        )
        updated = await uow.legal.request(request_id)
    assert updated is not None
    return _opened(sealer, updated)


async def override(
    store: LegalStore,
    sealer: Sealer,
    request_id: int,
    reason: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """An admin lets a request with failed checks go on, with a written reason. The target
    check cannot be overridden: nothing is ever disclosed about a non-violator."""
    if not officer.is_admin:
        raise LegalRefused("only an admin can override a failed check")
    text = " ".join(reason.split())
    if len(text) < ANALYSIS_MIN:
        raise LegalRefused(
            f"write why the failed checks do not apply, in at least {ANALYSIS_MIN} characters"
        )
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        if not request.state.open or request.state in (
            RequestState.APPROVED,
            RequestState.DISCLOSED,
        ):
            raise LegalRefused(f"request #{request_id} is {request.state.value}; it cannot change")
        failed = [c for c in request.checks if not c.passed]
        if not failed:
            raise LegalRefused(f"every check of request #{request_id} passed; nothing to override")
        if any(not c.overridable for c in failed):
            raise LegalRefused(
                "the target does not resolve to exactly one confirmed violator; no override "
                "can change that"
            )
        await uow.legal.set_override(request_id, text, officer.user_id or 0, now)
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.overridden",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "failed_checks": [c.key.value for c in failed],
                "reason": text,
            },
        )
        updated = await uow.legal.request(request_id)
    assert updated is not None
    return _opened(sealer, updated)


# --- four eyes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    request: LegalRequest
    approvals: int
    needed: int

    @property
    def complete(self) -> bool:
        return self.approvals >= self.needed


async def approve(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> ApprovalOutcome:
    _require_legal(officer)
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        problem = _vote_problem(request, officer, policy) or _blocking_problem(request)
        if problem is None and (
            officer.user_id is None
            or not await uow.legal.add_vote(request_id, officer.user_id, True, None, now)
        ):
            problem = f"you have already decided on request #{request_id}"
        if problem is not None:
            # Committed with the transaction (a refusal is evidence too), then raised.
            await _refusal(uow, officer, request_id, "approve", problem, now)
        else:
            approvals = len(request.approvals) + 1
            state = request.state
            if approvals >= policy.approvals_needed:
                state = RequestState.APPROVED
                await uow.legal.set_state(request_id, state)
            await uow.audit.append(
                at=now,
                actor_id=officer.user_id,
                action="legal.approved",
                subject_type="legal_request",
                subject_id=request_id,
                details={
                    "by": officer.name,
                    "approvals": approvals,
                    "needed": policy.approvals_needed,
                    "before": request.state.value,
                    "after": state.value,
                },
            )
            updated = await uow.legal.request(request_id)
    if problem is not None:
        raise LegalRefused(problem)
    assert updated is not None
    return ApprovalOutcome(_opened(sealer, updated), approvals, policy.approvals_needed)


async def reject(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    reason: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    _require_legal(officer)
    text = " ".join(reason.split())
    if len(text) < REASON_MIN:
        raise LegalRefused(f"say why you reject it, in at least {REASON_MIN} characters")
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        problem = _vote_problem(request, officer, policy)
        if problem is None and (
            officer.user_id is None
            or not await uow.legal.add_vote(request_id, officer.user_id, False, text, now)
        ):
            problem = f"you have already decided on request #{request_id}"
        if problem is not None:
            await _refusal(uow, officer, request_id, "reject", problem, now)
        else:
            await uow.legal.reject(request_id, text, officer.user_id or 0, now)
            await uow.audit.append(
                at=now,
                actor_id=officer.user_id,
                action="legal.rejected",
                subject_type="legal_request",
                subject_id=request_id,
                details={
                    "by": officer.name,
                    "reason": text,
                    "before": request.state.value,
                    "after": RequestState.REJECTED.value,
                },
            )
            updated = await uow.legal.request(request_id)
    if problem is not None:
        raise LegalRefused(problem)
    assert updated is not None
    return _opened(sealer, updated)


def _vote_problem(request: LegalRequest, officer: Officer, policy: LegalPolicy) -> str | None:
    if request.state is not RequestState.UNDER_ANALYSIS:
        if request.state is RequestState.RECEIVED:
            return f"request #{request.id} has no written legal analysis yet; add it first"
        return f"request #{request.id} is {request.state.value}; no more decisions"
    if not policy.registrar_may_approve and officer.user_id == request.registered_by:
        return "you registered this request; two other legal officers must decide"
    if officer.user_id in {v.officer_id for v in request.votes}:
        return f"you have already decided on request #{request.id}"
    return None


async def close(
    store: LegalStore, sealer: Sealer, request_id: int, officer: Officer, now: datetime
) -> LegalRequest:
    """Ends a request; its hold on the violator's metadata ends with it."""
    _require_legal(officer)
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        if not request.state.open:
            raise LegalRefused(f"request #{request_id} is {request.state.value} already")
        await uow.legal.close(request_id, officer.user_id, now)
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.closed",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "before": request.state.value,
                "after": RequestState.CLOSED.value,
            },
        )
        updated = await uow.legal.request(request_id)
    assert updated is not None
    return _opened(sealer, updated)


async def show(
    store: LegalStore, sealer: Sealer, request_id: int, officer: Officer
) -> tuple[LegalRequest, OrderDocument | None]:
    _require_legal(officer)
    async with store.reading() as uow:
        request = _opened(sealer, await _get(uow.legal, request_id))
        return request, await uow.legal.document(request_id)


async def open_requests(
    store: LegalStore, sealer: Sealer, officer: Officer, limit: int = 30
) -> list[LegalRequest]:
    _require_legal(officer)
    async with store.reading() as uow:
        return [_opened(sealer, r) for r in await uow.legal.open_requests(limit)]
