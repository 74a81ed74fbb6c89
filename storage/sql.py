"""The one surface repositories write SQL through, the same for SQLite and PostgreSQL.

Statements are written once, with `?` placeholders, in SQL both engines understand; the
PostgreSQL connection numbers the placeholders (`$1`, `$2`, ...) itself and drops SQLite's
`INDEXED BY` planner hints. Where the engines
differ (date arithmetic, JSON arrays, bulk inserts) the repository passes both texts side by
side through `per_dialect`, so the difference is visible where the statement is.

Each helper is one round-trip: aiosqlite runs every call on the connection's thread, and
`async with conn.execute(...) as cursor: await cursor.fetchone()` would cost three, all while
the writer lock is held (see bench/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Protocol

Params = Sequence[Any]


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class Connection(Protocol):
    """A connection lent for one transaction or one read snapshot."""

    @property
    def dialect(self) -> Dialect: ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]: ...

    async def run(self, sql: str, params: Params = ()) -> int:
        """Executes a write; returns the number of rows it changed."""
        ...

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Executes an INSERT into a table keyed by `id`; returns the new row's id."""
        ...

    async def run_many(self, sql: str, rows: Sequence[Params]) -> int | None:
        """Executes one write statement for each of `rows` in one round-trip; returns the
        number of rows changed, or None where the engine does not count them (PostgreSQL)."""
        ...


def per_dialect(conn: Connection, *, sqlite: str, postgresql: str) -> str:
    """The statement for `conn`'s engine, for the few that cannot be written once."""
    return sqlite if conn.dialect is Dialect.SQLITE else postgresql


async def fetch_one(conn: Connection, sql: str, params: Params = ()) -> Any:
    for row in await conn.fetch_all(sql, params):
        return row
    return None


async def fetch_all(conn: Connection, sql: str, params: Params = ()) -> list[Any]:
    return await conn.fetch_all(sql, params)


async def fetch_value(conn: Connection, sql: str, params: Params = ()) -> Any:
    row = await fetch_one(conn, sql, params)
    return None if row is None else row[0]


async def run(conn: Connection, sql: str, params: Params = ()) -> int:
    """Executes a write; returns the number of rows it changed."""
    return await conn.run(sql, params)


async def insert(conn: Connection, sql: str, params: Params = ()) -> int:
    """Executes an INSERT; returns the new row's id."""
    return await conn.insert(sql, params)


def matching(column: str, value: Any) -> tuple[str, tuple[Any, ...]]:
    """`column IS NULL` or `column = ?`: SQLite's `IS ?` is not PostgreSQL's, and an untyped
    NULL parameter cannot be planned there; this form also lets both use the index."""
    return (f"{column} IS NULL", ()) if value is None else (f"{column} = ?", (value,))


def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, ...`, leaving quoted text and names alone."""
    out: list[str] = []
    count = 0
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
            out.append(char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            count += 1
            out.append(f"${count}")
        else:
            out.append(char)
    return "".join(out)
