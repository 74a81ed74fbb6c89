"""`verify_ledger` finds every change to the disclosure ledger: an edit, a deletion, a reordering,
a changed disclosure; and the legal hold keeps a violator's metadata from the retention purge."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from moderation.decisions import UndoRefusal, reverse_decision
from moderation.disclosure import disclose, verify_ledger
from moderation.legal import (
    LegalPolicy,
    OrderDocument,
    OrderType,
    RequestForm,
    Target,
    TargetKind,
)
from moderation.legal_flow import approve, close, register, write_analysis
from moderation.legal_officers import Officer
from moderation.priority import CasePolicy
from moderation.retention import purge_expired
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)
from tests.e2e.test_legal import NOW, confirmed_violator

POLICY = LegalPolicy(offences={"fraud": "scam"}, bootstrap_legal=frozenset({1, 2, 3}))
ALICE = Officer(1, "alice", is_legal=True)
BOB = Officer(2, "bob", is_legal=True)
CAROL = Officer(3, "carol", is_legal=True)


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(
        parse_key(new_key_text("t")), [], decode_secret(new_secret_text(), "index")
    )


@pytest.fixture
async def store(tmp_path: Path, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "ledger.sqlite3")
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


async def disclosed(store: Store, cipher: PersonalDataCipher, reference: str) -> int:
    document = OrderDocument("order.pdf", "application/pdf", b"%PDF test " + reference.encode())
    request = await register(store, cipher, POLICY, form(reference), document, ALICE, NOW)
    text = "A valid court order, checked against the law."
    await write_analysis(store, cipher, POLICY, request.id, text, ALICE, NOW)
    await approve(store, cipher, POLICY, request.id, BOB, NOW)
    await approve(store, cipher, POLICY, request.id, CAROL, NOW)
    await disclose(store, cipher, POLICY, request.id, CAROL, NOW)
    return request.id


def tamper(database: Path, *statements: str) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute("DROP TRIGGER IF EXISTS disclosure_ledger_no_update")
        conn.execute("DROP TRIGGER IF EXISTS disclosure_ledger_no_delete")
        for statement in statements:
            conn.execute(statement)


async def three(store: Store, cipher: PersonalDataCipher) -> Path:
    for reference in ("A-1", "A-2", "A-3"):
        await disclosed(store, cipher, reference)
    count, problems = await verify_ledger(store, cipher)
    assert (count, problems) == (3, [])
    return store.path


async def test_an_edited_entry_is_detected(store: Store, cipher: PersonalDataCipher) -> None:
    database = await three(store, cipher)
    tamper(database, "UPDATE disclosure_ledger SET country = 'FR' WHERE seq = 2")
    _, problems = await verify_ledger(store, cipher)
    assert "entry 2 was changed after it was written" in problems


async def test_a_deleted_entry_in_the_middle_is_detected(
    store: Store, cipher: PersonalDataCipher
) -> None:
    database = await three(store, cipher)
    tamper(database, "DELETE FROM disclosure_ledger WHERE seq = 2")
    _, problems = await verify_ledger(store, cipher)
    assert any("entry 3" in p and "deleted or the entries were reordered" in p for p in problems)


async def test_a_deleted_last_entry_is_detected(store: Store, cipher: PersonalDataCipher) -> None:
    database = await three(store, cipher)
    tamper(database, "DELETE FROM disclosure_ledger WHERE seq = 3")
    _, problems = await verify_ledger(store, cipher)
    assert any("has no ledger entry" in p for p in problems)
    assert any("3 were written" in p for p in problems)


async def test_reordered_entries_are_detected(store: Store, cipher: PersonalDataCipher) -> None:
    database = await three(store, cipher)
    tamper(
        database,
        "UPDATE disclosure_ledger SET seq = 100 WHERE seq = 1",
        "UPDATE disclosure_ledger SET seq = 1 WHERE seq = 2",
        "UPDATE disclosure_ledger SET seq = 2 WHERE seq = 100",
    )
    _, problems = await verify_ledger(store, cipher)
    assert any("does not follow the entry before it" in p for p in problems)


async def test_a_changed_disclosure_is_detected(store: Store, cipher: PersonalDataCipher) -> None:
    database = await three(store, cipher)
    tamper(database, "UPDATE disclosures SET content_sha256 = 'x' WHERE request_id = 1")
    _, problems = await verify_ledger(store, cipher)
    assert any("does not match its recorded hash" in p for p in problems)


async def test_the_ledger_refuses_updates_and_deletes(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await disclosed(store, cipher, "A-1")
    with sqlite3.connect(store.path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM disclosure_ledger")


async def test_an_open_request_holds_the_violators_metadata_until_closed(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request_id = await disclosed(store, cipher, "H-1")
    later = NOW + timedelta(days=800)
    assert await purge_expired(store, timedelta(days=365), later) == 0
    with sqlite3.connect(store.path) as conn:
        (kept,) = conn.execute("SELECT count(*) FROM observations").fetchone()
    assert kept == 4
    await close(store, cipher, POLICY, request_id, ALICE, later)
    assert await purge_expired(store, timedelta(days=365), later) == 4
    with sqlite3.connect(store.path) as conn:
        (left,) = conn.execute("SELECT count(*) FROM observations").fetchone()
    assert left == 0


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
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT count(*) FROM violators").fetchone() == (1,)
        refusals = conn.execute(
            "SELECT count(*) FROM audit_log WHERE details LIKE '%legal_request%'"
        ).fetchone()
    assert refusals == (1,)
