"""Four eyes: approving or rejecting a request, and voiding approvals that stopped counting.

An approval is given to the request as it stands and counts only while its officer holds the
legal role: rewriting the analysis, overriding a check or losing the role voids it (kept on
record with when and why, never deleted).

Every vote is sealed under LEDGER_KEY over the request as it stands (vote_seals.py), and an
approval counts only while its seal verifies against the request as it is now
(`counted_approvals`). One without a seal (cast before votes were sealed, or written outside the
bot) is voided at the next step on its request, like a lapsed one. One whose seal no longer
verifies (the request, or the vote, was changed in the database) is neither counted nor voided
nor deleted: it stays as the evidence of what was approved, and each disclosure refused over it
names its officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from moderation.legal.analysis import blocking_problem
from moderation.legal.ledger import LedgerKeys
from moderation.legal.officers import (
    Officer,
    OfficerRoles,
    approval_problem,
    discounted,
    lapsed,
    unverifiable_grants,
)
from moderation.legal.ports import LegalStore, LegalUnit, VotingUnit
from moderation.legal.sealed_parts import opened_request
from moderation.legal.steps import Refused, audit_step, get_request, run_step
from moderation.legal.types import (
    LegalPolicy,
    LegalRefused,
    LegalRequest,
    RequestState,
    Vote,
)
from moderation.legal.vote_seals import seal_problem, seal_vote
from moderation.registry.violators import Sealer

REASON_MIN: Final = 10
NO_LEDGER_KEY: Final = (
    "LEDGER_KEY is not set, so no vote can be sealed (every vote is kept sealed under it as "
    "evidence); generate one with report-bot keys generate, add it to the bot's .env and "
    "restart the bot"
)
UNSEALED: Final = (
    "the approval carries no seal (given before votes were sealed, or written outside the bot)"
)


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    request: LegalRequest
    approvals: int
    needed: int

    @property
    def complete(self) -> bool:
        return self.approvals >= self.needed


@dataclass(frozen=True, slots=True)
class CountedApprovals:
    """The live approvals of a request that count (one per officer), and why the others
    do not."""

    counted: tuple[Vote, ...]
    not_counted: tuple[str, ...]

    @property
    def officers(self) -> list[int]:
        return sorted(v.officer_id for v in self.counted)


def counted_approvals(
    keys: LedgerKeys, policy: LegalPolicy, request: LegalRequest
) -> CountedApprovals:
    """The live approvals whose seal verifies against `request` as it is now (opened); the
    registrar's only where the policy lets the registrar approve."""
    counted: dict[int, Vote] = {}
    not_counted: list[str] = []
    for vote in request.votes:
        if not (vote.approve and vote.live) or vote.officer_id in counted:
            continue
        if not policy.registrar_may_approve and vote.officer_id == request.registered_by:
            not_counted.append(
                f"the approval of officer {vote.officer_id}, who registered the request, "
                "does not count"
            )
            continue
        problem = seal_problem(keys, request, vote)
        if problem is not None:
            not_counted.append(problem)
            continue
        counted[vote.officer_id] = vote
    return CountedApprovals(tuple(counted.values()), tuple(not_counted))


async def grant_checked(
    roles: OfficerRoles, policy: LegalPolicy, counted: CountedApprovals
) -> CountedApprovals:
    """`counted` without the approvals of officers whose legal grant cannot be verified now
    (sealed under a key that is not configured), each named among those not counted."""
    missing = await unverifiable_grants(roles, policy, counted.counted)
    if not missing:
        return counted
    kept = tuple(v for v in counted.counted if v.officer_id not in missing)
    why = tuple(
        f"the approval of officer {officer_id} does not count: {problem}"
        for officer_id, problem in sorted(missing.items())
    )
    return CountedApprovals(kept, counted.not_counted + why)


def vote_keys(keys: LedgerKeys | None) -> LedgerKeys:
    """The keys a vote is sealed with; a vote without them is refused, saying what to do."""
    if keys is None:
        raise LegalRefused(NO_LEDGER_KEY)
    return keys


