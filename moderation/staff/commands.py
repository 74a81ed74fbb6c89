"""Staff commands as the domain sees them: who may run each (`MAY`), how a person and a role
are named, what storage provides, and what each command returns.

`MAY` is the one statement of the staff commands' roles: the bot's access table
(handlers/runtime/permissions.py) takes its rows from it, and each act in
moderation/staff/team.py checks it again in the transaction that acts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from moderation.legal.ports import LegalRequestRecords
from moderation.ports import AuditTrail, NoticeQueue
from moderation.staff.grant_seals import GrantSeal
from moderation.staff.roles import PendingGrant, Role, RoleGrant, Roles

#: Telegram usernames: 5-32 letters, digits and underscores, starting with a letter (a few
#: collectible ones are 4 long).
_USERNAME: Final = re.compile(r"@([A-Za-z][A-Za-z0-9_]{3,31})")
#: Telegram user ids are positive and fit in 52 bits.
_MAX_USER_ID: Final = 2**52
#: The order staff and roles are listed in.
ROLE_ORDER: Final = (Role.ADMIN, Role.MODERATOR, Role.LEGAL)
#: A block reason is kept in the database and shown back; one short paragraph.
REASON_MAX: Final = 500
#: The outbox kind of the message that tells every legal officer of a legal grant proposed,
#: confirmed or withdrawn, and of a legal role revoked.
ROLE_CHANGE_KIND: Final = "role_change"


class StaffCommand(StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"
    ROLES = "roles"
    BLOCK = "block"
    UNBLOCK = "unblock"


#: Who may run each command (any one of the roles suffices).
MAY: Final[Mapping[StaffCommand, frozenset[Role]]] = {
    StaffCommand.GRANT: frozenset({Role.ADMIN}),
    StaffCommand.REVOKE: frozenset({Role.ADMIN}),
    StaffCommand.ROLES: frozenset({Role.ADMIN}),
    StaffCommand.BLOCK: frozenset({Role.ADMIN, Role.MODERATOR}),
    StaffCommand.UNBLOCK: frozenset({Role.ADMIN, Role.MODERATOR}),
}


#: The audit action of a refused command (a sender without the role is `access.denied`).
REFUSED_ACTION: Final[Mapping[StaffCommand, str]] = {
    StaffCommand.GRANT: "role.grant_refused",
    StaffCommand.REVOKE: "role.revoke_refused",
    StaffCommand.ROLES: "access.denied",
    StaffCommand.BLOCK: "reporter.block_refused",
    StaffCommand.UNBLOCK: "reporter.unblock_refused",
}


def may_run(roles: Roles, command: StaffCommand) -> bool:
    return bool(roles.all & MAY[command])


# --- what storage provides --------------------------------------------------------------


class RoleStore(Protocol):
    async def granted_roles(self, user_id: int) -> frozenset[Role]: ...
    async def grant(
        self,
        user_id: int,
        role: Role,
        *,
        by: int,
        at: datetime,
        confirmed_by: int | None = None,
        confirmed_at: datetime | None = None,
        seal: GrantSeal | None = None,
    ) -> bool: ...
    async def revoke(self, user_id: int, role: Role) -> bool: ...
    async def grants(self) -> list[RoleGrant]: ...
    async def grant_record(self, user_id: int, role: Role) -> RoleGrant | None: ...
    async def holders(self, role: Role) -> frozenset[int]: ...
    async def propose(
        self, user_id: int, role: Role, *, by: int, at: datetime, seal: GrantSeal | None = None
    ) -> None: ...
    async def pending(self, user_id: int, role: Role) -> PendingGrant | None: ...
    async def pending_grants(self) -> list[PendingGrant]: ...
    async def withdraw(self, user_id: int, role: Role) -> bool: ...


class KnownNames(Protocol):
    async def id_by_username(self, username: str) -> int | None: ...
    async def usernames(self, user_ids: Iterable[int]) -> dict[int, str]: ...


class Blocks(Protocol):
    async def is_blocked(self, user_id: int) -> bool: ...
    async def block(
        self, user_id: int, *, by: int | None, at: datetime, reason: str | None = None
    ) -> bool: ...
    async def unblock(self, user_id: int) -> bool: ...


class StaffUnit(Protocol):
    @property
    def roles(self) -> RoleStore: ...
    @property
    def users(self) -> KnownNames: ...
    @property
    def blocks(self) -> Blocks: ...
    @property
    def audit(self) -> AuditTrail: ...
    @property
    def legal(self) -> LegalRequestRecords: ...
    @property
    def outbox(self) -> NoticeQueue: ...


class StaffStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[StaffUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[StaffUnit]: ...


Bootstrap = Mapping[Role, Iterable[int]]


# --- naming people and roles --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ById:
    user_id: int


@dataclass(frozen=True, slots=True)
class ByUsername:
    username: str  # without the @


PersonRef = ById | ByUsername


def parse_person(text: str) -> PersonRef | None:
    """A numeric user id or an @username; anything else is None."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        user_id = int(text)
        return ById(user_id) if 0 < user_id < _MAX_USER_ID else None
    found = _USERNAME.fullmatch(text)
    return ByUsername(found.group(1)) if found else None


