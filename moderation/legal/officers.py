"""Who may act on a legal request, decided at the moment of each step.

A caller's word about itself (a handler's role lookup, a CLI's `--by`) is never trusted: every
step re-reads the roles table and the bootstrap ids. An approval counts only while the officer
who gave it holds the legal role and has held it since the vote, so revoking an officer (or
taking them out of LEGAL_OFFICER_IDS) takes their approvals away too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from moderation.legal.types import LegalPolicy, Vote
from moderation.staff.roles import Role


@dataclass(frozen=True, slots=True)
class Officer:
    """Someone acting on legal requests. `is_legal` and `is_admin` are what the caller found;
    the legal flow checks them again (`verified`) before every step."""

    user_id: int
    name: str
    is_legal: bool = False
    is_admin: bool = False


class OfficerRoles(Protocol):
    async def granted_roles(self, user_id: int) -> frozenset[Role]: ...
    async def granted_at(self, user_id: int, role: Role) -> datetime | None: ...
    async def holders(self, role: Role) -> frozenset[int]: ...


async def verified(roles: OfficerRoles, policy: LegalPolicy, officer: Officer) -> Officer:
    """The officer with the roles they hold now, whatever the caller claimed."""
    granted = await roles.granted_roles(officer.user_id)
    return replace(
        officer,
        is_legal=officer.user_id in policy.bootstrap_legal or Role.LEGAL in granted,
        is_admin=officer.user_id in policy.bootstrap_admins or Role.ADMIN in granted,
    )


async def lapsed(roles: OfficerRoles, policy: LegalPolicy, votes: Iterable[Vote]) -> list[Vote]:
    """Live approvals that no longer count: the officer lost the legal role, or holds it now
    only through a grant made after the vote (revoked in between)."""
    stale: list[Vote] = []
    for vote in votes:
        if not vote.live or not vote.approve or vote.officer_id in policy.bootstrap_legal:
            continue
        since = await roles.granted_at(vote.officer_id, Role.LEGAL)
        if since is None or since > vote.at:
            stale.append(vote)
    return stale
