"""Sealed grants: a legal or admin role counts for due process only when two admins gave it
through the bot, which seals it under LEDGER_KEY.

Each test replays what someone with write access to the database (and no keys) does with the
roles tables, through `outside()`, on both engines: a legal role inserted for a second account
of theirs, a genuine grant's proposer or confirmer edited to dodge the independence rule, an
admin role inserted to confirm grants, a proposal inserted for a real admin to confirm. On the
code before sealed grants every one of them counted.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from moderation.clock import utc_text
from moderation.legal.approvals import approve
from moderation.legal.disclosure import disclose
from moderation.legal.ledger import LedgerKeys
from moderation.legal.lifecycle import show, write_analysis
from moderation.legal.officers import Officer
from moderation.legal.types import LegalRefused, RequestState
from moderation.staff.commands import (
    ROLE_CHANGE_KIND,
    GrantProposed,
    Person,
    Refusal,
    Refused,
    RoleChanged,
    StaffCommand,
    StaffList,
)
from moderation.staff.roles import Role
from moderation.staff.team import grant, staff_list
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
)
from storage.location import Location
from tests.storage.legal_fixtures import (
    ADMIN,
    ANALYSIS,
    BOB,
    CAROL,
    NOW,
    POLICY,
    TEST_LEDGER_KEYS,
    analysed,
    audit_log,
    ledger_for,
    order,
    registered,
    two_violators,
)
from tests.storage.stored import outside, stored

ADMIN_ID = ADMIN.user_id  # 900: a bootstrap admin who is also a bootstrap legal officer
SECOND_ADMIN_ID = 901  # a second bootstrap admin
BOOTSTRAP = {
    Role.ADMIN: POLICY.bootstrap_admins | {SECOND_ADMIN_ID},
    Role.LEGAL: POLICY.bootstrap_legal,
}
EVE = Officer(105, "eve")  # the insider's second account
MALLORY, MIKE = 906, 907  # accounts the insider makes admins of in the database
LONG_AGO = utc_text(NOW - timedelta(days=90))  # any cool-off is over


@pytest.fixture
async def store(store_location: Location, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    await two_violators(opened, cipher)
    yield opened
    await opened.close()


async def granted(store: Store, user_id: int, role: str) -> None:
    """The role proposed by the first bootstrap admin and confirmed by the second a month ago
    (its cool-off over), as the bot does it: sealed under the test ledger key."""
    args, at = [str(user_id), role], NOW - timedelta(days=30)
    proposed = await grant(store, BOOTSTRAP, ADMIN_ID, args, at, keys=TEST_LEDGER_KEYS)
    assert isinstance(proposed, GrantProposed), proposed
    confirmed = await grant(store, BOOTSTRAP, SECOND_ADMIN_ID, args, at, keys=TEST_LEDGER_KEYS)
    assert isinstance(confirmed, RoleChanged), confirmed


async def forged_grant(store: Store, user_id: int, role: str) -> None:
    """The row two admins' confirmation would leave, inserted by the insider (no seal)."""
    await outside(
        store,
        "INSERT INTO role_grants (user_id, role, granted_by, granted_at, confirmed_by, "
        "confirmed_at) VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, role, ADMIN_ID, LONG_AGO, SECOND_ADMIN_ID, LONG_AGO),
    )


