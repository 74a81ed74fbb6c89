"""Numbered migrations: atomic, re-runnable, refusing malformed files and newer databases."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage import (
    DatabaseTooNewError,
    MigrationError,
    check_database,
    latest_version,
    migrate,
)
from storage.migrations import MIGRATIONS_DIR, load_migrations


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def copy_migrations(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    for name, sql in (extra or {}).items():
        (folder / name).write_text(textwrap.dedent(sql))
    return folder


def next_name(suffix: str) -> str:
    return f"{latest_version() + 1:04d}_{suffix}.sql"


async def test_migrating_a_new_file_applies_every_migration(tmp_path: Path) -> None:
    database = tmp_path / "sub" / "new.sqlite3"
    report = await migrate(database)
    assert (report.from_version, report.to_version) == (0, latest_version())
    assert report.applied == tuple(m.filename for m in load_migrations())
    assert user_version(database) == latest_version()
    assert {"users", "audit_log", "reports", "cases", "schema_migrations"} <= tables(database)


async def test_running_migrations_again_is_a_no_op(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    again = await migrate(database)
    assert again.applied == ()
    assert again.from_version == again.to_version == latest_version()


async def test_previous_schema_with_data_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database, target=latest_version() - 1)
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO users (user_id, language_code, first_seen_at, last_seen_at) "
            "VALUES (1, 'ru', '2026-01-01T00:00:00.000000+00:00', "
            "'2026-01-01T00:00:00.000000+00:00')"
        )
        conn.execute(
            "INSERT INTO audit_log (at, actor_id, action) "
            "VALUES ('2026-01-01T00:00:00.000000+00:00', 1, 'test.kept')"
        )
    report = await migrate(database)
    assert report.applied == (load_migrations()[-1].filename,)
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT user_id, language_code FROM users").fetchall() == [(1, "ru")]
        assert conn.execute("SELECT action FROM audit_log").fetchall() == [("test.kept",)]


@pytest.mark.parametrize("start", range(latest_version()))
async def test_every_earlier_version_migrates_to_a_healthy_database(
    tmp_path: Path, start: int
) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database, target=start)
    assert user_version(database) == start
    await migrate(database)
    assert check_database(database).ok


async def test_failing_statement_rolls_the_whole_migration_back(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    name = next_name("broken")
    folder = copy_migrations(
        tmp_path,
        {name: "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"},
    )
    with pytest.raises(MigrationError, match=name):
        await migrate(database, directory=folder)
    assert user_version(database) == latest_version()
    assert "half_done" not in tables(database)


CRASHING_RUN = """
import asyncio, os, sys
from pathlib import Path
import storage.migrations as migrations

real_connect = migrations.connect

async def connect_with_crash(path, **kwargs):
    conn = await real_connect(path, **kwargs)
    await conn.create_function("crash", 0, lambda: os._exit(9))
    return conn

migrations.connect = connect_with_crash
asyncio.run(migrations.migrate(Path(sys.argv[1]), directory=Path(sys.argv[2])))
"""


async def test_process_dying_inside_a_migration_leaves_the_old_version(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    name = next_name("dies")
    folder = copy_migrations(
        tmp_path,
        {
            name: """
            CREATE TABLE never_committed (id INTEGER PRIMARY KEY);
            INSERT INTO never_committed (id) VALUES (1), (2), (3);
            SELECT crash();
            """
        },
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CRASHING_RUN, str(database), str(folder)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 9, result.stderr.decode()
    assert user_version(database) == latest_version()
    assert "never_committed" not in tables(database)
    assert check_database(database).ok
    (folder / name).write_text("CREATE TABLE committed_now (id INTEGER PRIMARY KEY);\n")
    # An edited pending file is fine: only applied files are checksummed.
    report = await migrate(database, directory=folder)
    assert report.applied == (name,)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"0009_gap.sql": "CREATE TABLE x (id INTEGER);"}, "without gaps"),
        ({"0002_again.sql": "CREATE TABLE x (id INTEGER);"}, "also used by"),
        ({"5_bad_name.sql": "CREATE TABLE x (id INTEGER);"}, "NNNN_lowercase_name"),
        ({"NEXT_tx.sql": "BEGIN;\nCREATE TABLE x (id INTEGER);\nCOMMIT;"}, "transaction control"),
        ({"NEXT_sp.sql": "SAVEPOINT a;\nCREATE TABLE x (id INTEGER);"}, "transaction control"),
        ({"NEXT_uv.sql": "PRAGMA user_version = 99;"}, "user_version"),
        ({"NEXT_empty.sql": "-- nothing here\n"}, "is empty"),
    ],
)
def test_malformed_migration_files_are_refused(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    named = {
        name.replace("NEXT", f"{latest_version() + 1:04d}"): sql for name, sql in files.items()
    }
    folder = copy_migrations(tmp_path, named)
    with pytest.raises(MigrationError, match=message):
        load_migrations(folder)


def test_trigger_bodies_are_not_transaction_control() -> None:
    assert any("TRIGGER" in m.sql for m in load_migrations())  # 0002 has BEGIN ... END


async def test_a_migration_edited_after_it_was_applied_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    folder = copy_migrations(tmp_path)
    await migrate(database, directory=folder)
    first = sorted(folder.glob("0001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited later\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(database, directory=folder)


async def test_a_database_newer_than_the_code_is_refused_untouched(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    with sqlite3.connect(database) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 5}")
    with pytest.raises(DatabaseTooNewError, match="newer release"):
        await migrate(database)
    assert user_version(database) == latest_version() + 5
