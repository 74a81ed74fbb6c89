"""`db-check` and `backup`: integrity and foreign-key reports, consistent single-file copies."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from storage import (
    StorageError,
    Store,
    backup_database,
    check_database,
    latest_version,
    migrate,
)
from tests.storage.sqlite_files import (
    NOW,
    STAMP,
    contents,
    copy_migrations,
    corrupt_an_index,
    integrity,
    next_name,
    plain,
    rows,
    scalar,
)

# SQLite files: their check and online backup (PostgreSQL: pg_dump, docs/postgresql.md).
pytestmark = pytest.mark.engines("sqlite")


def leftovers(folder: Path) -> list[str]:
    """Files a backup might leave behind: its temporary copy and that copy's journals."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or "partial" in p.name)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def fill(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(5, "ru", NOW)
        await uow.state.put("offset", "41", NOW)
        await uow.updates.mark_processed(41, NOW)
        for n in range(20):
            await uow.audit.append(
                at=NOW + timedelta(seconds=n), actor_id=n, action="test.fill", details={"n": n}
            )


# --- db-check -------------------------------------------------------------------------------


async def test_check_passes_on_a_freshly_migrated_database(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    report = check_database(database)
    assert report.ok
    assert report.user_version == report.latest_version == latest_version()
    assert report.integrity_messages == ()
    assert report.foreign_key_violations == ()


async def test_check_reports_integrity_problems(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    corrupt_an_index(database)
    report = check_database(database)
    assert not report.ok
    assert report.integrity_messages
    assert all("scratch_a" in message for message in report.integrity_messages)
    assert report.foreign_key_violations == ()


async def test_check_reports_foreign_key_violations(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    folder = copy_migrations(
        tmp_path,
        {
            next_name("parents"): """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
            """
        },
    )
    await migrate(database, directory=folder)
    with plain(database) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")  # what a careless manual edit would do
        conn.execute("INSERT INTO child (id, parent_id) VALUES (3, 404)")
    report = check_database(database)
    assert not report.ok
    assert report.foreign_key_violations == ("table child row 3 refers to a missing row in parent",)
    assert report.integrity_messages == ()


async def test_check_reports_foreign_key_violations_in_the_real_schema(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    with plain(database) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "INSERT INTO cases (id, target_id, category, opened_at, updated_at) "
            "VALUES (1, 999, 'drugs', ?, ?)",
            (STAMP, STAMP),
        )
    report = check_database(database)
    assert not report.ok
    assert "table cases row 1 refers to a missing row in targets" in report.foreign_key_violations


async def test_check_reports_a_schema_behind_the_code(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database, target=1)
    report = check_database(database)
    assert not report.ok
    assert (report.user_version, report.latest_version) == (1, latest_version())
    assert report.integrity_messages == report.foreign_key_violations == ()


async def test_check_never_writes_to_the_database(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database, target=1)
    before = digest(database)
    check_database(database)
    assert digest(database) == before
    assert scalar(database, "PRAGMA user_version") == 1


def test_check_of_a_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "absent.sqlite3"
    with pytest.raises(StorageError, match="`report-bot migrate`"):
        check_database(missing)
    assert not missing.exists()


def test_check_of_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    impostor = tmp_path / "notes.sqlite3"
    impostor.write_text("these are not the pages you are looking for\n" * 200)
    with pytest.raises(StorageError, match="not a database"):
        check_database(impostor)


# --- backup ---------------------------------------------------------------------------------


async def test_a_backup_is_one_self_contained_file_with_the_same_contents(store: Store) -> None:
    await fill(store)
    copy = store.path.parent / "copy.sqlite3"
    result = backup_database(store.path, copy)

    assert result.destination == copy
    assert result.size_bytes == copy.stat().st_size
    assert result.pages * scalar(copy, "PRAGMA page_size") == result.size_bytes
    assert not Path(f"{copy}-wal").exists()
    assert not Path(f"{copy}-shm").exists()
    assert leftovers(copy.parent) == []
    assert scalar(copy, "PRAGMA journal_mode") == "delete"
    assert contents(copy) == contents(store.path)
    assert len(rows(copy, "SELECT * FROM audit_log")) == 20
    assert check_database(copy).ok


async def test_a_backup_refuses_an_existing_file_unless_told_to_overwrite(store: Store) -> None:
    await fill(store)
    copy = store.path.parent / "copy.sqlite3"
    copy.write_text("precious")
    with pytest.raises(StorageError, match="already exists"):
        backup_database(store.path, copy)
    assert copy.read_text() == "precious"
    assert leftovers(copy.parent) == []

    backup_database(store.path, copy, overwrite=True)
    assert contents(copy) == contents(store.path)
    assert check_database(copy).ok


async def test_a_backup_into_a_missing_folder_is_refused(store: Store) -> None:
    folder = store.path.parent / "nope"
    with pytest.raises(StorageError, match="does not exist"):
        backup_database(store.path, folder / "copy.sqlite3")
    assert not folder.exists()


async def test_a_backup_onto_the_database_itself_is_refused(store: Store) -> None:
    await fill(store)
    before = contents(store.path)
    with pytest.raises(StorageError, match="itself"):
        backup_database(store.path, store.path, overwrite=True)
    assert contents(store.path) == before


def test_a_backup_of_a_missing_database_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="`report-bot migrate`"):
        backup_database(tmp_path / "absent.sqlite3", tmp_path / "copy.sqlite3")
    assert list(tmp_path.iterdir()) == []


async def test_a_backup_that_fails_late_leaves_no_partial_file(store: Store) -> None:
    await fill(store)
    in_the_way = store.path.parent / "copy.sqlite3"
    in_the_way.mkdir()
    (in_the_way / "keep.txt").write_text("kept")
    with pytest.raises(StorageError, match="backup failed"):
        backup_database(store.path, in_the_way, overwrite=True)  # the final rename fails
    assert leftovers(store.path.parent) == []
    assert (in_the_way / "keep.txt").read_text() == "kept"


async def test_a_copy_failing_its_integrity_check_is_discarded(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    corrupt_an_index(database)
    copy = tmp_path / "copy.sqlite3"
    with pytest.raises(StorageError, match="integrity check"):
        backup_database(database, copy)
    assert not copy.exists()
    assert leftovers(tmp_path) == []


async def test_a_backup_while_the_bot_keeps_writing_is_a_consistent_prefix(store: Store) -> None:
    total = 300
    head_start = 50
    started = asyncio.Event()

    async def write() -> None:
        for n in range(total):
            async with store.transaction() as uow:
                await uow.state.put(f"k{n:04d}", "v" * 500, NOW)
                await uow.audit.append(at=NOW, actor_id=n, action="test.write", details={"n": n})
            if n + 1 == head_start:
                started.set()

    writer = asyncio.create_task(write())
    await started.wait()
    copy = store.path.parent / "copy.sqlite3"
    await asyncio.to_thread(backup_database, store.path, copy)
    await writer

    assert integrity(copy) == ["ok"]
    assert check_database(copy).ok
    states = rows(copy, "SELECT key, value FROM bot_state ORDER BY key")
    audits = rows(copy, "SELECT actor_id, details FROM audit_log ORDER BY id")
    kept = len(states)
    assert head_start <= kept <= total
    # Each transaction is in the copy whole or not at all, and only the earliest ones are.
    assert states == [(f"k{n:04d}", "v" * 500) for n in range(kept)]
    assert audits == [(n, f'{{"n":{n}}}') for n in range(kept)]
    assert len(rows(store.path, "SELECT key FROM bot_state")) == total