async def test_a_forged_legal_grant_cannot_approve_and_nothing_is_disclosed(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The insider inserts a legal grant, proposed and confirmed long ago by the two real
    admins, for a second account; that account approves beside one real officer. Refused:
    the grant carries no seal, so the account is no legal officer for the legal flow."""
    await forged_grant(store, EVE.user_id, "legal")
    request = await analysed(store, cipher)
    with pytest.raises(LegalRefused, match="only legal officers") as refused:
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, EVE, NOW)
    assert "yours does not count: the legal grant of 105 carries no seal" in str(refused.value)
    outcome = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    assert (outcome.approvals, outcome.complete) == (1, False)
    with pytest.raises(LegalRefused, match="only an approved request"):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    async with store.reading() as uow:
        assert await uow.legal.disclosures() == []


async def test_a_forged_officer_receives_no_ledger_heads(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The insider's account with a forged legal grant would be told every ledger head (and
    could learn what the officers hold against a cut tail): only real officers are told."""
    await forged_grant(store, EVE.user_id, "legal")
    await granted(store, 104, "legal")
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    told = await stored(store, "SELECT chat_id FROM outbox WHERE kind = 'ledger_checkpoint'")
    assert sorted(chat_id for (chat_id,) in told) == sorted({*POLICY.bootstrap_legal, 104})


@pytest.mark.parametrize(
    ("column", "value"),
    [("granted_by", 902), ("confirmed_by", 902), ("confirmed_at", LONG_AGO)],
    ids=["proposer", "confirmer", "confirmed_at"],
)
async def test_a_genuine_grant_edited_in_the_database_no_longer_counts(
    store: Store, cipher: PersonalDataCipher, column: str, value: object
) -> None:
    """ADMIN proposed Eve's legal role and registers a request: Eve may not approve it (her
    role came from the registrar). The insider rewrites who proposed or confirmed her grant,
    or when (to skip the cool-off): the seal no longer verifies, so she is refused still, and
    an approval she gave before the edit is voided, saying the grant does not verify."""
    await granted(store, EVE.user_id, "legal")
    other = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, other.id, EVE, NOW)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, other.id, BOB, NOW)
    mine = await registered(store, cipher, order(reference="AG-2/26"), by=ADMIN)
    await write_analysis(store, cipher, POLICY, mine.id, ANALYSIS, ADMIN, NOW)
    with pytest.raises(LegalRefused, match="proposed or confirmed by the officer who registered"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, mine.id, EVE, NOW)

    await outside(
        store,
        f"UPDATE role_grants SET {column} = ? WHERE user_id = ?",  # noqa: S608 - a test's column
        (value, EVE.user_id),
    )
    with pytest.raises(LegalRefused, match="does not match its seal"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, mine.id, EVE, NOW)
    with pytest.raises(
        LegalRefused,
        match="legal role does not verify: the legal grant of 105 does not match its seal",
    ):
        await disclose(store, cipher, POLICY, ledger_for(store), other.id, BOB, NOW)
    shown, _ = await show(store, cipher, POLICY, other.id, CAROL, NOW)
    assert shown.state is RequestState.UNDER_ANALYSIS
    assert shown.approvals == (BOB.user_id,)
    [voided] = shown.voided
    assert voided.officer_id == EVE.user_id
    assert voided.voided_reason is not None
    assert voided.voided_reason.startswith(
        "the approving officer's legal role does not verify: the legal grant of 105 does not "
        "match its seal"
    )
    async with store.reading() as uow:
        assert await uow.legal.disclosures() == []


async def test_forged_admins_cannot_confirm_each_others_proposals(store: Store) -> None:
    """The insider makes two accounts admins in the database; one proposes the legal role for
    Eve and the other confirms it; or a real admin proposes and a forged one confirms. Each
    is refused (audit-logged) and Eve gets no role."""
    await forged_grant(store, MALLORY, "admin")
    await forged_grant(store, MIKE, "admin")
    args = [str(EVE.user_id), "legal"]
    refused = await grant(store, BOOTSTRAP, MALLORY, args, NOW, keys=TEST_LEDGER_KEYS)
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.UNSEALED_ADMIN
    assert isinstance(
        await grant(store, BOOTSTRAP, ADMIN_ID, args, NOW, keys=TEST_LEDGER_KEYS), GrantProposed
    )
    confirm = await grant(store, BOOTSTRAP, MIKE, args, NOW, keys=TEST_LEDGER_KEYS)
    assert isinstance(confirm, Refused)
    assert confirm.reason is Refusal.UNSEALED_ADMIN
    async with store.reading() as uow:
        assert await uow.roles.grant_record(EVE.user_id, Role.LEGAL) is None
    refusals = [e for e in await audit_log(store) if e.action == "role.grant_refused"]
    assert [(e.actor_id, e.details["reason"]) for e in refusals] == [
        (MALLORY, "unsealed_admin"),
        (MIKE, "unsealed_admin"),
    ]
    assert all("carries no seal" in str(e.details["why"]) for e in refusals)


