"""A legal request's life: registered, analysed, approved by four eyes, disclosed, closed.

Every step is one transaction that also writes its audit entry, so a step either happened and
is on record or did not happen; who takes it is checked inside that transaction against the
roles table (`run_step`), never taken from the caller. An approval is given to the request as
it stands: rewriting the analysis or overriding a check voids the approvals given before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from moderation.legal.analysis import (
    ANALYSIS_MIN,
    REASON_MIN,
    LegalPolicy,
    OrderDocument,
    RequestForm,
    RequestState,
    analyse,
    check_document,
)
from moderation.legal.officers import Officer
from moderation.legal.records import (
    LegalRefused,
    LegalRequest,
    LegalStore,
    LegalUnit,
    Refused,
    blocking_problem,
    get_request,
    observation_kind,
    opened_document,
    opened_request,
    resolve_target,
    run_step,
    sealed_document,
    void_approvals,
    void_lapsed,
)
from moderation.registry.violators import Sealer, seal
from moderation.sealing import target_context

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
    check_document(document)

    async def body(uow: LegalUnit, acting: Officer) -> LegalRequest:
        existing = await uow.legal.duplicate_of(form.country, form.authority, form.reference)
        if existing is not None:
            raise LegalRefused(
                f"this order ({form.country}, {form.authority}, {form.reference}) is already "
                f"registered as request #{existing}"
            )
        # The id first: the target and the document are sealed bound to their request.
        request_id = await uow.legal.next_request_id()
        sealed = None
        if form.target.kind.personal:
            context = target_context(request_id, form.target.kind.value)
            sealed = seal(sealer, observation_kind(form.target.kind), form.target.value, context)
        await uow.legal.add_request(request_id, form, sealed, acting.user_id, now)
        await uow.legal.add_document(request_id, sealed_document(sealer, request_id, document), now)
        violators = await resolve_target(uow.registry, sealer, form.target)
        checks = analyse(form, policy, violators, now.date())
        await uow.legal.set_analysis(
            request_id,
            violator_id=violators[0] if len(violators) == 1 else None,
            checks=checks,
            state=RequestState.RECEIVED,
        )
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.registered",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": acting.name,
                "country": form.country,
                "order_type": form.order_type.value,
                "target_kind": form.target.kind.value,
                "document_sha256": document.sha256,
                "checks": {c.key.value: c.passed for c in checks},
                "violator_id": violators[0] if len(violators) == 1 else None,
            },
        )
        return await get_request(uow.legal, request_id)

    request = await run_step(store, policy, officer, "register", None, now, body)
    return opened_request(sealer, request)


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
    the target may have been confirmed since) and the request is then under analysis. The
    approvals given to the earlier analysis are voided: they approved something else."""
    analysis = " ".join(text.split())

    async def body(uow: LegalUnit, acting: Officer) -> LegalRequest:
        if len(analysis) < ANALYSIS_MIN:
            raise LegalRefused(
                f"write the legal analysis in at least {ANALYSIS_MIN} characters: why the order "
                "is valid and what it asks for"
            )
        request = opened_request(sealer, await get_request(uow.legal, request_id))
        if request.state not in (RequestState.RECEIVED, RequestState.UNDER_ANALYSIS):
            raise LegalRefused(f"request #{request_id} is {request.state.value}; it cannot change")
        await void_approvals(
            uow,
            request,
            list(request.votes),
            "the legal analysis was rewritten after this approval",
            acting.user_id,
            now,
        )
        violators = await resolve_target(uow.registry, sealer, request.form.target)
        checks = analyse(request.form, policy, violators, now.date())
        await uow.legal.write_analysis(request_id, analysis, acting.user_id, now)
        await uow.legal.set_analysis(
            request_id,
            violator_id=violators[0] if len(violators) == 1 else None,
            checks=checks,
            state=RequestState.UNDER_ANALYSIS,
        )
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.analysed",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": acting.name,
                "before": request.state.value,
                "after": RequestState.UNDER_ANALYSIS.value,
                "checks": {c.key.value: c.passed for c in checks},
                "analysis_chars": len(analysis),
            },
        )
        return await get_request(uow.legal, request_id)

    updated = await run_step(store, policy, officer, "analysis", request_id, now, body)
    return opened_request(sealer, updated)


