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
sequence numbers and entry hashes.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiosqlite
import asyncpg

from storage.connection import BUSY_TIMEOUT_MS, SqliteConnection
from storage.errors import MigrationError, StorageError
from storage.location import PostgresLocation
from storage.migrations import MigrationReport, latest_version, load_migrations, refuse_changed
from storage.pg_migrations import migrate_postgres, schema_version
from storage.postgres import (
    SESSION_SETTINGS,
    WRITE_LOCK_KEY,
    PostgresConnection,
    resync_identities,
    translate,
)
from storage.store import UnitOfWork

BATCH: Final = 1000
#: Bookkeeping of each engine's migration runner: never copied, each side keeps its own.
_SQLITE_BOOKKEEPING: Final = frozenset({"schema_migrations", "sqlite_sequence"})
_PG_BOOKKEEPING: Final = frozenset({"schema_version"})
#: Tables whose guard trigger refuses every insert, paused (in the copy's transaction) while
#: their rows go over: the list of values sealed before the row binding is closed by design.
_CLOSED_LISTS: Final = {"sealed_before_binding": "sealed_before_binding_closed"}
_MOD: Final = 1 << 256


class CopyRefused(StorageError):
    """The copy did not start: nothing was written to the target."""


class CopyFailed(StorageError):
    """The copy failed or did not verify, and was rolled back: the target holds no rows."""


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
    src = await _open_source(source)
    try:
        await src.execute("BEGIN")  # one snapshot for everything read below
        version = await _source_version(src, source)
        source_tables = await _source_columns(src)
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
    keys = {table: await _primary_key(src, table) for table in order}
    try:
        async with tgt.transaction():
            # The bot's own write lock: an instance started against the target meanwhile
            # waits for the copy, and the target is checked empty again under it.
            await tgt.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            filled = await _filled(tgt, order)
            if filled:
                raise CopyRefused(_filled_message(where, filled))
            copied: list[TableCopy] = []
            digests: dict[str, _Digest] = {}
            paused: list[str] = []
            for table in order:
                columns = target_tables[table]
                digest = await _copy_table(src, tgt, table, columns, keys[table], batch, paused)
                digests[table] = digest
                copied.append(TableCopy(table, digest.rows))
            identities = await resync_identities(tgt)
            await _compare_tables(src, tgt, order, target_tables, digests)
            entries, head = await _compare_ledger(src, tgt)
            outcome = CheckOutcome()
            if check is not None:
                outcome = await check(
                    Snapshot(SqliteConnection(src)), Snapshot(PostgresConnection(tgt, where))
                )
                if outcome.problems:
                    raise CopyFailed("verification failed: " + "; ".join(outcome.problems[:20]))
            await _refuse_disabled_triggers(tgt)
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


def _source_uri(path: Path) -> str:
    if not path.is_file():
        raise CopyRefused(
            f"there is no SQLite database at {path}; check DATABASE_PATH / DATABASE_URL"
        )
    return f"{path.resolve().as_uri()}?mode=ro"


async def _open_source(path: Path) -> aiosqlite.Connection:
    uri = _source_uri(path)
    try:
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise CopyRefused(f"cannot open {path}: {exc}") from None
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA query_only = ON")
        await conn.execute("PRAGMA schema_version")  # fails now if it is not a database
    except sqlite3.Error as exc:
        await conn.close()
        raise CopyRefused(f"cannot open {path}: {exc}") from None
    return conn


async def _source_version(conn: aiosqlite.Connection, path: Path) -> int:
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


async def _source_columns(conn: aiosqlite.Connection) -> dict[str, list[str]]:
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ) as cursor:
        names = [str(row[0]) for row in await cursor.fetchall()]
    tables: dict[str, list[str]] = {}
    for name in names:
        if name in _SQLITE_BOOKKEEPING:
            continue
        async with conn.execute("SELECT name FROM pragma_table_info(?)", (name,)) as cursor:
            tables[name] = [str(row[0]) for row in await cursor.fetchall()]
    return tables


async def _primary_key(conn: aiosqlite.Connection, table: str) -> list[str]:
    async with conn.execute(
        "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,)
    ) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]


# --- the target -----------------------------------------------------------------------------


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
        rows = int(await conn.fetchval(f"SELECT count(*) FROM {_quote(table)}"))  # noqa: S608
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


# --- copying and comparing ------------------------------------------------------------------


class _Digest:
    """An order-free digest of a table's rows: the sum of each row's SHA-256 (every table has
    a primary key, so no row appears twice). Order-free, so the engines' different text
    collations cannot make equal tables differ."""

    def __init__(self) -> None:
        self.rows = 0
        self._sum = 0

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.rows += 1
            digest = hashlib.sha256(_encode(row)).digest()
            self._sum = (self._sum + int.from_bytes(digest, "big")) % _MOD

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Digest) and (self.rows, self._sum) == (other.rows, other._sum)

    __hash__ = None  # type: ignore[assignment]


