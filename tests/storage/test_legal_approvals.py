"""Approvals are given to a request as it stands, by officers who hold the legal role.

A revoked officer's approval stops counting (voided when revoked, and again at disclosure for
a role lost any other way); a rewritten analysis or an admin override voids the approvals
given before it. Voided votes are kept, shown on the request and audit-logged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

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
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)
from storage.location import Location
from storage.sql import Dialect
from tests.storage.legal_fixtures import (
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
DAVE = Officer(104, "dave")  # legal by a grant an admin can revoke, not by the settings
BOOTSTRAP = {Role.ADMIN: POLICY.bootstrap_admins, Role.LEGAL: POLICY.bootstrap_legal}


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(
        parse_key(new_key_text("t1")), [], decode_secret(new_secret_text(), "index")
    )


@pytest.fixture
async def store(store_location: Location, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    await two_violators(opened, cipher)
    await grant(opened, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW)
    yield opened
    await opened.close()


async def test_a_revoked_officers_approval_is_voided_and_the_request_not_disclosed(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await analysed(store, cipher)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, DAVE, NOW)
    await revoke(store, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW)
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
    await revoke(store, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW)
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
    with pytest.raises(LegalRefused, match="only an approved request"):
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
    await revoke(store, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW)
    await grant(store, BOOTSTRAP, ADMIN_ID, [str(DAVE.user_id), "legal"], NOW)
    shown, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert shown.approvals == ()
    again = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, DAVE, NOW)
    assert again.approvals == 1
    assert (await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)).complete


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
