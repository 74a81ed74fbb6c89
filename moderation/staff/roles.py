"""Staff roles: the bootstrap ids from the settings plus the grants admins make from the bot.

Bootstrap roles cannot be revoked from the bot (an admin must not be able to lock everyone
out); granted ones can. Everyone without a role is a reporter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    MODERATOR = "moderator"
    LEGAL = "legal"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class RoleGrant:
    user_id: int
    role: Role
    granted_by: int
    granted_at: datetime


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
