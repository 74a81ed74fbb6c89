"""Numbered migrations: atomic, re-runnable, refusing malformed files and newer databases."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage import (
    DatabaseTooNewError,
    MigrationError,
    Store,
    check_database,
    latest_version,
    migrate,
)
from storage.connection import CACHE_KIB
from storage.migrations import MIGRATIONS_DIR, load_migrations
from tests.storage.sqlite_files import (
    STAMP,
    copy_migrations,
    dump,
    integrity,
    next_name,
    plain,
    rows,
    tables,
    user_version,
)

# SQLite's own migrations: its files, PRAGMA user_version, databases built at each old version.
# PostgreSQL's migrations have their tests in test_postgres_schema.py.
pytestmark = pytest.mark.engines("sqlite")

LATEST = latest_version()


def test_the_real_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, LATEST + 1))
    assert LATEST >= 2  # the upgrade tests below need a previous version with tables in it


async def test_migrating_a_missing_file_creates_it_and_applies_every_migration(
    tmp_path: Path,
) -> None:
    database = tmp_path / "not" / "yet" / "there.sqlite3"
    report = await migrate(database)
    files = tuple(sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql")))
    assert (report.from_version, report.to_version) == (0, LATEST)
    assert report.applied == files
    assert user_version(database) == LATEST
    assert {"users", "bot_state", "audit_log", "processed_updates", "schema_migrations"} <= tables(
        database
    )
    recorded = rows(database, "SELECT version, name, checksum FROM schema_migrations")
    assert recorded == [
        (m.version, m.name, hashlib.sha256(m.sql.encode()).hexdigest()) for m in load_migrations()
    ]


async def test_running_migrations_again_is_a_no_op(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    before = dump(database)
    again = await migrate(database)
    assert again.applied == ()
    assert again.from_version == again.to_version == LATEST
    assert dump(database) == before


async def test_the_previous_schema_with_data_is_migrated_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database, target=LATEST - 1)
    assert user_version(database) == LATEST - 1
    with plain(database) as conn:
        conn.execute(
            "INSERT INTO users (user_id, language_code, first_seen_at, last_seen_at) "
            "VALUES (1, 'ru', ?, ?)",
            (STAMP, STAMP),
        )
        conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v', ?)", (STAMP,)
        )
        conn.execute(
            "INSERT INTO audit_log (at, actor_id, action, details) "
            "VALUES (?, 1, 'test.kept', '{\"n\":1}')",
            (STAMP,),
        )
        conn.execute(
            "INSERT INTO processed_updates (update_id, processed_at, bot_id) VALUES (5, ?, 0)",
            (STAMP,),
        )
    report = await migrate(database)
    assert report.from_version == LATEST - 1
    assert report.to_version == LATEST
    assert report.applied == (load_migrations()[-1].filename,)
    assert user_version(database) == LATEST
    assert rows(database, "SELECT user_id, language_code, first_seen_at FROM users") == [
        (1, "ru", STAMP)
    ]
    assert rows(database, "SELECT key, value FROM bot_state") == [("k", "v")]
    assert rows(database, "SELECT actor_id, action, details FROM audit_log") == [
        (1, "test.kept", '{"n":1}')
    ]
    assert rows(database, "SELECT update_id FROM processed_updates") == [(5,)]
    assert check_database(database).ok


@pytest.mark.parametrize("start", range(LATEST))
async def test_every_earlier_version_migrates_to_a_healthy_database(
    tmp_path: Path, start: int
) -> None:
    database = tmp_path / "db.sqlite3"
    first = await migrate(database, target=start)
    assert first.to_version == user_version(database) == start
    second = await migrate(database)
    assert second.from_version == start
    assert len(second.applied) == LATEST - start
    report = check_database(database)
    assert report.ok, report


async def test_a_lower_target_never_downgrades(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    report = await migrate(database, target=1)
    assert report.applied == ()
    assert report.from_version == report.to_version == LATEST
    assert user_version(database) == LATEST


@pytest.mark.parametrize("target", [-1, LATEST + 1])
async def test_a_target_outside_the_known_versions_is_refused(tmp_path: Path, target: int) -> None:
    database = tmp_path / "db.sqlite3"
    with pytest.raises(MigrationError, match=f"target version {target}"):
        await migrate(database, target=target)
    assert not database.exists()


@pytest.mark.parametrize(
    "second_statement",
    [
        pytest.param("INSERT INTO no_such_table VALUES (1);", id="runtime-error"),
        pytest.param("THIS IS NOT SQL AT ALL;", id="syntax-error"),
    ],
)
async def test_a_failing_statement_rolls_the_whole_migration_back(
    tmp_path: Path, second_statement: str
) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    before = dump(database)
    name = next_name("broken")
    folder = copy_migrations(
        tmp_path, {name: f"CREATE TABLE half_done (id INTEGER);\n{second_statement}\n"}
    )
    with pytest.raises(MigrationError, match=name) as caught:
        await migrate(database, directory=folder)
    assert "rolled back" in str(caught.value)
    assert user_version(database) == LATEST
    assert "half_done" not in tables(database)
    assert rows(database, "SELECT version FROM schema_migrations")[-1] == (LATEST,)
    assert dump(database) == before
    store = await Store.open(database)  # the real migrations still find a healthy database
    await store.close()


async def test_a_migration_leaving_foreign_key_violations_is_rolled_back(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    name = next_name("orphans")
    folder = copy_migrations(
        tmp_path,
        {
            name: """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (
                parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED
            );
            INSERT INTO child (parent_id) VALUES (42);
            """
        },
    )
    with pytest.raises(MigrationError, match=f"{name} left 1 foreign key violation"):
        await migrate(database, directory=folder)
    assert user_version(database) == LATEST
    assert not {"parent", "child"} & tables(database)


CRASHING_RUN = """
import asyncio, os, sys
from pathlib import Path

