"""The legal requests as the console lists them: votes with who and when, the disclosure's
status (never its content, never a phone or IP target), for legal officers and, read-only,
for admins; anyone else refused and audited. Both engines."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from moderation.legal.approvals import approve
from moderation.legal.disclosure import disclose
from moderation.legal.officers import Officer
from moderation.legal.overview import DisclosureState, overview
from moderation.legal.types import LegalRefused, RequestState, Target, TargetKind
from storage import Store
from storage.crypto import (
    DataKey,
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)
from storage.location import Location
from tests.storage.legal_fixtures import (
    BOB,
    CAROL,
    NOT_LEGAL,
    NOW,
    PERSONAL_VALUES,
    PHONE_FIRST_INSTANT,
    POLICY,
    TEST_LEDGER_KEYS,
    analysed,
    audit_log,
    ledger_for,
    order,
    two_violators,
)

ABE = Officer(950, "abe", is_admin=True)  # an admin who is not a legal officer
ADMINS_TOO = dataclasses.replace(POLICY, bootstrap_admins=POLICY.bootstrap_admins | {ABE.user_id})


@pytest.fixture
async def store(store_location: Location) -> AsyncIterator[tuple[Store, PersonalDataCipher]]:
    cipher = PersonalDataCipher(
        parse_key(new_key_text("t1")), [], DataKey("b1", decode_secret(new_secret_text(), "i"))
    )
    opened = await Store.open(store_location)
    await two_violators(opened, cipher)
    yield opened, cipher
    await opened.close()


async def test_officers_see_votes_and_the_disclosure_status_and_admins_only_read(
    store: tuple[Store, PersonalDataCipher],
) -> None:
    db, cipher = store
    first = await analysed(db, cipher)
    phone = order(reference="P-1", target=Target(TargetKind.PHONE, PHONE_FIRST_INSTANT))
    second = await analysed(db, cipher, phone)
    await approve(db, cipher, ADMINS_TOO, TEST_LEDGER_KEYS, first.id, BOB, NOW)
    listed = await overview(db, ADMINS_TOO, CAROL, NOW)
    assert listed.may_vote
    assert listed.needed == 2
    one, two = listed.requests
    assert [(v.officer_id, v.approve) for v in one.request.votes] == [(BOB.user_id, True)]
    assert one.disclosure is None
    assert two.disclosure is None
    assert one.name(BOB.user_id) == str(BOB.user_id)  # no @username known: the id
    # The phone target is never opened for the list: what it holds is the sealed placeholder.
    shown = repr(listed)
    assert not any(value in shown for value in PERSONAL_VALUES)

    await approve(db, cipher, ADMINS_TOO, TEST_LEDGER_KEYS, first.id, CAROL, NOW)
    due = (await overview(db, ADMINS_TOO, ABE, NOW)).requests[0]
    assert due.request.state is RequestState.APPROVED
    assert due.disclosure is not None
    assert due.disclosure.state is DisclosureState.DUE
    await disclose(db, cipher, ADMINS_TOO, ledger_for(db), first.id, CAROL, NOW)
    read = await overview(db, ADMINS_TOO, ABE, NOW)
    assert not read.may_vote
    done = read.requests[0].disclosure
    assert done is not None
    assert (done.state, done.at) == (DisclosureState.DISCLOSED, NOW)
    assert second.id == read.requests[1].request.id
    assert not any(value in repr(read) for value in PERSONAL_VALUES)


async def test_a_moderator_is_refused_and_the_refusal_audited(
    store: tuple[Store, PersonalDataCipher],
) -> None:
    db, cipher = store
    await analysed(db, cipher)
    with pytest.raises(LegalRefused, match="only legal officers"):
        await overview(db, POLICY, NOT_LEGAL, NOW)
    refused = [e for e in await audit_log(db) if e.action == "legal.refused"]
    assert [(e.actor_id, e.details["step"]) for e in refused] == [
        (NOT_LEGAL.user_id, "console_list")
    ]
