"""Votes that only their officers can cast: each approval is sealed under LEDGER_KEY over the
request as it stood, a disclosure counts only seals that verify against the request as it is
now and re-resolves the target inside its own transaction, and `ledger verify` checks the seals
each disclosure's entry recorded. Every insider here writes the database (tests/storage/
stored.py: `outside`) but holds no key, on both engines.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from moderation.legal.approvals import approve, reject
from moderation.legal.disclosure import disclose, retrieve
from moderation.legal.ledger import Ledger, LedgerEntry, LedgerKeys
from moderation.legal.ledger_check import verify_ledger
from moderation.legal.lifecycle import show
from moderation.legal.officers import Officer
from moderation.legal.types import LegalRefused, RequestState, Target, TargetKind
from moderation.legal.vote_seals import read_votes_record
from moderation.rekeying import rotate_everything
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
    ADMIN,
    BOB,
    CAROL,
    NOW,
    PHONE_FIRST_INSTANT,
    POLICY,
    REGISTRAR,
    TEST_LEDGER_KEYS,
    analysed,
    approved,
    audit_log,
    ledger_for,
    order,
    two_violators,
)
from tests.storage.stored import Refused, outside, outside_all, stored, unguarded

DAVE = Officer(104, "dave", is_legal=True)  # a legal officer who never voted
OLD_DATA, NEW_DATA = parse_key(new_key_text("t1")), parse_key(new_key_text("t2"))
OLD_INDEX = DataKey("b1", decode_secret(new_secret_text(), "index"))
NEW_INDEX = DataKey("b2", decode_secret(new_secret_text(), "index"))
PHONE_ORDER = order(reference="P-1", target=Target(TargetKind.PHONE, PHONE_FIRST_INSTANT))
#: A seal someone without LEDGER_KEY could write: the right shape, the wrong value.
FORGED_SEAL = "ab" * 32


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(OLD_DATA, [], OLD_INDEX)


@pytest.fixture
async def store(store_location: Location, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    await two_violators(opened, cipher)  # pill_shop is violator 1, other_shop violator 2
    yield opened
    await opened.close()


async def disclose_now(store: Store, cipher: PersonalDataCipher, request_id: int) -> None:
    await disclose(store, cipher, POLICY, ledger_for(store), request_id, CAROL, NOW)


async def nothing_disclosed(store: Store) -> bool:
    async with store.reading() as uow:
        return not await uow.legal.disclosures() and not await uow.legal.ledger()


async def refusals(store: Store) -> list[str]:
    return [str(e.details["why"]) for e in await audit_log(store) if e.action == "legal.refused"]


async def ledger_problems(store: Store, cipher: PersonalDataCipher) -> list[str]:
    return list((await verify_ledger(store, cipher, ledger_for(store))).problems)


async def ledger_entries(store: Store) -> list[LedgerEntry]:
    async with store.reading() as uow:
        return await uow.legal.ledger()


# --- a disclosure counts only votes that verify -------------------------------------------


async def test_a_request_re_pointed_after_two_approvals_is_not_disclosed(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The issue's insider: after two genuine approvals, `UPDATE legal_requests SET
    violator_id = 2`. Before, the disclosure wrote violator 2's phone and IP under violator
    1's order; now neither approval verifies against the request as it stands."""
    request = await approved(store, cipher)
    await outside(store, "UPDATE legal_requests SET violator_id = 2 WHERE id = ?", (request.id,))
    with pytest.raises(LegalRefused) as refused:
        await disclose_now(store, cipher, request.id)
    why = str(refused.value)
    assert f"request #{request.id} holds 0 of the 2 approvals" in why
    for officer in (BOB, CAROL):
        assert (
            f"the approval of officer {officer.user_id} does not match request #{request.id} as "
            "it stands: the request was changed after it was approved"
        ) in why
    assert "nothing was disclosed" in why
    assert "report-bot ledger verify" in why
    assert await nothing_disclosed(store)
    assert (await refusals(store))[-1] == why
    # Not counted, and neither voided nor deleted: the votes stay as the evidence.
    request, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert [(v.officer_id, v.live) for v in request.votes] == [(102, True), (103, True)]


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE legal_requests SET period_end = '2026-09-30' WHERE id = 1",
        "UPDATE legal_documents SET sha256 = 'ab12' WHERE request_id = 1",
        "UPDATE legal_requests SET analysis = 'Another analysis, written in the database.'",
        "UPDATE legal_requests SET country = 'US' WHERE id = 1",
    ],
    ids=["period", "document", "analysis", "country"],
)
async def test_any_change_to_what_was_approved_stops_the_disclosure(
    store: Store, cipher: PersonalDataCipher, change: str
) -> None:
    """The insider widens the period, swaps the order document's hash, rewrites the analysis or
    the country after the approvals: each is part of what the officers sealed."""
    request = await approved(store, cipher)
    await outside(store, change)
    with pytest.raises(LegalRefused, match="holds 0 of the 2 approvals"):
        await disclose_now(store, cipher, request.id)
    assert await nothing_disclosed(store)