def parse_role(text: str) -> Role | None:
    try:
        return Role(text.strip().lower())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    username: str | None = None  # the @username we know, without the @


# --- outcomes -------------------------------------------------------------------------------


class Refusal(StrEnum):
    NOT_ALLOWED = "not_allowed"  # the sender lacks the role the command needs
    BOOTSTRAP = "bootstrap"  # the role comes from the settings
    ALREADY_HAS = "already_has"
    NOT_GRANTED = "not_granted"
    STAFF = "staff"  # staff cannot be blocked
    ALREADY_BLOCKED = "already_blocked"
    NOT_BLOCKED = "not_blocked"
    REASON_TOO_LONG = "reason_too_long"
    OWN_PROPOSAL = "own_proposal"  # the proposer cannot confirm their own proposal
    CONFIRM_FOR_SELF = "confirm_for_self"  # nobody confirms a role for themselves
    NOT_INDEPENDENT = "not_independent"  # one admin's role came from the other's grant
    NO_LEDGER_KEY = "no_ledger_key"  # legal and admin grants are sealed under LEDGER_KEY
    UNSEALED_ADMIN = "unsealed_admin"  # the sender's admin role is held by a grant that
    # does not verify (unsealed, or written outside the bot)
    UNSEALED_PROPOSER = "unsealed_proposer"  # the proposer's admin role does not verify
    UNSEALED_PROPOSAL = "unsealed_proposal"  # the proposal does not verify


@dataclass(frozen=True, slots=True)
class Usage:
    """Missing or malformed arguments; the handler shows the command's usage line."""

    command: StaffCommand


@dataclass(frozen=True, slots=True)
class UnknownUsername:
    username: str


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Refusal
    command: StaffCommand
    person: Person | None = None
    role: Role | None = None
    bootstrap: bool = False  # ALREADY_HAS: the role comes from the settings
    roles: frozenset[Role] = frozenset()  # STAFF: the roles that protect the person
    by: Person | None = None  # OWN_PROPOSAL, NOT_INDEPENDENT: the admin who proposed it
    why: str | None = None  # UNSEALED_*: what does not verify (for the audit row)


@dataclass(frozen=True, slots=True)
class RoleChanged:
    """A grant or revoke went through; `roles` is what the person holds now (all sources)."""

    command: StaffCommand
    person: Person
    role: Role
    roles: frozenset[Role]
    replaced: bool = False  # a confirmation that replaced an unsealed grant of the role


@dataclass(frozen=True, slots=True)
class GrantProposed:
    """A legal or admin role proposed by one admin: nothing changes until a second admin
    confirms it (the same /grant) before `expires_at`."""

    person: Person
    role: Role
    expires_at: datetime
    regrant: bool = False  # the person holds the role by an unsealed grant, which this replaces


@dataclass(frozen=True, slots=True)
class GrantWithdrawn:
    """A proposed grant dropped by /revoke before anyone confirmed it."""

    person: Person
    role: Role
    proposed_by: Person


@dataclass(frozen=True, slots=True)
class StaffEntry:
    person: Person
    role: Role
    bootstrap: bool
    granted_by: Person | None = None  # for a pending grant: who proposed it
    granted_at: datetime | None = None
    confirmed_by: Person | None = None
    legacy: bool = False  # a legal or admin grant whose seal does not verify (from before
    # sealed grants, or written outside the bot): it does not count for due process
    pending: bool = False  # proposed, waiting for a second admin until `expires_at`
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StaffList:
    entries: list[StaffEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BlockChanged:
    command: StaffCommand
    person: Person
    reason: str | None = None


RoleOutcome = RoleChanged | GrantProposed | GrantWithdrawn | Refused | Usage | UnknownUsername
ListOutcome = StaffList | Refused
BlockOutcome = BlockChanged | Refused | Usage | UnknownUsername
