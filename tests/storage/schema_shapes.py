"""The meaning of a schema, read from SQLite or PostgreSQL into one comparable form.

Each engine's catalogue is read (SQLite's PRAGMAs and sqlite_master; PostgreSQL's
information_schema and pg_catalog) and normalised: type families instead of type names,
defaults without casts or quotes, index expressions and predicates without casts, brackets or
spaces, constraints as column lists. Two schemas that mean the same compare equal; `diff`
lists what differs, one line per fact.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

# The runners' own bookkeeping, and SQLite's AUTOINCREMENT counter table.
IGNORED_TABLES = frozenset({"schema_migrations", "schema_version", "sqlite_sequence"})

_FAMILIES = {
    "integer": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "text": "text",
    "character varying": "text",
    "blob": "blob",
    "bytea": "blob",
    "real": "real",
    "double precision": "real",
}
_PG_REFERENTIAL_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
# pg_trigger.tgtype bits
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE = 1, 2, 4, 8, 16, 32

_CAST = re.compile(r"::(double precision|character varying|[a-z_]+)(\[\])?", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'")
_LINE_COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True, order=True)
class Column:
    family: str
    not_null: bool
    default: str | None


@dataclass(frozen=True, order=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]
    on_delete: str
    on_update: str


@dataclass(frozen=True, order=True)
class Index:
    columns: tuple[str, ...]  # expression or column, with " desc" when descending
    unique: bool
    where: str | None  # the partial index's predicate, normalised


@dataclass(frozen=True, order=True)
class Guard:
    """A trigger: when it fires (and on which columns of an UPDATE)."""

    table: str
    event: str
    update_of: tuple[str, ...]


@dataclass
class Schema:
    columns: dict[str, dict[str, Column]] = field(default_factory=dict)
    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uniques: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    foreign_keys: dict[str, set[ForeignKey]] = field(default_factory=dict)
    checks: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    indexes: dict[str, tuple[str, Index]] = field(default_factory=dict)
    guards: dict[str, Guard] = field(default_factory=dict)

    def facts(self) -> set[str]:
        """Every fact as one readable line, so two schemas diff as two sets of lines."""
        lines: set[str] = set()
        for table, columns in self.columns.items():
            lines.add(f"table {table}")
            for name, column in columns.items():
                null = "NOT NULL" if column.not_null else "NULL"
                lines.add(f"column {table}.{name} {column.family} {null} default={column.default}")
        for table, key in self.primary_keys.items():
            lines.add(f"primary key {table} {key}")
        for table, sets in self.uniques.items():
            lines |= {f"unique {table} {columns}" for columns in sets}
        for table, keys in self.foreign_keys.items():
            lines |= {
                f"foreign key {table} {fk.columns} -> {fk.table} {fk.references} "
                f"on delete {fk.on_delete} on update {fk.on_update}"
                for fk in keys
            }
        for table, checks in self.checks.items():
            lines |= {
                f"check {table} on {columns} (x{checks.count(columns)})" for columns in checks
            }
        for name, (table, index) in self.indexes.items():
            unique = "unique " if index.unique else ""
            lines.add(f"{unique}index {name} on {table} {index.columns} where {index.where}")
        for name, guard in self.guards.items():
            of = f" of {guard.update_of}" if guard.update_of else ""
            lines.add(f"trigger {name} before {guard.event}{of} on {guard.table}")
        return lines


def diff(sqlite: Schema, postgres: Schema) -> str:
    """Empty when the two mean the same; otherwise what only one of them has."""
    left, right = sqlite.facts(), postgres.facts()
    only_sqlite = sorted(left - right)
    only_postgres = sorted(right - left)
    if not only_sqlite and not only_postgres:
        return ""
    return "\n".join(
        [
            "only in SQLite:",
            *(f"  {line}" for line in only_sqlite),
            "only in PostgreSQL:",
            *(f"  {line}" for line in only_postgres),
        ]
    )


def _squeeze(expression: str) -> str:
    """An expression without casts, brackets, spaces or letter case: enough to compare."""
    text = _CAST.sub("", expression.lower())
    return re.sub(r"[\s()]", "", text)


def _default(value: str | None) -> str | None:
    if value is None:
        return None
    text = _CAST.sub("", value.strip())
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    return text


def _columns_in(expression: str, names: set[str]) -> tuple[str, ...]:
    words = set(re.findall(r"[a-z_][a-z0-9_]*", _STRING.sub("''", expression.lower())))
    return tuple(sorted(words & names))


def _bracketed(text: str, start: int) -> str:
    """The text inside the bracket that opens at `start`."""
    depth = 0
    for position in range(start, len(text)):
        if text[position] == "(":
            depth += 1
        elif text[position] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : position]
    raise ValueError(f"unbalanced brackets in {text!r}")


def _top_level_split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


# SQLite ---------------------------------------------------------------------------------------


def read_sqlite(path: Path) -> Schema:
    conn = sqlite3.connect(path)
    try:
        return _read_sqlite(conn)
    finally:
        conn.close()


def _read_sqlite(conn: sqlite3.Connection) -> Schema:
    schema = Schema()
    tables = [
        (str(row[1]), bool(row[5]))
        for row in conn.execute("PRAGMA table_list")
        if row[0] == "main" and row[2] == "table" and not str(row[1]).startswith("sqlite_")
    ]
    for table, strict in tables:
        if table in IGNORED_TABLES:
            continue
        info = conn.execute(f"PRAGMA table_xinfo({table})").fetchall()
        key = tuple(row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        schema.primary_keys[table] = key
        schema.columns[table] = {
            # A STRICT table's primary key columns are NOT NULL, as PostgreSQL's always are.
            row[1]: Column(
                _FAMILIES[row[2].lower()],
                bool(row[3]) or (strict and row[1] in key),
                _default(row[4]),
            )
            for row in info
        }
        schema.uniques[table] = set()
        for _, index, unique, origin, _ in conn.execute(f"PRAGMA index_list({table})"):
            if origin == "u":
                schema.uniques[table].add(_sqlite_index_columns(conn, index, None))
            elif origin == "c":
                (sql,) = conn.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)
                ).fetchone()
                schema.indexes[index] = (table, _sqlite_index(conn, index, bool(unique), sql))
        schema.foreign_keys[table] = _sqlite_foreign_keys(conn, table, schema.primary_keys)
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        schema.checks[table] = _sqlite_checks(sql, set(schema.columns[table]))
    for name, table, sql in conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
    ):
        schema.guards[name] = _sqlite_guard(table, sql)
    return schema


def _sqlite_index_columns(conn: sqlite3.Connection, index: str, sql: str | None) -> tuple[str, ...]:
    expressions = []
    if sql is not None:
        on = re.search(r"\bON\s+\w+\s*\(", sql, re.IGNORECASE)
        assert on is not None, sql
        expressions = _top_level_split(_bracketed(sql, on.end() - 1))
    columns = []
    for row in conn.execute(f"PRAGMA index_xinfo({index})"):
        seqno, cid, name, desc, _, key = row
        if not key:
            continue
        if cid == -2:  # an expression: its text is in the CREATE INDEX statement
            text = re.sub(r"\s+(ASC|DESC)\s*$", "", expressions[seqno].strip(), flags=re.I)
            name = _squeeze(text)
        columns.append(f"{name} desc" if desc else str(name))
    return tuple(columns)


def _sqlite_index(conn: sqlite3.Connection, index: str, unique: bool, sql: str) -> Index:
    on = re.search(r"\bON\s+\w+\s*\(", sql, re.IGNORECASE)
    assert on is not None, sql
    after = sql[on.end() - 1 + len(_bracketed(sql, on.end() - 1)) + 2 :]
    where = re.match(r"\s*WHERE\s+(.*)$", after, re.IGNORECASE | re.DOTALL)
    return Index(
        _sqlite_index_columns(conn, index, sql),
        unique,
        _squeeze(where.group(1)) if where else None,
    )


def _sqlite_foreign_keys(
    conn: sqlite3.Connection, table: str, primary_keys: dict[str, tuple[str, ...]]
) -> set[ForeignKey]:
    grouped: dict[int, list[Any]] = {}
    for row in conn.execute(f"PRAGMA foreign_key_list({table})"):
        grouped.setdefault(row[0], []).append(row)
    keys = set()
    for rows in grouped.values():
        rows.sort(key=lambda r: r[1])
        target = rows[0][2]
        references = tuple(r[4] for r in rows)
        if any(ref is None for ref in references):  # REFERENCES t without columns: its key
            references = primary_keys.get(target) or tuple(
                r[1] for r in conn.execute(f"PRAGMA table_info({target})") if r[5]
            )
        keys.add(ForeignKey(tuple(r[3] for r in rows), target, references, rows[0][6], rows[0][5]))
    return keys


def _sqlite_checks(sql: str, names: set[str]) -> list[tuple[str, ...]]:
    code = _LINE_COMMENT.sub(" ", sql)
    found = []
    for match in re.finditer(r"\bCHECK\s*\(", code, re.IGNORECASE):
        found.append(_columns_in(_bracketed(code, match.end() - 1), names))
    return sorted(found)


def _sqlite_guard(table: str, sql: str) -> Guard:
    match = re.search(
        r"\bBEFORE\s+(INSERT|UPDATE|DELETE)(?:\s+OF\s+(.*?))?\s+ON\s",
        sql,
        re.IGNORECASE | re.DOTALL,
    )
    assert match is not None, f"not a BEFORE trigger: {sql}"
    columns = [c.strip() for c in (match.group(2) or "").split(",") if c.strip()]
    return Guard(table, match.group(1).upper(), tuple(sorted(columns)))


# PostgreSQL -----------------------------------------------------------------------------------


async def read_postgres(conn: asyncpg.Connection) -> Schema:
    """The `public` schema; TRUNCATE guards (PostgreSQL only) are left to their own test."""
    schema = Schema()
    for row in await conn.fetch(
        "SELECT table_name, column_name, data_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name IN (SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE') "
        "ORDER BY table_name, ordinal_position"
    ):
        if row["table_name"] in IGNORED_TABLES:
            continue
        columns = schema.columns.setdefault(row["table_name"], {})
        columns[row["column_name"]] = Column(
            _FAMILIES[row["data_type"]], row["is_nullable"] == "NO", _default(row["column_default"])
        )
    for table in schema.columns:
        schema.uniques[table] = set()
        schema.foreign_keys[table] = set()
        schema.checks[table] = []
    await _pg_constraints(conn, schema)
    await _pg_indexes(conn, schema)
    await _pg_triggers(conn, schema)
    for checks in schema.checks.values():
        checks.sort()
    return schema


_COLUMN_NAMES = (
    "ARRAY(SELECT a.attname FROM unnest({keys}) WITH ORDINALITY AS k(attnum, n) "
    "JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum ORDER BY k.n)"
)


async def _pg_constraints(conn: asyncpg.Connection, schema: Schema) -> None:
    query = (
        "SELECT c.conrelid::regclass::text AS tbl, c.contype::text AS contype, "  # noqa: S608
        f"{_COLUMN_NAMES.format(keys='c.conkey', rel='c.conrelid')} AS cols, "
        "c.confrelid::regclass::text AS ref, "
        f"{_COLUMN_NAMES.format(keys='c.confkey', rel='c.confrelid')} AS refcols, "
        "c.confdeltype::text AS confdeltype, c.confupdtype::text AS confupdtype "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f', 'c')"
    )
    for row in await conn.fetch(query):
        table = row["tbl"]
        if table in IGNORED_TABLES:
            continue
        columns = tuple(row["cols"])
        if row["contype"] == "p":
            schema.primary_keys[table] = columns
        elif row["contype"] == "u":
            schema.uniques[table].add(columns)
        elif row["contype"] == "c":
            schema.checks[table].append(tuple(sorted(columns)))
        else:
            schema.foreign_keys[table].add(
                ForeignKey(
                    columns,
                    row["ref"],
                    tuple(row["refcols"]),
                    _PG_REFERENTIAL_ACTIONS[row["confdeltype"]],
                    _PG_REFERENTIAL_ACTIONS[row["confupdtype"]],
                )
            )
    for table in schema.columns:
        schema.primary_keys.setdefault(table, ())


async def _pg_indexes(conn: asyncpg.Connection, schema: Schema) -> None:
    """Indexes no constraint made (those are the primary keys and UNIQUE constraints)."""
    query = (
        "SELECT ic.relname AS name, i.indrelid::regclass::text AS tbl, i.indisunique, "
        "i.indnkeyatts, i.indoption::int2[] AS options, "
        "pg_get_expr(i.indpred, i.indrelid, true) AS predicate, i.indexrelid "
        "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = ic.relnamespace "
        "WHERE n.nspname = 'public' AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
    )
    for row in await conn.fetch(query):
        if row["tbl"] in IGNORED_TABLES:
            continue
        columns = []
        for position in range(1, row["indnkeyatts"] + 1):
            text = await conn.fetchval(
                "SELECT pg_get_indexdef($1, $2, true)", row["indexrelid"], position
            )
            descending = row["options"][position - 1] & 1
            columns.append(f"{_squeeze(text)} desc" if descending else _squeeze(text))
        predicate = row["predicate"]
        schema.indexes[row["name"]] = (
            row["tbl"],
            Index(tuple(columns), row["indisunique"], _squeeze(predicate) if predicate else None),
        )


async def _pg_triggers(conn: asyncpg.Connection, schema: Schema) -> None:
    query = (
        "SELECT t.tgname, t.tgrelid::regclass::text AS tbl, t.tgtype, "  # noqa: S608
        f"{_COLUMN_NAMES.format(keys='t.tgattr::int2[]', rel='t.tgrelid')} AS cols "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND NOT t.tgisinternal"
    )
    for row in await conn.fetch(query):
        kind = row["tgtype"]
        if kind & _TRUNCATE:
            continue
        assert kind & _BEFORE, f"{row['tgname']}: not a BEFORE trigger"
        assert kind & _ROW, f"{row['tgname']}: not FOR EACH ROW"
        events = [
            name
            for bit, name in ((_INSERT, "INSERT"), (_UPDATE, "UPDATE"), (_DELETE, "DELETE"))
            if kind & bit
        ]
        assert len(events) == 1, f"{row['tgname']} fires on {events}: SQLite's fire on one"
        schema.guards[row["tgname"]] = Guard(row["tbl"], events[0], tuple(sorted(row["cols"])))
