"""Running the team: granting and revoking roles, listing staff, blocking reporters.

Who may run each command is stated here, once (`MAY`): admins grant, revoke and list roles;
admins and moderators block and unblock reporters. The bot's access table
(handlers/runtime/permissions.py) takes these rows from `MAY`, so its gate refuses before any
handler runs; each act checks `MAY` again in the transaction that acts (a role revoked a moment
earlier does not slip through). Every act and every refusal is written to the audit log in the
same transaction that checked it, with the state before and after. Bootstrap roles (from the
settings) cannot be revoked from the bot, and staff cannot be blocked. A person is named by
numeric id or by the @username they last used with the bot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from moderation.legal.approvals import void_officer_approvals
from moderation.legal.ports import LegalRequestRecords
from moderation.ports import AuditTrail
from moderation.staff.roles import Role, RoleGrant, Roles, bootstrap_roles

#: Telegram usernames: 5-32 letters, digits and underscores, starting with a letter (a few
#: collectible ones are 4 long).
_USERNAME: Final = re.compile(r"@([A-Za-z][A-Za-z0-9_]{3,31})")
#: Telegram user ids are positive and fit in 52 bits.
_MAX_USER_ID: Final = 2**52
#: The order staff and roles are listed in.
ROLE_ORDER: Final = (Role.ADMIN, Role.MODERATOR, Role.LEGAL)
#: A block reason is kept in the database and shown back; one short paragraph.
REASON_MAX: Final = 500


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
_REFUSED_ACTION: Final[Mapping[StaffCommand, str]] = {
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
    async def grant(self, user_id: int, role: Role, *, by: int, at: datetime) -> bool: ...
    async def revoke(self, user_id: int, role: Role) -> bool: ...
    async def grants(self) -> list[RoleGrant]: ...


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


@dataclass(frozen=True, slots=True)
class RoleChanged:
    """A grant or revoke went through; `roles` is what the person holds now (all sources)."""

    command: StaffCommand
    person: Person
    role: Role
    roles: frozenset[Role]


@dataclass(frozen=True, slots=True)
class StaffEntry:
    person: Person
    role: Role
    bootstrap: bool
    granted_by: Person | None = None
    granted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StaffList:
    entries: list[StaffEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BlockChanged:
    command: StaffCommand
    person: Person
    reason: str | None = None


RoleOutcome = RoleChanged | Refused | Usage | UnknownUsername
ListOutcome = StaffList | Refused
BlockOutcome = BlockChanged | Refused | Usage | UnknownUsername


# --- the acts -------------------------------------------------------------------------------


async def _roles(uow: StaffUnit, bootstrap: Bootstrap, user_id: int) -> Roles:
    return Roles(
        user_id=user_id,
        granted=await uow.roles.granted_roles(user_id),
        bootstrap=bootstrap_roles(bootstrap, user_id),
    )


async def _denied(uow: StaffUnit, actor_id: int, command: StaffCommand, now: datetime) -> Refused:
    await uow.audit.append(
        at=now, actor_id=actor_id, action="access.denied", details={"command": command.value}
    )
    return Refused(Refusal.NOT_ALLOWED, command)


async def record_denial(
    store: StaffStore, actor_id: int, command: str, now: datetime, **details: str
) -> None:
    """A command refused for want of a role: nothing changes, but the attempt is on record
    (`access.denied`, the command and where it was sent) before the refusal is answered."""
    async with store.transaction() as uow:
        await uow.audit.append(
            at=now,
            actor_id=actor_id,
            action="access.denied",
            details={"command": command, **details},
        )


async def _refused(uow: StaffUnit, actor_id: int, refusal: Refused, now: datetime) -> Refused:
    person = refusal.person
    await uow.audit.append(
        at=now,
        actor_id=actor_id,
        action=_REFUSED_ACTION[refusal.command],
        subject_type="user" if person else None,
        subject_id=person.user_id if person else None,
        details={
            "reason": refusal.reason.value,
            **({"role": refusal.role.value} if refusal.role else {}),
            **({"bootstrap": True} if refusal.bootstrap else {}),
            **({"roles": _sorted(refusal.roles)} if refusal.roles else {}),
        },
    )
    return refusal


async def _person(uow: StaffUnit, ref: PersonRef) -> Person | UnknownUsername:
    if isinstance(ref, ById):
        names = await uow.users.usernames([ref.user_id])
        return Person(ref.user_id, names.get(ref.user_id))
    user_id = await uow.users.id_by_username(ref.username)
    if user_id is None:
        return UnknownUsername(ref.username)
    names = await uow.users.usernames([user_id])
    return Person(user_id, names.get(user_id, ref.username))


def _sorted(roles: Iterable[Role]) -> list[str]:
    return sorted(role.value for role in roles)


async def grant(
    store: StaffStore, bootstrap: Bootstrap, actor_id: int, args: Sequence[str], now: datetime
) -> RoleOutcome:
    """`/grant <id or @username> <role>` by an admin."""
    return await _change_role(store, bootstrap, actor_id, args, now, StaffCommand.GRANT)


async def revoke(
    store: StaffStore, bootstrap: Bootstrap, actor_id: int, args: Sequence[str], now: datetime
) -> RoleOutcome:
    """`/revoke <id or @username> <role>` by an admin; bootstrap roles stay."""
    return await _change_role(store, bootstrap, actor_id, args, now, StaffCommand.REVOKE)


async def _change_role(
    store: StaffStore,
    bootstrap: Bootstrap,
    actor_id: int,
    args: Sequence[str],
    now: datetime,
    command: StaffCommand,
) -> RoleOutcome:
    async with store.transaction() as uow:
        if not may_run(await _roles(uow, bootstrap, actor_id), command):
            return await _denied(uow, actor_id, command, now)
        ref = parse_person(args[0]) if len(args) == 2 else None
        role = parse_role(args[1]) if len(args) == 2 else None
        if ref is None or role is None:
            return Usage(command)
        person = await _person(uow, ref)
        if isinstance(person, UnknownUsername):
            return person
        before = await _roles(uow, bootstrap, person.user_id)
        if command is StaffCommand.GRANT:
            if role in before.all:
                refusal = Refused(
                    Refusal.ALREADY_HAS, command, person, role, bootstrap=role in before.bootstrap
                )
                return await _refused(uow, actor_id, refusal, now)
            await uow.roles.grant(person.user_id, role, by=actor_id, at=now)
        else:
            if role in before.bootstrap:
                return await _refused(
                    uow, actor_id, Refused(Refusal.BOOTSTRAP, command, person, role), now
                )
            if role not in before.granted:
                return await _refused(
                    uow, actor_id, Refused(Refusal.NOT_GRANTED, command, person, role), now
                )
            await uow.roles.revoke(person.user_id, role)
            if role is Role.LEGAL:
                # Their approvals of requests not yet disclosed stop counting now.
                await void_officer_approvals(uow, person.user_id, actor_id, now)
        after = await _roles(uow, bootstrap, person.user_id)
        await uow.audit.append(
            at=now,
            actor_id=actor_id,
            action="role.granted" if command is StaffCommand.GRANT else "role.revoked",
            subject_type="user",
            subject_id=person.user_id,
            details={
                "role": role.value,
                "before": _sorted(before.all),
                "after": _sorted(after.all),
            },
        )
    return RoleChanged(command, person, role, after.all)


async def staff_list(
    store: StaffStore, bootstrap: Bootstrap, actor_id: int, now: datetime
) -> ListOutcome:
    """`/roles`: bootstrap staff first, then grants with who granted them and when."""
    async with store.transaction() as uow:
        if not may_run(await _roles(uow, bootstrap, actor_id), StaffCommand.ROLES):
            return await _denied(uow, actor_id, StaffCommand.ROLES, now)
        grants = await uow.roles.grants()
        fixed = [
            (role, user_id)
            for role in ROLE_ORDER
            for user_id in sorted(set(bootstrap.get(role, ())))
        ]
        ids = {user_id for _, user_id in fixed}
        ids |= {g.user_id for g in grants} | {g.granted_by for g in grants}
        names = await uow.users.usernames(ids)
    entries = [
        StaffEntry(Person(user_id, names.get(user_id)), role, bootstrap=True)
        for role, user_id in fixed
    ]
    entries += [
        StaffEntry(
            Person(g.user_id, names.get(g.user_id)),
            g.role,
            bootstrap=False,
            granted_by=Person(g.granted_by, names.get(g.granted_by)),
            granted_at=g.granted_at,
        )
        for g in sorted(grants, key=lambda g: (ROLE_ORDER.index(g.role), g.granted_at))
    ]
    return StaffList(entries)


async def block(
    store: StaffStore, bootstrap: Bootstrap, actor_id: int, args: Sequence[str], now: datetime
) -> BlockOutcome:
    """`/block <id or @username> [reason]`: the person may no longer file reports."""
    command = StaffCommand.BLOCK
    async with store.transaction() as uow:
        if not may_run(await _roles(uow, bootstrap, actor_id), command):
            return await _denied(uow, actor_id, command, now)
        ref = parse_person(args[0]) if args else None
        if ref is None:
            return Usage(command)
        reason = " ".join(args[1:]).strip() or None
        person = await _person(uow, ref)
        if isinstance(person, UnknownUsername):
            return person
        if reason is not None and len(reason) > REASON_MAX:
            refusal = Refused(Refusal.REASON_TOO_LONG, command, person)
            return await _refused(uow, actor_id, refusal, now)
        held = (await _roles(uow, bootstrap, person.user_id)).all
        if held:
            refusal = Refused(Refusal.STAFF, command, person, roles=held)
            return await _refused(uow, actor_id, refusal, now)
        if not await uow.blocks.block(person.user_id, by=actor_id, at=now, reason=reason):
            refusal = Refused(Refusal.ALREADY_BLOCKED, command, person)
            return await _refused(uow, actor_id, refusal, now)
        await uow.audit.append(
            at=now,
            actor_id=actor_id,
            action="reporter.blocked",
            subject_type="user",
            subject_id=person.user_id,
            details={"before": "may_report", "after": "blocked", "reason": reason},
        )
    return BlockChanged(command, person, reason)


async def unblock(
    store: StaffStore, bootstrap: Bootstrap, actor_id: int, args: Sequence[str], now: datetime
) -> BlockOutcome:
    """`/unblock <id or @username>`: the person may report again."""
    command = StaffCommand.UNBLOCK
    async with store.transaction() as uow:
        if not may_run(await _roles(uow, bootstrap, actor_id), command):
            return await _denied(uow, actor_id, command, now)
        ref = parse_person(args[0]) if len(args) == 1 else None
        if ref is None:
            return Usage(command)
        person = await _person(uow, ref)
        if isinstance(person, UnknownUsername):
            return person
        if not await uow.blocks.unblock(person.user_id):
            refusal = Refused(Refusal.NOT_BLOCKED, command, person)
            return await _refused(uow, actor_id, refusal, now)
        await uow.audit.append(
            at=now,
            actor_id=actor_id,
            action="reporter.unblocked",
            subject_type="user",
            subject_id=person.user_id,
            details={"before": "blocked", "after": "may_report"},
        )
    return BlockChanged(command, person)


async def staff_members(store: StaffStore, bootstrap: Bootstrap) -> dict[int, frozenset[Role]]:
    """Everyone with a role (bootstrap or granted) and all their roles: for the menus."""
    async with store.reading() as uow:
        grants = await uow.roles.grants()
    members: dict[int, set[Role]] = {}
    for role, ids in bootstrap.items():
        for user_id in ids:
            members.setdefault(user_id, set()).add(role)
    for g in grants:
        members.setdefault(g.user_id, set()).add(g.role)
    return {user_id: frozenset(roles) for user_id, roles in members.items()}
