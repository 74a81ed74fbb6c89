"""The transaction API, pragmas, repositories' guarantees, integrity checks and backups."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import (
    DatabaseFullError,
    StorageError,
    Store,
    backup_database,
    check_database,
    latest_version,
    migrate,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "data" / "db.sqlite3")
    yield opened
    await opened.close()


async def test_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        conn = uow.users._conn
        pragmas = {
            name: next(iter(await conn.execute_fetchall(f"PRAGMA {name}")))[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["synchronous"] == 2  # FULL
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] > 0


async def test_reading_connections_refuse_writes(store: Store) -> None:
    async with store.reading() as uow:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await uow.state.put("k", "v", NOW)


async def test_concurrent_transactions_do_not_interleave(store: Store) -> None:
    async def increment() -> None:
        async with store.transaction() as uow:
            value = int(await uow.state.get("counter") or "0")
            await asyncio.sleep(0)  # another task would run here if it could
            await uow.state.put("counter", str(value + 1), NOW)

    await asyncio.gather(*(increment() for _ in range(50)))
    async with store.reading() as uow:
        assert await uow.state.get("counter") == "50"


async def test_failing_transaction_rolls_back_and_the_error_propagates(store: Store) -> None:
    async def fail() -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", "lost", NOW)
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await fail()
    async with store.reading() as uow:
        assert await uow.state.get("k") is None


async def test_cancelled_transaction_rolls_back_and_the_store_stays_usable(store: Store) -> None:
    started = asyncio.Event()

    async def slow() -> None:
        async with store.transaction() as uow:
            await uow.state.put("k", "lost", NOW)
            started.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(slow())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with store.transaction() as uow:
        assert await uow.state.get("k") is None
        await uow.state.put("k", "kept", NOW)
    async with store.reading() as uow:
        assert await uow.state.get("k") == "kept"


async def test_nested_transaction_is_an_error_not_a_deadlock(store: Store) -> None:
    async def nest() -> None:
        async with store.transaction(), store.transaction():
            pass

    with pytest.raises(RuntimeError, match="nested"):
        await nest()


async def test_a_read_sees_one_snapshot(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.state.put("k", "old", NOW)
    async with store.reading() as reader:
        assert await reader.state.get("k") == "old"
        async with store.transaction() as writer:
            await writer.state.put("k", "new", NOW)
        assert await reader.state.get("k") == "old"
    async with store.reading() as reader:
        assert await reader.state.get("k") == "new"


async def test_audit_log_is_append_only(store: Store) -> None:
    async with store.transaction() as uow:
        first = await uow.audit.append(
            at=NOW, actor_id=7, action="case.decided", subject_type="case", subject_id=1
        )
        second = await uow.audit.append(
            at=NOW,
            actor_id=8,
            action="case.undone",
            subject_type="case",
            subject_id=1,
            details={"why": "mistake"},
        )
    assert second > first
    async with store.reading() as uow:
        entries = await uow.audit.for_subject("case", 1)
    assert [e.action for e in entries] == ["case.decided", "case.undone"]
    assert entries[1].details == {"why": "mistake"}
    assert entries[0].at == NOW
    assert entries[0].at.tzinfo is not None
    with sqlite3.connect(store.path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET action = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")


async def test_redelivered_update_is_recognised_and_old_marks_are_pruned(store: Store) -> None:
    async with store.transaction() as uow:
        assert await uow.updates.mark_processed(100, NOW)
        assert not await uow.updates.mark_processed(100, NOW)
        await uow.updates.mark_processed(101, NOW + timedelta(days=3))
        assert await uow.updates.forget_before(NOW + timedelta(days=1)) == 1
        assert not await uow.updates.was_processed(100)
        assert await uow.updates.was_processed(101)


async def test_users_keep_their_language_when_telegram_sends_none(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(5, "ru", NOW)
        await uow.users.touch(5, None, NOW + timedelta(hours=1))
        assert await uow.users.language_of(5) == "ru"
        known = await uow.users.get(5)
    assert known is not None
    assert known.last_seen_at == NOW + timedelta(hours=1)


async def test_naive_datetimes_are_refused_and_nothing_is_written(store: Store) -> None:
    async def touch_naive() -> None:
        async with store.transaction() as uow:
            await uow.users.touch(6, "en", datetime(2026, 1, 1))  # noqa: DTZ001

    with pytest.raises(ValueError, match="naive datetime"):
        await touch_naive()
    async with store.reading() as uow:
        assert await uow.users.get(6) is None


async def test_full_disk_is_a_clear_error_and_work_resumes_when_space_returns(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        conn = uow.state._conn
        pages = next(iter(await conn.execute_fetchall("PRAGMA page_count")))[0]
        await conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    async def write_big() -> None:
        async with store.transaction() as uow:
            await uow.state.put("big", "x" * 200_000, NOW)

    with pytest.raises(DatabaseFullError, match="full"):
        await write_big()
    async with store.reading() as uow:
        assert await uow.state.get("big") is None
    async with store.transaction() as uow:
        await uow.state._conn.execute("PRAGMA max_page_count = 1073741823")
        await uow.state.put("big", "x" * 200_000, NOW)
    assert check_database(store.path).ok


# --- db-check and backup --------------------------------------------------------------------


async def test_check_passes_on_a_fresh_database(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    report = check_database(database)
    assert report.ok
    assert report.user_version == report.latest_version == latest_version()


async def test_check_reports_foreign_key_violations(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "INSERT INTO cases (target_id, category, opened_at, updated_at) "
            "VALUES (999, 'drugs', 'x', 'x')"
        )
    report = check_database(database)
    assert not report.ok
    assert "cases" in report.foreign_key_violations[0]


async def test_check_reports_a_schema_behind_the_code(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database, target=1)
    assert not check_database(database).ok


def test_check_of_a_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="report-bot migrate"):
        check_database(tmp_path / "absent.sqlite3")


async def test_backup_is_one_self_contained_file_with_the_same_data(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.state.put("k", "v", NOW)
    copy = store.path.parent / "copy.sqlite3"
    result = backup_database(store.path, copy)
    assert result.destination == copy
    assert result.pages > 0
    assert not Path(f"{copy}-wal").exists()
    assert not list(copy.parent.glob(".copy.sqlite3.*"))
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT value FROM bot_state").fetchall() == [("v",)]


async def test_backup_refuses_to_overwrite_unless_forced(store: Store) -> None:
    copy = store.path.parent / "copy.sqlite3"
    copy.write_text("precious")
    with pytest.raises(StorageError, match="--force"):
        backup_database(store.path, copy)
    assert copy.read_text() == "precious"
    backup_database(store.path, copy, overwrite=True)
    assert check_database(copy).ok


def test_backup_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        backup_database(tmp_path / "db.sqlite3", tmp_path / "nope" / "copy.sqlite3")


async def test_backup_while_writing_gives_a_consistent_copy(store: Store) -> None:
    async def write(count: int) -> None:
        for n in range(count):
            async with store.transaction() as uow:
                await uow.state.put(f"k{n}", "v" * 500, NOW)
                await uow.audit.append(at=NOW, actor_id=n, action="test.write")

    writer = asyncio.create_task(write(300))
    await asyncio.sleep(0.05)
    copy = store.path.parent / "copy.sqlite3"
    await asyncio.to_thread(backup_database, store.path, copy)
    await writer
    assert check_database(copy).ok
    with sqlite3.connect(copy) as conn:
        states = conn.execute("SELECT count(*) FROM bot_state").fetchone()[0]
        audits = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert states == audits  # each transaction is in the copy whole or not at all
    assert 0 <= states <= 300
