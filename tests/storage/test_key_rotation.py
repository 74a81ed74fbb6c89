"""`keys rotate` leaves nothing under an old key: every sealed column (the update journal,
order documents and legal drafts included) and every blind index; a rotation killed half way
carries on where it stopped; and weak keys are refused before anything is sealed with them.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from moderation.legal.drafts import load_draft, save_draft
from moderation.legal.lifecycle import show
from moderation.legal.lookup import LookupKind, lookup
from moderation.legal.types import Target, TargetKind
from moderation.registry.violators import opened
from moderation.rekeying import rotate_everything
from moderation.sealing import update_context
from storage import Store
from storage.crypto import (
    DataKey,
    KeyProblem,
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_index_key,
    parse_key,
)
from storage.location import Location
from storage.store import UnitOfWork
from tests.storage.legal_fixtures import (
    BOB,
    NOW,
    PHONE_FIRST_INSTANT,
    POLICY,
    REGISTRAR,
    disclosed,
    order,
    registered,
    two_violators,
)
from tests.storage.stored import stored

OLD_KEY, NEW_KEY = parse_key(new_key_text("k1")), parse_key(new_key_text("k2"))
OLD_INDEX = DataKey("b1", decode_secret(new_secret_text(), "index"))
NEW_INDEX = DataKey("b2", decode_secret(new_secret_text(), "index"))
IDLE = NOW - NOW  # drafts written at NOW, read at NOW


def before() -> PersonalDataCipher:
    return PersonalDataCipher(OLD_KEY, [], OLD_INDEX)


def after() -> PersonalDataCipher:
    """The new keys, with the old ones only to read (as ENCRYPTION_PREVIOUS_KEYS and
    BLIND_INDEX_PREVIOUS_KEYS say)."""
    return PersonalDataCipher(NEW_KEY, [OLD_KEY], NEW_INDEX, [OLD_INDEX])


def only_new() -> PersonalDataCipher:
    """After the old keys were dropped."""
    return PersonalDataCipher(NEW_KEY, [], NEW_INDEX)


@pytest.fixture
async def store(store_location: Location) -> AsyncIterator[Store]:
    opened_store = await Store.open(store_location)
    await two_violators(opened_store, before())
    yield opened_store
    await opened_store.close()


async def everything_sealed(store: Store) -> None:
    """A disclosure, a phone target, order documents, a journaled update, a legal draft."""
    cipher = before()
    await disclosed(store, cipher)
    await registered(
        store, cipher, order(reference="P-1", target=Target(TargetKind.PHONE, PHONE_FIRST_INSTANT))
    )
    key_id, payload = cipher.encrypt('{"update_id": 41, "message": {}}', update_context(41))
    async with store.transaction() as uow:
        await uow.journal.keep([(41, key_id, payload)], NOW)
    await save_draft(store, cipher, REGISTRAR.user_id, {"target": PHONE_FIRST_INSTANT}, NOW)


async def keys_in_use(store: Store) -> dict[str, set[str]]:
    queries = {
        "observations": "SELECT key_id FROM observations WHERE key_id IS NOT NULL",
        "disclosures": "SELECT key_id FROM disclosures",
        "targets": "SELECT target_key_id FROM legal_requests WHERE target_key_id IS NOT NULL",
        "documents": "SELECT key_id FROM legal_documents",
        "journal": "SELECT key_id FROM update_journal WHERE payload IS NOT NULL",
        "index": "SELECT blind_key_id FROM observations",
        "target index": "SELECT target_blind_key_id FROM legal_requests "
        "WHERE target_blind_key_id IS NOT NULL",
    }
    return {name: {row[0] for row in await stored(store, sql)} for name, sql in queries.items()}


async def test_rotation_re_encrypts_every_sealed_column_and_rebuilds_every_index(
    store: Store,
) -> None:
    await everything_sealed(store)
    assert set().union(*(await keys_in_use(store)).values()) == {"k1", "b1"}
    rotation = await rotate_everything(store, after(), NOW)
    assert rotation.journal == 1
    assert rotation.drafts == 1
    assert rotation.indexes >= 8
    assert (await keys_in_use(store)) == {
        "observations": {"k2"},
        "disclosures": {"k2"},
        "targets": {"k2"},
        "documents": {"k2"},
        "journal": {"k2"},
        "index": {"b2"},
        "target index": {"b2"},
    }
    # With the old keys dropped: everything still opens and is still found.
    cipher = only_new()
    async with store.reading() as uow:
        rows = await uow.registry.timeline(1)
        (kept,) = await uow.journal.unreleased()
    assert PHONE_FIRST_INSTANT in {opened(cipher, row).value for row in rows}
    assert kept[1] is not None
    assert cipher.decrypt(kept[1], kept[2], update_context(41)).startswith('{"update_id": 41')
    request, document = await show(store, cipher, POLICY, 2, BOB, NOW)
    assert request.form.target.value == PHONE_FIRST_INSTANT
    assert document is not None
    assert document.content.startswith(b"%PDF")
    draft = await load_draft(store, cipher, REGISTRAR.user_id, IDLE, NOW)
    assert draft == {"target": PHONE_FIRST_INSTANT}
    found = await lookup(store, cipher, POLICY, LookupKind.PHONE, PHONE_FIRST_INSTANT, BOB, 1, NOW)
    assert [f.violator.id for f in found.files] == [1]
    assert (await rotate_everything(store, cipher, NOW)).total == 0  # nothing left


async def test_a_rotation_killed_half_way_carries_on_where_it_stopped(store: Store) -> None:
    """Cancelled after its first committed batch (what a kill leaves: that batch kept, the
    next rolled back), then run again."""
    await everything_sealed(store)
    cipher = after()
    committed = asyncio.Event()
    task = asyncio.create_task(rotate_everything(FirstCommit(store, committed), cipher, NOW, 1))
    await committed.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    half = (await keys_in_use(store))["observations"]
    assert half == {"k1", "k2"}
    await rotate_everything(store, cipher, NOW, batch=1)
    assert set().union(*(await keys_in_use(store)).values()) == {"k2", "b2"}
    async with store.reading() as uow:
        rows = await uow.registry.timeline(1)
    assert PHONE_FIRST_INSTANT in {opened(only_new(), row).value for row in rows}


class FirstCommit:
    """The real store, telling when its first write transaction has committed."""

    def __init__(self, store: Store, committed: asyncio.Event) -> None:
        self._store, self._committed = store, committed

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._store.transaction() as uow:
            yield uow
        self._committed.set()
        await asyncio.sleep(3600)  # parked here until cancelled, as a process that is killed

    def reading(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self._store.reading()


async def test_a_lookup_finds_a_phone_while_its_index_is_being_rebuilt(store: Store) -> None:
    await registered(store, before())  # a request to look up for
    found = await lookup(store, after(), POLICY, LookupKind.PHONE, PHONE_FIRST_INSTANT, BOB, 1, NOW)
    assert [f.violator.id for f in found.files] == [1]


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (bytes(32), "same byte repeated"),
        (b"\x07" * 32, "same byte repeated"),
        (b"ab" * 16, "repeats a 2-byte pattern"),
        (b"0123456789abcdef" * 2, "repeats a 16-byte pattern"),
        (bytes(range(10)) * 3 + b"\x00\x01", "too few distinct bytes"),
    ],
)
def test_weak_keys_are_refused_with_what_is_wrong(secret: bytes, why: str) -> None:
    encoded = base64.b64encode(secret).decode()
    for parse in (
        lambda: parse_key(f"k1:{encoded}"),
        lambda: decode_secret(encoded, "BLIND_INDEX_KEY"),
        lambda: parse_index_key(f"b2:{encoded}"),
    ):
        with pytest.raises(KeyProblem, match=why):
            parse()


def test_a_key_of_the_wrong_length_says_its_length() -> None:
    short = base64.b64encode(b"\x01\x02\x03" * 5).decode()
    with pytest.raises(KeyProblem, match=r"must be 32 bytes .* not 15"):
        parse_key(f"k1:{short}")


def test_a_bare_blind_index_key_is_the_first_one_b1() -> None:
    text = new_secret_text()
    assert parse_index_key(text).key_id == "b1"
    assert parse_index_key(f"b7:{text}").key_id == "b7"


async def test_rotation_keeps_apart_two_bots_journaled_updates_with_one_update_id(
    store: Store,
) -> None:
    """issue 28, point 6: with the journal keyed by the bot, two bots' updates may share an
    update id; a rotation that wrote back by update id alone would put one's payload in both."""
    cipher = before()
    for bot_id in (111111, 222222):
        store.serve_bot(bot_id)
        key_id, payload = cipher.encrypt(
            f'{{"update_id": 41, "bot": {bot_id}}}', update_context(41)
        )
        async with store.transaction() as uow:
            await uow.journal.keep([(41, key_id, payload)], NOW)
    assert (await rotate_everything(store, after(), NOW)).journal == 2
    for bot_id in (111111, 222222):
        store.serve_bot(bot_id)
        async with store.reading() as uow:
            ((_, kept_key, kept),) = await uow.journal.unreleased()
        assert kept_key == "k2"
        opened_text = only_new().decrypt(kept_key, kept, update_context(41))
        assert opened_text == f'{{"update_id": 41, "bot": {bot_id}}}'
