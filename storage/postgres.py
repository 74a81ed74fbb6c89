"""PostgreSQL through an asyncpg pool, with SQLite's guarantees kept across instances.

Writes are serialised, as SQLite's `BEGIN IMMEDIATE` serialises them, but by the database:
every write transaction first takes one transaction-level advisory lock, so whichever
instance runs it, a transaction sees everything committed before it and nothing commits in
between (no lost update between two instances editing one case, exactly one decision). A
transaction lock ends with its transaction, so it cannot leak through the pool or break behind
PgBouncer's transaction pooling, and it is released when an instance dies mid-transaction.
Within one process an asyncio lock queues writers first, so waiting writers never take all of
the pool's connections from the readers. Reads run in a read-only REPEATABLE READ transaction:
one snapshot for the whole block, never blocking a writer.

Commits are durable: every session sets `synchronous_commit = on` whatever the server's
default, so an acknowledged report is on the server's disk (and its synchronous standbys).
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from functools import lru_cache
from typing import Any, Final, Union

import asyncpg
import asyncpg.exceptions as pgerr
from asyncpg.pool import PoolConnectionProxy

from storage.errors import (
    ConstraintError,
    DatabaseFullError,
    DatabaseLockedError,
    DatabaseUnavailableError,
    StorageError,
)
from storage.location import PostgresLocation
from storage.sql import Dialect, Params, numbered

# Arbitrary constant naming the write lock's advisory lock ("rbwrite" in ASCII).
WRITE_LOCK_KEY: Final = 0x72_6277_7269_7465
LOCK_TIMEOUT: Final = "10s"  # as SQLite's busy timeout: then DatabaseLockedError
# A hung instance must not keep the write lock (and so every other instance) for ever.
IDLE_IN_TRANSACTION_TIMEOUT: Final = "60s"
SESSION_SETTINGS: Final = {
    "synchronous_commit": "on",
    "lock_timeout": LOCK_TIMEOUT,
    "idle_in_transaction_session_timeout": IDLE_IN_TRANSACTION_TIMEOUT,
    "application_name": "report-bot",
    "TimeZone": "UTC",
}
_COMMAND_COUNT = re.compile(r"(\d+)$")

RawConnection = Union[asyncpg.Connection, "PoolConnectionProxy[Any]"]

_in_transaction: contextvars.ContextVar[PostgresDatabase | None] = contextvars.ContextVar(
    "postgres_in_transaction", default=None
)


# SQLite's planner hints: PostgreSQL plans from its own statistics, and has no such clause.
_INDEXED_BY = re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE)


@lru_cache(maxsize=2048)
def _numbered(sql: str) -> str:
    """The statement as PostgreSQL takes it: `$n` placeholders, without SQLite's hints."""
    return numbered(_INDEXED_BY.sub("", sql))


def translate(exc: BaseException, where: str) -> StorageError:
    """Maps asyncpg's failures to the ones the bot explains; never names the password."""
    if isinstance(exc, pgerr.IntegrityConstraintViolationError):
        return ConstraintError(str(exc))
    if isinstance(exc, pgerr.DiskFullError | pgerr.InsufficientResourcesError):
        return DatabaseFullError(
            f"PostgreSQL at {where} is out of disk or resources; nothing of this change was "
            "saved. Free space on the server; work resumes by itself."
        )
    if isinstance(exc, pgerr.LockNotAvailableError):
        return DatabaseLockedError(
            f"PostgreSQL at {where}: another instance held the write lock for longer than "
            f"{LOCK_TIMEOUT}; is a long-running tool using the database?"
        )
    if isinstance(exc, pgerr.QueryCanceledError):
        return DatabaseLockedError(f"PostgreSQL at {where} cancelled the statement: {exc}")
    if isinstance(
        exc,
        OSError
        | asyncio.TimeoutError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | pgerr.CannotConnectNowError
        | pgerr.OperatorInterventionError
        | pgerr.TooManyConnectionsError,
    ):
        return DatabaseUnavailableError(
            f"cannot reach PostgreSQL at {where} ({type(exc).__name__}: {_reason(exc)}); "
            "is the server running and reachable? Work resumes when it is."
        )
    if isinstance(exc, pgerr.InvalidPasswordError | pgerr.InvalidAuthorizationSpecificationError):
        return DatabaseUnavailableError(
            f"PostgreSQL at {where} refused the login ({_reason(exc)}); check the user and "
            "password in DATABASE_URL"
        )
    if isinstance(exc, pgerr.InvalidCatalogNameError):
        return DatabaseUnavailableError(
            f"PostgreSQL at {where}: the database does not exist; create it first "
            "(createdb), the bot creates its tables itself"
        )
    return StorageError(f"database error: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


class PostgresConnection:
    """One pooled connection lent for a transaction or a read; `?` placeholders as `$n`."""

    dialect: Final = Dialect.POSTGRESQL

    def __init__(self, raw: RawConnection, where: str) -> None:
        self.raw = raw
        self._where = where

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]:
        try:
            return list(await self.raw.fetch(_numbered(sql), *params))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate(exc, self._where) from None

    async def run(self, sql: str, params: Params = ()) -> int:
        try:
            status = await self.raw.execute(_numbered(sql), *params)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate(exc, self._where) from None
        found = _COMMAND_COUNT.search(status or "")
        return int(found.group(1)) if found else 0

    async def insert(self, sql: str, params: Params = ()) -> int:
        try:
            value = await self.raw.fetchval(_numbered(sql) + " RETURNING id", *params)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate(exc, self._where) from None
        if value is None:
            raise StorageError("INSERT returned no row id")
        return int(value)

    async def run_many(self, sql: str, rows: Sequence[Params]) -> int | None:
        """One pipelined round-trip; PostgreSQL does not count the rows it changed."""
        if not rows:
            return 0
        try:
            await self.raw.executemany(_numbered(sql), rows)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate(exc, self._where) from None
        return None


