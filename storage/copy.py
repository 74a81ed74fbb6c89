"""`report-bot db copy`: a SQLite database into an empty PostgreSQL one, verified before commit.

The source is read in one snapshot (a read transaction on a read-only connection), so a copy
is consistent even if something writes to the file meanwhile; the bot should still be stopped,
or what it writes after the snapshot stays behind. The target is migrated to the latest schema
first (its own transactions, as `report-bot migrate` does), then must hold no rows at all.
Every row goes over with its ids in ONE transaction: tables in foreign-key order, each read in
primary-key order (the ledger's append-only trigger wants its entries in sequence) and written
in batches with COPY. The guard triggers stay on and check every row as it arrives; only the
closed list of values sealed before migration 0018 (which refuses every insert by design) is
filled with its trigger paused inside the same transaction. Then the identity sequences move
past the copied ids, and before anything is committed every table is compared: its row count
and a digest of all its rows on both sides, the ledger's chain entry by entry, and whatever
the caller checks with the keys (`ContentCheck`: the ledger verification and a sample of
decrypted values). Any difference, or any failure, rolls the whole copy back.

Nothing here prints or returns a value from a row: only table names, counts and the ledger's
sequence numbers and entry hashes. The source's reading is in `copy_source.py`, the rows'
copying and comparing in `copy_rows.py`, the checks with the keys in `copy_checks.py`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import aiosqlite
import asyncpg

from storage.connection import SqliteConnection
from storage.copy_rows import (
    BATCH,
    CopyFailed,
    CopyRefused,
    RowDigest,
    compare_ledger,
    compare_tables,
    copy_table,
    quote,
    refuse_disabled_triggers,
)
from storage.copy_source import open_source, primary_key, source_columns, source_version
from storage.errors import StorageError
from storage.location import PostgresLocation
from storage.migrations import MigrationReport, latest_version
from storage.pg_migrations import migrate_postgres, schema_version
from storage.postgres import (
    SESSION_SETTINGS,
    WRITE_LOCK_KEY,
    PostgresConnection,
    resync_identities,
    translate,
)
from storage.store import UnitOfWork

#: Bookkeeping of PostgreSQL's migration runner: never copied, each side keeps its own.
_PG_BOOKKEEPING: Final = frozenset({"schema_version"})
#: Tables whose guard trigger refuses every insert, paused (in the copy's transaction) while
#: their rows go over: the list of values sealed before the row binding is closed by design.


@dataclass(frozen=True, slots=True)
class TableCopy:
    name: str
    rows: int


@dataclass(slots=True)
class CheckOutcome:
    """What a content check found: lines that passed, problems (the copy is rolled back), and
    warnings (printed, the copy kept: e.g. a problem the source had already)."""

    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Snapshot:
    """One side of the copy as the repositories see it: `reading()` gives a unit of work over
    the copy's own connection (the source's snapshot, or the target's open transaction)."""

    def __init__(self, conn: SqliteConnection | PostgresConnection) -> None:
        self._conn = conn

    @property
    def conn(self) -> SqliteConnection | PostgresConnection:
        return self._conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        yield UnitOfWork(self._conn)

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        raise RuntimeError("a copy's sides are only read while it is verified")


ContentCheck = Callable[[Snapshot, Snapshot], Awaitable[CheckOutcome]]


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str
    target: str
    schema_version: int
    migration: MigrationReport
    tables: tuple[TableCopy, ...]
    identities: int
    ledger_entries: int
    ledger_head: tuple[int, str] | None
    paused_triggers: tuple[str, ...]
    checks: CheckOutcome

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


async def copy_to_postgres(
    source: Path,
    target: PostgresLocation,
    *,
    check: ContentCheck | None = None,
    batch: int = BATCH,
) -> CopyReport:
    """Copies `source` into the empty database `target`; raises CopyRefused (nothing was
    written), CopyFailed (rolled back), or the StorageError of an unreachable server."""
    src = await open_source(source)
    try:
        await src.execute("BEGIN")  # one snapshot for everything read below
        version = await source_version(src, source)
        source_tables = await source_columns(src)
        tgt = await _connect(target)
        try:
            await _refuse_filled(tgt, target, set(source_tables), latest_version())
            migration = await _migrate_target(tgt)
            return await _copy(
                src, tgt, source, target, version, migration, source_tables, check, batch
            )
        finally:
            await tgt.close()
    finally:
        await src.close()


async def _copy(
    src: aiosqlite.Connection,
    tgt: asyncpg.Connection,
    source: Path,
    target: PostgresLocation,
    version: int,
    migration: MigrationReport,
    source_tables: dict[str, list[str]],
    check: ContentCheck | None,
    batch: int,
) -> CopyReport:
    where = target.describe()
    target_tables = await _target_columns(tgt)
    _refuse_other_schema(source_tables, target_tables)
    order = _foreign_key_order(target_tables, await _references(tgt))
    keys = {table: await primary_key(src, table) for table in order}
    try:
        async with tgt.transaction():
            # The bot's own write lock: an instance started against the target meanwhile
            # waits for the copy, and the target is checked empty again under it.
            await tgt.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            filled = await _filled(tgt, order)
            if filled:
                raise CopyRefused(_filled_message(where, filled))
            copied: list[TableCopy] = []
            digests: dict[str, RowDigest] = {}
            paused: list[str] = []
            for table in order:
                columns = target_tables[table]
                digest = await copy_table(src, tgt, table, columns, keys[table], batch, paused)
                digests[table] = digest
                copied.append(TableCopy(table, digest.rows))
            identities = await resync_identities(tgt)
            await compare_tables(src, tgt, order, target_tables, digests)
            entries, head = await compare_ledger(src, tgt)
            outcome = CheckOutcome()
            if check is not None:
                outcome = await check(
                    Snapshot(SqliteConnection(src)), Snapshot(PostgresConnection(tgt, where))
                )
                if outcome.problems:
                    raise CopyFailed("verification failed: " + "; ".join(outcome.problems[:20]))
            await refuse_disabled_triggers(tgt)
    except (CopyRefused, CopyFailed):
        raise
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise CopyFailed(f"{_rolled_back(where)}: {translate(exc, where)}") from None
    except sqlite3.Error as exc:
        raise CopyFailed(f"{_rolled_back(where)}: reading {source}: {exc}") from None
    except StorageError as exc:
        raise CopyFailed(f"{_rolled_back(where)}: {exc}") from None
    return CopyReport(
        source=str(source),
        target=where,
        schema_version=version,
        migration=migration,
        tables=tuple(copied),
        identities=identities,
        ledger_entries=entries,
        ledger_head=head,
        paused_triggers=tuple(paused),
        checks=outcome,
    )


