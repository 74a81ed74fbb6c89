"""What a store holds, and what someone with write access but not the bot can do to it, on
either engine (SQLite or PostgreSQL), never through the repositories under test."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import asyncpg

from storage import Store
from storage.location import PostgresLocation, SqliteLocation
from storage.sql import numbered


class Refused(Exception):
    """The database refused the statement (a guard trigger, a CHECK, a key); its message."""


async def stored(store: Store, sql: str) -> list[tuple[Any, ...]]:
    """The rows `sql` selects, as tuples; a test's look at the tables, not a repository."""
    async with store._db.reading() as conn:  # the engine's connection, under the repositories
        return [tuple(row) for row in await conn.fetch_all(sql)]


async def outside(store: Store, sql: str, params: Sequence[Any] = ()) -> None:
    """Runs `sql` (`?` placeholders) on a connection of its own, as an operator with the
    database's password would, outside the bot; `Refused` when the database says no."""
    location = store.location
    if isinstance(location, SqliteLocation):
        conn = sqlite3.connect(location.path, isolation_level=None)
        try:
            conn.execute(sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            raise Refused(str(exc)) from None
        finally:
            conn.close()
        return
    assert isinstance(location, PostgresLocation)
    raw = await asyncpg.connect(location.dsn)
    try:
        await raw.execute(numbered(sql), *params)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise Refused(str(exc)) from None
    finally:
        await raw.close()
