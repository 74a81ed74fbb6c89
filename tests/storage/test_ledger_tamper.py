"""The ledger against an insider with write access to the database (and, worse, the ledger key):
what the chain catches, what only the checkpoints outside the database catch, what the content
cross-check names; and the legal hold keeps a violator's metadata from the retention purge."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from moderation.legal.approvals import approve
from moderation.legal.disclosure import disclose
from moderation.legal.ledger import (
    GENESIS,
    LEDGER_HEAD_KEY,
    EntryKind,
    LedgerEntry,
    LedgerKeys,
    expected_hash,
    legacy_hash,
)
from moderation.legal.ledger_check import verify_ledger
from moderation.legal.lifecycle import close, register, write_analysis
from moderation.legal.officers import Officer
from moderation.legal.types import (
    LegalPolicy,
    LegalRefused,
    OrderDocument,
    OrderType,
    RequestForm,
    RequestState,
    StoredDisclosure,
    Target,
    TargetKind,
)
from moderation.registry.retention import purge_expired
from moderation.review.decisions import UndoRefusal, reverse_decision
from moderation.review.priority import CasePolicy
from moderation.sealing import disclosure_context
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
)
from storage.location import Location
from storage.sql import Dialect
from tests.e2e.test_legal import NOW, confirmed_violator
from tests.storage.legal_fixtures import TEST_LEDGER_KEYS, ledger_for, tamper
from tests.storage.stored import Refused, Statement, outside, stored

POLICY = LegalPolicy(offences={"fraud": "scam"}, bootstrap_legal=frozenset({1, 2, 3}))
ALICE = Officer(1, "alice", is_legal=True)
BOB = Officer(2, "bob", is_legal=True)
CAROL = Officer(3, "carol", is_legal=True)


@pytest.fixture
async def store(store_location: Location, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    await confirmed_violator(opened, "pill_shop", cipher)
    yield opened
    await opened.close()


def form(reference: str) -> RequestForm:
    return RequestForm(
        authority="Court",
        country="DE",
        reference=reference,
        order_type=OrderType.COURT_ORDER,
        issued_on=date(2026, 10, 1),
        offence="fraud",
        target=Target(TargetKind.USERNAME, "pill_shop"),
        period_start=date(2026, 7, 1),
        period_end=date(2026, 7, 31),
    )


async def approved_request(store: Store, cipher: PersonalDataCipher, reference: str) -> int:
    document = OrderDocument("order.pdf", "application/pdf", b"%PDF test " + reference.encode())
    request = await register(store, cipher, POLICY, form(reference), document, ALICE, NOW)
    text = "A valid court order, checked against the law."
    await write_analysis(store, cipher, POLICY, request.id, text, ALICE, NOW)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    return request.id


async def disclosed(store: Store, cipher: PersonalDataCipher, reference: str) -> int:
    request_id = await approved_request(store, cipher, reference)
    await disclose(store, cipher, POLICY, ledger_for(store), request_id, CAROL, NOW)
    return request_id


async def report(store: Store, cipher: PersonalDataCipher, *, anchors: bool = True) -> list[str]:
    verdict = await verify_ledger(store, cipher, ledger_for(store), with_anchors=anchors)
    return list(verdict.problems)


async def three(store: Store, cipher: PersonalDataCipher) -> None:
    for reference in ("A-1", "A-2", "A-3"):
        await disclosed(store, cipher, reference)
    assert await report(store, cipher) == []


async def rewrite_country(store: Store, seq: int, country: str, keys: LedgerKeys) -> None:
    """Edit one entry's country and re-chain every entry after it with `keys`, and the head:
    what the issue's insider did."""
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
    statements: list[Statement] = []
    previous = entries[seq - 2].entry_hash if seq > 1 else GENESIS
    for entry in entries[seq - 1 :]:
        changed = replace(entry, prev_hash=previous)
        if entry.seq == seq:
            changed = replace(changed, country=country)
        digest = expected_hash(keys, changed)
        assert digest is not None
        statements.append(
            (
                "UPDATE disclosure_ledger SET country = ?, prev_hash = ?, entry_hash = ? "
                "WHERE seq = ?",
                (changed.country, previous, digest, entry.seq),
            )
        )
        previous = digest
    head = json.dumps({"count": len(entries), "last_hash": previous})
    statements.append(("UPDATE bot_state SET value = ? WHERE key = ?", (head, LEDGER_HEAD_KEY)))
    await tamper(store, *statements)


