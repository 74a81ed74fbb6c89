"""Granted roles, known usernames and blocks in SQLite, and the staff acts that use them."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from moderation.staff.commands import (
    ROLE_CHANGE_KIND,
    BlockChanged,
    GrantProposed,
    GrantWithdrawn,
    Person,
    Refusal,
    Refused,
    RoleChanged,
    StaffCommand,
    StaffList,
    UnknownUsername,
    Usage,
)
from moderation.staff.grant_seals import grant_problem
from moderation.staff.roles import PENDING_GRANT_TTL, Role, RoleGrant
from moderation.staff.team import block, grant, revoke, staff_list, staff_members, unblock
from storage import Store
from tests.storage.legal_fixtures import TEST_LEDGER_KEYS as KEYS
from tests.storage.sqlite_files import NOW
from tests.storage.stored import stored

ADMIN, MODERATOR, LEGAL, CARL = 1, 2, 3, 40
SECOND_ADMIN = 4  # a second person in ADMIN_IDS, who confirms legal and admin grants
BOOTSTRAP = {Role.ADMIN: {ADMIN, SECOND_ADMIN}, Role.MODERATOR: {MODERATOR}, Role.LEGAL: {LEGAL}}


async def audit(
    store: Store, action: str
) -> list[tuple[int | None, str | None, dict[str, object]]]:
    found = await stored(store, "SELECT action, actor_id, subject_id, details FROM audit_log")
    return [
        (actor, subject, json.loads(details))
        for done, actor, subject, details in found
        if done == action
    ]


# --- RoleRepository ---------------------------------------------------------------------------


async def test_a_grant_is_stored_once_with_who_and_when(store: Store) -> None:
    async with store.transaction() as uow:
        assert await uow.roles.grant(CARL, Role.LEGAL, by=ADMIN, at=NOW)
        assert not await uow.roles.grant(CARL, Role.LEGAL, by=MODERATOR, at=NOW)
    async with store.reading() as uow:
        assert await uow.roles.grants() == [RoleGrant(CARL, Role.LEGAL, ADMIN, NOW)]
        assert await uow.roles.granted_roles(CARL) == {Role.LEGAL}
        assert await uow.roles.holders(Role.LEGAL) == {CARL}


async def test_revoke_removes_only_that_role_and_reports_whether_there_was_one(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        await uow.roles.grant(CARL, Role.LEGAL, by=ADMIN, at=NOW)
        await uow.roles.grant(CARL, Role.MODERATOR, by=ADMIN, at=NOW)
        assert await uow.roles.revoke(CARL, Role.LEGAL)
        assert not await uow.roles.revoke(CARL, Role.LEGAL)
        assert await uow.roles.granted_roles(CARL) == {Role.MODERATOR}


# --- usernames (UserRepository) ----------------------------------------------------------------


async def test_touch_records_the_username_and_it_is_found_case_insensitively(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(CARL, "en", NOW, "Carl_C")
    async with store.reading() as uow:
        assert await uow.users.id_by_username("carl_c") == CARL
        assert await uow.users.id_by_username("@CARL_C") == CARL
        assert await uow.users.id_by_username("nobody") is None
        assert await uow.users.usernames([CARL, 404]) == {CARL: "Carl_C"}


async def test_a_changed_username_replaces_the_old_one(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(CARL, "en", NOW, "carl_old")
        await uow.users.touch(CARL, None, NOW + timedelta(hours=1), "carl_new")
        assert await uow.users.id_by_username("carl_old") is None
        assert await uow.users.id_by_username("carl_new") == CARL


async def test_a_dropped_username_is_forgotten(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(CARL, "en", NOW, "carl_c")
        await uow.users.touch(CARL, "en", NOW + timedelta(hours=1), None)
        assert await uow.users.id_by_username("carl_c") is None


async def test_a_username_taken_over_by_someone_else_names_the_new_holder(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(CARL, "en", NOW, "shop_owner")
        await uow.users.touch(41, "en", NOW + timedelta(days=1), "Shop_Owner")
        assert await uow.users.id_by_username("shop_owner") == 41
        assert await uow.users.usernames([CARL, 41]) == {41: "Shop_Owner"}


# --- BlockRepository --------------------------------------------------------------------------


async def test_block_and_unblock_report_whether_anything_changed(store: Store) -> None:
    async with store.transaction() as uow:
        assert await uow.blocks.block(CARL, by=ADMIN, at=NOW, reason="spam")
        assert not await uow.blocks.block(CARL, by=ADMIN, at=NOW)
        assert await uow.blocks.is_blocked(CARL)
        assert await uow.blocks.unblock(CARL)
        assert not await uow.blocks.unblock(CARL)
        assert not await uow.blocks.is_blocked(CARL)


# --- the staff acts (moderation/staff/team.py) over the real store -------------------------------


async def test_grant_by_an_admin_is_stored_and_audited_with_before_and_after(
    store: Store,
) -> None:
    outcome = await grant(store, BOOTSTRAP, ADMIN, [str(LEGAL), "moderator"], NOW, keys=KEYS)
    assert outcome == RoleChanged(
        StaffCommand.GRANT, Person(LEGAL), Role.MODERATOR, frozenset({Role.MODERATOR, Role.LEGAL})
    )
    assert await audit(store, "role.granted") == [
        (
            ADMIN,
            str(LEGAL),
            {"role": "moderator", "before": ["legal"], "after": ["legal", "moderator"]},
        )
    ]


async def test_a_legal_grant_confirmed_by_a_second_admin_is_audited_with_both(
    store: Store,
) -> None:
    """Issue 27: one admin's word made a legal officer. Now the role exists once a second admin
    confirmed it, and the grant and its audit row name both."""
    await grant(store, BOOTSTRAP, ADMIN, [str(MODERATOR), "legal"], NOW, keys=KEYS)
    later = NOW + timedelta(hours=2)
    outcome = await grant(
        store, BOOTSTRAP, SECOND_ADMIN, [str(MODERATOR), "legal"], later, keys=KEYS
    )
    assert outcome == RoleChanged(
        StaffCommand.GRANT, Person(MODERATOR), Role.LEGAL, frozenset({Role.MODERATOR, Role.LEGAL})
    )
    assert await audit(store, "role.granted") == [
        (
            SECOND_ADMIN,
            str(MODERATOR),
            {
                "role": "legal",
                "proposed_by": ADMIN,
                "confirmed_by": SECOND_ADMIN,
                "before": ["moderator"],
                "after": ["legal", "moderator"],
            },
        )
    ]
    async with store.reading() as uow:
        [stored_grant] = await uow.roles.grants()
        assert await uow.roles.pending_grants() == []
    assert dataclasses.replace(stored_grant, seal=None, seal_key_id=None) == RoleGrant(
        MODERATOR, Role.LEGAL, ADMIN, NOW, SECOND_ADMIN, later
    )
    assert stored_grant.seal_key_id == KEYS.current_id
    assert grant_problem(KEYS, stored_grant) is None


async def test_grant_by_username_resolves_the_known_user(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(CARL, "en", NOW, "carl_c")
    outcome = await grant(store, BOOTSTRAP, ADMIN, ["@carl_c", "Admin"], NOW, keys=KEYS)
    assert outcome == GrantProposed(Person(CARL, "carl_c"), Role.ADMIN, NOW + PENDING_GRANT_TTL)


async def test_grant_of_an_unknown_username_changes_nothing(store: Store) -> None:
    outcome = await grant(store, BOOTSTRAP, ADMIN, ["@carl_c", "admin"], NOW, keys=KEYS)
    assert outcome == UnknownUsername("carl_c")
    assert await stored(store, "SELECT count(*) FROM role_grants") == [(0,)]


async def test_a_role_granted_twice_is_refused_the_second_time(store: Store) -> None:
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "moderator"], NOW, keys=KEYS)
    again = await grant(store, BOOTSTRAP, SECOND_ADMIN, [str(CARL), "moderator"], NOW, keys=KEYS)
    assert again == Refused(Refusal.ALREADY_HAS, StaffCommand.GRANT, Person(CARL), Role.MODERATOR)
    assert await audit(store, "role.grant_refused") == [
        (SECOND_ADMIN, str(CARL), {"reason": "already_has", "role": "moderator"})
    ]


async def test_a_non_admin_may_not_grant_and_the_attempt_is_audited(store: Store) -> None:
    outcome = await grant(store, BOOTSTRAP, MODERATOR, [str(CARL), "admin"], NOW, keys=KEYS)
    assert outcome == Refused(Refusal.NOT_ALLOWED, StaffCommand.GRANT)
    assert await audit(store, "access.denied") == [(MODERATOR, None, {"command": "grant"})]
    assert await stored(store, "SELECT count(*) FROM role_grants") == [(0,)]


async def test_access_is_checked_before_the_arguments(store: Store) -> None:
    outcome = await revoke(store, BOOTSTRAP, CARL, [], NOW, keys=KEYS)
    assert outcome == Refused(Refusal.NOT_ALLOWED, StaffCommand.REVOKE)


async def test_bad_arguments_give_usage(store: Store) -> None:
    assert await grant(store, BOOTSTRAP, ADMIN, ["40", "owner"], NOW, keys=KEYS) == Usage(
        StaffCommand.GRANT
    )
    assert await revoke(store, BOOTSTRAP, ADMIN, ["40"], NOW, keys=KEYS) == Usage(
        StaffCommand.REVOKE
    )


async def test_a_bootstrap_role_cannot_be_revoked(store: Store) -> None:
    outcome = await revoke(store, BOOTSTRAP, ADMIN, [str(ADMIN), "admin"], NOW, keys=KEYS)
    assert outcome == Refused(Refusal.BOOTSTRAP, StaffCommand.REVOKE, Person(ADMIN), Role.ADMIN)
    assert await audit(store, "role.revoke_refused") == [
        (ADMIN, str(ADMIN), {"reason": "bootstrap", "role": "admin"})
    ]


async def test_a_granted_admin_may_grant_and_loses_that_when_revoked(store: Store) -> None:
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW, keys=KEYS)
    await grant(store, BOOTSTRAP, SECOND_ADMIN, [str(CARL), "admin"], NOW, keys=KEYS)
    assert isinstance(
        await grant(store, BOOTSTRAP, CARL, ["41", "moderator"], NOW, keys=KEYS), RoleChanged
    )
    revoked = await revoke(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW, keys=KEYS)
    assert revoked == RoleChanged(StaffCommand.REVOKE, Person(CARL), Role.ADMIN, frozenset())
    refused = await grant(store, BOOTSTRAP, CARL, ["42", "moderator"], NOW, keys=KEYS)
    assert refused == Refused(Refusal.NOT_ALLOWED, StaffCommand.GRANT)


async def test_the_staff_list_has_bootstrap_entries_then_grants_with_names(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(ADMIN, "en", NOW, "ada")
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "moderator"], NOW, keys=KEYS)
    listing = await staff_list(store, BOOTSTRAP, ADMIN, NOW, keys=KEYS)
    assert isinstance(listing, StaffList)
    shown = [(e.person, e.role, e.bootstrap, e.granted_by) for e in listing.entries]
    assert shown == [
        (Person(ADMIN, "ada"), Role.ADMIN, True, None),
        (Person(SECOND_ADMIN), Role.ADMIN, True, None),
        (Person(MODERATOR), Role.MODERATOR, True, None),
        (Person(LEGAL), Role.LEGAL, True, None),
        (Person(CARL), Role.MODERATOR, False, Person(ADMIN, "ada")),
    ]
    assert listing.entries[-1].granted_at == NOW


async def test_staff_members_unites_bootstrap_and_granted_roles(store: Store) -> None:
    for admin in (ADMIN, SECOND_ADMIN):
        await grant(store, BOOTSTRAP, admin, [str(MODERATOR), "legal"], NOW, keys=KEYS)
        await grant(store, BOOTSTRAP, admin, [str(CARL), "admin"], NOW, keys=KEYS)
    assert await staff_members(store, BOOTSTRAP) == {
        ADMIN: {Role.ADMIN},
        SECOND_ADMIN: {Role.ADMIN},
        MODERATOR: {Role.MODERATOR, Role.LEGAL},
        LEGAL: {Role.LEGAL},
        CARL: {Role.ADMIN},
    }


async def test_a_moderator_blocks_a_reporter_with_a_reason_and_it_is_audited(
    store: Store,
) -> None:
    outcome = await block(store, BOOTSTRAP, MODERATOR, [str(CARL), "fake", "reports"], NOW)
    assert outcome == BlockChanged(StaffCommand.BLOCK, Person(CARL), "fake reports")
    assert await stored(store, "SELECT user_id, blocked_by, reason FROM blocked_users") == [
        (CARL, MODERATOR, "fake reports")
    ]
    assert await audit(store, "reporter.blocked") == [
        (
            MODERATOR,
            str(CARL),
            {"before": "may_report", "after": "blocked", "reason": "fake reports"},
        )
    ]


async def test_blocking_staff_is_refused_and_audited(store: Store) -> None:
    outcome = await block(store, BOOTSTRAP, ADMIN, [str(LEGAL)], NOW)
    assert outcome == Refused(
        Refusal.STAFF, StaffCommand.BLOCK, Person(LEGAL), roles=frozenset({Role.LEGAL})
    )
    assert await audit(store, "reporter.block_refused") == [
        (ADMIN, str(LEGAL), {"reason": "staff", "roles": ["legal"]})
    ]
    assert await stored(store, "SELECT count(*) FROM blocked_users") == [(0,)]


async def test_a_block_reason_longer_than_the_limit_is_refused(store: Store) -> None:
    outcome = await block(store, BOOTSTRAP, ADMIN, [str(CARL), "x" * 501], NOW)
    assert isinstance(outcome, Refused)
    assert outcome.reason is Refusal.REASON_TOO_LONG


async def test_a_legal_officer_may_not_block(store: Store) -> None:
    outcome = await block(store, BOOTSTRAP, LEGAL, [str(CARL)], NOW)
    assert outcome == Refused(Refusal.NOT_ALLOWED, StaffCommand.BLOCK)


async def test_unblock_lifts_the_block_and_is_audited(store: Store) -> None:
    await block(store, BOOTSTRAP, ADMIN, [str(CARL)], NOW)
    outcome = await unblock(store, BOOTSTRAP, MODERATOR, [str(CARL)], NOW)
    assert outcome == BlockChanged(StaffCommand.UNBLOCK, Person(CARL))
    assert await stored(store, "SELECT count(*) FROM blocked_users") == [(0,)]
    assert await audit(store, "reporter.unblocked") == [
        (MODERATOR, str(CARL), {"before": "blocked", "after": "may_report"})
    ]


async def test_unblocking_someone_not_blocked_is_refused(store: Store) -> None:
    outcome = await unblock(store, BOOTSTRAP, ADMIN, [str(CARL)], NOW)
    assert outcome == Refused(Refusal.NOT_BLOCKED, StaffCommand.UNBLOCK, Person(CARL))


# --- four eyes are two people: legal and admin grants need a second admin -------------------


async def role_notices(store: Store) -> list[tuple[int, str, int]]:
    """(officer told, event, person) of every legal role change queued in the outbox."""
    rows = await stored(
        store, "SELECT chat_id, payload FROM outbox WHERE kind = ? ORDER BY id", (ROLE_CHANGE_KIND,)
    )
    return [
        (chat_id, json.loads(payload)["event"], json.loads(payload)["user_id"])
        for chat_id, payload in rows
    ]


async def test_one_admin_alone_only_proposes_legal_roles_which_give_no_role(store: Store) -> None:
    """The insider of issue 27: one admin grants the legal role to itself and to a second
    account it controls. Both grants are proposals only: neither account holds the role, the
    admin cannot confirm its own proposal, and /roles shows them with their proposer."""
    for person in (ADMIN, CARL):
        outcome = await grant(store, BOOTSTRAP, ADMIN, [str(person), "legal"], NOW, keys=KEYS)
        assert outcome == GrantProposed(Person(person), Role.LEGAL, NOW + PENDING_GRANT_TTL)
    again = await grant(
        store, BOOTSTRAP, ADMIN, [str(CARL), "legal"], NOW + timedelta(hours=1), keys=KEYS
    )
    assert again == Refused(
        Refusal.OWN_PROPOSAL, StaffCommand.GRANT, Person(CARL), Role.LEGAL, by=Person(ADMIN)
    )
    async with store.reading() as uow:
        assert await uow.roles.granted_roles(ADMIN) == frozenset()
        assert await uow.roles.granted_roles(CARL) == frozenset()
        assert await uow.roles.holders(Role.LEGAL) == frozenset()
    assert await stored(store, "SELECT count(*) FROM role_grants") == [(0,)]
    assert CARL not in await staff_members(store, BOOTSTRAP)
    listing = await staff_list(store, BOOTSTRAP, ADMIN, NOW, keys=KEYS)
    assert isinstance(listing, StaffList)
    waiting = [(e.person.user_id, e.role, e.granted_by) for e in listing.entries if e.pending]
    assert waiting == [(ADMIN, Role.LEGAL, Person(ADMIN)), (CARL, Role.LEGAL, Person(ADMIN))]
    assert [a[2]["role"] for a in await audit(store, "role.proposed")] == ["legal", "legal"]


async def test_the_person_receiving_the_role_cannot_confirm_it(store: Store) -> None:
    """An admin a colleague proposed for the legal role confirms it themselves: one person's
    word would still give the role. Refused; the role stays unheld."""
    await grant(store, BOOTSTRAP, ADMIN, [str(SECOND_ADMIN), "legal"], NOW, keys=KEYS)
    outcome = await grant(
        store, BOOTSTRAP, SECOND_ADMIN, [str(SECOND_ADMIN), "legal"], NOW, keys=KEYS
    )
    assert isinstance(outcome, Refused)
    assert outcome.reason is Refusal.CONFIRM_FOR_SELF
    async with store.reading() as uow:
        assert await uow.roles.granted_roles(SECOND_ADMIN) == frozenset()


async def test_an_admin_made_by_the_proposer_cannot_confirm_the_proposers_grants(
    store: Store,
) -> None:
    """One admin gets a second admin account confirmed once (fooling a colleague), then tries
    to have that account confirm its legal grants: the two are not independent, in either
    direction (the made admin proposing, the maker confirming)."""
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW, keys=KEYS)
    assert isinstance(
        await grant(store, BOOTSTRAP, SECOND_ADMIN, [str(CARL), "admin"], NOW, keys=KEYS),
        RoleChanged,
    )
    await grant(store, BOOTSTRAP, ADMIN, ["41", "legal"], NOW, keys=KEYS)
    by_carl = await grant(store, BOOTSTRAP, CARL, ["41", "legal"], NOW, keys=KEYS)
    assert by_carl == Refused(
        Refusal.NOT_INDEPENDENT, StaffCommand.GRANT, Person(41), Role.LEGAL, by=Person(ADMIN)
    )
    await grant(store, BOOTSTRAP, CARL, ["42", "legal"], NOW, keys=KEYS)
    by_admin = await grant(store, BOOTSTRAP, ADMIN, ["42", "legal"], NOW, keys=KEYS)
    assert isinstance(by_admin, Refused)
    assert by_admin.reason is Refusal.NOT_INDEPENDENT
    async with store.reading() as uow:
        assert await uow.roles.holders(Role.LEGAL) == frozenset()
    refusals = await audit(store, "role.grant_refused")
    assert [r[2]["reason"] for r in refusals] == ["not_independent", "not_independent"]


async def test_a_proposal_lapses_after_seven_days_and_a_later_grant_proposes_anew(
    store: Store,
) -> None:
    """A proposal left lying for weeks is picked up by a colleague's /grant as if it were
    fresh: after 7 days it has lapsed, the /grant is a new proposal of its own, and /roles no
    longer lists the old one."""
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "legal"], NOW, keys=KEYS)
    late = NOW + PENDING_GRANT_TTL
    outcome = await grant(store, BOOTSTRAP, SECOND_ADMIN, [str(CARL), "legal"], late, keys=KEYS)
    assert outcome == GrantProposed(Person(CARL), Role.LEGAL, late + PENDING_GRANT_TTL)
    async with store.reading() as uow:
        assert await uow.roles.granted_roles(CARL) == frozenset()
        [pending] = await uow.roles.pending_grants()
    assert (pending.proposed_by, pending.proposed_at) == (SECOND_ADMIN, late)
    listing = await staff_list(store, BOOTSTRAP, ADMIN, late + PENDING_GRANT_TTL, keys=KEYS)
    assert isinstance(listing, StaffList)
    assert not [e for e in listing.entries if e.pending]


async def test_a_proposal_whose_proposer_lost_the_admin_role_is_not_confirmed(
    store: Store,
) -> None:
    """An admin removed for cause leaves proposals behind; a colleague's /grant does not
    confirm them (it proposes anew), so the removed admin's word counts for nothing."""
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW, keys=KEYS)
    await grant(store, BOOTSTRAP, SECOND_ADMIN, [str(CARL), "admin"], NOW, keys=KEYS)
    await grant(store, BOOTSTRAP, CARL, ["41", "legal"], NOW, keys=KEYS)
    await revoke(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW, keys=KEYS)
    outcome = await grant(store, BOOTSTRAP, SECOND_ADMIN, ["41", "legal"], NOW, keys=KEYS)
    assert isinstance(outcome, GrantProposed)
    async with store.reading() as uow:
        assert await uow.roles.holders(Role.LEGAL) == frozenset()


