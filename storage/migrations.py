"""Numbered SQL migrations: `storage/migrations/NNNN_name.sql`, applied in order, each atomic.

Each file runs inside one `BEGIN IMMEDIATE ... COMMIT` together with its `PRAGMA user_version`
bump and its row in `schema_migrations` (which remembers a checksum, so a file edited after it
was applied is caught instead of silently diverging). `executescript` would commit a pending
transaction before running, so the runner works in autocommit mode and opens the transaction
inside the script itself; any failure rolls the whole file back, and a process that dies half
way leaves an uncommitted WAL tail that SQLite discards on the next open.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from moderation.text import counted
from storage.codec import encode_time
from storage.connection import connect
from storage.errors import DatabaseTooNewError, MigrationError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE
)
_USER_VERSION = re.compile(r"\bPRAGMA\s+(\w+\.)?user_version\b", re.IGNORECASE)
_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


@dataclass(frozen=True, slots=True)
class MigrationReport:
    from_version: int
    to_version: int
    applied: tuple[str, ...]


def load_migrations(
    directory: Path | None = None, *, validate: Callable[[Migration], None] | None = None
) -> tuple[Migration, ...]:
    """Reads and validates every migration file; a gap, duplicate or stray file is an error.

    `validate` checks one file's SQL (default: SQLite's rules); PostgreSQL's files bring theirs.
    """
    folder = directory or MIGRATIONS_DIR
    if not folder.is_dir():
        raise MigrationError(f"migrations folder {folder} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lowercase_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"{path.name}: version {version} is also used by {found[version].filename}"
            )
        migration = Migration(version, match.group(2), path.read_text(encoding="utf-8"))
        (validate or _validate)(migration)
        found[version] = migration
    ordered = tuple(found[v] for v in sorted(found))
    for expected, migration in enumerate(ordered, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.filename}: expected version {expected:04d} next; "
                "migration numbers must start at 0001 without gaps"
            )
    return ordered


def latest_version(directory: Path | None = None) -> int:
    migrations = load_migrations(directory)
    return migrations[-1].version if migrations else 0


async def migrate(
    path: Path, *, directory: Path | None = None, target: int | None = None
) -> MigrationReport:
    """Brings the database at `path` (created if missing) to `target` (default: the latest)."""
    migrations = load_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    goal = latest if target is None else target
    if not 0 <= goal <= latest:
        raise MigrationError(f"target version {goal} is not between 0 and {latest}")
    conn = await connect(path)
    try:
        current = await user_version(conn)
        if current > latest:
            raise DatabaseTooNewError(
                f"{path} has schema version {current} but this release only knows up to "
                f"{latest}; run the newer release, or restore a backup made for this one"
            )
        await _verify_applied(conn, migrations[: min(current, goal)])
        applied: list[str] = []
        for migration in migrations[current:goal]:
            await _apply(conn, migration)
            applied.append(migration.filename)
        return MigrationReport(current, max(current, goal), tuple(applied))
    finally:
        await conn.close()


async def user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _apply(conn: aiosqlite.Connection, migration: Migration) -> None:
    applied_at = encode_time(datetime.now(UTC))
    script = (
        f"BEGIN IMMEDIATE;\n{_BOOKKEEPING}\n{migration.sql}\n;\n"
        f"PRAGMA user_version = {migration.version};\n"
    )
    try:
        await conn.executescript(script)
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
            "VALUES (?, ?, ?, ?)",
            (migration.version, migration.name, migration.checksum, applied_at),
        )
        async with conn.execute("PRAGMA foreign_key_check") as cursor:
            violations = list(await cursor.fetchall())
        if violations:
            raise MigrationError(
                f"{migration.filename} left {counted(len(violations), 'foreign key violation')}; "
                "nothing was changed"
            )
        await conn.execute("COMMIT")
    except sqlite3.Error as exc:
        await _rollback(conn)
        raise MigrationError(
            f"{migration.filename} failed and was rolled back, the database keeps schema "
            f"version {migration.version - 1}: {exc}"
        ) from exc
    except BaseException:
        await _rollback(conn)
        raise


async def _rollback(conn: aiosqlite.Connection) -> None:
    if conn.in_transaction:
        await conn.execute("ROLLBACK")


async def _verify_applied(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> None:
    if not migrations:
        return
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ) as cursor:
        if await cursor.fetchone() is None:
            return  # a database created before the bookkeeping table: nothing to compare
    async with conn.execute("SELECT version, checksum FROM schema_migrations") as cursor:
        recorded = {int(row[0]): str(row[1]) for row in await cursor.fetchall()}
    refuse_changed(migrations, recorded)


def refuse_changed(migrations: Sequence[Migration], recorded: Mapping[int, str]) -> None:
    """An applied migration whose file no longer has the checksum recorded for it is refused
    (on either engine): the database was built from another file."""
    for migration in migrations:
        checksum = recorded.get(migration.version)
        if checksum is not None and checksum != migration.checksum:
            raise MigrationError(
                f"{migration.filename} was changed after it was applied to this database; "
                "restore the original file and add a new migration for the change"
            )


def _validate(migration: Migration) -> None:
    stripped = _BLOCK_COMMENT.sub(" ", _LINE_COMMENT.sub(" ", migration.sql))
    if not stripped.strip():
        raise MigrationError(f"{migration.filename} is empty")
    if _USER_VERSION.search(stripped):
        raise MigrationError(f"{migration.filename} sets user_version; the runner does that itself")
    for statement in _statements(stripped):
        if _TRANSACTION_CONTROL.match(statement):
            raise MigrationError(
                f"{migration.filename} contains transaction control "
                f"({statement.split()[0].upper()}); the runner wraps each file in one "
                "transaction"
            )
        if statement.lstrip().upper().startswith("VACUUM"):
            raise MigrationError(f"{migration.filename}: VACUUM cannot run in a transaction")


def _statements(sql: str) -> list[str]:
    """Splits a script into complete statements (trigger bodies stay whole)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


__all__ = [
    "MIGRATIONS_DIR",
    "Migration",
    "MigrationReport",
    "latest_version",
    "load_migrations",
    "migrate",
    "user_version",
]