def _rolled_back(where: str) -> str:
    return f"the copy was rolled back, {where} holds no rows"


# --- the source -----------------------------------------------------------------------------


async def _connect(location: PostgresLocation) -> asyncpg.Connection:
    try:
        conn: asyncpg.Connection = await asyncpg.connect(
            location.dsn, server_settings=dict(SESSION_SETTINGS), timeout=10
        )
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise translate(exc, location.describe()) from None
    return conn


async def _refuse_filled(
    conn: asyncpg.Connection, location: PostgresLocation, ours: set[str], latest: int
) -> None:
    """Before the target is touched: it holds no rows in any table of ours and no table of
    anything else, at a schema version this code knows."""
    where = location.describe()
    try:
        present = {
            str(row["table_name"])
            for row in await conn.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        }
        foreign = sorted(present - ours - _PG_BOOKKEEPING)
        if foreign:
            raise CopyRefused(
                f"{where} holds tables the bot does not have ({', '.join(foreign[:10])}); "
                "copy into a new, empty database (createdb); nothing was changed"
            )
        version = await schema_version(conn) if "schema_version" in present else 0
        if version > latest:
            raise CopyRefused(
                f"{where} has schema version {version} but this release only knows up to "
                f"{latest}; nothing was changed"
            )
        filled = await _filled(conn, sorted(present & ours))
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise translate(exc, where) from None
    if filled:
        raise CopyRefused(_filled_message(where, filled, version))


def _filled_message(where: str, filled: dict[str, int], version: int | None = None) -> str:
    found = ", ".join(f"{table} ({rows} rows)" for table, rows in sorted(filled.items()))
    at = "" if version is None else f" at schema version {version}"
    return (
        f"{where} is not empty{at}: {found}. The copy goes only into an empty database; "
        "nothing was changed"
    )


async def _filled(conn: asyncpg.Connection, tables: Iterable[str]) -> dict[str, int]:
    filled: dict[str, int] = {}
    for table in tables:
        rows = int(await conn.fetchval(f"SELECT count(*) FROM {quote(table)}"))  # noqa: S608
        if rows:
            filled[table] = rows
    return filled


async def _migrate_target(conn: asyncpg.Connection) -> MigrationReport:
    # A failed migration rolls its own file back; the copy has not started.
    return await migrate_postgres(conn)


async def _target_columns(conn: asyncpg.Connection) -> dict[str, list[str]]:
    rows = await conn.fetch(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
        "WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position"
    )
    tables: dict[str, list[str]] = {}
    for row in rows:
        name = str(row["table_name"])
        if name not in _PG_BOOKKEEPING:
            tables.setdefault(name, []).append(str(row["column_name"]))
    return tables


async def _references(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
        "WHERE k.contype = 'f' AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
    )
    return [(str(row["child"]), str(row["parent"])) for row in rows]


def _refuse_other_schema(source: dict[str, list[str]], target: dict[str, list[str]]) -> None:
    """Both engines' migrations give the same tables and columns; a difference is a bug in
    one of them (or a hand-made change), and the copy would lose data."""
    differences = [
        f"table {t} only in the SQLite database" for t in sorted(set(source) - set(target))
    ]
    differences += [f"table {t} only in PostgreSQL" for t in sorted(set(target) - set(source))]
    for table in sorted(set(source) & set(target)):
        only_source = sorted(set(source[table]) - set(target[table]))
        only_target = sorted(set(target[table]) - set(source[table]))
        if only_source:
            differences.append(f"{table}: columns only in SQLite: {', '.join(only_source)}")
        if only_target:
            differences.append(f"{table}: columns only in PostgreSQL: {', '.join(only_target)}")
    if differences:
        raise CopyRefused(
            "the two schemas differ, so the copy would lose data: "
            + "; ".join(differences[:10])
            + " (the target was migrated, no rows were written)"
        )


def _foreign_key_order(
    tables: dict[str, list[str]], references: Sequence[tuple[str, str]]
) -> list[str]:
    """Every table after the tables it refers to (alphabetical among equals)."""
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in references:
        if child in parents and parent in parents and child != parent:
            parents[child].add(parent)
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(parents):
        ready = sorted(t for t, ps in parents.items() if t not in placed and ps <= placed)
        if not ready:
            stuck = sorted(set(parents) - placed)
            raise CopyRefused(f"the foreign keys between {', '.join(stuck)} form a cycle")
        order.extend(ready)
        placed.update(ready)
    return order


__all__ = [
    "BATCH",
    "CheckOutcome",
    "ContentCheck",
    "CopyFailed",
    "CopyRefused",
    "CopyReport",
    "Snapshot",
    "TableCopy",
    "copy_to_postgres",
]
