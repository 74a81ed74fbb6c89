"""Connections and transactions: pragmas, serialised writes, snapshots, failures, full disk."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from storage import (
    Database,
    DatabaseFullError,
    DatabaseLockedError,
    StorageError,
    Store,
    check_database,
    latest_version,
)
from storage.connection import SqliteConnection
from storage.errors import ConstraintError
from storage.location import Location, PostgresLocation
from storage.postgres import WRITE_LOCK_KEY
from storage.sql import Connection, Dialect
from tests.storage.sqlite_files import NOW, integrity, plain
from tests.storage.stored import stored


async def pragma(conn: SqliteConnection, name: str) -> Any:
    return next(iter(await conn.fetch_all(f"PRAGMA {name}")))[0]


@contextlib.contextmanager
def another_process_writing(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would have) holding the database's write lock."""
    with plain(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")


async def test_opening_a_store_migrates_a_new_database_first(
    empty_store_location: Location,
) -> None:
    """A new SQLite file in a folder not made yet, or an empty PostgreSQL database (migrated
    as its owner: here the tests' own role, one for both)."""
    store_location = empty_store_location
    owner = store_location if isinstance(store_location, PostgresLocation) else None
    store = await Store.open(store_location, owner=owner)
    try:
        assert store.migration.from_version == 0
        assert store.migration.to_version == latest_version()
        async with store.transaction() as uow:
            await uow.state.put("k", "v", NOW)
    finally:
        await store.close()
    again = await Store.open(store_location, owner=owner)
    try:
        assert again.migration.from_version == latest_version()
        assert await stored(again, "SELECT key, value FROM bot_state") == [("k", "v")]
    finally:
        await again.close()


@pytest.mark.engines("sqlite")  # SQLite's PRAGMAs; PostgreSQL's settings are checked below
async def test_the_writer_uses_wal_full_sync_foreign_keys_and_a_busy_timeout(
    database: Database,
) -> None:
    async with database.transaction() as conn:
        assert await pragma(conn, "journal_mode") == "wal"
        assert await pragma(conn, "synchronous") == 2  # FULL
        assert await pragma(conn, "foreign_keys") == 1
        assert await pragma(conn, "busy_timeout") > 0
        assert await pragma(conn, "query_only") == 0


@pytest.mark.engines("sqlite")  # SQLite's PRAGMAs; PostgreSQL's settings are checked below
async def test_readers_are_query_only_with_the_same_safety_settings(database: Database) -> None:
    async with database.reading() as conn:
        assert await pragma(conn, "query_only") == 1
        assert await pragma(conn, "journal_mode") == "wal"
        assert await pragma(conn, "foreign_keys") == 1
        assert await pragma(conn, "busy_timeout") > 0


@pytest.mark.engines("postgresql")  # SQLite's counterpart: the two PRAGMA tests above
async def test_postgresql_writes_commit_durably_and_reads_are_read_only_snapshots(
    store: Store,
) -> None:
    async def setting(conn: Connection, name: str) -> Any:
        return (await conn.fetch_all(f"SHOW {name}"))[0][0]

    async with store._db.transaction() as conn:
        assert await setting(conn, "synchronous_commit") == "on"
        assert await setting(conn, "transaction_read_only") == "off"
        assert await setting(conn, "lock_timeout") != "0"
        assert await setting(conn, "TimeZone") == "UTC"
    async with store._db.reading() as conn:
        assert await setting(conn, "transaction_read_only") == "on"
        assert await setting(conn, "transaction_isolation") == "repeatable read"
        assert await setting(conn, "synchronous_commit") == "on"


async def test_a_write_through_store_reading_fails_and_the_reader_stays_usable(
    store: Store,
) -> None:
    async with store.reading() as uow:
        with pytest.raises(StorageError, match=r"read-?only"):
            await uow.state.put("k", "v", NOW)
        if store.dialect is Dialect.SQLITE:  # PostgreSQL ends a transaction at its first error
            assert await uow.state.get("k") is None
    async with store.reading() as uow:
        assert await uow.state.get("k") is None
    assert await stored(store, "SELECT * FROM bot_state") == []


async def test_concurrent_transactions_do_not_interleave(store: Store) -> None:
    tasks = 50

    async def increment() -> None:
        async with store.transaction() as uow:
            value = int(await uow.state.get("counter") or "0")
            await asyncio.sleep(0)  # any other task that could run now would read the same value
            await uow.state.put("counter", str(value + 1), NOW)

    await asyncio.gather(*(increment() for _ in range(tasks)))
    async with store.reading() as uow:
        assert await uow.state.get("counter") == str(tasks)


async def test_a_transaction_whose_body_raises_rolls_back_and_the_error_propagates(
    store: Store,
) -> None:
    boom = ValueError("boom")

    async def fail() -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", "lost", NOW)
            await uow.audit.append(at=NOW, actor_id=1, action="test.lost")
            raise boom

    with pytest.raises(ValueError, match="boom") as caught:
        await fail()
    assert caught.value is boom
    async with store.reading() as uow:
        assert await uow.state.get("k") is None
        assert await uow.audit.recent() == []
    async with store.transaction() as uow:
        await uow.state.put("k", "kept", NOW)
    assert await stored(store, "SELECT value FROM bot_state") == [("kept",)]


async def test_a_constraint_error_propagates_unchanged_and_rolls_back(store: Store) -> None:
    insert = (
        "INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v', '2026-11-02T09:00:00')"
    )

    async def insert_twice() -> None:
        async with store._db.transaction() as conn:  # under the repositories
            await conn.run(insert)
            await conn.run(insert)

    with pytest.raises(ConstraintError, match=r"(?i)unique"):
        await insert_twice()
    assert await stored(store, "SELECT * FROM bot_state") == []


async def test_a_cancelled_transaction_rolls_back_and_the_store_stays_usable(store: Store) -> None:
    inside = asyncio.Event()

    async def stuck() -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", "lost", NOW)
            inside.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with store.transaction() as uow:
        assert await uow.state.get("k") is None
        await uow.state.put("k", "kept", NOW)
    async with store.reading() as uow:
        assert await uow.state.get("k") == "kept"


@pytest.mark.engines("sqlite")  # SQLite's BEGIN IMMEDIATE queued behind another process's lock
async def test_a_task_cancelled_while_its_transaction_begins_leaves_the_writer_usable(
    sqlite_store: Store,
) -> None:
    store = sqlite_store

    async def write() -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", "v", NOW)

    with another_process_writing(store.path) as other:
        task = asyncio.create_task(write())
        await asyncio.sleep(0)  # the task now waits for its BEGIN IMMEDIATE, blocked by `other`
        task.cancel()
        other.execute("ROLLBACK")  # the BEGIN, still queued on the writer's thread, succeeds
        with pytest.raises(asyncio.CancelledError):
            await task
        await write()  # regression: the cancelled BEGIN used to leave the writer in a transaction
        async with store.reading() as uow:
            assert await uow.state.get("k") == "v"
        other.execute("PRAGMA busy_timeout = 0")
        other.execute("BEGIN IMMEDIATE")  # and the bot holds no write lock between transactions


async def test_a_read_cancelled_as_it_starts_returns_a_clean_connection_to_the_pool(
    store_location: Location,
) -> None:
    store = await Store.open(store_location, readers=1)
    try:

        async def read() -> str | None:
            async with store.reading() as uow:
                return await uow.state.get("k")

        task = asyncio.create_task(read())
        await asyncio.sleep(0)  # the task now waits for its BEGIN
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with store.transaction() as uow:
            await uow.state.put("k", "v", NOW)
        assert await read() == "v"  # the only reader is not stuck in a transaction
        assert await read() == "v"
    finally:
        await store.close()


async def test_a_nested_transaction_in_the_same_task_is_an_error_not_a_deadlock(
    store: Store,
) -> None:
    async def nest() -> None:
        async with store.transaction() as outer:
            await outer.state.put("k", "lost", NOW)
            async with store.transaction():
                pass

    with pytest.raises(RuntimeError, match="nested"):
        await nest()
    async with store.transaction() as uow:  # the lock was released, the outer rolled back
        assert await uow.state.get("k") is None


async def test_reads_see_only_committed_data(store: Store) -> None:
    written = asyncio.Event()
    may_commit = asyncio.Event()

    async def slow_writer() -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", "uncommitted", NOW)
            written.set()
            await may_commit.wait()

    task = asyncio.create_task(slow_writer())
    await written.wait()
    async with store.reading() as uow:  # WAL: the reader is not blocked by the open write
        assert await uow.state.get("k") is None
    may_commit.set()
    await task
    async with store.reading() as uow:
        assert await uow.state.get("k") == "uncommitted"


async def test_a_read_keeps_one_snapshot_while_others_commit(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.state.put("k", "old", NOW)
    async with store.reading() as reader:
        assert await reader.state.get("k") == "old"
        async with store.transaction() as writer:
            await writer.state.put("k", "new", NOW)
            await writer.state.put("other", "new", NOW)
        assert await reader.state.get("k") == "old"
        assert await reader.state.get("other") is None
    async with store.reading() as reader:
        assert await reader.state.get("k") == "new"


async def test_a_reading_block_that_raises_gives_its_connection_back(
    store_location: Location,
) -> None:
    store = await Store.open(store_location, readers=1)
    try:

        async def read_and_fail() -> None:
            async with store.reading() as uow:
                await uow.state.get("k")
                raise KeyError("k")

        for _ in range(5):
            with pytest.raises(KeyError):
                await read_and_fail()
        async with store.reading() as uow:
            assert await uow.state.get("k") is None
    finally:
        await store.close()


@pytest.mark.engines("sqlite")  # a full disk made with SQLite's max_page_count
async def test_a_full_disk_is_a_clear_error_nothing_is_half_written_and_work_resumes(
    database: Database, sqlite_store: Store
) -> None:
    store = sqlite_store
    async with database.transaction() as conn:
        pages = await pragma(conn, "page_count")
        await conn.raw.execute(f"PRAGMA max_page_count = {pages + 2}")  # ~8 KB left

    async def write_small_then_big() -> None:
        async with store.transaction() as uow:
            await uow.state.put("small", "s", NOW)
            await uow.state.put("big", "x" * 200_000, NOW)

    with pytest.raises(DatabaseFullError, match="full") as caught:
        await write_small_then_big()
    assert "nothing of this change was saved" in str(caught.value)
    async with store.reading() as uow:
        assert await uow.state.get("small") is None
        assert await uow.state.get("big") is None
    assert integrity(database.path) == ["ok"]

    async with database.transaction() as conn:
        await conn.raw.execute("PRAGMA max_page_count = 1073741823")  # space returned
    await write_small_then_big()
    async with store.reading() as uow:
        assert await uow.state.get("small") == "s"
        assert await uow.state.get("big") == "x" * 200_000
    assert check_database(database.path).ok


@pytest.mark.engines("sqlite")  # SQLite's file lock, with its busy_timeout set to 0
async def test_a_lock_held_too_long_by_another_process_is_a_clear_error(
    database: Database, sqlite_store: Store
) -> None:
    store = sqlite_store
    async with database.transaction() as conn:
        # The real timeout is 10 s; with 0 the outcome is the same, without the wait.
        await conn.raw.execute("PRAGMA busy_timeout = 0")

    async def write() -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", "v", NOW)

    with another_process_writing(store.path) as other:
        with pytest.raises(DatabaseLockedError, match="another process"):
            await write()
        other.execute("COMMIT")
    await write()
    async with store.reading() as uow:
        assert await uow.state.get("k") == "v"


@pytest.mark.engines("postgresql")  # SQLite's counterpart: the lock held by another process
async def test_a_write_waits_for_another_instance_holding_the_write_lock_then_sees_its_commit(
    store: Store,
) -> None:
    """Another instance inside its write transaction (holding the transaction-level write
    lock): the bot's write waits for it, then reads what it committed, so nothing is lost."""
    location = store.location
    assert isinstance(location, PostgresLocation)

    async def append(text: str) -> None:
        async with store.transaction() as uow:
            value = await uow.state.get("k") or ""
            await uow.state.put("k", value + text, NOW)

    other = await asyncpg.connect(location.dsn)
    try:
        held = other.transaction()
        await held.start()
        await other.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
        await other.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'other;', $1)",
            "2026-11-02T09:00:00.000000+00:00",
        )
        task = asyncio.create_task(append("bot;"))
        await until_the_bot_waits_for_the_lock(other)
        assert not task.done()
        await held.commit()
        await task
    finally:
        await other.close()
    async with store.reading() as uow:
        assert await uow.state.get("k") == "other;bot;"


