"""What a database file holds, read with plain sqlite3 (never through the code under test)."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage import latest_version
from storage.migrations import MIGRATIONS_DIR

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STAMP = "2026-11-02T09:00:00.000000+00:00"  # NOW as the codec writes it


@contextlib.contextmanager
def plain(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection in autocommit mode, closed (not only committed) on exit."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def scalar(path: Path, sql: str) -> Any:
    with plain(path) as conn:
        return conn.execute(sql).fetchone()[0]


def user_version(path: Path) -> int:
    return int(scalar(path, "PRAGMA user_version"))


def tables(path: Path) -> set[str]:
    with plain(path) as conn:
        return {
            str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with plain(path) as conn:
        return [tuple(row) for row in conn.execute(sql)]


def contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in rowid order, plus the schema version."""
    with plain(path) as conn:
        names = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        found = {
            name: [tuple(row) for row in conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid')]  # noqa: S608 - names from sqlite_master
            for name in names
        }
        found["PRAGMA user_version"] = [tuple(conn.execute("PRAGMA user_version").fetchone())]
    return found


def dump(path: Path) -> list[str]:
    """Schema and data as SQL text, plus the schema version (iterdump leaves it out)."""
    with plain(path) as conn:
        return [*conn.iterdump(), f"user_version={conn.execute('PRAGMA user_version').fetchone()}"]


def integrity(path: Path) -> list[str]:
    with plain(path) as conn:
        return [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]


def corrupt_an_index(path: Path) -> None:
    """Adds a table whose index no longer matches it: integrity_check reports missing rows."""
    with plain(path) as conn:
        conn.execute("CREATE TABLE scratch (a INTEGER, b INTEGER)")
        conn.execute("CREATE INDEX scratch_a ON scratch (a)")
        conn.executemany("INSERT INTO scratch (a, b) VALUES (?, ?)", [(n, -n) for n in range(10)])
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX scratch_a ON scratch (b)' "
            "WHERE name = 'scratch_a'"
        )


def next_name(suffix: str) -> str:
    """The file name the next migration after the real ones would have."""
    return f"{latest_version() + 1:04d}_{suffix}.sql"


def copy_migrations(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """A migrations folder: the real files plus `extra` ({file name: SQL})."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder, dirs_exist_ok=True)
    for name, sql in (extra or {}).items():
        (folder / name).write_text(textwrap.dedent(sql), encoding="utf-8")
    return folder