import storage.migrations

real_connect = storage.migrations.connect


async def connect_with_crash(path, **kwargs):
    conn = await real_connect(path, **kwargs)
    await conn.create_function("crash", 0, lambda: os._exit(9))
    return conn


storage.migrations.connect = connect_with_crash
asyncio.run(storage.migrations.migrate(Path(sys.argv[1]), directory=Path(sys.argv[2])))
"""


SPILL_ROWS = CACHE_KIB + 5000  # rows of ~1 KB


async def test_a_process_dying_inside_a_migration_leaves_the_old_version(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    before = dump(database)
    name = next_name("dies")
    folder = copy_migrations(
        tmp_path,
        {
            # More than the connection's page cache (CACHE_KIB), so uncommitted pages spill
            # into the WAL before the crash and recovery has to ignore them.
            name: """
            CREATE TABLE never_committed (id INTEGER PRIMARY KEY, filler BLOB NOT NULL);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < SPILL_ROWS)
            INSERT INTO never_committed (id, filler) SELECT i, zeroblob(1000) FROM n;
            SELECT crash();
            """.replace("SPILL_ROWS", str(SPILL_ROWS))
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
    wal = Path(f"{database}-wal")
    assert wal.exists()
    assert wal.stat().st_size > 1_000_000  # the uncommitted pages really reached the disk

    assert user_version(database) == LATEST
    assert "never_committed" not in tables(database)
    assert integrity(database) == ["ok"]
    assert dump(database) == before

    (folder / name).write_text("CREATE TABLE committed_now (id INTEGER PRIMARY KEY);\n")
    report = await migrate(database, directory=folder)  # a pending file may still change
    assert report.applied == (name,)
    assert user_version(database) == LATEST + 1
    assert "committed_now" in tables(database)
    assert integrity(database) == ["ok"]


@pytest.mark.parametrize(
    ("name", "sql", "message"),
    [
        pytest.param(
            f"{LATEST + 2:04d}_gap.sql", "CREATE TABLE x (id INTEGER);", "without gaps", id="gap"
        ),
        pytest.param("0002_again.sql", "CREATE TABLE x (id INTEGER);", "also used by", id="dup"),
        pytest.param("5_short.sql", "CREATE TABLE x (id INTEGER);", "NNNN_", id="short-number"),
        pytest.param("NEXT_Upper.sql", "CREATE TABLE x (id INTEGER);", "NNNN_", id="uppercase"),
        pytest.param("NEXT-dash.sql", "CREATE TABLE x (id INTEGER);", "NNNN_", id="no-underscore"),
        pytest.param(
            "NEXT_tx.sql", "BEGIN;\nCREATE TABLE x (id INTEGER);\nCOMMIT;", "BEGIN", id="begin"
        ),
        pytest.param(
            "NEXT_lower.sql",
            "create table x (id integer);\ncommit;",
            "transaction control",
            id="commit",
        ),
        pytest.param(
            "NEXT_end.sql", "CREATE TABLE x (id INTEGER);\nEND TRANSACTION;", "END", id="end"
        ),
        pytest.param("NEXT_rb.sql", "ROLLBACK;", "ROLLBACK", id="rollback"),
        pytest.param(
            "NEXT_sp.sql", "SAVEPOINT a;\nCREATE TABLE x (id INTEGER);", "SAVEPOINT", id="savepoint"
        ),
        pytest.param("NEXT_vac.sql", "VACUUM;", "VACUUM", id="vacuum"),
        pytest.param("NEXT_uv.sql", "PRAGMA user_version = 99;", "user_version", id="user-version"),
        pytest.param(
            "NEXT_uvs.sql", "pragma main.user_version=99;", "user_version", id="user-version-main"
        ),
        pytest.param("NEXT_empty.sql", "", "is empty", id="empty"),
        pytest.param("NEXT_blank.sql", "\n   \n\t\n", "is empty", id="blank"),
        pytest.param(
            "NEXT_comments.sql", "-- nothing\n/* at\n all */\n", "is empty", id="only-comments"
        ),
    ],
)
async def test_malformed_migration_files_are_refused_before_the_database_is_touched(
    tmp_path: Path, name: str, sql: str, message: str
) -> None:
    filename = name.replace("NEXT", f"{LATEST + 1:04d}")
    folder = copy_migrations(tmp_path, {filename: sql})
    database = tmp_path / "db.sqlite3"
    with pytest.raises(MigrationError, match=message) as caught:
        await migrate(database, directory=folder)
    assert filename in str(caught.value)
    assert not database.exists()


async def test_a_trigger_body_is_not_transaction_control(tmp_path: Path) -> None:
    name = next_name("guarded")
    folder = copy_migrations(
        tmp_path,
        {
            name: """
            CREATE TABLE guarded (id INTEGER PRIMARY KEY, note TEXT);
            CREATE TRIGGER guarded_no_delete BEFORE DELETE ON guarded
            BEGIN
                SELECT RAISE(ABORT, 'guarded rows stay');
            END;
            """,
            "README.md": "Files that do not end in .sql are not migrations.\n",
        },
    )
    assert any("BEGIN" in m.sql for m in load_migrations())  # the real 0002 has a trigger too
    database = tmp_path / "db.sqlite3"
    report = await migrate(database, directory=folder)
    assert report.applied[-1] == name
    with plain(database) as conn:
        conn.execute("INSERT INTO guarded (note) VALUES ('x')")
        with pytest.raises(sqlite3.IntegrityError, match="guarded rows stay"):
            conn.execute("DELETE FROM guarded")


async def test_a_migration_edited_after_it_was_applied_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    folder = copy_migrations(tmp_path)
    await migrate(database, directory=folder, target=LATEST - 1)
    before = dump(database)
    first = sorted(folder.glob("0001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited later\n")
    with pytest.raises(MigrationError, match="changed after it was applied") as caught:
        await migrate(database, directory=folder)
    assert first.name in str(caught.value)
    assert dump(database) == before  # the pending migration was not applied either


def test_a_missing_migrations_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="does not exist"):
        load_migrations(tmp_path / "nowhere")


async def test_a_database_newer_than_the_code_is_refused_untouched(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    with plain(database) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST + 5}")
    before = dump(database)
    with pytest.raises(DatabaseTooNewError, match="newer release"):
        await migrate(database)
    with pytest.raises(DatabaseTooNewError):
        await Store.open(database)
    assert user_version(database) == LATEST + 5
    assert dump(database) == before
