"""The rows of `report-bot db copy` (storage/copy.py): each table copied in key order, and
compared afterwards on both sides by an order-free digest of its rows, the ledger entry by
entry. Nothing here returns or prints a value from a row."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from typing import Any, Final

import aiosqlite
import asyncpg

from storage.errors import StorageError

#: Rows a batch reads and writes at once.
BATCH: Final = 1000
#: Tables whose trigger refuses every insert by design (the closed list of values sealed before
#: migration 0018): filled with the trigger paused inside the copy's transaction.
CLOSED_LISTS: Final = {"sealed_before_binding": "sealed_before_binding_closed"}
_MOD: Final = 1 << 256


class CopyRefused(StorageError):
    """The copy did not start: nothing was written to the target."""


class CopyFailed(StorageError):
    """The copy failed or did not verify, and was rolled back: the target holds no rows."""


class RowDigest:
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
        return isinstance(other, RowDigest) and (self.rows, self._sum) == (other.rows, other._sum)

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


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def copy_table(
    src: aiosqlite.Connection,
    tgt: asyncpg.Connection,
    table: str,
    columns: list[str],
    key: list[str],
    batch: int,
    paused: list[str],
) -> RowDigest:
    listed = ", ".join(quote(c) for c in columns)
    order = f" ORDER BY {', '.join(quote(c) for c in key)}" if key else ""
    digest = RowDigest()
    trigger = CLOSED_LISTS.get(table)
    async with src.execute(f"SELECT {listed} FROM {quote(table)}{order}") as cursor:  # noqa: S608
        while rows := await cursor.fetchmany(batch):
            records = [tuple(row) for row in rows]
            if trigger is not None and trigger not in paused:
                await tgt.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
                paused.append(trigger)
            digest.add(records)
            await tgt.copy_records_to_table(table, records=records, columns=columns)
    if trigger is not None and trigger in paused:
        await tgt.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(trigger)}")
    return digest


async def compare_tables(
    src: aiosqlite.Connection,
    tgt: asyncpg.Connection,
    order: list[str],
    columns: dict[str, list[str]],
    copied: dict[str, RowDigest],
) -> None:
    """Counts on both sides, then every row read back from the target against the source."""
    problems: list[str] = []
    for table in order:
        async with src.execute(f"SELECT count(*) FROM {quote(table)}") as cursor:  # noqa: S608
            row = await cursor.fetchone()
        in_source = int(row[0]) if row else -1
        in_target = int(await tgt.fetchval(f"SELECT count(*) FROM {quote(table)}"))  # noqa: S608
        if in_source != in_target or in_source != copied[table].rows:
            problems.append(f"{table}: {in_source} rows in SQLite, {in_target} in PostgreSQL")
            continue
        back = RowDigest()
        listed = ", ".join(quote(c) for c in columns[table])
        async for record in tgt.cursor(
            f"SELECT {listed} FROM {quote(table)}",  # noqa: S608
            prefetch=BATCH,
        ):
            back.add((tuple(record),))
        if back != copied[table]:
            problems.append(f"{table}: the rows read back differ from the source's")
    if problems:
        raise CopyFailed("verification failed: " + "; ".join(problems))


async def compare_ledger(
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


async def refuse_disabled_triggers(conn: asyncpg.Connection) -> None:
    disabled = await conn.fetch(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND t.tgenabled = 'D' AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
    )
    if disabled:
        names = ", ".join(sorted(str(row["tgname"]) for row in disabled))
        raise CopyFailed(f"guard trigger(s) left disabled after the copy: {names}")
