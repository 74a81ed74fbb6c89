"""Running the team: granting and revoking roles, listing staff, blocking reporters.

Each act checks `MAY` (moderation/staff/commands.py) again in the transaction that acts, so a
role revoked a moment earlier does not slip through, and writes every act and every refusal to
the audit log in that transaction, with the state before and after. Bootstrap roles (from the
settings) cannot be revoked from the bot, and staff cannot be blocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from moderation.legal.approvals import void_officer_approvals
from moderation.staff.commands import (
    REASON_MAX,
    REFUSED_ACTION,
    ROLE_ORDER,
    BlockChanged,
    BlockOutcome,
    Bootstrap,
    ById,
    ListOutcome,
    Person,
    PersonRef,
    Refusal,
    Refused,
    RoleChanged,
    RoleOutcome,
    StaffCommand,
    StaffEntry,
    StaffList,
    StaffStore,
    StaffUnit,
    UnknownUsername,
    Usage,
    may_run,
    parse_person,
    parse_role,
)
from moderation.staff.roles import Role, Roles, bootstrap_roles

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
        action=REFUSED_ACTION[refusal.command],
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
