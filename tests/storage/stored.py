"""What a store holds, and what someone with write access but not the bot can do to it, on
either engine (SQLite or PostgreSQL), never through the repositories under test."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import asyncpg

from storage import Store
from storage.location import Location, PostgresLocation, SqliteLocation
from storage.sql import numbered
from tests.postgres import owner_dsn

#: SQL, or (SQL, parameters); `?` placeholders on both engines.
Statement = str | tuple[str, Sequence[Any]]


class Refused(Exception):
    """The database refused the statement (a guard trigger, a CHECK, a key); its message."""


async def stored(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows `sql` selects, as tuples; a test's look at the tables, not a repository."""
    async with store._db.reading() as conn:  # the engine's connection, under the repositories
        return [tuple(row) for row in await conn.fetch_all(sql, params)]


async def outside(store: Store, sql: str, params: Sequence[Any] = ()) -> None:
    """Runs `sql` (`?` placeholders) on a connection of its own, as an operator with the
    database's password would, outside the bot (on PostgreSQL as the tables' owner, not the
    bot's role); `Refused` when the database says no."""
    await outside_all(store, (sql, params))


async def outside_all(store: Store | Location, *statements: Statement) -> None:
    """Runs `statements` in order on one connection of its own, each committed by itself, as
    `outside` does; `Refused` at the first the database says no to. A `Location` for a
    database no store has open (one built at an old schema version, say)."""
    location = store.location if isinstance(store, Store) else store
    pairs = [(s, ()) if isinstance(s, str) else (s[0], tuple(s[1])) for s in statements]
    if isinstance(location, SqliteLocation):
        conn = sqlite3.connect(location.path, isolation_level=None)
        try:
            for sql, params in pairs:
                conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise Refused(str(exc)) from None
        finally:
            conn.close()
        return
    assert isinstance(location, PostgresLocation)
    raw = await asyncpg.connect(owner_dsn(location.dsn))
    try:
        for sql, params in pairs:
            await raw.execute(numbered(sql), *params)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise Refused(str(exc)) from None
    finally:
        await raw.close()


async def unguarded(
    store: Store, triggers: Sequence[tuple[str, str]], *statements: Statement
) -> None:
    """What someone with the database's password can do: drop the guard `triggers`
    ((trigger, table) pairs), then run `statements` outside the bot."""
    if isinstance(store.location, SqliteLocation):
        drops = [f"DROP TRIGGER IF EXISTS {name}" for name, _ in triggers]
    else:
        drops = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in triggers]
    await outside_all(store, *drops, *statements)


async def at_rest(store: Store) -> bytes:
    """What the database keeps, as bytes to search for a value in clear: SQLite's file with its
    -wal and -shm (free pages included); on PostgreSQL, every value of every table, read
    outside the bot (text as UTF-8, bytea as its bytes)."""
    location = store.location
    if isinstance(location, SqliteLocation):
        path = location.path
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    assert isinstance(location, PostgresLocation)
    raw = await asyncpg.connect(owner_dsn(location.dsn))
    try:
        tables = await raw.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        chunks: list[bytes] = []
        for (table,) in tables:
            for row in await raw.fetch(f'SELECT * FROM "{table}"'):  # noqa: S608 - catalogue names
                for value in row.values():
                    if isinstance(value, bytes):
                        chunks.append(value)
                    elif value is not None:
                        chunks.append(str(value).encode())
        assert chunks, "the database holds no rows at all"
        return b"\x00".join(chunks)
    finally:
        await raw.close()


class Rows:
    """Rows a test lays out, as statements run outside the bot by `put` once the store is
    open: the builders write `rows.execute(sql, params)` as they would on a connection."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Sequence[Any]]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.statements.append((sql, params))

    async def put(self, store: Store) -> None:
        await outside_all(store, *self.statements)