def _encode(row: Sequence[Any]) -> bytes:
    parts: list[bytes] = []
    for value in row:
        if value is None:
            parts.append(b"n")
            continue
        if isinstance(value, bool):
            raise StorageError(f"unexpected boolean value ({type(value).__name__})")
        if isinstance(value, int):
            tag, data = b"i", str(value).encode()
        elif isinstance(value, float):
            tag, data = b"f", repr(value).encode()
        elif isinstance(value, str):
            tag, data = b"s", value.encode()
        elif isinstance(value, bytes | bytearray | memoryview):
            tag, data = b"b", bytes(value)
        else:
            raise StorageError(f"unexpected value of type {type(value).__name__}")
        parts.append(tag + str(len(data)).encode() + b":" + data)
    return b"|".join(parts)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _copy_table(
    src: aiosqlite.Connection,
    tgt: asyncpg.Connection,
    table: str,
    columns: list[str],
    key: list[str],
    batch: int,
    paused: list[str],
) -> _Digest:
    listed = ", ".join(_quote(c) for c in columns)
    order = f" ORDER BY {', '.join(_quote(c) for c in key)}" if key else ""
    digest = _Digest()
    trigger = _CLOSED_LISTS.get(table)
    async with src.execute(f"SELECT {listed} FROM {_quote(table)}{order}") as cursor:  # noqa: S608
        while rows := await cursor.fetchmany(batch):
            records = [tuple(row) for row in rows]
            if trigger is not None and trigger not in paused:
                await tgt.execute(f"ALTER TABLE {_quote(table)} DISABLE TRIGGER {_quote(trigger)}")
                paused.append(trigger)
            digest.add(records)
            await tgt.copy_records_to_table(table, records=records, columns=columns)
    if trigger is not None and trigger in paused:
        await tgt.execute(f"ALTER TABLE {_quote(table)} ENABLE TRIGGER {_quote(trigger)}")
    return digest


async def _compare_tables(
    src: aiosqlite.Connection,
    tgt: asyncpg.Connection,
    order: list[str],
    columns: dict[str, list[str]],
    copied: dict[str, _Digest],
) -> None:
    """Counts on both sides, then every row read back from the target against the source."""
    problems: list[str] = []
    for table in order:
        async with src.execute(f"SELECT count(*) FROM {_quote(table)}") as cursor:  # noqa: S608
            row = await cursor.fetchone()
        in_source = int(row[0]) if row else -1
        in_target = int(await tgt.fetchval(f"SELECT count(*) FROM {_quote(table)}"))  # noqa: S608
        if in_source != in_target or in_source != copied[table].rows:
            problems.append(f"{table}: {in_source} rows in SQLite, {in_target} in PostgreSQL")
            continue
        back = _Digest()
        listed = ", ".join(_quote(c) for c in columns[table])
        async for record in tgt.cursor(
            f"SELECT {listed} FROM {_quote(table)}",  # noqa: S608
            prefetch=BATCH,
        ):
            back.add((tuple(record),))
        if back != copied[table]:
            problems.append(f"{table}: the rows read back differ from the source's")
    if problems:
        raise CopyFailed("verification failed: " + "; ".join(problems))


async def _compare_ledger(
    src: aiosqlite.Connection, tgt: asyncpg.Connection
) -> tuple[int, tuple[int, str] | None]:
    """The disclosure ledger's chain, entry by entry: same sequence, same hashes, linked."""
    sql = "SELECT seq, prev_hash, entry_hash FROM disclosure_ledger ORDER BY seq"
    async with src.execute(sql) as cursor:
        source = [(int(r[0]), str(r[1]), str(r[2])) for r in await cursor.fetchall()]
    target = [(int(r[0]), str(r[1]), str(r[2])) for r in await tgt.fetch(sql)]
    if source != target:
        differing = next(
            (s[0] for s, t in zip(source, target, strict=False) if s != t),
            min(len(source), len(target)) + 1,
        )
        raise CopyFailed(
            f"verification failed: the disclosure ledger differs from entry {differing} on"
        )
    for before, entry in itertools.pairwise(target):
        if entry[1] != before[2]:
            raise CopyFailed(
                f"verification failed: ledger entry {entry[0]} does not follow entry {before[0]}"
            )
    return len(target), (target[-1][0], target[-1][2]) if target else None


async def _refuse_disabled_triggers(conn: asyncpg.Connection) -> None:
    disabled = await conn.fetch(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND t.tgenabled = 'D' AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
    )
    if disabled:
        names = ", ".join(sorted(str(row["tgname"]) for row in disabled))
        raise CopyFailed(f"guard trigger(s) left disabled after the copy: {names}")


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
