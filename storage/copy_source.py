"""The source of `report-bot db copy` (storage/copy.py): a SQLite file opened read-only, at
the latest schema with unedited migrations, and its tables' columns and keys."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import aiosqlite

from storage.connection import BUSY_TIMEOUT_MS, open_connection
from storage.copy_rows import CopyRefused
from storage.errors import MigrationError, StorageError
from storage.migrations import latest_version, load_migrations, refuse_changed

#: Bookkeeping of SQLite's migration runner and of SQLite itself: never copied.
SQLITE_BOOKKEEPING: Final = frozenset({"schema_migrations", "sqlite_sequence"})


def source_uri(path: Path) -> str:
    if not path.is_file():
        raise CopyRefused(
            f"there is no SQLite database at {path}; check DATABASE_PATH / DATABASE_URL"
        )
    return f"{path.resolve().as_uri()}?mode=ro"


async def open_source(path: Path) -> aiosqlite.Connection:
    uri = source_uri(path)
    try:
        conn = await open_connection(uri, f"cannot open {path}", uri=True, isolation_level=None)
    except StorageError as exc:
        raise CopyRefused(str(exc)) from None
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA query_only = ON")
        await conn.execute("PRAGMA schema_version")  # fails now if it is not a database
    except sqlite3.Error as exc:
        await conn.close()
        raise CopyRefused(f"cannot open {path}: {exc}") from None
    return conn


async def source_version(conn: aiosqlite.Connection, path: Path) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    latest = latest_version()
    if version > latest:
        raise CopyRefused(
            f"{path} has schema version {version} but this release only knows up to {latest}; "
            "copy it with the release that wrote it"
        )
    if version < latest:
        raise CopyRefused(
            f"{path} has schema version {version}, this release {latest}: run `report-bot "
            "migrate` on it first (with the bot stopped), then copy again"
        )
    async with conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ) as cursor:
        found = await cursor.fetchone()
    if found and found[0]:
        async with conn.execute("SELECT version, checksum FROM schema_migrations") as cursor:
            recorded = {int(r[0]): str(r[1]) for r in await cursor.fetchall()}
        try:
            refuse_changed(load_migrations(), recorded)
        except MigrationError as exc:
            raise CopyRefused(f"{path}: {exc}") from None
    return version


async def source_columns(conn: aiosqlite.Connection) -> dict[str, list[str]]:
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ) as cursor:
        names = [str(row[0]) for row in await cursor.fetchall()]
    tables: dict[str, list[str]] = {}
    for name in names:
        if name in SQLITE_BOOKKEEPING:
            continue
        async with conn.execute("SELECT name FROM pragma_table_info(?)", (name,)) as cursor:
            tables[name] = [str(row[0]) for row in await cursor.fetchall()]
    return tables


async def primary_key(conn: aiosqlite.Connection, table: str) -> list[str]:
    async with conn.execute(
        "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,)
    ) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]


# --- the target -----------------------------------------------------------------------------