async def test_a_rewrite_with_the_ledger_key_passes_without_anchors_and_fails_with_them(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """Country DE -> US on entry 2, the chain and the head recomputed by someone who holds
    LEDGER_KEY. The chain alone cannot tell; the checkpoints outside the database can, and the
    content check names the country that differs."""
    await three(store, cipher)
    await rewrite_country(store, 2, "US", TEST_LEDGER_KEYS)
    chain_only = await verify_ledger(store, cipher, ledger_for(store), with_anchors=False)
    assert chain_only.problems == (
        "entry 2: the country is US in the ledger but DE in the disclosed content",
    )
    # The content cross-check aside (the insider could also rewrite the request), the chain
    # itself verifies: only the anchors catch the rewrite.
    problems = await report(store, cipher)
    assert "entry 2 differs from the one checkpointed" in " ".join(problems)
    assert "entry 3 differs from the one checkpointed" in " ".join(problems)
    assert "entry 2 has no checkpoint: it was written outside the bot" in problems


async def test_a_rewrite_without_the_ledger_key_fails_even_without_anchors(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await three(store, cipher)
    guessed = LedgerKeys("test-ledger", {"test-ledger": b"\x00" * 32})
    await rewrite_country(store, 2, "US", guessed)
    problems = await report(store, cipher, anchors=False)
    assert [p for p in problems if "was changed after it was written" in p] == [
        "entry 2 was changed after it was written",
        "entry 3 was changed after it was written",
    ]


async def test_an_edited_violator_is_named_against_the_disclosed_content(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await three(store, cipher)
    await tamper(store, "UPDATE disclosure_ledger SET violator_id = 77 WHERE seq = 1")
    problems = await report(store, cipher, anchors=False)
    assert "entry 1: the violator is 77 in the ledger but 1 in the disclosed content" in problems


async def test_insert_or_replace_cannot_rewrite_an_entry_or_a_disclosure(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await three(store, cipher)
    ledger = (
        "disclosure_ledger (seq, kind, request_id, violator_id, country, period_start, "
        "period_end, disclosed_at, disclosed_to, content_sha256, prev_hash, entry_hash, key_id)"
    )
    ledger_copy = (
        f"{ledger} SELECT seq, kind, request_id, violator_id, 'US', period_start, period_end, "  # noqa: S608
        "disclosed_at, disclosed_to, content_sha256, prev_hash, entry_hash, key_id "
        "FROM disclosure_ledger WHERE seq = 2"
    )
    disclosure_copy = (
        "disclosures (request_id, ciphertext, key_id, content_sha256, phones, ips, "
        "disclosed_to, disclosed_at) SELECT request_id, ciphertext, key_id, content_sha256, 0, "
        "0, disclosed_to, disclosed_at FROM disclosures WHERE request_id = 1"
    )
    if store.dialect is Dialect.SQLITE:
        replaces = [
            f"INSERT OR REPLACE INTO {ledger_copy}",
            f"REPLACE INTO {disclosure_copy}",
        ]
    else:  # PostgreSQL's way to replace a row is the upsert
        replaces = [
            f"INSERT INTO {ledger_copy} ON CONFLICT (seq) DO UPDATE SET country = excluded.country",
            f"INSERT INTO {disclosure_copy} ON CONFLICT (request_id) DO UPDATE "
            "SET phones = excluded.phones, ips = excluded.ips",
        ]
    for sql in (
        *replaces,
        f"INSERT INTO {ledger} SELECT seq + 10, kind, request_id, violator_id, country, "  # noqa: S608
        "period_start, period_end, disclosed_at, disclosed_to, content_sha256, prev_hash, "
        "'x' || entry_hash, key_id FROM disclosure_ledger WHERE seq = 1",
        "UPDATE disclosures SET phones = 0",
    ):
        with pytest.raises(Refused, match=r"append-only|are kept"):
            await outside(store, sql)
    assert await report(store, cipher) == []


async def test_an_altered_or_lost_checkpoint_file_is_named(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await three(store, cipher)
    anchor = Path(ledger_for(store).anchor.where)
    lines = anchor.read_text().splitlines()
    data = json.loads(lines[2])
    data["entry_hash"] = "0" * 64
    lines[2] = json.dumps(data)
    anchor.write_text("\n".join(lines) + "\n")
    problems = await report(store, cipher)
    assert problems[0] == "checkpoint line 3 was altered after it was written"
    anchor.unlink()
    assert (await report(store, cipher))[0].startswith(
        f"the checkpoint file {anchor} is missing, but the ledger holds keyed entries"
    )


async def test_a_broken_ledger_stops_further_disclosures(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await three(store, cipher)
    await tamper(store, "DELETE FROM disclosure_ledger WHERE seq = 3")
    with pytest.raises(LegalRefused, match="the disclosure ledger does not verify"):
        await disclosed(store, cipher, "A-4")
    assert await stored(store, "SELECT count(*) FROM disclosures") == [(3,)]


async def test_an_unwritable_checkpoint_folder_refuses_the_disclosure(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """No checkpoint, no disclosure: the whole step is rolled back."""
    blocked = Path(ledger_for(store).anchor.where).parent
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the folder should be")
    with pytest.raises(LegalRefused, match="the ledger checkpoint could not be written"):
        await disclosed(store, cipher, "A-1")
    assert await stored(store, "SELECT count(*) FROM disclosure_ledger") == [(0,)]
    assert await stored(store, "SELECT state FROM legal_requests") == [("approved",)]


async def test_old_unkeyed_entries_are_adopted_by_the_first_keyed_disclosure(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """A ledger written before the chain was keyed (as migration 0017 leaves it) verifies;
    the next disclosure checkpoints its head and chains on, keyed."""
    request_id = await approved_request(store, cipher, "OLD-1")
    content = b'{"legacy": true}'
    key_id, blob = cipher.encrypt(content.decode(), disclosure_context(request_id))
    digest = hashlib.sha256(content).hexdigest()
    when = "2026-11-01T00:00:00.000000+00:00"
    old = LedgerEntry(1, EntryKind.DISCLOSURE, request_id, 1, "DE", None, None, when, None,
                      digest, GENESIS, "", None)  # fmt: skip
    old = replace(old, entry_hash=legacy_hash(old))
    async with store.transaction() as uow:
        await uow.legal.add_disclosure(
            StoredDisclosure(request_id, key_id, blob, digest, 0, 0, 2, NOW)
        )
        await uow.legal.add_ledger_entry(old)
        await uow.legal.set_state(request_id, RequestState.DISCLOSED)
        await uow.state.put(
            LEDGER_HEAD_KEY, json.dumps({"count": 1, "last_hash": old.entry_hash}), NOW
        )
    report_before = await verify_ledger(store, cipher, ledger_for(store))
    assert [p for p in report_before.problems if "content" not in p] == []
    await disclosed(store, cipher, "NEW-1")
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
    assert [(e.seq, e.key_id) for e in entries] == [(1, None), (2, "test-ledger")]
    lines = Path(ledger_for(store).anchor.where).read_text().splitlines()
    assert json.loads(lines[0])["event"] == "adopted"
    assert json.loads(lines[0])["entry_hash"] == old.entry_hash
    # Rewriting the old entry (no key needed for its unkeyed hash) is caught by the adoption.
    await tamper(store, "UPDATE disclosure_ledger SET country = 'US' WHERE seq = 1")
    forged = legacy_hash(replace(old, country="US"))
    await tamper(store, ("UPDATE disclosure_ledger SET entry_hash = ? WHERE seq = 1", (forged,)))
    problems = await report(store, cipher, anchors=True)
    assert any(p.startswith("entry 1 differs from the one checkpointed") for p in problems)


async def test_an_open_request_holds_the_violators_metadata_until_closed(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request_id = await disclosed(store, cipher, "H-1")
    later = NOW + timedelta(days=800)
    assert await purge_expired(store, timedelta(days=365), later) == 0
    assert await stored(store, "SELECT count(*) FROM observations") == [(4,)]
    await close(store, cipher, POLICY, request_id, ALICE, later)
    assert await purge_expired(store, timedelta(days=365), later) == 4
    assert await stored(store, "SELECT count(*) FROM observations") == [(0,)]


async def test_a_decision_with_a_legal_request_cannot_be_undone_or_overturned(
    store: Store, cipher: PersonalDataCipher
) -> None:
    document = OrderDocument("order.pdf", None, b"%PDF test")
    await register(store, cipher, POLICY, form("U-1"), document, ALICE, NOW)
    async with store.transaction() as uow:
        before = await uow.review.view(1)
        assert before is not None
        outcome = await reverse_decision(
            uow, before, 7, NOW, CasePolicy(), action="case.overturned"
        )
    assert outcome is UndoRefusal.LEGAL_REQUEST
    assert await stored(store, "SELECT count(*) FROM violators") == [(1,)]
    refusals = await stored(
        store, "SELECT count(*) FROM audit_log WHERE details LIKE '%legal_request%'"
    )
    assert refusals == [(1,)]