async def approve(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    keys: LedgerKeys | None,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> ApprovalOutcome:
    async def body(uow: LegalUnit, acting: Officer) -> ApprovalOutcome | Refused:
        sealing = vote_keys(keys)
        request = await void_lapsed(
            uow, policy, await get_request(uow.legal, request_id), acting.user_id, now
        )
        problem = vote_problem(request, acting, policy) or blocking_problem(request)
        if problem is None:  # four eyes are two people: independent of registrar and approvers
            problem = await approval_problem(uow.roles, policy, request, acting.user_id, now)
        if problem is not None:
            return Refused(problem)
        opened = opened_request(sealer, request)
        seal = seal_vote(sealing, opened, acting.user_id, True, None, now)
        if not await uow.legal.add_vote(request_id, acting.user_id, True, None, now, seal):
            return Refused(f"you have already decided on request #{request_id}")
        approvals = len(counted_approvals(sealing, policy, opened).counted) + 1
        state = request.state
        if approvals >= policy.approvals_needed:
            state = RequestState.APPROVED
            await uow.legal.set_state(request_id, state)
        await audit_step(
            uow.audit,
            "legal.approved",
            request_id,
            acting,
            now,
            approvals=approvals,
            needed=policy.approvals_needed,
            before=request.state.value,
            after=state.value,
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
    keys: LedgerKeys | None,
    request_id: int,
    reason: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    text = " ".join(reason.split())

    async def body(uow: LegalUnit, acting: Officer) -> LegalRequest | Refused:
        sealing = vote_keys(keys)
        if len(text) < REASON_MIN:
            raise LegalRefused(f"say why you reject it, in at least {REASON_MIN} characters")
        request = await void_lapsed(
            uow, policy, await get_request(uow.legal, request_id), acting.user_id, now
        )
        problem = vote_problem(request, acting, policy)
        if problem is not None:
            return Refused(problem)
        seal = seal_vote(sealing, opened_request(sealer, request), acting.user_id, False, text, now)
        if not await uow.legal.add_vote(request_id, acting.user_id, False, text, now, seal):
            return Refused(f"you have already decided on request #{request_id}")
        await uow.legal.reject(request_id, text, acting.user_id, now)
        await audit_step(
            uow.audit,
            "legal.rejected",
            request_id,
            acting,
            now,
            reason=text,
            before=request.state.value,
            after=RequestState.REJECTED.value,
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


# --- voiding -------------------------------------------------------------------------------


async def void_approvals(
    uow: VotingUnit,
    request: LegalRequest,
    votes: list[Vote],
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> LegalRequest:
    """Voids live approvals (kept on record with when and why); an approved request that loses
    one goes back under analysis, since it held exactly the approvals it needed."""
    live = [v for v in votes if v.live and v.approve]
    if not live:
        return request
    await uow.legal.void_votes([v.id for v in live], reason, now)
    state = request.state
    if state is RequestState.APPROVED:
        state = RequestState.UNDER_ANALYSIS
        await uow.legal.set_state(request.id, state)
    await audit_step(
        uow.audit,
        "legal.approvals_voided",
        request.id,
        actor_id,
        now,
        officers=[v.officer_id for v in live],
        reason=reason,
        before=request.state.value,
        after=state.value,
    )
    return await get_request(uow.legal, request.id)


async def void_lapsed(
    uow: LegalUnit, policy: LegalPolicy, request: LegalRequest, actor_id: int | None, now: datetime
) -> LegalRequest:
    """Voids the approvals of officers who no longer hold the legal role (or hold it only by a
    grant newer than their vote, or by a grant whose seal does not verify), approvals that
    carry no seal, then those that do not count
    though the role is held (a vote in the grant's cool-off, a grant from the registrar or
    another approver)."""
    unsealed = [v for v in request.votes if v.seal is None or v.seal_key_id is None]
    if any(v.live and v.approve for v in unsealed):
        request = await void_approvals(uow, request, unsealed, UNSEALED, actor_id, now)
    for reason, votes in _by_reason(await lapsed(uow.roles, policy, request.votes)).items():
        request = await void_approvals(uow, request, votes, reason, actor_id, now)
    for reason, votes in _by_reason(await discounted(uow.roles, policy, request)).items():
        request = await void_approvals(uow, request, votes, reason, actor_id, now)
    return request


def _by_reason(found: list[tuple[Vote, str]]) -> dict[str, list[Vote]]:
    by_reason: dict[str, list[Vote]] = {}
    for vote, reason in found:
        by_reason.setdefault(reason, []).append(vote)
    return by_reason


async def void_officer_approvals(
    uow: VotingUnit, officer_id: int, actor_id: int, now: datetime
) -> list[int]:
    """An officer lost the legal role: their approvals of requests not yet disclosed stop
    counting now. Returns the requests affected."""
    affected = []
    for request_id in await uow.legal.live_approvals_by(officer_id):
        request = await get_request(uow.legal, request_id)
        if request.state not in (RequestState.UNDER_ANALYSIS, RequestState.APPROVED):
            continue
        votes = [v for v in request.votes if v.officer_id == officer_id]
        await void_approvals(
            uow, request, votes, "the approving officer's legal role was revoked", actor_id, now
        )
        affected.append(request_id)
    return affected