async def test_a_proposal_whose_proposer_is_a_forged_admin_cannot_be_confirmed(
    store: Store,
) -> None:
    """Mallory's admin role was proposed by ADMIN and confirmed by SECOND_ADMIN, so
    SECOND_ADMIN may not confirm Mallory's proposals (not independent). The insider rewrites
    who confirmed Mallory's admin grant so SECOND_ADMIN looks independent: the confirmation
    is refused, since the proposer's admin grant no longer verifies."""
    await granted(store, MALLORY, "admin")
    args = [str(EVE.user_id), "legal"]
    assert isinstance(
        await grant(store, BOOTSTRAP, MALLORY, args, NOW, keys=TEST_LEDGER_KEYS), GrantProposed
    )
    await outside(store, "UPDATE role_grants SET confirmed_by = 902 WHERE user_id = ?", (MALLORY,))
    confirm = await grant(store, BOOTSTRAP, SECOND_ADMIN_ID, args, NOW, keys=TEST_LEDGER_KEYS)
    assert isinstance(confirm, Refused)
    assert confirm.reason is Refusal.UNSEALED_PROPOSER
    async with store.reading() as uow:
        assert await uow.roles.grant_record(EVE.user_id, Role.LEGAL) is None


@pytest.mark.parametrize("how", ["inserted", "re-pointed"])
async def test_a_forged_proposal_confirmed_by_a_real_admin_is_refused(
    store: Store, how: str
) -> None:
    """The insider inserts a proposal of the legal role for Eve in the first admin's name (or
    re-points a genuine proposal for someone else to Eve), hoping the second admin confirms
    it with the same /grant. Refused and audit-logged; Eve gets no role."""
    args = [str(EVE.user_id), "legal"]
    if how == "inserted":
        await outside(
            store,
            "INSERT INTO pending_grants (user_id, role, proposed_by, proposed_at) "
            "VALUES (?, 'legal', ?, ?)",
            (EVE.user_id, ADMIN_ID, utc_text(NOW - timedelta(hours=1))),
        )
    else:
        proposed = await grant(
            store, BOOTSTRAP, ADMIN_ID, ["104", "legal"], NOW, keys=TEST_LEDGER_KEYS
        )
        assert isinstance(proposed, GrantProposed)
        await outside(store, "UPDATE pending_grants SET user_id = ?", (EVE.user_id,))
    confirm = await grant(store, BOOTSTRAP, SECOND_ADMIN_ID, args, NOW, keys=TEST_LEDGER_KEYS)
    assert isinstance(confirm, Refused)
    assert (confirm.reason, confirm.by) == (Refusal.UNSEALED_PROPOSAL, Person(ADMIN_ID))
    async with store.reading() as uow:
        assert await uow.roles.grant_record(EVE.user_id, Role.LEGAL) is None
    [refusal] = [e for e in await audit_log(store) if e.action == "role.grant_refused"]
    assert refusal.actor_id == SECOND_ADMIN_ID
    assert refusal.details["reason"] == "unsealed_proposal"


