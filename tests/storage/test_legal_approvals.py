"""Approvals are given to a request as it stands, by officers who hold the legal role.

A revoked officer's approval stops counting (voided when revoked, and again at disclosure for
a role lost any other way); a rewritten analysis or an admin override voids the approvals
given before it. Voided votes are kept, shown on the request and audit-logged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from moderation.legal.approvals import approve
from moderation.legal.disclosure import disclose
from moderation.legal.lifecycle import override, show, write_analysis
from moderation.legal.officers import Officer
from moderation.legal.types import LegalRefused, RequestState, Target, TargetKind
from moderation.legal.vote_seals import seal_vote
from moderation.staff.roles import Role
from moderation.staff.team import grant, revoke
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
)
from storage.location import Location
from storage.sql import Dialect
from tests.storage.legal_fixtures import (
    ADMIN,
    ANALYSIS,
    BOB,
    CAROL,
    NOW,
    POLICY,
    REGISTRAR,
    TEST_LEDGER_KEYS,
    analysed,
    audit_log,
    ledger_for,
    order,
    registered,
    two_violators,
)
from tests.storage.stored import Refused, outside

ADMIN_ID = 900
SECOND_ADMIN_ID = 901  # confirms the grants ADMIN_ID proposes (four eyes are two people)
DAVE = Officer(104, "dave")  # legal by a grant an admin can revoke, not by the settings
BOOTSTRAP = {
    Role.ADMIN: POLICY.bootstrap_admins | {SECOND_ADMIN_ID},
    Role.LEGAL: POLICY.bootstrap_legal,
}
#: Dave's grant, long enough before NOW that its cool-off is over.
GRANTED = NOW - POLICY.grant_cool_off - timedelta(hours=1)


async def grant_legal(store: Store, officer: Officer, at: datetime) -> None:
    """The legal role proposed by one admin and confirmed by a second."""
    for admin in (ADMIN_ID, SECOND_ADMIN_ID):
        await grant(
            store, BOOTSTRAP, admin, [str(officer.user_id), "legal"], at, keys=TEST_LEDGER_KEYS
        )


@pytest.fixture
async def store(store_location: Location, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    await two_violators(opened, cipher)
    await grant_legal(opened, DAVE, GRANTED)
    yield opened
    await opened.close()


async def test_a_revoked_officers_approval_is_voided_and_the_request_not_disclosed(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, DAVE, NOW)
    await revoke(
        store, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW, keys=TEST_LEDGER_KEYS
    )
    outcome = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    assert (outcome.approvals, outcome.complete) == (1, False)
    with pytest.raises(LegalRefused, match="only an approved request"):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    shown, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert shown.state is RequestState.UNDER_ANALYSIS
    assert shown.approvals == (CAROL.user_id,)
    (voided,) = shown.voided
    assert voided.officer_id == DAVE.user_id
    assert voided.voided_reason == "the approving officer's legal role was revoked"
    entries = [e for e in await audit_log(store) if e.action == "legal.approvals_voided"]
    assert [(e.actor_id, e.details["officers"]) for e in entries] == [(ADMIN_ID, [DAVE.user_id])]


async def test_a_revocation_after_the_second_approval_stops_the_disclosure(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The request was approved (its disclosure interrupted); the revocation takes it back
    under analysis and `disclose` refuses."""
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, DAVE, NOW)
    assert (await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)).complete
    await revoke(
        store, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW, keys=TEST_LEDGER_KEYS
    )
    with pytest.raises(LegalRefused, match="is under_analysis; only an approved request"):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    async with store.reading() as uow:
        assert await uow.legal.disclosures() == []


async def test_a_role_lost_outside_the_bot_voids_the_approval_at_disclosure(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """A grant deleted by someone with the database, or a bootstrap officer taken out of
    LEGAL_OFFICER_IDS: the next step finds the approval lapsed, voids it and refuses."""
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, DAVE, NOW)
    assert (await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)).complete
    await outside(store, "DELETE FROM role_grants WHERE user_id = ?", (DAVE.user_id,))
    with pytest.raises(
        LegalRefused,
        match="officer 104 was voided: the approving officer no longer holds the legal role",
    ):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    without_carol = dataclasses.replace(
        POLICY, bootstrap_legal=POLICY.bootstrap_legal - {CAROL.user_id}
    )
    shown, _ = await show(store, cipher, without_carol, request.id, BOB, NOW)
    assert shown.approvals == ()
    assert {v.officer_id for v in shown.voided} == {DAVE.user_id, CAROL.user_id}
    async with store.reading() as uow:
        assert await uow.legal.disclosures() == []