async def test_revoke_withdraws_a_proposal_and_every_legal_officer_is_told_each_change(
    store: Store,
) -> None:
    """Legal roles given and taken behind the legal officers' backs: each proposal, withdrawal,
    confirmation and revocation is queued for every officer (and the person) in the same
    transaction; moderator grants, which need one admin, tell nobody."""
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "legal"], NOW, keys=KEYS)
    withdrawn = await revoke(store, BOOTSTRAP, SECOND_ADMIN, [str(CARL), "legal"], NOW, keys=KEYS)
    assert withdrawn == GrantWithdrawn(Person(CARL), Role.LEGAL, Person(ADMIN))
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "legal"], NOW, keys=KEYS)
    confirmed = await grant(store, BOOTSTRAP, SECOND_ADMIN, [str(CARL), "legal"], NOW, keys=KEYS)
    assert isinstance(confirmed, RoleChanged)
    await revoke(store, BOOTSTRAP, ADMIN, [str(CARL), "legal"], NOW, keys=KEYS)
    assert await role_notices(store) == [
        (LEGAL, "proposed", CARL),
        (LEGAL, "withdrawn", CARL),
        (LEGAL, "proposed", CARL),
        (LEGAL, "confirmed", CARL),
        (CARL, "confirmed", CARL),
        (LEGAL, "revoked", CARL),
        (CARL, "revoked", CARL),
    ]
    assert [a[2]["proposed_by"] for a in await audit(store, "role.withdrawn")] == [ADMIN]
    before = await role_notices(store)
    assert isinstance(
        await grant(store, BOOTSTRAP, ADMIN, ["41", "moderator"], NOW, keys=KEYS), RoleChanged
    )
    assert await role_notices(store) == before