async def test_a_legacy_legal_grant_counts_only_once_two_admins_grant_it_again(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """A legal grant from before sealed grants (one admin, marked legacy, no seal): Eve keeps
    her commands but may not approve; /grant of her role starts a proposal instead of
    "already has", the confirmation replaces the row with a sealed one, and her approvals
    count once the cool-off is over."""
    await outside(
        store,
        "INSERT INTO role_grants (user_id, role, granted_by, granted_at, legacy) "
        "VALUES (?, 'legal', ?, ?, 1)",
        (EVE.user_id, ADMIN_ID, LONG_AGO),
    )
    listing = await staff_list(store, BOOTSTRAP, ADMIN_ID, NOW, keys=TEST_LEDGER_KEYS)
    assert isinstance(listing, StaffList)
    assert [e.legacy for e in listing.entries if e.person.user_id == EVE.user_id] == [True]
    request = await analysed(store, cipher)
    with pytest.raises(LegalRefused, match="carries no seal"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, EVE, NOW)

    args = [str(EVE.user_id), "legal"]
    proposed = await grant(store, BOOTSTRAP, ADMIN_ID, args, NOW, keys=TEST_LEDGER_KEYS)
    assert isinstance(proposed, GrantProposed)
    assert proposed.regrant
    confirmed = await grant(store, BOOTSTRAP, SECOND_ADMIN_ID, args, NOW, keys=TEST_LEDGER_KEYS)
    assert isinstance(confirmed, RoleChanged)
    assert (confirmed.command, confirmed.replaced) == (StaffCommand.GRANT, True)
    async with store.reading() as uow:
        record = await uow.roles.grant_record(EVE.user_id, Role.LEGAL)
    assert record is not None
    assert (record.legacy, record.confirmed_by) == (False, SECOND_ADMIN_ID)

    with pytest.raises(LegalRefused, match="LEGAL_GRANT_COOL_OFF_HOURS"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, EVE, NOW)
    ready = NOW + POLICY.grant_cool_off
    assert (
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, EVE, ready)
    ).approvals == 1
    assert (
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, ready)
    ).complete
    disclosure = await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, ready)
    assert disclosure.phones + disclosure.ips > 0


async def test_legal_and_admin_grants_need_ledger_key_and_say_so(store: Store) -> None:
    """Without LEDGER_KEY no grant can be sealed: proposing is refused, naming it (a
    moderator grant, which is not sealed, still goes through)."""
    refused = await grant(store, BOOTSTRAP, ADMIN_ID, [str(EVE.user_id), "legal"], NOW, keys=None)
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.NO_LEDGER_KEY
    moderator = await grant(
        store, BOOTSTRAP, ADMIN_ID, [str(EVE.user_id), "moderator"], NOW, keys=None
    )
    assert isinstance(moderator, RoleChanged)


async def test_only_officers_whose_grant_verifies_are_told_of_legal_role_changes(
    store: Store,
) -> None:
    """A forged legal officer is not told of grants and revocations (due-process notices go
    to real officers only)."""
    await forged_grant(store, EVE.user_id, "legal")
    await granted(store, 104, "legal")
    told = await stored(store, "SELECT chat_id FROM outbox WHERE kind = ?", (ROLE_CHANGE_KIND,))
    assert EVE.user_id not in {chat_id for (chat_id,) in told}
    assert 104 in {chat_id for (chat_id,) in told}  # told of its own confirmation


async def test_a_grant_under_a_key_left_out_after_a_rotation_is_not_counted_nor_voided(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """Not an attack but a mistake the insider could wait for: LEDGER_KEY rotated without the
    old key in LEDGER_PREVIOUS_KEYS. Eve's grant cannot be verified, so her approval does not
    count and the disclosure is refused, naming the key; her vote is not voided (nothing
    proves it forged), and once the key is back the disclosure goes."""
    await granted(store, EVE.user_id, "legal")
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, EVE, NOW)
    assert (await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)).complete
    forgotten = dataclasses.replace(POLICY, grant_keys=LedgerKeys("new", {"new": os.urandom(32)}))
    with pytest.raises(LegalRefused, match="'test-ledger', which is not configured"):
        await disclose(store, cipher, forgotten, ledger_for(store), request.id, CAROL, NOW)
    shown, _ = await show(store, cipher, forgotten, request.id, BOB, NOW)
    assert (shown.approvals, shown.voided) == ((EVE.user_id, CAROL.user_id), ())
    disclosure = await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    assert disclosure.request_id == request.id