async def test_a_revoked_and_regranted_officer_must_approve_again(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, DAVE, NOW)
    await revoke(
        store, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW, keys=TEST_LEDGER_KEYS
    )
    await grant_legal(store, DAVE, NOW)
    shown, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert shown.approvals == ()
    after_cool_off = NOW + POLICY.grant_cool_off
    again = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, DAVE, after_cool_off)
    assert again.approvals == 1
    assert (
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, after_cool_off)
    ).complete


async def test_a_rewritten_analysis_voids_the_approvals_given_before(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    rewritten = await write_analysis(
        store, cipher, POLICY, request.id, ANALYSIS + " Amended.", REGISTRAR, NOW
    )
    assert rewritten.approvals == ()
    assert [(v.officer_id, v.voided_reason) for v in rewritten.voided] == [
        (BOB.user_id, "the legal analysis was rewritten after this approval")
    ]
    outcome = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    assert (outcome.approvals, outcome.complete) == (1, False)
    assert (await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)).complete


async def test_an_override_voids_the_approvals_given_before(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """An approval given while a check failed cannot carry over the override."""
    subpoena = dataclasses.replace(
        order(reference="SUB-1"), target=Target(TargetKind.USERNAME, "pill_shop")
    )
    request = await registered(store, cipher, subpoena)
    request = await write_analysis(store, cipher, POLICY, request.id, ANALYSIS, REGISTRAR, NOW)
    seal = seal_vote(TEST_LEDGER_KEYS, request, BOB.user_id, True, None, NOW)
    async with store.transaction() as uow:  # an approval recorded while a check failed
        await uow.legal.add_vote(request.id, BOB.user_id, True, None, NOW, seal)
        await uow.legal.set_analysis(
            request.id,
            violator_id=1,
            checks=tuple(
                dataclasses.replace(c, passed=c.key.value != "judicial_authority")
                for c in (await uow.legal.request(request.id)).checks  # type: ignore[union-attr]
            ),
            state=RequestState.UNDER_ANALYSIS,
        )
    admin = Officer(ADMIN_ID, "admin")
    overridden = await override(
        store,
        cipher,
        POLICY,
        request.id,
        "The issuing body is a judicial authority in this country.",
        admin,
        NOW,
    )
    assert overridden.approvals == ()
    assert [v.officer_id for v in overridden.voided] == [BOB.user_id]


async def test_voided_votes_cannot_be_edited_or_deleted_in_the_database(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    copy = (
        "INTO legal_approvals (id, request_id, officer_id, decision, decided_at) "
        "SELECT id, request_id, 5, decision, decided_at FROM legal_approvals"
    )
    replace = (
        f"INSERT OR REPLACE {copy}"
        if store.dialect is Dialect.SQLITE
        else f"INSERT {copy} ON CONFLICT (id) DO UPDATE SET officer_id = excluded.officer_id"
    )
    for sql in (
        "DELETE FROM legal_approvals",
        "UPDATE legal_approvals SET officer_id = 1",
        "UPDATE legal_approvals SET decided_at = '2020-01-01T00:00:00.000000+00:00'",
        replace,
    ):
        with pytest.raises(Refused):
            await outside(store, sql)
    await outside(store, "UPDATE legal_approvals SET voided_at = 'x', voided_reason = 'y'")
    with pytest.raises(Refused):
        await outside(store, "UPDATE legal_approvals SET voided_at = NULL, voided_reason = NULL")


# --- four eyes are two people ---------------------------------------------------------------

EVE = Officer(105, "eve")  # legal by a grant ADMIN (a bootstrap admin and legal officer) proposed


async def admins_request(store: Store, cipher: PersonalDataCipher) -> int:
    """A request ADMIN registered and analysed, after proposing Eve's legal role (confirmed by
    the second admin, cool-off over)."""
    await grant_legal(store, EVE, GRANTED)
    request = await registered(store, cipher, by=ADMIN)
    await write_analysis(store, cipher, POLICY, request.id, ANALYSIS, ADMIN, NOW)
    return request.id


async def test_an_approver_whose_grant_came_from_the_registrar_is_refused(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """An admin who is also a legal officer proposes a legal role for an account it controls,
    registers a request and has that account approve it: the approval does not count."""
    request_id = await admins_request(store, cipher)
    with pytest.raises(LegalRefused, match="proposed or confirmed by the officer who registered"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request_id, EVE, NOW)
    assert (
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request_id, BOB, NOW)
    ).approvals == 1


async def test_an_approver_whose_grant_came_from_the_other_approver_is_refused(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """An admin-officer approves a request, then the account whose legal role it proposed
    approves as the second pair of eyes: refused, in whichever order the two vote."""
    await grant_legal(store, EVE, GRANTED)
    first = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, first.id, ADMIN, NOW)
    with pytest.raises(LegalRefused, match="by officer 900, who approved request"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, first.id, EVE, NOW)
    second = await analysed(store, cipher, order(reference="AG-2/26"))
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, second.id, EVE, NOW)
    with pytest.raises(LegalRefused, match="you proposed or confirmed the legal role of officer"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, second.id, ADMIN, NOW)
    assert (await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, second.id, BOB, NOW)).complete


