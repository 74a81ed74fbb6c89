"""Reading a test database synchronously on either engine, without the code under test.

End-to-end tests check what the running bot stored between steps, from synchronous helpers; a
PostgreSQL database is read on a thread of its own (asyncpg needs an event loop, and the test's
loop is busy running the bot).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg

from storage.location import Location, PostgresLocation, SqliteLocation
from storage.postgres import WRITE_LOCK_KEY, resync_identities
from storage.sql import numbered
from tests.postgres import owner_dsn

_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-db-reader")


def rows(where: Path | Location, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows `sql` (`?` placeholders) selects, as tuples, read with a plain connection."""
    location = SqliteLocation(where) if isinstance(where, Path) else where
    if isinstance(location, SqliteLocation):
        with sqlite3.connect(location.path) as conn:
            return list(conn.execute(sql, params))
    assert isinstance(location, PostgresLocation)
    reading = _pg_rows(owner_dsn(location.dsn), sql, params)
    return _READER.submit(asyncio.run, reading).result(timeout=30)


def execute(where: Path | Location, sql: str, *many: tuple[Any, ...]) -> None:
    """Writes as someone with the database's password would, outside the bot: `sql` once per
    parameter tuple (once without parameters when none is given), in one transaction."""
    location = SqliteLocation(where) if isinstance(where, Path) else where
    batches = list(many) or [()]
    if isinstance(location, SqliteLocation):
        with sqlite3.connect(location.path) as conn:
            conn.executemany(sql, batches)
        return
    assert isinstance(location, PostgresLocation)
    writing = _pg_execute(owner_dsn(location.dsn), sql, batches)
    _READER.submit(asyncio.run, writing).result(timeout=60)


async def execute_beside(where: Path | Location, sql: str, *many: tuple[Any, ...]) -> None:
    """`execute` from a thread, for a test whose event loop runs the bot: called in the loop,
    the blocking write would stop the loop while the bot's transaction, open at that moment,
    waits on the loop to commit, and each would wait for the other until SQLite's timeout
    ("database is locked")."""
    await asyncio.to_thread(execute, where, sql, *many)


def at_rest(location: Location) -> bytes:
    """Everything the database keeps, to search for a value in clear: a SQLite file with its
    WAL byte for byte, or every value of every PostgreSQL table (text as UTF-8, bytea as its
    bytes), read outside the bot."""
    if isinstance(location, SqliteLocation):
        path = location.path
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    assert isinstance(location, PostgresLocation)
    return _READER.submit(asyncio.run, _pg_values(owner_dsn(location.dsn))).result(timeout=60)


async def _pg_values(dsn: str) -> bytes:
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        chunks: list[bytes] = []
        for table in tables:
            name = table["tablename"]
            for row in await conn.fetch(f'SELECT * FROM "{name}"'):  # noqa: S608 - catalogue names
                for value in row.values():
                    if isinstance(value, bytes):
                        chunks.append(value)
                    elif value is not None:
                        chunks.append(str(value).encode())
        return b"\x00".join(chunks)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def write_lock_held(location: Location) -> AsyncIterator[None]:
    """Another process holding the database's write lock for the whole block: SQLite's
    `BEGIN IMMEDIATE`, or the advisory lock every PostgreSQL write transaction takes."""
    if isinstance(location, SqliteLocation):
        blocker = sqlite3.connect(location.path, timeout=30, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return
    assert isinstance(location, PostgresLocation)
    conn = await asyncpg.connect(location.dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            yield
    finally:
        await conn.close()


def database_env(location: Location) -> dict[str, str]:
    """The variable a CLI process needs to open this database."""
    if isinstance(location, SqliteLocation):
        return {"DATABASE_PATH": str(location.path)}
    assert isinstance(location, PostgresLocation)
    return {"DATABASE_URL": location.dsn}


async def _pg_execute(dsn: str, sql: str, batches: list[tuple[Any, ...]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.executemany(numbered(sql), batches)
            # Rows inserted with explicit ids leave the identity sequences behind; move them on
            # as a restore would, so the bot's next row gets a fresh id.
            await resync_identities(conn)
    finally:
        await conn.close()


async def _pg_rows(dsn: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(numbered(sql), *params)]
    finally:
        await conn.close()
