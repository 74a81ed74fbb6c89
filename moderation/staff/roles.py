"""Staff roles: the bootstrap ids from the settings plus the grants admins make from the bot.

Bootstrap roles cannot be revoked from the bot (an admin must not be able to lock everyone
out); granted ones can. Everyone without a role is a reporter.

Four eyes are two people: a legal or admin role granted from the bot takes effect only when a
second admin confirms it (`NEEDS_SECOND_ADMIN`); until then it is a `PendingGrant`, which gives
no role anywhere and lapses after `PENDING_GRANT_TTL`. One admin alone gives those roles only
through the settings (ADMIN_IDS, LEGAL_OFFICER_IDS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol


class Role(StrEnum):
    MODERATOR = "moderator"
    LEGAL = "legal"
    ADMIN = "admin"


#: Roles a second admin must confirm before they take effect (moderators: one admin suffices).
NEEDS_SECOND_ADMIN: Final = frozenset({Role.LEGAL, Role.ADMIN})
#: How long a proposed grant waits for its confirmation (checked when read, no job).
PENDING_GRANT_TTL: Final = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A role in force. `granted_by`/`granted_at`: who proposed it and when; `confirmed_by`/
    `confirmed_at`: the second admin (None: a moderator grant, which needs none, or a `legacy`
    legal or admin grant made before confirmations existed)."""

    user_id: int
    role: Role
    granted_by: int
    granted_at: datetime
    confirmed_by: int | None = None
    confirmed_at: datetime | None = None
    legacy: bool = False
    # A legal or admin grant's seal under LEDGER_KEY and that key's id (grant_seals.py); None
    # in moderator grants, in grants from before migration 0025 and in rows written outside
    # the bot.
    seal: str | None = None
    seal_key_id: str | None = None

    @property
    def effective_at(self) -> datetime:
        """When the role took effect (the cool-off of legal grants counts from here)."""
        return self.confirmed_at or self.granted_at

    @property
    def came_from(self) -> frozenset[int]:
        """The admins the grant came from: its proposer and its confirmer."""
        return frozenset(x for x in (self.granted_by, self.confirmed_by) if x is not None)


@dataclass(frozen=True, slots=True)
class PendingGrant:
    """A legal or admin role one admin proposed, waiting for a second admin's confirmation."""

    user_id: int
    role: Role
    proposed_by: int
    proposed_at: datetime
    # The proposal's seal under LEDGER_KEY and that key's id (grant_seals.py); None in
    # proposals from before migration 0025 and in rows written outside the bot.
    seal: str | None = None
    seal_key_id: str | None = None

    @property
    def expires_at(self) -> datetime:
        return self.proposed_at + PENDING_GRANT_TTL

    def live(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class Roles:
    """What one user is; `bootstrap` are the roles from the settings."""

    user_id: int
    granted: frozenset[Role]
    bootstrap: frozenset[Role]

    @property
    def all(self) -> frozenset[Role]:
        return self.granted | self.bootstrap

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.all

    @property
    def is_moderator(self) -> bool:
        return Role.MODERATOR in self.all

    @property
    def is_legal(self) -> bool:
        return Role.LEGAL in self.all

    @property
    def is_staff(self) -> bool:
        return bool(self.all)


class RoleGrants(Protocol):
    async def granted_roles(self, user_id: int) -> frozenset[Role]: ...


def bootstrap_roles(bootstrap: Mapping[Role, Iterable[int]], user_id: int) -> frozenset[Role]:
    return frozenset(role for role, ids in bootstrap.items() if user_id in set(ids))


async def roles_of(
    grants: RoleGrants, bootstrap: Mapping[Role, Iterable[int]], user_id: int
) -> Roles:
    return Roles(
        user_id=user_id,
        granted=await grants.granted_roles(user_id),
        bootstrap=bootstrap_roles(bootstrap, user_id),
    )
