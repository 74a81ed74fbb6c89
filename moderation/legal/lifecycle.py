"""A legal request's life: registered, analysed (or a failed check overridden), closed; and
reading it. Approvals are in `approvals.py`, the disclosure in `disclosure.py`.

Every step is one transaction that also writes its audit entry, so a step either happened and
is on record or did not happen; who takes it is checked inside that transaction against the
roles table (`run_step`), never taken from the caller. An approval is given to the request as
it stands: rewriting the analysis or overriding a check voids the approvals given before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from moderation.legal.analysis import analyse
from moderation.legal.approvals import void_approvals, void_lapsed
from moderation.legal.form import check_document
from moderation.legal.officers import Officer
from moderation.legal.ports import LegalStore, LegalUnit
from moderation.legal.sealed_parts import (
    observation_kind,
    opened_document,
    opened_request,
    resolve_target,
    sealed_document,
)
from moderation.legal.steps import audit_step, get_request, run_step
from moderation.legal.types import (
    LegalPolicy,
    LegalRefused,
    LegalRequest,
    OrderDocument,
    RequestForm,
    RequestState,
)
from moderation.registry.violators import Sealer, seal
from moderation.sealing import target_context

ANALYSIS_MIN: Final = 20

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
        await audit_step(
            uow.audit,
            "legal.registered",
            request_id,
            acting,
            now,
            country=form.country,
            order_type=form.order_type.value,
            target_kind=form.target.kind.value,
            document_sha256=document.sha256,
            checks={c.key.value: c.passed for c in checks},
            violator_id=violators[0] if len(violators) == 1 else None,
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
        await audit_step(
            uow.audit,
            "legal.analysed",
            request_id,
            acting,
            now,
            before=request.state.value,
            after=RequestState.UNDER_ANALYSIS.value,
            checks={c.key.value: c.passed for c in checks},
            analysis_chars=len(analysis),
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
        await audit_step(
            uow.audit,
            "legal.overridden",
            request_id,
            acting,
            now,
            failed_checks=[c.key.value for c in failed],
            reason=text,
        )
        return await get_request(uow.legal, request_id)

    updated = await run_step(
        store, policy, officer, "override", request_id, now, body, admins_too=True
    )
    return opened_request(sealer, updated)


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
        await audit_step(
            uow.audit,
            "legal.closed",
            request_id,
            acting,
            now,
            before=request.state.value,
            after=RequestState.CLOSED.value,
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