@pytest.mark.engines("postgresql")  # SQLite's counterpart: a task cancelled while it begins
async def test_a_write_cancelled_while_waiting_for_the_write_lock_leaves_the_writer_usable(
    store: Store,
) -> None:
    location = store.location
    assert isinstance(location, PostgresLocation)

    async def write(value: str) -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", value, NOW)

    other = await asyncpg.connect(location.dsn)
    try:
        held = other.transaction()
        await held.start()
        await other.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
        task = asyncio.create_task(write("lost"))
        await until_the_bot_waits_for_the_lock(other)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await held.rollback()
        await write("kept")
        # and the bot holds no write lock between transactions
        async with other.transaction():
            assert await other.fetchval("SELECT pg_try_advisory_xact_lock($1)", WRITE_LOCK_KEY)
    finally:
        await other.close()
    async with store.reading() as uow:
        assert await uow.state.get("k") == "kept"


async def until_the_bot_waits_for_the_lock(other: asyncpg.Connection) -> None:
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    for _ in range(3000):
        if await other.fetchval(waiting):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot's write never waited for the lock")


async def test_a_closed_store_refuses_work_and_closing_twice_is_harmless(
    store_location: Location,
) -> None:
    store = await Store.open(store_location)
    await store.close()
    await store.close()
    with pytest.raises(StorageError, match="closed"):
        async with store.transaction():
            pass
    with pytest.raises(StorageError, match="closed"):
        async with store.reading():
            pass
