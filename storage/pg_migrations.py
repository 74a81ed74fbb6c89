"""PostgreSQL migrations: `storage/migrations/postgresql/NNNN_name.sql`, in step with SQLite's.

The files carry the same numbers and names as the SQLite ones and give a schema of the same
meaning (tests/storage/test_postgres_schema.py compares the two). Each file runs in one
transaction together with its row in `schema_version` (which keeps a checksum, so a file
edited after it was applied is caught). PostgreSQL's DDL is transactional, so a failure leaves
the previous version whole. Every step first takes a transaction-level advisory lock, so two
instances starting together apply each file once; a transaction lock, unlike a session one,
cannot leak through a connection pool or PgBouncer's transaction pooling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from storage.codec import encode_time
from storage.errors import DatabaseTooNewError, MigrationError
from storage.location import PostgresLocation, parse_location
from storage.migrations import (
    MIGRATIONS_DIR,
    Migration,
    MigrationReport,
    load_migrations,
    refuse_changed,
)
from storage.postgres import translate

PG_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgresql"

#: An arbitrary constant naming this runner's advisory lock ("rbmigr" in ASCII); granting the
#: bot's role (storage/pg_roles.py) takes it too.
MIGRATION_LOCK_KEY = 0x72626D69_6772

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at text NOT NULL
)
"""

_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
# Function bodies ($$ ... $$ or $tag$ ... $tag$) and string literals hold no statements of
# their own: a plpgsql BEGIN/END is not transaction control.
_DOLLAR_QUOTED = re.compile(r"(\$[A-Za-z_]*\$).*?\1", re.DOTALL)
_STRING = re.compile(r"'(?:[^']|'')*'")
_TRANSACTION_CONTROL = frozenset(
    {"BEGIN", "COMMIT", "END", "ROLLBACK", "ABORT", "START", "SAVEPOINT", "RELEASE", "PREPARE"}
)
_OUTSIDE_TRANSACTION = re.compile(r"^\s*(VACUUM|CREATE\s+DATABASE)\b|\bCONCURRENTLY\b", re.I)


def load_pg_migrations(directory: Path | None = None) -> tuple[Migration, ...]:
    return load_migrations(directory or PG_MIGRATIONS_DIR, validate=_validate)


def pg_latest_version(directory: Path | None = None) -> int:
    migrations = load_pg_migrations(directory)
    return migrations[-1].version if migrations else 0


async def migrate_postgres(
    database: str | PostgresLocation | asyncpg.Connection,
    *,
    directory: Path | None = None,
    target: int | None = None,
) -> MigrationReport:
    """Brings the database (a DSN or an open connection) to `target` (default: the latest)."""
    migrations = load_pg_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    goal = latest if target is None else target
    if not 0 <= goal <= latest:
        raise MigrationError(f"target version {goal} is not between 0 and {latest}")
    if isinstance(database, asyncpg.Connection):
        return await _migrate(database, migrations, goal, latest)
    location = parse_location(database) if isinstance(database, str) else database
    if not isinstance(location, PostgresLocation):
        raise MigrationError(f"{location.describe()} is not a PostgreSQL database")
    try:
        conn = await asyncpg.connect(location.dsn, timeout=10)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise translate(exc, location.describe()) from None
    try:
        return await _migrate(conn, migrations, goal, latest)
    finally:
        await conn.close()


async def require_migrated(
    location: PostgresLocation, *, directory: Path | None = None
) -> MigrationReport:
    """`migrate_postgres`'s read-only sibling, for a role that may not change the schema (the
    bot's own, docs/postgresql.md): the database's version when it is this code's, with
    every applied file's checksum as recorded; else `MigrationError` saying what to run."""
    migrations = load_pg_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    try:
        conn = await asyncpg.connect(location.dsn, timeout=10)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise translate(exc, location.describe()) from None
    try:
        async with conn.transaction(readonly=True):
            current = await schema_version(conn)
            await _refuse_newer(conn, current, latest)
            await _verify_applied(conn, migrations[:current])
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise translate(exc, location.describe()) from None
    finally:
        await conn.close()
    if current < latest:
        raise MigrationError(
            f"PostgreSQL database {location.describe()} has schema version {current}, this "
            f"release {latest}: run `report-bot migrate` with DATABASE_OWNER_URL set to the "
            "tables' owner (the bot's own role may not change the schema), then start again"
        )
    return MigrationReport(current, current, ())


async def schema_version(conn: asyncpg.Connection) -> int:
    """0 for a database the runner never touched."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval("SELECT max(version) FROM schema_version")
    return int(version or 0)


async def _migrate(
    conn: asyncpg.Connection, migrations: Sequence[Migration], goal: int, latest: int
) -> MigrationReport:
    start: int | None = None
    applied: list[str] = []
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
            # Only when missing: a role that may not create tables (the bot's own) then finds
            # an up-to-date database up to date instead of being refused the CREATE.
            if not await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL"):
                await conn.execute(_BOOKKEEPING)
            current = await schema_version(conn)
            if start is None:
                start = current
                await _refuse_newer(conn, current, latest)
                await _verify_applied(conn, migrations[: min(current, goal)])
            if current >= goal:
                return MigrationReport(start, max(start, goal), tuple(applied))
            await _apply(conn, migrations[current])
        applied.append(migrations[current].filename)


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    """Runs inside the caller's transaction; a failure rolls the file back with it."""
    try:
        await conn.execute(migration.sql)
    except asyncpg.PostgresError as exc:
        raise MigrationError(
            f"{migration.filename} failed and was rolled back, the database keeps schema "
            f"version {migration.version - 1}: {exc}"
        ) from exc
    await conn.execute(
        "INSERT INTO schema_version (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        migration.version,
        migration.name,
        migration.checksum,
        encode_time(datetime.now(UTC)),
    )


async def _refuse_newer(conn: asyncpg.Connection, current: int, latest: int) -> None:
    if current > latest:
        name = await conn.fetchval("SELECT current_database()")
        raise DatabaseTooNewError(
            f"PostgreSQL database {name} has schema version {current} but this release only "
            f"knows up to {latest}; run the newer release, or restore a backup made for this one"
        )


async def _verify_applied(conn: asyncpg.Connection, migrations: Sequence[Migration]) -> None:
    if not migrations:
        return
    recorded = {
        int(row["version"]): str(row["checksum"])
        for row in await conn.fetch("SELECT version, checksum FROM schema_version")
    }
    refuse_changed(migrations, recorded)


def _validate(migration: Migration) -> None:
    code = _BLOCK_COMMENT.sub(" ", _LINE_COMMENT.sub(" ", migration.sql))
    code = _STRING.sub("''", _DOLLAR_QUOTED.sub("$$ $$", code))
    if not code.strip(" \t\r\n;"):
        raise MigrationError(f"{migration.filename} is empty")
    if "schema_version" in code.lower():
        raise MigrationError(f"{migration.filename} touches schema_version; the runner does that")
    for statement in code.split(";"):
        words = statement.split()
        if words and words[0].upper() in _TRANSACTION_CONTROL:
            raise MigrationError(
                f"{migration.filename} contains transaction control ({words[0].upper()}); "
                "the runner wraps each file in one transaction"
            )
        if _OUTSIDE_TRANSACTION.search(statement):
            raise MigrationError(
                f"{migration.filename}: {' '.join(words[:3])} cannot run in a transaction"
            )


__all__ = [
    "PG_MIGRATIONS_DIR",
    "load_pg_migrations",
    "migrate_postgres",
    "pg_latest_version",
    "require_migrated",
    "schema_version",
]