async def override(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    reason: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """An admin lets a request with failed checks go on, with a written reason. The target
    check cannot be overridden: nothing is ever disclosed about a non-violator. Approvals given
    before the override are voided: they were given to a request its checks stopped."""
    text = " ".join(reason.split())

    async def body(uow: LegalUnit, acting: Officer) -> LegalRequest:
        if not acting.is_admin:
            raise LegalRefused("only an admin can override a failed check")
        if len(text) < ANALYSIS_MIN:
            raise LegalRefused(
                f"write why the failed checks do not apply, in at least {ANALYSIS_MIN} characters"
            )
        request = await get_request(uow.legal, request_id)
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
        await void_approvals(
            uow,
            request,
            list(request.votes),
            "an admin overrode a failed check after this approval",
            acting.user_id,
            now,
        )
        await uow.legal.set_override(request_id, text, acting.user_id, now)
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.overridden",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": acting.name,
                "failed_checks": [c.key.value for c in failed],
                "reason": text,
            },
        )
        return await get_request(uow.legal, request_id)

    updated = await run_step(
        store, policy, officer, "override", request_id, now, body, admins_too=True
    )
    return opened_request(sealer, updated)


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
    async def body(uow: LegalUnit, acting: Officer) -> ApprovalOutcome | Refused:
        request = await void_lapsed(
            uow, policy, await get_request(uow.legal, request_id), acting.user_id, now
        )
        problem = vote_problem(request, acting, policy) or blocking_problem(request)
        if problem is not None:
            return Refused(problem)
        if not await uow.legal.add_vote(request_id, acting.user_id, True, None, now):
            return Refused(f"you have already decided on request #{request_id}")
        approvals = len(request.approvals) + 1
        state = request.state
        if approvals >= policy.approvals_needed:
            state = RequestState.APPROVED
            await uow.legal.set_state(request_id, state)
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.approved",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": acting.name,
                "approvals": approvals,
                "needed": policy.approvals_needed,
                "before": request.state.value,
                "after": state.value,
            },
        )
        updated = await get_request(uow.legal, request_id)
        return ApprovalOutcome(updated, approvals, policy.approvals_needed)

    outcome = await run_step(store, policy, officer, "approve", request_id, now, body)
    return ApprovalOutcome(
        opened_request(sealer, outcome.request), outcome.approvals, outcome.needed
    )


async def reject(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    reason: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    text = " ".join(reason.split())

    async def body(uow: LegalUnit, acting: Officer) -> LegalRequest | Refused:
        if len(text) < REASON_MIN:
            raise LegalRefused(f"say why you reject it, in at least {REASON_MIN} characters")
        request = await void_lapsed(
            uow, policy, await get_request(uow.legal, request_id), acting.user_id, now
        )
        problem = vote_problem(request, acting, policy)
        if problem is not None:
            return Refused(problem)
        if not await uow.legal.add_vote(request_id, acting.user_id, False, text, now):
            return Refused(f"you have already decided on request #{request_id}")
        await uow.legal.reject(request_id, text, acting.user_id, now)
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.rejected",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": acting.name,
                "reason": text,
                "before": request.state.value,
                "after": RequestState.REJECTED.value,
            },
        )
        return await get_request(uow.legal, request_id)

    updated = await run_step(store, policy, officer, "reject", request_id, now, body)
    return opened_request(sealer, updated)


def vote_problem(request: LegalRequest, officer: Officer, policy: LegalPolicy) -> str | None:
    if request.state is not RequestState.UNDER_ANALYSIS:
        if request.state is RequestState.RECEIVED:
            return f"request #{request.id} has no written legal analysis yet; add it first"
        return f"request #{request.id} is {request.state.value}; no more decisions"
    if not policy.registrar_may_approve and officer.user_id == request.registered_by:
        return "you registered this request; two other legal officers must decide"
    if officer.user_id in {v.officer_id for v in request.votes if v.live}:
        return f"you have already decided on request #{request.id}"
    return None


# --- closing, reading --------------------------------------------------------------------


async def close(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """Ends a request; its hold on the violator's metadata ends with it."""

    async def body(uow: LegalUnit, acting: Officer) -> LegalRequest:
        request = await get_request(uow.legal, request_id)
        if not request.state.open:
            raise LegalRefused(f"request #{request_id} is {request.state.value} already")
        await uow.legal.close(request_id, acting.user_id, now)
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.closed",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": acting.name,
                "before": request.state.value,
                "after": RequestState.CLOSED.value,
            },
        )
        return await get_request(uow.legal, request_id)

    updated = await run_step(store, policy, officer, "close", request_id, now, body)
    return opened_request(sealer, updated)


async def show(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> tuple[LegalRequest, OrderDocument | None]:
    """The request as it stands (approvals of officers who lost the role voided first, so the
    card never counts them) and its order document."""

    async def body(uow: LegalUnit, acting: Officer) -> tuple[LegalRequest, OrderDocument | None]:
        request = await get_request(uow.legal, request_id)
        if request.state.open:
            request = await void_lapsed(uow, policy, request, acting.user_id, now)
        kept = await uow.legal.document(request_id)
        document = None if kept is None else opened_document(sealer, request_id, kept)
        return opened_request(sealer, request), document

    return await run_step(store, policy, officer, "show", request_id, now, body)


async def open_requests(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    officer: Officer,
    now: datetime,
    limit: int = 30,
) -> list[LegalRequest]:
    async def body(uow: LegalUnit, acting: Officer) -> list[LegalRequest]:
        found = []
        for request in await uow.legal.open_requests(limit):
            found.append(await void_lapsed(uow, policy, request, acting.user_id, now))
        return found

    requests = await run_step(store, policy, officer, "list", None, now, body)
    return [opened_request(sealer, r) for r in requests]
