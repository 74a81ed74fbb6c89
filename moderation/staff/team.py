"""Running the team: granting and revoking roles, listing staff, blocking reporters.

Each act checks `MAY` (moderation/staff/commands.py) again in the transaction that acts, so a
role revoked a moment earlier does not slip through, and writes every act and every refusal to
the audit log in that transaction, with the state before and after. Bootstrap roles (from the
settings) cannot be revoked from the bot, and staff cannot be blocked.

Four eyes are two people: a legal or admin `/grant` by one admin is only a proposal; the same
`/grant` by a second admin confirms it. The confirmer is an admin now, not the proposer, not
the person receiving the role, and neither of the two holds the admin role through a grant the
other proposed or confirmed (otherwise one admin makes a second account that confirms its
grants). A proposal lapses after 7 days; `/revoke` withdraws it. Every legal officer is told of
each legal grant proposed, confirmed or withdrawn and of each legal role revoked, through the
outbox in the transaction of the change.

Grants are sealed (grant_seals.py): proposing or confirming a legal or admin role needs
LEDGER_KEY, and seals the proposal and the grant. A confirmation is refused when the proposal's
seal does not verify (written or changed outside the bot), or when the proposer's or the
confirmer's admin role is neither from ADMIN_IDS nor held by a grant whose seal verifies. A
legal or admin role held by an unsealed grant (from before sealed grants, or a row a database
writer inserted) keeps opening its commands, but `/grant` of it starts a proposal, and its
confirmation replaces the row with a sealed one. Only officers whose legal role verifies are
told of legal role changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from moderation.legal.approvals import void_officer_approvals
from moderation.legal.ledger import LedgerKeys
from moderation.staff.commands import (
    REASON_MAX,
    REFUSED_ACTION,
    ROLE_CHANGE_KIND,
    ROLE_ORDER,
    BlockChanged,
    BlockOutcome,
    Bootstrap,
    ById,
    GrantProposed,
    GrantWithdrawn,
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
from moderation.staff.grant_seals import (
    SEALED_ROLES,
    counts,
    grant_problem,
    legal_officers_among,
    proposal_problem,
    seal_grant,
    seal_proposal,
)
from moderation.staff.roles import (
    NEEDS_SECOND_ADMIN,
    PENDING_GRANT_TTL,
    PendingGrant,
    Role,
    RoleGrant,
    Roles,
    bootstrap_roles,
)

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
            **({"proposed_by": refusal.by.user_id} if refusal.by else {}),
            **({"why": refusal.why} if refusal.why else {}),
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
    store: StaffStore,
    bootstrap: Bootstrap,
    actor_id: int,
    args: Sequence[str],
    now: datetime,
    *,
    keys: LedgerKeys | None,
) -> RoleOutcome:
    """`/grant <id or @username> <role>` by an admin (`keys`: LEDGER_KEY's, which seal legal
    and admin grants; None: such grants are refused, naming LEDGER_KEY)."""
    return await _change_role(store, bootstrap, keys, actor_id, args, now, StaffCommand.GRANT)


async def revoke(
    store: StaffStore,
    bootstrap: Bootstrap,
    actor_id: int,
    args: Sequence[str],
    now: datetime,
    *,
    keys: LedgerKeys | None,
) -> RoleOutcome:
    """`/revoke <id or @username> <role>` by an admin; bootstrap roles stay (`keys`: to tell
    the legal officers whose role verifies)."""
    return await _change_role(store, bootstrap, keys, actor_id, args, now, StaffCommand.REVOKE)


async def _change_role(
    store: StaffStore,
    bootstrap: Bootstrap,
    keys: LedgerKeys | None,
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
        officers_before: frozenset[int] = frozenset()
        if command is StaffCommand.GRANT:
            unsealed = await _unsealed_grant(uow, keys, before, role)
            if role in before.all and unsealed is None:
                refusal = Refused(
                    Refusal.ALREADY_HAS, command, person, role, bootstrap=role in before.bootstrap
                )
                return await _refused(uow, actor_id, refusal, now)
            if role in NEEDS_SECOND_ADMIN:
                return await _propose_or_confirm(
                    uow, bootstrap, keys, actor_id, person, role, now, unsealed
                )
            await uow.roles.grant(person.user_id, role, by=actor_id, at=now)
        else:
            if role in before.bootstrap:
                return await _refused(
                    uow, actor_id, Refused(Refusal.BOOTSTRAP, command, person, role), now
                )
            if role not in before.granted:
                withdrawn = await _withdraw(uow, bootstrap, keys, actor_id, person, role, now)
                if withdrawn is not None:
                    return withdrawn
                return await _refused(
                    uow, actor_id, Refused(Refusal.NOT_GRANTED, command, person, role), now
                )
            if role is Role.LEGAL:  # whoever was an officer before it is told too
                officers_before = await _legal_officers(uow, bootstrap, keys)
                await uow.roles.revoke(person.user_id, role)
                # Their approvals of requests not yet disclosed stop counting now.
                await void_officer_approvals(uow, person.user_id, actor_id, now)
            else:
                await uow.roles.revoke(person.user_id, role)
        after = await _roles(uow, bootstrap, person.user_id)
        audit_id = await uow.audit.append(
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
        if command is StaffCommand.REVOKE and role is Role.LEGAL:
            await _tell_legal_officers(
                uow,
                bootstrap,
                keys,
                audit_id,
                "revoked",
                person,
                actor_id,
                now,
                also=officers_before,
            )
    return RoleChanged(command, person, role, after.all)


# --- four eyes are two people -----------------------------------------------------------------


async def _unsealed_grant(
    uow: StaffUnit, keys: LedgerKeys | None, held: Roles, role: Role
) -> RoleGrant | None:
    """The grant by which the person holds a legal or admin role without it counting for due
    process (its seal does not verify); None when they hold it by the settings, by a grant
    that verifies, or not at all. A `/grant` of such a role starts the two-admin flow."""
    if role not in SEALED_ROLES or role in held.bootstrap or role not in held.granted:
        return None
    record = await uow.roles.grant_record(held.user_id, role)
    return None if record is None or counts(keys, record) else record


async def _admin_problem(
    uow: StaffUnit, bootstrap: Bootstrap, keys: LedgerKeys, admin_id: int
) -> str | None:
    """Why an admin's role does not count for proposing or confirming a legal or admin grant
    (None: from ADMIN_IDS, or held by a grant whose seal verifies)."""
    if admin_id in set(bootstrap.get(Role.ADMIN, ())):
        return None
    record = await uow.roles.grant_record(admin_id, Role.ADMIN)
    if record is None:
        return f"{admin_id} is not an admin"
    return grant_problem(keys, record)


async def _propose_or_confirm(
    uow: StaffUnit,
    bootstrap: Bootstrap,
    keys: LedgerKeys | None,
    actor_id: int,
    person: Person,
    role: Role,
    now: datetime,
    unsealed: RoleGrant | None,
) -> RoleOutcome:
    """A legal or admin `/grant`: the first admin proposes it; a second admin, independent of
    the first, confirms it with the same command, and only then is the role in force. Both
    the proposal and the grant are sealed under LEDGER_KEY, and both admins' roles must
    verify. `unsealed`: the person's current grant of the role, which does not verify, and
    which the confirmation replaces."""
    command = StaffCommand.GRANT
    if keys is None:
        return await _refused(
            uow, actor_id, Refused(Refusal.NO_LEDGER_KEY, command, person, role), now
        )
    why = await _admin_problem(uow, bootstrap, keys, actor_id)
    if why is not None:
        refusal = Refused(Refusal.UNSEALED_ADMIN, command, person, role, why=why)
        return await _refused(uow, actor_id, refusal, now)
    pending = await uow.roles.pending(person.user_id, role)
    if pending is not None and not await _still_proposed(uow, bootstrap, pending, now):
        pending = None  # lapsed, or its proposer is no longer an admin: a new proposal
    if pending is None:
        proposal = PendingGrant(person.user_id, role, actor_id, now)
        seal = seal_proposal(keys, proposal)
        await uow.roles.propose(person.user_id, role, by=actor_id, at=now, seal=seal)
        expires = now + PENDING_GRANT_TTL
        audit_id = await uow.audit.append(
            at=now,
            actor_id=actor_id,
            action="role.proposed",
            subject_type="user",
            subject_id=person.user_id,
            details={
                "role": role.value,
                "expires_at": expires.isoformat(),
                **({"replaces_unsealed": True} if unsealed is not None else {}),
            },
        )
        if role is Role.LEGAL:
            await _tell_legal_officers(
                uow, bootstrap, keys, audit_id, "proposed", person, actor_id, now
            )
        return GrantProposed(person, role, expires, regrant=unsealed is not None)
    proposer = await _person(uow, ById(pending.proposed_by))
    assert isinstance(proposer, Person)
    problem: Refusal | None = None
    if actor_id == pending.proposed_by:
        problem = Refusal.OWN_PROPOSAL
    elif actor_id == person.user_id:
        problem = Refusal.CONFIRM_FOR_SELF
    elif (why := proposal_problem(keys, pending)) is not None:
        problem = Refusal.UNSEALED_PROPOSAL
    elif (why := await _admin_problem(uow, bootstrap, keys, pending.proposed_by)) is not None:
        problem = Refusal.UNSEALED_PROPOSER
    elif not await _independent(uow, bootstrap, actor_id, pending.proposed_by):
        problem = Refusal.NOT_INDEPENDENT
    if problem is not None:
        refusal = Refused(problem, command, person, role, by=proposer, why=why)
        return await _refused(uow, actor_id, refusal, now)
    before = await _roles(uow, bootstrap, person.user_id)
    await uow.roles.withdraw(person.user_id, role)
    if unsealed is not None:
        await uow.roles.revoke(person.user_id, role)  # replaced by the sealed grant below
    confirmed = RoleGrant(
        person.user_id,
        role,
        granted_by=pending.proposed_by,
        granted_at=pending.proposed_at,
        confirmed_by=actor_id,
        confirmed_at=now,
    )
    await uow.roles.grant(
        person.user_id,
        role,
        by=pending.proposed_by,
        at=pending.proposed_at,
        confirmed_by=actor_id,
        confirmed_at=now,
        seal=seal_grant(keys, confirmed),
    )
    after = await _roles(uow, bootstrap, person.user_id)
    audit_id = await uow.audit.append(
        at=now,
        actor_id=actor_id,
        action="role.granted",
        subject_type="user",
        subject_id=person.user_id,
        details={
            "role": role.value,
            "proposed_by": pending.proposed_by,
            "confirmed_by": actor_id,
            "before": _sorted(before.all),
            "after": _sorted(after.all),
            **({"replaced_unsealed": True} if unsealed is not None else {}),
        },
    )
    if role is Role.LEGAL:
        await _tell_legal_officers(
            uow, bootstrap, keys, audit_id, "confirmed", person, actor_id, now, proposer=proposer
        )
    return RoleChanged(command, person, role, after.all, replaced=unsealed is not None)


async def _still_proposed(
    uow: StaffUnit, bootstrap: Bootstrap, pending: PendingGrant, now: datetime
) -> bool:
    """A proposal counts while it has not lapsed and its proposer is still an admin."""
    if not pending.live(now):
        return False
    return (await _roles(uow, bootstrap, pending.proposed_by)).is_admin


async def _independent(uow: StaffUnit, bootstrap: Bootstrap, one: int, other: int) -> bool:
    """Neither admin holds the admin role through a grant the other proposed or confirmed (a
    bootstrap admin holds it through the settings)."""
    for holder, giver in ((one, other), (other, one)):
        if holder in set(bootstrap.get(Role.ADMIN, ())):
            continue
        record = await uow.roles.grant_record(holder, Role.ADMIN)
        if record is not None and giver in record.came_from:
            return False
    return True


async def _withdraw(
    uow: StaffUnit,
    bootstrap: Bootstrap,
    keys: LedgerKeys | None,
    actor_id: int,
    person: Person,
    role: Role,
    now: datetime,
) -> GrantWithdrawn | None:
    """`/revoke` of a role only proposed: the proposal is dropped (None: there was none)."""
    pending = await uow.roles.pending(person.user_id, role)
    if pending is None or not await uow.roles.withdraw(person.user_id, role):
        return None
    proposer = await _person(uow, ById(pending.proposed_by))
    assert isinstance(proposer, Person)
    audit_id = await uow.audit.append(
        at=now,
        actor_id=actor_id,
        action="role.withdrawn",
        subject_type="user",
        subject_id=person.user_id,
        details={
            "role": role.value,
            "proposed_by": pending.proposed_by,
            "lapsed": not pending.live(now),
        },
    )
    if role is Role.LEGAL:
        await _tell_legal_officers(
            uow, bootstrap, keys, audit_id, "withdrawn", person, actor_id, now, proposer=proposer
        )
    return GrantWithdrawn(person, role, proposer)


async def _legal_officers(
    uow: StaffUnit, bootstrap: Bootstrap, keys: LedgerKeys | None
) -> frozenset[int]:
    """Every legal officer now: LEGAL_OFFICER_IDS and the legal grants whose seal verifies (a
    row written outside the bot does not receive due-process notices)."""
    return legal_officers_among(keys, await uow.roles.grants(), bootstrap.get(Role.LEGAL, ()))


async def _tell_legal_officers(
    uow: StaffUnit,
    bootstrap: Bootstrap,
    keys: LedgerKeys | None,
    audit_id: int,
    event: str,
    person: Person,
    actor_id: int,
    now: datetime,
    *,
    proposer: Person | None = None,
    also: Iterable[int] = (),
) -> None:
    """Every legal officer (and, for a revocation, whoever was one before it) is told, in the
    transaction of the change, that the legal role was proposed, confirmed, withdrawn or
    revoked, and by whom: a role given behind their backs cannot approve unnoticed."""
    officers = await _legal_officers(uow, bootstrap, keys) | frozenset(also)
    for officer_id in sorted(officers):
        await uow.outbox.add(
            dedupe_key=f"role:{audit_id}:{officer_id}",
            kind=ROLE_CHANGE_KIND,
            chat_id=officer_id,
            payload={
                "event": event,
                "user_id": person.user_id,
                "username": person.username,
                "by": actor_id,
                "proposed_by": proposer.user_id if proposer else None,
            },
            at=now,
            not_before=now,
        )


async def staff_list(
    store: StaffStore,
    bootstrap: Bootstrap,
    actor_id: int,
    now: datetime,
    *,
    keys: LedgerKeys | None,
) -> ListOutcome:
    """`/roles`: bootstrap staff first, then grants with who proposed and confirmed them and
    when (a legal or admin grant whose seal does not verify marked as such), then the legal
    and admin grants still waiting for a second admin."""
    async with store.transaction() as uow:
        if not may_run(await _roles(uow, bootstrap, actor_id), StaffCommand.ROLES):
            return await _denied(uow, actor_id, StaffCommand.ROLES, now)
        grants = await uow.roles.grants()
        waiting = [p for p in await uow.roles.pending_grants() if p.live(now)]
        fixed = [
            (role, user_id)
            for role in ROLE_ORDER
            for user_id in sorted(set(bootstrap.get(role, ())))
        ]
        ids = {user_id for _, user_id in fixed}
        ids |= {g.user_id for g in grants} | {g.granted_by for g in grants}
        ids |= {g.confirmed_by for g in grants if g.confirmed_by is not None}
        ids |= {p.user_id for p in waiting} | {p.proposed_by for p in waiting}
        names = await uow.users.usernames(ids)

    def named(user_id: int) -> Person:
        return Person(user_id, names.get(user_id))

    entries = [StaffEntry(named(user_id), role, bootstrap=True) for role, user_id in fixed]
    entries += [
        StaffEntry(
            named(g.user_id),
            g.role,
            bootstrap=False,
            granted_by=named(g.granted_by),
            granted_at=g.granted_at,
            confirmed_by=None if g.confirmed_by is None else named(g.confirmed_by),
            legacy=g.role in SEALED_ROLES and not counts(keys, g),
        )
        for g in sorted(grants, key=lambda g: (ROLE_ORDER.index(g.role), g.granted_at))
    ]
    entries += [
        StaffEntry(
            named(p.user_id),
            p.role,
            bootstrap=False,
            granted_by=named(p.proposed_by),
            granted_at=p.proposed_at,
            pending=True,
            expires_at=p.expires_at,
        )
        for p in waiting
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
