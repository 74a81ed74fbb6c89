"""Every ciphertext is bound to its row, against someone with write access to the database.

The issue's case first: a violator's 2019 phone ciphertext copied into a new row of another
violator, dated inside an order's period, was disclosed as that violator's phone, no key
needed. Now it does not open in its new row: it is withheld, named in the disclosure and the
audit log, never disclosed. The same for a moved disclosure, request target, order document
and journaled update; and rows sealed before the binding are re-sealed once, while a row
written the old way after the migration never opens.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from moderation.legal.disclosure import disclose, retrieve
from moderation.legal.lifecycle import show
from moderation.legal.types import LegalRefused, Target, TargetKind
from moderation.registry.violators import ObservationKind, opened
from moderation.sealing import (
    disclosure_context,
    document_context,
    observation_context,
    target_context,
    update_context,
    upgrade_seals,
)
from storage import Store
from storage.crypto import (
    DecryptionFailed,
    PersonalDataCipher,
)
from storage.location import Location, PostgresLocation, SqliteLocation
from storage.migrations import migrate
from storage.pg_migrations import migrate_postgres
from tests.storage.legal_fixtures import (
    BOB,
    NOW,
    OTHER_PHONE,
    PHONE_FIRST_INSTANT,
    POLICY,
    approved,
    audit_log,
    disclosed,
    order,
    registered,
    tamper,
    two_violators,
)
from tests.storage.legal_fixtures import ledger_for as ledger_of
from tests.storage.stored import (
    Refused,
    Statement,
    at_rest,
    outside,
    outside_all,
    stored,
    unguarded,
)


@pytest.fixture
async def store(store_location: Location, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened_store = await Store.open(store_location)
    await two_violators(opened_store, cipher)
    yield opened_store
    await opened_store.close()


async def test_a_phone_copied_into_another_violators_row_is_withheld_not_disclosed(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """other_shop's phone (observed 2026-07-20) copied, ciphertext, key id and all, into a
    new row of pill_shop dated inside the order's period."""
    # The bot numbers observations itself (a seal names its row), so the insider does too.
    await outside(
        store,
        "INSERT INTO observations (id, violator_id, kind, value, ciphertext, key_id, "
        "blind_index, observed_at, source, recorded_at, dedupe, blind_key_id) "
        "SELECT (SELECT max(id) + 1 FROM observations), 1, kind, value, ciphertext, key_id, "
        "blind_index, '2026-07-05T00:00:00.000000+00:00', source, recorded_at, ?, "
        "blind_key_id FROM observations WHERE violator_id = 2 AND kind = 'phone'",
        (os.urandom(32),),
    )
    result = await disclosed(store, cipher)
    content = json.loads(result.content)
    assert OTHER_PHONE not in result.content.decode()
    assert OTHER_PHONE.encode() not in result.html
    assert [i["value"] for i in content["items"] if i["kind"] == "phone"] == [PHONE_FIRST_INSTANT]
    assert content["withheld"] == [
        {
            "kind": "phone",
            "observed_at": "2026-07-05T00:00:00+00:00",
            "source": "import",
            "reason": "does not open in its row: changed, moved from another row, or its key is "
            "missing",
        }
    ]
    assert (result.phones, result.withheld) == (1, 1)
    (entry,) = [e for e in await audit_log(store) if e.action == "legal.disclosed"]
    assert entry.details["withheld"] == 1


