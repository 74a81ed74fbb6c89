"""Who may act on a legal request, decided at the moment of each step.

A caller's word about itself (a handler's role lookup, a CLI's `--by`) is never trusted: every
step re-reads the roles table and the bootstrap ids. An approval counts only while the officer
who gave it holds the legal role and has held it since the vote, so revoking an officer (or
taking them out of LEGAL_OFFICER_IDS) takes their approvals away too.

Four eyes are two people: an approval by an officer whose legal role was granted from the bot
does not count when that grant came from (was proposed or confirmed by) the request's registrar
or another approver, nor when it was given during the grant's cool-off
(LEGAL_GRANT_COOL_OFF_HOURS after its confirmation). `approval_problem` refuses such a vote;
`discounted` finds one that stopped counting, for voiding before the next step. Bootstrap
officers (LEGAL_OFFICER_IDS) hold no grant: nothing of this applies to them.

A granted legal or admin role counts here only while its seal verifies under LEDGER_KEY
(`policy.grant_keys`; moderation/staff/grant_seals.py): a row a database writer inserted or
edited (to give a second account of theirs the legal role, or to dodge the independence rule)
and a grant from before sealed grants give no role in the legal flow, and `lapsed` voids the
approvals of their holders, saying the grant does not verify. A grant sealed under a key that is
not configured (LEDGER_PREVIOUS_KEYS incomplete after a rotation) gives no role either, but its
holder's approvals are only left uncounted (`unverifiable_grants`), never voided for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Protocol

from moderation.legal.types import LegalPolicy, LegalRequest, Vote
from moderation.staff.grant_seals import grant_problem, legal_officers_among, unverifiable
from moderation.staff.roles import Role, RoleGrant

#: Why an approval is voided when its officer no longer holds the legal role.
LOST_ROLE: Final = "the approving officer no longer holds the legal role"


@dataclass(frozen=True, slots=True)
class Officer:
    """Someone acting on legal requests. `is_legal` and `is_admin` are what the caller found;
    the legal flow checks them again (`verified`) before every step."""

    user_id: int
    name: str
    is_legal: bool = False
    is_admin: bool = False
    # Set by `verified`: why a legal or admin role the officer holds by a grant does not count
    # (its seal does not verify), for the refusal.
    unverified: str | None = None


class OfficerRoles(Protocol):
    async def grant_record(self, user_id: int, role: Role) -> RoleGrant | None: ...
    async def grants(self) -> list[RoleGrant]: ...


async def _held(
    roles: OfficerRoles, policy: LegalPolicy, user_id: int, role: Role
) -> tuple[bool, str | None]:
    """Whether the person holds `role` for the legal flow: from the settings, or by a grant
    whose seal verifies; with why a grant they hold does not count."""
    bootstrap = policy.bootstrap_legal if role is Role.LEGAL else policy.bootstrap_admins
    if user_id in bootstrap:
        return True, None
    record = await roles.grant_record(user_id, role)
    if record is None:
        return False, None
    problem = grant_problem(policy.grant_keys, record)
    return problem is None, problem


async def verified(roles: OfficerRoles, policy: LegalPolicy, officer: Officer) -> Officer:
    """The officer with the roles they hold now, whatever the caller claimed: a legal or admin
    role held by a grant counts only when the grant's seal verifies."""
    is_legal, legal_problem = await _held(roles, policy, officer.user_id, Role.LEGAL)
    is_admin, admin_problem = await _held(roles, policy, officer.user_id, Role.ADMIN)
    return replace(
        officer,
        is_legal=is_legal,
        is_admin=is_admin,
        unverified=legal_problem or admin_problem,
    )


def unverified_note(acting: Officer) -> str:
    """For a refusal: why a role the officer holds by a grant does not count ("" when none)."""
    return "" if acting.unverified is None else f"; yours does not count: {acting.unverified}"


async def legal_officers(roles: OfficerRoles, policy: LegalPolicy) -> frozenset[int]:
    """Every legal officer for due process: LEGAL_OFFICER_IDS and the holders of a legal grant
    whose seal verifies (those owed the ledger's heads and notices)."""
    return legal_officers_among(policy.grant_keys, await roles.grants(), policy.bootstrap_legal)


