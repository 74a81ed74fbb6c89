"""One writer connection serialised by a lock, a small pool of read-only connections.

aiosqlite runs each connection on its own thread but does not isolate tasks: two tasks sharing
a connection would execute inside each other's transactions. So every write goes through
`Database.transaction()`, which holds an asyncio lock for the whole `BEGIN IMMEDIATE ...
COMMIT`, and every read through `Database.reading()`, which lends a connection of its own with
a consistent snapshot (WAL readers never block the writer).
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import aiosqlite

from storage.connection import SqliteConnection, connect, translate
from storage.errors import StorageError
from storage.sql import Dialect

_in_transaction: contextvars.ContextVar[Database | None] = contextvars.ContextVar(
    "storage_in_transaction", default=None
)


class Database:
    """SQLite's engine; `storage.postgres.PostgresDatabase` is PostgreSQL's."""

    dialect: Final = Dialect.SQLITE

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, readers: list[aiosqlite.Connection]
    ) -> None:
        self.path = path
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers = tuple(readers)
        for reader in readers:
            self._readers.put_nowait(reader)
        self._closed = False

    @classmethod
    async def open(cls, path: Path, *, readers: int = 2) -> Database:
        writer = await connect(path)
        pool: list[aiosqlite.Connection] = []
        try:
            for _ in range(max(1, readers)):
                pool.append(await connect(path, read_only=True))
        except BaseException:
            for conn in (writer, *pool):
                await conn.close()
            raise
        return cls(path, writer, pool)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConnection]:
        """Yields the writer inside `BEGIN IMMEDIATE`; commits on success, rolls back on error.

        Failures become `StorageError`s: `ConstraintError` for a broken rule (so callers can
        react to a lost race), `DatabaseFullError`, `DatabaseLockedError`.
        """
        self._check_open()
        if _in_transaction.get() is self:
            raise RuntimeError("nested Database.transaction(): pass the unit of work down instead")
        async with self._write_lock:
            token = _in_transaction.set(self)
            conn = self._writer
            try:
                try:
                    await conn.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise translate(exc) from None
                except BaseException:
                    # Cancelled while waiting: the BEGIN still runs on the connection's thread.
                    await asyncio.shield(self._rollback(conn))
                    raise
                try:
                    yield SqliteConnection(conn)
                except sqlite3.OperationalError as exc:
                    await asyncio.shield(self._rollback(conn))
                    raise translate(exc) from exc
                except BaseException:
                    await asyncio.shield(self._rollback(conn))
                    raise
                try:
                    await conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    await asyncio.shield(self._rollback(conn))
                    raise translate(exc) from None
            finally:
                _in_transaction.reset(token)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqliteConnection]:
        """Lends a read-only connection holding one snapshot for the whole block."""
        self._check_open()
        conn = await self._readers.get()
        try:
            try:
                await conn.execute("BEGIN")
                yield SqliteConnection(conn)
            finally:
                await asyncio.shield(self._rollback(conn))
        finally:
            self._readers.put_nowait(conn)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            for conn in (self._writer, *self._all_readers):
                await conn.close()

    @staticmethod
    async def _rollback(conn: aiosqlite.Connection) -> None:
        # Queued behind whatever a cancelled caller left running on the connection's thread
        # (a BEGIN still executes), so only its outcome tells whether a transaction was open.
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            if conn.in_transaction:
                raise

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the database is closed")