async def test_a_phone_moved_within_the_same_violator_to_another_time_does_not_open(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The 2026-06-30 phone (outside the period) re-dated into July: bound to its time."""
    await unguarded(
        store,
        [("observations_append_only", "observations")],
        "UPDATE observations SET observed_at = '2026-07-02T00:00:00.000000+00:00' "
        "WHERE violator_id = 1 AND observed_at = '2026-06-30T23:59:59.999999+00:00'",
    )
    result = await disclosed(store, cipher)
    assert result.withheld == 1
    assert "+447700900102" not in result.content.decode()


async def test_every_sealed_value_is_bound_to_its_own_row(
    store: Store, cipher: PersonalDataCipher
) -> None:
    async with store.reading() as uow:
        rows = [r for r in await uow.registry.timeline(1) if r.kind.personal]
    first, second = rows[0], rows[1]
    assert first.sealed.ciphertext is not None
    assert first.sealed.key_id is not None
    assert opened(cipher, first).value  # opens as itself
    moved = observation_context(second.id, 1, first.kind.value, first.observed_at)
    with pytest.raises(DecryptionFailed, match="does not open"):
        cipher.decrypt(first.sealed.key_id, first.sealed.ciphertext, moved)
    with pytest.raises(DecryptionFailed, match="does not open"):
        cipher.decrypt(first.sealed.key_id, first.sealed.ciphertext, first.kind.value)


async def test_a_moved_request_target_or_order_document_is_refused(
    store: Store, cipher: PersonalDataCipher
) -> None:
    by_phone = order(reference="P-1", target=Target(TargetKind.PHONE, PHONE_FIRST_INSTANT))
    by_other = order(reference="P-2", target=Target(TargetKind.PHONE, OTHER_PHONE))
    first = await registered(store, cipher, by_phone)
    second = await registered(store, cipher, by_other)
    await tamper(
        store,
        (
            "UPDATE legal_requests SET target_cipher = "
            "(SELECT target_cipher FROM legal_requests WHERE id = ?) WHERE id = ?",
            (first.id, second.id),
        ),
    )
    with pytest.raises(LegalRefused, match="does not open in its row"):
        await show(store, cipher, POLICY, second.id, BOB, NOW)
    shown, document = await show(store, cipher, POLICY, first.id, BOB, NOW)
    assert shown.form.target.value == PHONE_FIRST_INSTANT
    assert document is not None
    await tamper(
        store,
        (
            "UPDATE legal_documents SET content = "
            "(SELECT content FROM legal_documents WHERE request_id = ?) WHERE request_id = ?",
            (second.id, first.id),
        ),
    )
    with pytest.raises(LegalRefused, match="order document of request #1 does not open"):
        await show(store, cipher, POLICY, first.id, BOB, NOW)


async def test_order_documents_are_stored_encrypted(
    store: Store, cipher: PersonalDataCipher
) -> None:
    request = await registered(store, cipher)
    [(content, key_id)] = await stored(store, "SELECT content, key_id FROM legal_documents")
    assert key_id == "t1"
    assert b"%PDF" not in content
    _, document = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert document is not None
    assert document.content.startswith(b"%PDF-1.4 test order")
    assert b"%PDF-1.4 test order" not in await at_rest(store)


async def test_a_moved_disclosure_does_not_open(store: Store, cipher: PersonalDataCipher) -> None:
    first = await disclosed(store, cipher)
    other = await approved(store, cipher, order(reference="AG-9/26"))
    await disclose(store, cipher, POLICY, ledger_of(store), other.id, BOB, NOW)
    await tamper(
        store,
        (
            "UPDATE disclosures SET ciphertext = "
            "(SELECT ciphertext FROM disclosures WHERE request_id = ?) WHERE request_id = ?",
            (first.request_id, other.id),
        ),
    )
    with pytest.raises(LegalRefused, match="does not open in its row"):
        await retrieve(store, cipher, POLICY, ledger_of(store), other.id, BOB, NOW)


# --- rows sealed before the binding -----------------------------------------------------------


async def at_version_17(location: Location, *rows: Statement) -> None:
    """The database as schema version 17 left it (before the binding), holding `rows`."""
    if isinstance(location, SqliteLocation):
        await migrate(location.path, target=17)
    else:
        await migrate_postgres(location, target=17)
    await outside_all(location, *OLD_ROWS, *rows)


async def test_rows_sealed_before_the_binding_are_resealed_once_and_new_ones_never_open_the_old_way(
    empty_store_location: Location, cipher: PersonalDataCipher
) -> None:
    store_location = empty_store_location  # built up to version 17 by the test
    at = "2026-07-01T00:00:00.000000+00:00"
    _, phone = cipher.encrypt("+447700900101", "phone")  # as sealed before migration 0018
    _, ip = cipher.encrypt("192.0.2.10", "ip")
    _, target = cipher.encrypt("+447700900101", "phone")
    _, update = cipher.encrypt('{"update_id":77}', "update_journal")
    content = '{"request": {"id": 1}}'
    _, disclosure = cipher.encrypt(content, "disclosure")
    await at_version_17(
        store_location,
        (
            "INSERT INTO observations (violator_id, kind, ciphertext, key_id, blind_index, "
            "observed_at, source, recorded_at, dedupe) VALUES "
            "(1, 'phone', ?, 't1', ?, ?, 'import', ?, ?), "
            "(1, 'ip', ?, 't1', ?, ?, 'import', ?, ?)",
            (phone, b"\x01", at, at, b"\x0a", ip, b"\x02", at, at, b"\x0b"),
        ),
        ("UPDATE legal_requests SET target_cipher = ? WHERE id = 1", (target,)),
        (
            "INSERT INTO update_journal (update_id, key_id, payload, received_at) "
            "VALUES (77, 't1', ?, ?)",
            (update, at),
        ),
        (
            "INSERT INTO disclosures (request_id, ciphertext, key_id, content_sha256, phones, "
            "ips, disclosed_to, disclosed_at) VALUES (1, ?, 't1', 'x', 1, 1, 3, ?)",
            (disclosure, at),
        ),
    )
    store = await Store.open(store_location, owner=as_owner(store_location))  # to the latest
    try:
        listed = await stored(
            store, "SELECT table_name, count(*) FROM sealed_before_binding GROUP BY 1 ORDER BY 1"
        )
        assert listed == [
            ("disclosures", 1),
            ("legal_documents", 1),
            ("legal_requests", 1),
            ("observations", 2),
            ("update_journal", 1),
        ]
        drafts = await stored(store, "SELECT count(*) FROM bot_state WHERE key LIKE 'legal%'")
        assert drafts == [(0,)]  # the clear draft is gone
        # Nothing can be put on the list after the migration.
        with pytest.raises(Refused, match="only rows sealed before"):
            await outside(store, "INSERT INTO sealed_before_binding VALUES ('observations', 99)")
        upgrade = await upgrade_seals(store, cipher)
        assert (upgrade.resealed, upgrade.unopenable) == (6, ())
        assert (await upgrade_seals(store, cipher)).resealed == 0  # done once
        async with store.reading() as uow:
            rows = await uow.registry.timeline(1)
            assert await uow.seals.pending() == 0
        assert sorted(opened(cipher, row).value for row in rows) == ["+447700900101", "192.0.2.10"]
        [(blob, key)] = await stored(
            store, "SELECT target_cipher, target_key_id FROM legal_requests WHERE id = 1"
        )
        assert cipher.decrypt(key, blob, target_context(1, "phone")) == "+447700900101"
        [(doc, doc_key)] = await stored(
            store, "SELECT content, key_id FROM legal_documents WHERE request_id = 1"
        )
        assert cipher.decrypt_bytes(doc_key, doc, document_context(1, "ab12")) == b"%PDF"
        [(payload,)] = await stored(
            store, "SELECT payload FROM update_journal WHERE update_id = 77"
        )
        assert cipher.decrypt("t1", payload, update_context(77)) == '{"update_id":77}'
        [(kept,)] = await stored(store, "SELECT ciphertext FROM disclosures")
        assert cipher.decrypt("t1", kept, disclosure_context(1)) == content
        # A phone sealed the old way and written after the migration never opens.
        _, late = cipher.encrypt("+447700900199", "phone")
        await outside(
            store,
            "INSERT INTO observations (id, violator_id, kind, ciphertext, key_id, blind_index, "
            "observed_at, source, recorded_at, dedupe) VALUES "
            "((SELECT max(id) + 1 FROM observations), 1, 'phone', ?, 't1', ?, ?, 'import', ?, ?)",
            (late, b"\x03", at, at, b"\x0c"),
        )
        async with store.reading() as uow:
            (late_row,) = [
                r for r in await uow.registry.timeline(1) if r.sealed.blind_index == b"\x03"
            ]
        with pytest.raises(DecryptionFailed):
            opened(cipher, late_row)
        assert (await upgrade_seals(store, cipher)).resealed == 0
    finally:
        await store.close()


async def test_a_row_that_does_not_open_the_old_way_is_named_and_stays_sealed(
    empty_store_location: Location, cipher: PersonalDataCipher
) -> None:
    store_location = empty_store_location  # built up to version 17 by the test
    at = datetime(2026, 7, 1, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    await at_version_17(
        store_location,
        (
            "INSERT INTO observations (violator_id, kind, ciphertext, key_id, blind_index, "
            "observed_at, source, recorded_at, dedupe) VALUES "
            "(1, 'phone', ?, 't1', ?, ?, 'import', ?, ?)",
            (bytes.fromhex("00112233445566778899aabbccddeeff00112233"), b"\x01", at, at, b"\x0a"),
        ),
    )
    store = await Store.open(store_location, owner=as_owner(store_location))
    try:
        upgrade = await upgrade_seals(store, cipher)
        assert "observations 1" in upgrade.unopenable
        async with store.reading() as uow:
            assert await uow.seals.pending() == 0
    finally:
        await store.close()


#: A confirmed violator, a legal request with a clear order document and a clear legal draft,
#: as a database at schema version 17 holds them.
OLD_ROWS: tuple[Statement, ...] = (
    "INSERT INTO targets (id, kind, key, username, created_at, updated_at) "
    "VALUES (1, 'public', 'public:pill_shop', 'pill_shop', '2026-01-01T00:00:00.000000+00:00', "
    "'2026-01-01T00:00:00.000000+00:00')",
    "INSERT INTO cases (id, target_id, category, status, opened_at, updated_at) "
    "VALUES (1, 1, 'drugs', 'approved', '2026-01-01T00:00:00.000000+00:00', "
    "'2026-01-01T00:00:00.000000+00:00')",
    "INSERT INTO violators (id, target_id, category, case_id, confirmed_by, confirmed_at, "
    "last_confirmed_at) VALUES (1, 1, 'drugs', 1, 7, '2026-01-01T00:00:00.000000+00:00', "
    "'2026-01-01T00:00:00.000000+00:00')",
    (
        "INSERT INTO legal_requests (id, authority, country, reference, order_type, issued_on, "
        "offence, target_kind, target_cipher, target_key_id, target_blind, period_start, "
        "period_end, state, violator_id, registered_by, registered_at) VALUES (1, 'Court', "
        "'DE', 'R-1', 'court_order', '2026-10-01', 'fraud', 'phone', ?, 't1', ?, '2026-07-01', "
        "'2026-07-31', 'disclosed', 1, 1, '2026-10-02T00:00:00.000000+00:00')",
        (b"\x00", b"\x01"),
    ),
    (
        "INSERT INTO legal_documents (request_id, file_name, mime_type, size, sha256, content, "
        "stored_at) VALUES (1, 'order.pdf', 'application/pdf', 4, 'ab12', ?, "
        "'2026-10-02T00:00:00.000000+00:00')",
        (b"%PDF",),
    ),
    "INSERT INTO bot_state (key, value, updated_at) VALUES ('legal_draft:5', "
    '\'{"values": {"target": "+447700900101"}}\', \'2026-10-02T00:00:00.000000+00:00\')',
)


def test_the_contexts_name_their_rows() -> None:
    assert json.loads(observation_context(4, 2, "phone", NOW)) == [
        "observation",
        4,
        2,
        "phone",
        "2026-11-20T12:00:00.000000+00:00",
    ]
    assert len({disclosure_context(1), target_context(1, "phone"), update_context(1)}) == 3
    assert ObservationKind.PHONE.personal


def as_owner(location: Location) -> PostgresLocation | None:
    """PostgreSQL migrates only as the tables' owner: here the tests' own role, one for both."""
    return location if isinstance(location, PostgresLocation) else None
