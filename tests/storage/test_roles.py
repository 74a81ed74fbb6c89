"""Granted roles, known usernames and blocks in SQLite, and the staff acts that use them."""

from __future__ import annotations

import json
from datetime import timedelta

from moderation.staff.commands import (
    BlockChanged,
    Person,
    Refusal,
    Refused,
    RoleChanged,
    StaffCommand,
    StaffList,
    UnknownUsername,
    Usage,
)
from moderation.staff.roles import Role, RoleGrant
from moderation.staff.team import block, grant, revoke, staff_list, staff_members, unblock
from storage import Store
from tests.storage.sqlite_files import NOW
from tests.storage.stored import stored

ADMIN, MODERATOR, LEGAL, CARL = 1, 2, 3, 40
BOOTSTRAP = {Role.ADMIN: {ADMIN}, Role.MODERATOR: {MODERATOR}, Role.LEGAL: {LEGAL}}


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
    outcome = await grant(store, BOOTSTRAP, ADMIN, [str(MODERATOR), "legal"], NOW)
    assert outcome == RoleChanged(
        StaffCommand.GRANT, Person(MODERATOR), Role.LEGAL, frozenset({Role.MODERATOR, Role.LEGAL})
    )
    assert await audit(store, "role.granted") == [
        (
            ADMIN,
            str(MODERATOR),
            {"role": "legal", "before": ["moderator"], "after": ["legal", "moderator"]},
        )
    ]


async def test_grant_by_username_resolves_the_known_user(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(CARL, "en", NOW, "carl_c")
    outcome = await grant(store, BOOTSTRAP, ADMIN, ["@carl_c", "Admin"], NOW)
    assert outcome == RoleChanged(
        StaffCommand.GRANT, Person(CARL, "carl_c"), Role.ADMIN, frozenset({Role.ADMIN})
    )


async def test_grant_of_an_unknown_username_changes_nothing(store: Store) -> None:
    outcome = await grant(store, BOOTSTRAP, ADMIN, ["@carl_c", "admin"], NOW)
    assert outcome == UnknownUsername("carl_c")
    assert await stored(store, "SELECT count(*) FROM role_grants") == [(0,)]


async def test_a_role_granted_twice_is_refused_the_second_time(store: Store) -> None:
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "legal"], NOW)
    again = await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "legal"], NOW)
    assert again == Refused(Refusal.ALREADY_HAS, StaffCommand.GRANT, Person(CARL), Role.LEGAL)
    assert await audit(store, "role.grant_refused") == [
        (ADMIN, str(CARL), {"reason": "already_has", "role": "legal"})
    ]


async def test_a_non_admin_may_not_grant_and_the_attempt_is_audited(store: Store) -> None:
    outcome = await grant(store, BOOTSTRAP, MODERATOR, [str(CARL), "admin"], NOW)
    assert outcome == Refused(Refusal.NOT_ALLOWED, StaffCommand.GRANT)
    assert await audit(store, "access.denied") == [(MODERATOR, None, {"command": "grant"})]
    assert await stored(store, "SELECT count(*) FROM role_grants") == [(0,)]


async def test_access_is_checked_before_the_arguments(store: Store) -> None:
    outcome = await revoke(store, BOOTSTRAP, CARL, [], NOW)
    assert outcome == Refused(Refusal.NOT_ALLOWED, StaffCommand.REVOKE)


async def test_bad_arguments_give_usage(store: Store) -> None:
    assert await grant(store, BOOTSTRAP, ADMIN, ["40", "owner"], NOW) == Usage(StaffCommand.GRANT)
    assert await revoke(store, BOOTSTRAP, ADMIN, ["40"], NOW) == Usage(StaffCommand.REVOKE)


async def test_a_bootstrap_role_cannot_be_revoked(store: Store) -> None:
    outcome = await revoke(store, BOOTSTRAP, ADMIN, [str(ADMIN), "admin"], NOW)
    assert outcome == Refused(Refusal.BOOTSTRAP, StaffCommand.REVOKE, Person(ADMIN), Role.ADMIN)
    assert await audit(store, "role.revoke_refused") == [
        (ADMIN, str(ADMIN), {"reason": "bootstrap", "role": "admin"})
    ]


async def test_a_granted_admin_may_grant_and_loses_that_when_revoked(store: Store) -> None:
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW)
    assert isinstance(await grant(store, BOOTSTRAP, CARL, ["41", "moderator"], NOW), RoleChanged)
    revoked = await revoke(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW)
    assert revoked == RoleChanged(StaffCommand.REVOKE, Person(CARL), Role.ADMIN, frozenset())
    refused = await grant(store, BOOTSTRAP, CARL, ["42", "moderator"], NOW)
    assert refused == Refused(Refusal.NOT_ALLOWED, StaffCommand.GRANT)


async def test_the_staff_list_has_bootstrap_entries_then_grants_with_names(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(ADMIN, "en", NOW, "ada")
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "moderator"], NOW)
    listing = await staff_list(store, BOOTSTRAP, ADMIN, NOW)
    assert isinstance(listing, StaffList)
    shown = [(e.person, e.role, e.bootstrap, e.granted_by) for e in listing.entries]
    assert shown == [
        (Person(ADMIN, "ada"), Role.ADMIN, True, None),
        (Person(MODERATOR), Role.MODERATOR, True, None),
        (Person(LEGAL), Role.LEGAL, True, None),
        (Person(CARL), Role.MODERATOR, False, Person(ADMIN, "ada")),
    ]
    assert listing.entries[-1].granted_at == NOW


async def test_staff_members_unites_bootstrap_and_granted_roles(store: Store) -> None:
    await grant(store, BOOTSTRAP, ADMIN, [str(MODERATOR), "legal"], NOW)
    await grant(store, BOOTSTRAP, ADMIN, [str(CARL), "admin"], NOW)
    assert await staff_members(store, BOOTSTRAP) == {
        ADMIN: {Role.ADMIN},
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