async def lapsed(
    roles: OfficerRoles, policy: LegalPolicy, votes: Iterable[Vote]
) -> list[tuple[Vote, str]]:
    """Live approvals that no longer count, each with the reason it is voided for: the officer
    lost the legal role, holds it now only through a grant made after the vote (revoked in
    between), or holds it by a grant whose seal does not verify."""
    stale: list[tuple[Vote, str]] = []
    for vote in votes:
        if not vote.live or not vote.approve or vote.officer_id in policy.bootstrap_legal:
            continue
        record = await roles.grant_record(vote.officer_id, Role.LEGAL)
        if record is None or record.effective_at > vote.at:
            stale.append((vote, LOST_ROLE))
            continue
        problem = grant_problem(policy.grant_keys, record)
        if problem is not None and not unverifiable(policy.grant_keys, record):
            stale.append((vote, f"the approving officer's legal role does not verify: {problem}"))
    return stale


async def unverifiable_grants(
    roles: OfficerRoles, policy: LegalPolicy, votes: Iterable[Vote]
) -> dict[int, str]:
    """Officers with live approvals whose legal grant is sealed under a key not at hand, with
    why: those approvals are not counted (nor voided) until the key is configured again."""
    found: dict[int, str] = {}
    for vote in votes:
        if not vote.live or not vote.approve or vote.officer_id in policy.bootstrap_legal:
            continue
        record = await roles.grant_record(vote.officer_id, Role.LEGAL)
        if record is not None and unverifiable(policy.grant_keys, record):
            found[vote.officer_id] = grant_problem(policy.grant_keys, record) or ""
    return found


# --- four eyes are two people ------------------------------------------------------------------


async def _legal_grant(roles: OfficerRoles, policy: LegalPolicy, user_id: int) -> RoleGrant | None:
    """The grant an officer holds the legal role by, when its seal verifies (None: a bootstrap
    officer, no grant, or one that does not verify, which `verified` and `lapsed` refuse)."""
    if user_id in policy.bootstrap_legal:
        return None
    record = await roles.grant_record(user_id, Role.LEGAL)
    if record is None or grant_problem(policy.grant_keys, record) is not None:
        return None
    return record


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


async def approval_problem(
    roles: OfficerRoles, policy: LegalPolicy, request: LegalRequest, officer_id: int, now: datetime
) -> str | None:
    """Why this officer's approval of the request would not count now (None: it would)."""
    own = await _legal_grant(roles, policy, officer_id)
    if own is not None:
        ready = own.effective_at + policy.grant_cool_off
        if now < ready:
            hours = int(policy.grant_cool_off.total_seconds() // 3600)
            return (
                f"your legal role took effect on {_utc(own.effective_at)}; a legal role "
                f"granted from the bot counts for approvals only {hours} hours after its "
                f"confirmation (LEGAL_GRANT_COOL_OFF_HOURS): you may approve from {_utc(ready)}"
            )
        if request.registered_by in own.came_from:
            return (
                f"your legal role was proposed or confirmed by the officer who registered "
                f"request #{request.id}; officers whose role came from someone else must approve"
            )
    for other in sorted(set(request.approvals) - {officer_id}):
        if own is not None and other in own.came_from:
            return (
                f"your legal role was proposed or confirmed by officer {other}, who approved "
                f"request #{request.id} already; another officer must approve"
            )
        theirs = await _legal_grant(roles, policy, other)
        if theirs is not None and officer_id in theirs.came_from:
            return (
                f"you proposed or confirmed the legal role of officer {other}, who approved "
                f"request #{request.id} already; another officer must approve"
            )
    return None


async def discounted(
    roles: OfficerRoles, policy: LegalPolicy, request: LegalRequest
) -> list[tuple[Vote, str]]:
    """Live approvals by officers who still hold the legal role that do not count: cast during
    their grant's cool-off, or by an officer whose grant came from the request's registrar or
    from another of its approvers. Each with the reason it is voided for."""
    approvers = set(request.approvals)
    found: list[tuple[Vote, str]] = []
    for vote in request.votes:
        if not vote.live or not vote.approve:
            continue
        grant = await _legal_grant(roles, policy, vote.officer_id)
        if grant is None:
            continue  # a bootstrap officer, or a lost role (`lapsed` voids that)
        if grant.effective_at + policy.grant_cool_off > vote.at:
            found.append((vote, "the approving officer's legal role was in its cool-off"))
        elif request.registered_by in grant.came_from:
            found.append(
                (vote, "the approving officer's legal role came from the request's registrar")
            )
        elif grant.came_from & (approvers - {vote.officer_id}):
            found.append((vote, "the approving officer's legal role came from another approver"))
    return found
