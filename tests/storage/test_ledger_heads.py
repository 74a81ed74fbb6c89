"""The periodic signed ledger head: one outbox message per legal officer (bootstrap and granted)
when the ledger moved and the interval has passed, none otherwise; its signed head proves the
entry to `ledger verify`, and a ledger cut behind the last head sent is said in the next one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from moderation.legal.disclosure import retrieve
from moderation.legal.ledger import LEDGER_HEAD_KEY
from moderation.legal.ledger_check import verify_ledger
from moderation.legal.ledger_heads import (
    PERIODIC_HEAD_KIND,
    check_heads,
    heads_in,
    queue_periodic_head,
)
from moderation.staff.roles import Role
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
)
from storage.location import Location
from tests.helpers import FakeClock
from tests.storage.legal_fixtures import (
    CAROL,
    NOW,
    POLICY,
    TEST_LEDGER_KEYS,
    disclosed,
    ledger_for,
    sealed_grant,
    tamper,
    two_violators,
)
from tests.storage.stored import stored

EVERY = timedelta(hours=24)
GRANTED = 104  # holds the legal role by a grant, not by LEGAL_OFFICER_IDS
OFFICERS = sorted({*POLICY.bootstrap_legal, GRANTED})


@pytest.fixture
async def store(store_location: Location, cipher: PersonalDataCipher) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    await two_violators(opened, cipher)
    async with opened.transaction() as uow:
        await sealed_grant(uow.roles, GRANTED, Role.LEGAL, by=900, at=NOW)
    yield opened
    await opened.close()


def cut_checkpoints(anchor: Path, seq: int) -> None:
    """The checkpoint file's lines naming entry `seq` and after cut off, as the insider would."""
    lines = anchor.read_text().splitlines(keepends=True)
    anchor.write_text("".join(line for line in lines if json.loads(line)["seq"] < seq))


async def heads_queued(store: Store) -> list[tuple[int, dict[str, object]]]:
    found = await stored(
        store,
        "SELECT chat_id, payload FROM outbox WHERE kind = ? ORDER BY id",
        (PERIODIC_HEAD_KIND,),
    )
    return [(int(chat_id), json.loads(payload)) for chat_id, payload in found]


async def periodic(store: Store, clock: FakeClock) -> object:
    return await queue_periodic_head(
        store, TEST_LEDGER_KEYS, POLICY.bootstrap_legal, EVERY, clock.now()
    )


async def test_nothing_is_sent_while_the_ledger_is_empty(store: Store) -> None:
    assert await periodic(store, FakeClock(NOW)) is None
    assert await heads_queued(store) == []


async def test_one_signed_head_per_legal_officer_when_the_ledger_moved_and_none_when_not(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """Before this head existed, an insider who cut the last ledger entry, the database's head
    and the checkpoint lines left nothing an officer could hold against it; each officer now
    holds a head the bot signed."""
    clock = FakeClock(NOW)
    await disclosed(store, cipher)
    assert await periodic(store, clock) is not None
    queued = await heads_queued(store)
    assert [chat_id for chat_id, _ in queued] == OFFICERS
    payload = queued[0][1]
    assert {p["signed"] for _, p in queued} == {payload["signed"]}
    assert (payload["seq"], payload["behind"]) == (1, None)
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
    problems, proven = check_heads(TEST_LEDGER_KEYS, entries, heads_in(str(payload["signed"])))
    assert problems == []
    assert proven is not None
    assert (proven.seq, proven.entry_hash, proven.signed) == (1, entries[0].entry_hash, True)

    for hours in (1, 30, 100):  # the ledger did not move: nothing more, however long
        clock.advance(timedelta(hours=hours))
        assert await periodic(store, clock) is None
    assert len(await heads_queued(store)) == len(OFFICERS)
    audit = await stored(
        store, "SELECT count(*) FROM audit_log WHERE action = 'legal.ledger_head_sent'"
    )
    assert audit == [(1,)]


async def test_a_moved_ledger_waits_for_the_interval_since_the_last_head(
    store: Store, cipher: PersonalDataCipher
) -> None:
    clock = FakeClock(NOW)
    disclosure = await disclosed(store, cipher)
    await periodic(store, clock)
    clock.advance(timedelta(hours=1))
    ledger = ledger_for(store)
    await retrieve(store, cipher, POLICY, ledger, disclosure.request_id, CAROL, clock.now())
    assert await periodic(store, clock) is None  # moved, but one hour after the last head
    clock.advance(timedelta(hours=23))
    assert await periodic(store, clock) is not None
    queued = await heads_queued(store)
    assert len(queued) == 2 * len(OFFICERS)
    assert {p["seq"] for _, p in queued[len(OFFICERS) :]} == {2}


async def test_a_ledger_cut_behind_the_last_head_is_said_in_the_next_one(
    store: Store, cipher: PersonalDataCipher
) -> None:
    """The insider cuts entry 2 (the database's head and the checkpoint lines with it) after
    the officers were sent a head naming it: the next head says the ledger went back, and the
    head they hold catches it in `ledger verify`."""
    clock = FakeClock(NOW)
    disclosure = await disclosed(store, cipher)
    ledger = ledger_for(store)
    await retrieve(store, cipher, POLICY, ledger, disclosure.request_id, CAROL, clock.now())
    await periodic(store, clock)
    held = heads_in(str((await heads_queued(store))[0][1]["signed"]))
    async with store.reading() as uow:
        first = (await uow.legal.ledger())[0]
    head = json.dumps({"count": 1, "last_hash": first.entry_hash})
    await tamper(
        store,
        "DELETE FROM disclosure_ledger WHERE seq = 2",
        ("UPDATE bot_state SET value = ? WHERE key = ?", (head, LEDGER_HEAD_KEY)),
    )
    cut_checkpoints(Path(ledger.anchor.where), 2)
    assert (await verify_ledger(store, cipher, ledger)).problems == ()  # the cut is invisible

    clock.advance(EVERY)
    await retrieve(store, cipher, POLICY, ledger, disclosure.request_id, CAROL, clock.now())
    clock.advance(EVERY)
    queued = await periodic(store, clock)
    assert queued is not None
    latest = (await heads_queued(store))[-1][1]
    assert (latest["seq"], latest["behind"]) == (2, 2)  # a new entry 2, not the one sent
    report = await verify_ledger(store, cipher, ledger, heads=held)
    assert report.problems == (
        "entry 2 is not the one whose hash you were given: the ledger was rewritten",
    )