class PostgresDatabase:
    """The pool; `transaction()` and `reading()` as `storage.database.Database` has them."""

    dialect: Final = Dialect.POSTGRESQL

    def __init__(self, location: PostgresLocation, pool: asyncpg.Pool) -> None:
        self.location = location
        self._pool = pool
        self._write_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, location: PostgresLocation, *, readers: int = 2) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(
                location.dsn,
                min_size=1,
                max_size=max(1, readers) + 1,
                server_settings=SESSION_SETTINGS,
                timeout=10,
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise translate(exc, location.describe()) from None
        return cls(location, pool)

    @property
    def where(self) -> str:
        return self.location.describe()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConnection]:
        """The write transaction: commits on success, rolls back on any error."""
        self._check_open()
        if _in_transaction.get() is self:
            raise RuntimeError("nested Database.transaction(): pass the unit of work down instead")
        async with self._write_lock:
            token = _in_transaction.set(self)
            try:
                async with self._acquired() as raw:
                    transaction = raw.transaction()
                    try:
                        await transaction.start()
                        await raw.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
                    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                        await asyncio.shield(_rollback(transaction))
                        raise translate(exc, self.where) from None
                    except BaseException:
                        await asyncio.shield(_rollback(transaction))
                        raise
                    try:
                        yield PostgresConnection(raw, self.where)
                    except BaseException:
                        await asyncio.shield(_rollback(transaction))
                        raise
                    try:
                        await transaction.commit()
                    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                        await asyncio.shield(_rollback(transaction))
                        raise translate(exc, self.where) from None
            finally:
                _in_transaction.reset(token)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[PostgresConnection]:
        """A read-only snapshot for the whole block."""
        self._check_open()
        async with self._acquired() as raw:
            transaction = raw.transaction(isolation="repeatable_read", readonly=True)
            try:
                await transaction.start()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                await asyncio.shield(_rollback(transaction))
                raise translate(exc, self.where) from None
            except BaseException:  # cancelled as it began: the connection goes back clean
                await asyncio.shield(_rollback(transaction))
                raise
            try:
                yield PostgresConnection(raw, self.where)
            finally:
                await asyncio.shield(_rollback(transaction))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[RawConnection]:
        """A plain pooled connection outside the write lock (maintenance, leases, claims)."""
        self._check_open()
        async with self._acquired() as raw:
            yield raw

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            try:
                await asyncio.wait_for(self._pool.close(), timeout=10)
            except TimeoutError:
                self._pool.terminate()

    @asynccontextmanager
    async def _acquired(self) -> AsyncIterator[RawConnection]:
        try:
            raw = await self._pool.acquire(timeout=30)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise translate(exc, self.where) from None
        try:
            yield raw
        finally:
            await asyncio.shield(self._pool.release(raw))

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the database is closed")


async def resync_identities(conn: RawConnection) -> int:
    """Moves every identity sequence past its table's largest id; returns how many it moved.

    Rows copied or restored with their ids (report-bot db copy) do not advance PostgreSQL's
    sequences, and the next row the bot inserts would take an id already in use."""
    columns = await conn.fetch(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "WHERE c.table_schema = current_schema() AND c.is_identity = 'YES'"
    )
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{name}'), "  # noqa: S608
            f"coalesce((SELECT max({name}) FROM {table}), 0) + 1, false)"
        )
    return len(columns)


async def _rollback(transaction: Any) -> None:
    # The connection may be gone (server restart, network): the pool discards it on release.
    with suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        await transaction.rollback()
