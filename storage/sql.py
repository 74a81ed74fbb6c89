"""One thread round-trip per statement.

aiosqlite runs every call on the connection's thread and wakes the event loop for the result;
`async with conn.execute(...) as cursor: await cursor.fetchone()` costs three such round-trips,
all while the writer lock is held. These helpers cost one, which is what keeps transactions
short under load (see bench/README.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

Params = Sequence[Any]


async def fetch_one(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> Any:
    rows = await conn.execute_fetchall(sql, params)
    for row in rows:
        return row
    return None


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[Any]:
    return list(await conn.execute_fetchall(sql, params))


async def fetch_value(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> Any:
    row = await fetch_one(conn, sql, params)
    return None if row is None else row[0]


async def run(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Executes a write; returns the number of rows it changed."""
    cursor = await conn.execute(sql, params)
    return cursor.rowcount


async def insert(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Executes an INSERT; returns the new row's id."""
    cursor = await conn.execute(sql, params)
    row_id = cursor.lastrowid
    if row_id is None:
        raise sqlite3.InterfaceError("INSERT returned no row id")
    return row_id
