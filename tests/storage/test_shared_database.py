"""Two processes on one database: the guarantees the bot's instances rely on, kept by the
database itself (no process-local lock can reach another instance), on both engines; and
PostgreSQL's own failures (a lock held too long, a server away) as clear errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from moderation.review.decisions import AlreadyDecided, Decided, decide
from moderation.review.types import Decision, Moderator
from storage import DatabaseLockedError, Store
from storage.errors import DatabaseUnavailableError
from storage.location import Location, PostgresLocation, parse_location
from storage.postgres import SESSION_SETTINGS, WRITE_LOCK_KEY
from tests.postgres import owner_dsn
from tests.storage.sqlite_files import NOW
from tests.storage.stored import stored
from tests.storage.test_review_rules import UNDO, Desk, policy

MODERATORS = [Moderator(800_000 + n, f"@mod_{n}") for n in range(10)]


@pytest.fixture
async def second(store_location: Location, store: Store) -> AsyncIterator[Store]:
    """Another instance's view of the same database (its own connections)."""
    opened = await Store.open(store_location)
    yield opened
    await opened.close()


async def test_presses_from_two_instances_decide_a_case_exactly_once(
    store: Store, second: Store
) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("contested_shop", [desk.reporter()])
    instances = [store, second]

    async def press(n: int) -> object:
        return await decide(
            instances[n % 2],
            case_id,
            MODERATORS[n],
            Decision.APPROVED if n % 3 else Decision.REJECTED,
            category=None,
            reason=None,
            undo_window=UNDO,
            now=NOW,
            policy=policy(),
        )

    outcomes = await asyncio.gather(*(press(n) for n in range(len(MODERATORS))))
    assert sum(isinstance(o, Decided) for o in outcomes) == 1
    assert sum(isinstance(o, AlreadyDecided) for o in outcomes) == len(MODERATORS) - 1
    decided = await stored(
        store, "SELECT count(*) FROM audit_log WHERE action IN ('case.approved', 'case.rejected')"
    )
    assert decided == [(1,)]


async def test_read_modify_write_from_two_instances_loses_no_update(
    store: Store, second: Store
) -> None:
    async def increment(on: Store) -> None:
        async with on.transaction() as uow:
            value = int(await uow.state.get("counter") or "0")
            await asyncio.sleep(0)  # the other instance runs now, if it can
            await uow.state.put("counter", str(value + 1), NOW)

    await asyncio.gather(*(increment((store, second)[n % 2]) for n in range(40)))
    async with second.reading() as uow:
        assert await uow.state.get("counter") == "40"


# --- PostgreSQL's own -------------------------------------------------------------------------


@pytest.mark.engines("postgresql")
async def test_commits_are_synchronous_whatever_the_server_default(
    store_location: Location,
) -> None:
    assert isinstance(store_location, PostgresLocation)
    admin = await asyncpg.connect(owner_dsn(store_location.dsn))  # ALTER DATABASE: the owner
    try:
        name = await admin.fetchval("SELECT current_database()")
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        assert await admin.fetchval("SHOW synchronous_commit") == "on"  # set for new sessions
    finally:
        await admin.close()
    store = await Store.open(store_location)
    try:
        async with store.transaction() as uow, store.reading() as snapshot:
            write = await stored_setting(uow, "synchronous_commit")
            read = await stored_setting(snapshot, "synchronous_commit")
        assert (write, read) == ("on", "on")
    finally:
        await store.close()


async def stored_setting(uow: object, name: str) -> str:
    conn = uow.state._conn  # type: ignore[attr-defined]  # the unit's own connection
    rows = await conn.fetch_all(f"SHOW {name}")
    return str(rows[0][0])


@pytest.mark.engines("postgresql")
async def test_the_write_lock_held_too_long_elsewhere_is_a_clear_error(
    store_location: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(store_location, PostgresLocation)
    # The real wait is 10 s (as SQLite's busy timeout); the outcome is the same sooner.
    monkeypatch.setitem(SESSION_SETTINGS, "lock_timeout", "200ms")
    store = await Store.open(store_location)
    other = await asyncpg.connect(store_location.dsn)  # an instance stuck mid-transaction
    try:
        async with other.transaction():
            await other.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            with pytest.raises(DatabaseLockedError, match="held the write lock"):
                async with store.transaction() as uow:
                    await uow.state.put("k", "lost", NOW)
        async with store.transaction() as uow:  # released: work resumes
            await uow.state.put("k", "kept", NOW)
        async with store.reading() as uow:
            assert await uow.state.get("k") == "kept"
    finally:
        await other.close()
        await store.close()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://bot:s3cr3t-pw@127.0.0.1:1/reports", "cannot reach PostgreSQL"),
        ("postgresql://bot:s3cr3t-pw@127.0.0.1:1/reports?connect_timeout=1", "cannot reach"),
    ],
)
async def test_a_server_that_cannot_be_reached_is_named_without_the_password(
    url: str, says: str
) -> None:
    with pytest.raises(DatabaseUnavailableError) as caught:
        await Store.open(parse_location(url))
    message = str(caught.value)
    assert says in message
    assert "postgresql://bot@127.0.0.1:1/reports" in message
    assert "s3cr3t" not in message
    assert caught.value.__suppress_context__  # no driver traceback (with its DSN) attached


@pytest.mark.engines("postgresql")
async def test_a_database_that_does_not_exist_says_to_create_it(
    store_location: Location,
) -> None:
    assert isinstance(store_location, PostgresLocation)
    parts = urlsplit(store_location.dsn)
    missing = urlunsplit(parts._replace(path="/no_such_database"))
    with pytest.raises(DatabaseUnavailableError, match="does not exist; create it first"):
        await Store.open(parse_location(missing))