async def test_forged_approvals_do_not_let_the_registrar_disclose_alone(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The issue's insider: two approval rows inserted into `legal_approvals`, with seals of the
    right shape but made without LEDGER_KEY, and the state set to approved. Before, the
    registrar disclosed alone and `ledger verify` said intact."""
    request = await analysed(store, cipher)
    await outside_all(
        store,
        *(
            (
                "INSERT INTO legal_approvals (request_id, officer_id, decision, decided_at, "
                "seal, seal_key_id) VALUES (?, ?, 'approve', ?, ?, ?)",
                (request.id, officer, NOW.isoformat(), FORGED_SEAL, TEST_LEDGER_KEYS.current_id),
            )
            for officer in (BOB.user_id, CAROL.user_id)
        ),
        ("UPDATE legal_requests SET state = 'approved' WHERE id = ?", (request.id,)),
    )
    with pytest.raises(LegalRefused) as refused:
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, REGISTRAR, NOW)
    assert "holds 0 of the 2 approvals" in str(refused.value)
    assert f"the approval of officer {BOB.user_id} does not match" in str(refused.value)
    assert await nothing_disclosed(store)
    assert await ledger_problems(store, cipher) == []  # nothing left, nothing to hide


async def test_unsealed_approvals_are_voided_and_sealed_ones_needed_again(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """Approval rows without a seal (as votes from before migration 0023 are, or as an insider
    writes them) and the state set to approved: they do not count, are voided with the reason
    at the next step, and the request goes back under analysis for two sealed approvals."""
    request = await analysed(store, cipher)
    await outside_all(
        store,
        *(
            (
                "INSERT INTO legal_approvals (request_id, officer_id, decision, decided_at) "
                "VALUES (?, ?, 'approve', ?)",
                (request.id, officer, NOW.isoformat()),
            )
            for officer in (BOB.user_id, CAROL.user_id)
        ),
        ("UPDATE legal_requests SET state = 'approved' WHERE id = ?", (request.id,)),
    )
    with pytest.raises(
        LegalRefused,
        match=r"went back under analysis \(the approval of officer 102 was voided: the "
        "approval carries no seal",
    ):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, REGISTRAR, NOW)
    assert await nothing_disclosed(store)
    voided = [e for e in await audit_log(store) if e.action == "legal.approvals_voided"]
    assert voided[-1].details["officers"] == [BOB.user_id, CAROL.user_id]
    assert "carries no seal" in voided[-1].details["reason"]

    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    assert (await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)).complete
    await disclose_now(store, cipher, request.id)
    assert await ledger_problems(store, cipher) == []


async def test_a_vote_copied_to_another_request_does_not_count(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """Both genuine approvals of request 1, seals and all, copied onto request 2 (about the same
    violator), whose state is then set to approved."""
    first = await approved(store, cipher)
    second = await analysed(store, cipher, order(reference="AG-2/26"))
    await outside_all(
        store,
        (
            "INSERT INTO legal_approvals (request_id, officer_id, decision, reason, decided_at, "
            "seal, seal_key_id) SELECT ?, officer_id, decision, reason, decided_at, seal, "
            "seal_key_id FROM legal_approvals WHERE request_id = ?",
            (second.id, first.id),
        ),
        ("UPDATE legal_requests SET state = 'approved' WHERE id = ?", (second.id,)),
    )
    with pytest.raises(LegalRefused) as refused:
        await disclose_now(store, cipher, second.id)
    assert f"does not match request #{second.id} as it stands" in str(refused.value)
    assert await nothing_disclosed(store)


async def test_a_forged_vote_does_not_complete_a_genuine_one(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The insider forges DAVE's approval; then one genuine approval. Before, the genuine one
    made two and approved the request; now the forged one is not counted, and a second genuine
    approval is still needed."""
    request = await analysed(store, cipher)
    await outside(
        store,
        "INSERT INTO legal_approvals (request_id, officer_id, decision, decided_at, seal, "
        "seal_key_id) VALUES (?, ?, 'approve', ?, ?, ?)",
        (request.id, DAVE.user_id, NOW.isoformat(), FORGED_SEAL, TEST_LEDGER_KEYS.current_id),
    )
    outcome = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    assert (outcome.approvals, outcome.complete) == (1, False)
    assert outcome.request.state is RequestState.UNDER_ANALYSIS
    outcome = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    assert (outcome.approvals, outcome.complete) == (2, True)
    await disclose_now(store, cipher, request.id)
    (entry,) = await ledger_entries(store)
    assert entry.votes is not None
    assert {v.officer_id for v in read_votes_record(entry.votes).votes} == {102, 103}


async def test_a_seal_cannot_be_rewritten_in_the_database(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The seal is part of the vote: the append-only guard refuses to change it (only a void
    may be written onto a vote)."""
    await approved(store, cipher)
    for change in (
        "UPDATE legal_approvals SET seal = 'ab'",
        "UPDATE legal_approvals SET seal_key_id = 'other'",
    ):
        with pytest.raises(Refused, match="a legal approval can only be voided"):
            await outside(store, change)


# --- the target resolved again, inside the disclosure ----------------------------------------


async def test_a_target_index_re_pointed_to_another_violator_is_refused(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """A phone target; the insider copies other_shop's phone blind index into the request's
    target index column."""
    request = await approved(store, cipher, PHONE_ORDER)
    assert request.violator_id == 1
    await outside(
        store,
        "UPDATE legal_requests SET target_blind = (SELECT blind_index FROM observations "
        "WHERE violator_id = 2 AND kind = 'phone') WHERE id = ?",
        (request.id,),
    )
    with pytest.raises(LegalRefused) as refused:
        await disclose_now(store, cipher, request.id)
    assert f"the blind index kept with the target of request #{request.id} does not match" in str(
        refused.value
    )
    assert await nothing_disclosed(store)


async def test_a_registry_re_pointed_under_the_target_is_refused(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The insider adds an observation to other_shop carrying the target phone's blind index,
    so the target no longer resolves to the violator the request names alone. The seals still
    verify (the request did not change): the disclosure's own resolution refuses."""
    request = await approved(store, cipher, PHONE_ORDER)
    (blind,) = (row[0] for row in await stored(store, "SELECT target_blind FROM legal_requests"))
    await outside(
        store,
        "INSERT INTO observations (id, violator_id, kind, ciphertext, key_id, blind_index, "
        "observed_at, source, recorded_at, dedupe, blind_key_id) SELECT "
        "(SELECT max(id) + 1 FROM observations), 2, kind, ciphertext, key_id, blind_index, "
        "observed_at, source, recorded_at, ?, blind_key_id "
        "FROM observations WHERE violator_id = 1 AND blind_index = ?",
        (os.urandom(32), bytes(blind)),
    )
    with pytest.raises(LegalRefused) as refused:
        await disclose_now(store, cipher, request.id)
    assert (
        f"request #{request.id} names confirmed violator #1, but its target now resolves to "
        "#1, #2 in the registry; nothing was disclosed"
    ) in str(refused.value)
    assert await nothing_disclosed(store)


# --- the ledger carries the seals; ledger verify checks them ---------------------------------


async def test_the_disclosure_entry_records_the_seals_it_counted(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await approved(store, cipher)
    await disclose_now(store, cipher, request.id)
    async with store.reading() as uow:
        (entry,) = await uow.legal.ledger()
    assert entry.votes is not None
    record = read_votes_record(entry.votes)
    rows = await stored(
        store,
        "SELECT id, officer_id, seal_key_id, seal FROM legal_approvals ORDER BY id",
    )
    assert [(v.vote_id, v.officer_id, v.key_id, v.seal) for v in record.votes] == [
        tuple(row) for row in rows
    ]
    assert (record.needed, record.registrar_counts) == (2, False)
    assert await ledger_problems(store, cipher) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            "UPDATE legal_requests SET violator_id = 2 WHERE id = 1",
            "its violator is 2 now, 1 in the ledger",
        ),
        (
            "UPDATE legal_requests SET period_start = '2026-01-01' WHERE id = 1",
            "its period start is 2026-01-01 now, 2026-07-01 in the ledger",
        ),
        ("UPDATE legal_documents SET sha256 = 'ab12' WHERE request_id = 1", "as it stands"),
    ],
    ids=["violator", "period", "document"],
)
async def test_a_request_re_pointed_after_its_disclosure_is_named_by_ledger_verify(
    store: Store, cipher: PersonalDataCipher, change: str, named: str
) -> None:
    """Re-pointing the request after the disclosure (to make the record say another order
    covered it) leaves the ledger's chain intact; the seals its entry recorded do not verify."""
    request = await approved(store, cipher)
    await disclose_now(store, cipher, request.id)
    await outside(store, change)
    *seals, count = await ledger_problems(store, cipher)
    for problem, officer in zip(seals, (BOB, CAROL), strict=True):
        assert problem.startswith(
            f"entry 1 (request 1): the approval of officer {officer.user_id} does not match "
            "request #1 as it stands"
        )
        assert named in problem
    assert count == (
        "entry 1 (request 1): it holds 0 verified approvals from distinct officers, of the 2 "
        "it needed"
    )


