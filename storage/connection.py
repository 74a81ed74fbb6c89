"""Opening SQLite connections with the settings legal evidence needs.

WAL lets readers work while one writer commits; synchronous=FULL makes every commit durable
across power loss, not only process crashes; foreign keys are enforced; a busy connection waits
instead of failing at once. A new database is created readable by the bot's user only
(storage/files.py), whatever the umask.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import aiosqlite

from storage.errors import ConstraintError, DatabaseFullError, DatabaseLockedError, StorageError
from storage.files import ensure_private_dir, ensure_private_file
from storage.sql import Dialect, Params

BUSY_TIMEOUT_MS: Final = 10_000
# Page cache per connection (grows only as pages are used). SQLite's 2 MB default makes every
# insert into the registry's random-keyed indexes a trip to the OS once the file is gigabytes.
CACHE_KIB: Final = 65_536
MIN_SQLITE: Final = (3, 37, 0)  # STRICT tables
#: What to do when the database cannot be created or opened where the settings say.
WHERE_TO: Final = (
    "check DATABASE_PATH (or DATABASE_URL): a database file in a folder this user may write"
)
#: How long a failed connect's worker thread may take to stop (it only closes a handle).
THREAD_STOP_SECONDS: Final = 5.0


async def connect(path: Path, *, read_only: bool = False) -> aiosqlite.Connection:
    """Opens `path` (creating it and its folder unless read-only) in autocommit mode."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise StorageError(
            f"SQLite {sqlite3.sqlite_version} is too old; {'.'.join(map(str, MIN_SQLITE))} "
            "or newer is needed"
        )
    if not read_only:
        _prepare(path)
    conn = await open_connection(path, f"cannot open the database {path}", isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        if not read_only:
            async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            if row is None or str(row[0]).lower() != "wal":
                raise StorageError(
                    f"{path}: the filesystem does not support SQLite's WAL mode; put "
                    "DATABASE_PATH on a local disk"
                )
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            await conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        await conn.close()
        raise StorageError(f"cannot open the database {path}: {exc}") from None
    except BaseException:
        await conn.close()
        raise
    return conn


def _prepare(path: Path) -> None:
    """The database's folder and file, private, before SQLite opens it (it would create the
    file with the umask's mode and give -wal and -shm the same)."""
    try:
        ensure_private_dir(path.parent)
    except OSError as exc:
        raise StorageError(
            f"cannot create the folder {path.parent}: {exc.strerror}; {WHERE_TO}"
        ) from None
    try:
        ensure_private_file(path)
    except OSError as exc:
        raise StorageError(
            f"cannot create the database {path}: {exc.strerror}; {WHERE_TO}"
        ) from None
    if path.is_dir():
        raise StorageError(f"cannot open the database {path}: it is a folder; {WHERE_TO}")


async def open_connection(target: str | Path, failed: str, **options: Any) -> aiosqlite.Connection:
    """`aiosqlite.connect(target, **options)`; a failure is `StorageError(f"{failed}: ...")`.

    aiosqlite stops its worker thread after a failed connect without waiting for it, and the
    thread's last call then lands on an event loop `asyncio.run` may have closed meanwhile:
    an "Event loop is closed" traceback on the operator's terminal after the one-line error.
    So the thread is waited for here before the error goes up."""
    pending = aiosqlite.connect(target, **options)
    try:
        return await pending
    except sqlite3.Error as exc:
        await asyncio.to_thread(pending._thread.join, THREAD_STOP_SECONDS)
        raise StorageError(f"{failed}: {exc}; {WHERE_TO}") from None


def _failure(exc: sqlite3.Error) -> StorageError:
    if isinstance(exc, sqlite3.IntegrityError):
        return ConstraintError(str(exc))
    return translate(exc)


class SqliteConnection:
    """An aiosqlite connection lent for one transaction or read; `raw` for SQLite-only work."""

    dialect: Final = Dialect.SQLITE

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]:
        try:
            return list(await self.raw.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise _failure(exc) from None

    async def run(self, sql: str, params: Params = ()) -> int:
        try:
            cursor = await self.raw.execute(sql, params)
        except sqlite3.Error as exc:
            raise _failure(exc) from None
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        try:
            cursor = await self.raw.execute(sql, params)
        except sqlite3.Error as exc:
            raise _failure(exc) from None
        if cursor.lastrowid is None:
            raise StorageError("INSERT returned no row id")
        return cursor.lastrowid

    async def run_many(self, sql: str, rows: Sequence[Params]) -> int | None:
        try:
            cursor = await self.raw.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise _failure(exc) from None
        return max(0, cursor.rowcount)


def translate(exc: sqlite3.Error) -> StorageError:
    """Maps SQLite's failures to ones the bot can explain; constraint errors stay as they are."""
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc)
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return DatabaseFullError(
            "the database or its disk is full; nothing of this change was saved. "
            "Free disk space; work resumes by itself."
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text:
        return DatabaseLockedError(
            "the database stayed locked by another process; is another copy of the bot or a "
            "long-running tool using it?"
        )
    return StorageError(f"database error: {text}")