async def test_votes_that_do_not_count_are_voided_with_their_reason_at_disclosure(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """Approvals recorded as the old code accepted them (the approver's role proposed by the
    other approver): the disclosure voids the dependent one, says why, and refuses."""
    await grant_legal(store, EVE, GRANTED)
    request = await analysed(store, cipher)
    async with store.transaction() as uow:
        await uow.legal.add_vote(
            request.id,
            ADMIN.user_id,
            True,
            None,
            NOW,
            seal_vote(TEST_LEDGER_KEYS, request, ADMIN.user_id, True, None, NOW),
        )
        await uow.legal.add_vote(
            request.id,
            EVE.user_id,
            True,
            None,
            NOW,
            seal_vote(TEST_LEDGER_KEYS, request, EVE.user_id, True, None, NOW),
        )
        await uow.legal.set_state(request.id, RequestState.APPROVED)
    with pytest.raises(
        LegalRefused,
        match="officer 105 was voided: the approving officer's legal role came from another",
    ):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, ADMIN, NOW)
    shown, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert shown.approvals == (ADMIN.user_id,)
    assert [(v.officer_id, v.voided_reason) for v in shown.voided] == [
        (EVE.user_id, "the approving officer's legal role came from another approver")
    ]
    async with store.reading() as uow:
        assert await uow.legal.disclosures() == []


async def test_a_newly_granted_officer_approves_only_after_the_cool_off(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """A legal role confirmed a moment ago cannot approve at once: the refusal says from when;
    a vote slipped in during the cool-off is voided at the next step."""
    confirmed = NOW - timedelta(hours=1)
    await grant_legal(store, EVE, confirmed)
    request = await analysed(store, cipher)
    with pytest.raises(LegalRefused, match="you may approve from 2026-11-21 11:00 UTC"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, EVE, NOW)
    async with store.transaction() as uow:
        await uow.legal.add_vote(
            request.id,
            EVE.user_id,
            True,
            None,
            NOW,
            seal_vote(TEST_LEDGER_KEYS, request, EVE.user_id, True, None, NOW),
        )
    shown, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert [(v.officer_id, v.voided_reason) for v in shown.voided] == [
        (EVE.user_id, "the approving officer's legal role was in its cool-off")
    ]
    ready = confirmed + POLICY.grant_cool_off
    assert (
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, EVE, ready)
    ).approvals == 1
    no_cool_off = dataclasses.replace(POLICY, grant_cool_off=timedelta(0))
    assert (
        await approve(store, cipher, no_cool_off, TEST_LEDGER_KEYS, request.id, BOB, ready)
    ).complete