async def test_a_vote_moved_away_after_the_disclosure_is_named_by_ledger_verify(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The insider, guards dropped, moves one counted vote to another request."""
    request = await approved(store, cipher)
    await disclose_now(store, cipher, request.id)
    other = await analysed(store, cipher, order(reference="AG-2/26"))
    ((vote_id,),) = await stored(
        store, "SELECT id FROM legal_approvals WHERE officer_id = ?", (BOB.user_id,)
    )
    await unguarded(
        store,
        [("legal_approvals_only_void", "legal_approvals")],
        ("UPDATE legal_approvals SET request_id = ? WHERE id = ?", (other.id, vote_id)),
    )
    assert await ledger_problems(store, cipher) == [
        f"entry 1 (request 1): vote {vote_id} (officer {BOB.user_id}) is not a vote on this "
        "request (deleted, or moved to another request)",
        "entry 1 (request 1): it holds 1 verified approval from distinct officers, of the 2 "
        "it needed",
    ]


async def test_a_vote_written_after_the_disclosure_gives_no_copy(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The insider adds an approval of ADMIN (a legal officer who did not handle it) to the
    disclosed request: before, ADMIN counted as one of its approvers and could have the
    disclosure sent again (`/legal file`); the approvers are now those its ledger entry
    recorded."""
    request = await approved(store, cipher)
    await disclose_now(store, cipher, request.id)
    await outside(
        store,
        "INSERT INTO legal_approvals (request_id, officer_id, decision, decided_at, seal, "
        "seal_key_id) VALUES (?, ?, 'approve', ?, ?, ?)",
        (request.id, ADMIN.user_id, NOW.isoformat(), FORGED_SEAL, TEST_LEDGER_KEYS.current_id),
    )
    with pytest.raises(LegalRefused, match="only the officers who handled request #1"):
        await retrieve(store, cipher, POLICY, ledger_for(store), request.id, ADMIN, NOW)
    copy = await retrieve(store, cipher, POLICY, ledger_for(store), request.id, BOB, NOW)
    assert copy.ledger_seq == 2


# --- the key ------------------------------------------------------------------------------


async def test_a_vote_without_ledger_key_is_refused_with_what_to_do(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await analysed(store, cipher)
    for vote in (
        approve(store, cipher, POLICY, None, request.id, BOB, NOW),
        reject(store, cipher, POLICY, None, request.id, "The order is not precise.", BOB, NOW),
    ):
        with pytest.raises(LegalRefused) as refused:
            await vote
        assert "LEDGER_KEY is not set, so no vote can be sealed" in str(refused.value)
        assert "report-bot keys generate" in str(refused.value)
    assert (await refusals(store))[-2:] == [str(refused.value)] * 2
    assert await stored(store, "SELECT count(*) FROM legal_approvals") == [(0,)]


async def test_seals_keep_verifying_after_every_key_is_rotated(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """Approvals sealed under the old LEDGER_KEY; then the registry keys are rotated (the
    phone target re-encrypted and re-indexed, the old keys dropped) and LEDGER_KEY replaced
    with the old one in LEDGER_PREVIOUS_KEYS. The disclosure counts the old seals, and
    `ledger verify` checks them; without the old ledger key it says which key is missing."""
    old_secret, new_secret = os.urandom(32), os.urandom(32)
    old_keys = LedgerKeys("ledger-1", {"ledger-1": old_secret})
    request = await analysed(store, cipher, PHONE_ORDER)
    await approve(store, cipher, POLICY, old_keys, request.id, BOB, NOW)
    assert (await approve(store, cipher, POLICY, old_keys, request.id, CAROL, NOW)).complete

    await rotate_everything(
        store, PersonalDataCipher(NEW_DATA, [OLD_DATA], NEW_INDEX, [OLD_INDEX]), NOW
    )
    new_cipher = PersonalDataCipher(NEW_DATA, [], NEW_INDEX)  # the old registry keys dropped
    old_id = "ledger-1"
    rotated = LedgerKeys("ledger-2", {"ledger-2": new_secret, old_id: old_secret})
    anchor = ledger_for(store).anchor
    ledger = Ledger(rotated, anchor)
    await disclose(store, new_cipher, POLICY, ledger, request.id, CAROL, NOW)
    async with store.reading() as uow:
        (entry,) = await uow.legal.ledger()
    assert entry.key_id == "ledger-2"
    assert entry.votes is not None
    assert {v.key_id for v in read_votes_record(entry.votes).votes} == {old_id}
    assert (await verify_ledger(store, new_cipher, ledger)).problems == ()
    without_old = Ledger(LedgerKeys("ledger-2", {"ledger-2": new_secret}), anchor)
    problems = (await verify_ledger(store, new_cipher, without_old)).problems
    assert (
        f"entry 1 (request 1): the approval of officer {BOB.user_id} is sealed with ledger key "
        f"{old_id!r}, which is not configured (add it to LEDGER_PREVIOUS_KEYS)"
    ) in problems
