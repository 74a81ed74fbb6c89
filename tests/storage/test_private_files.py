"""Files the bot creates are its user's alone (0600, folders 0700) even under a umask of 022,
the usual default outside the systemd unit; looser files are found and named."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Store, backup_database, check_database, migrate
from storage.files import (
    ensure_private_dir,
    ensure_private_file,
    loose_files,
    write_private_file,
)
from tests.storage.sqlite_files import NOW

# File modes of SQLite's database, its -wal and -shm and its backups: a PostgreSQL database
# keeps no file of the bot's.
pytestmark = pytest.mark.engines("sqlite")


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """A umask that makes new files 0644 and folders 0755 unless the code asks otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_database_its_wal_and_shm_and_its_new_folder_are_private(
    tmp_path: Path,
) -> None:
    database = tmp_path / "new" / "data" / "db.sqlite3"
    existing = mode(tmp_path)
    store = await Store.open(database)
    try:
        async with store.transaction() as uow:
            await uow.users.touch(5, "en", NOW)
        companions = [Path(f"{database}-wal"), Path(f"{database}-shm")]
        assert all(path.exists() for path in companions)
        assert {path.name: mode(path) for path in [database, *companions]} == {
            "db.sqlite3": 0o600,
            "db.sqlite3-wal": 0o600,
            "db.sqlite3-shm": 0o600,
        }
    finally:
        await store.close()
    assert (mode(tmp_path / "new"), mode(tmp_path / "new" / "data")) == (0o700, 0o700)
    assert mode(tmp_path) == existing  # a folder that existed is left as it was


async def test_migrate_creates_the_database_private(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    assert mode(database) == 0o600


async def test_a_backup_is_private(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    copy = tmp_path / "backups" / "copy.sqlite3"
    copy.parent.mkdir()
    backup_database(database, copy)
    assert mode(copy) == 0o600
    backup_database(database, copy, overwrite=True)
    assert mode(copy) == 0o600
    assert sorted(p.name for p in copy.parent.iterdir()) == ["copy.sqlite3"]


def test_write_private_file_is_0600_replaces_or_refuses_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    target = tmp_path / "disclosure-1.json"
    write_private_file(target, '{"request": 1, "name": "Zoë"}')
    assert mode(target) == 0o600
    assert target.read_text(encoding="utf-8") == '{"request": 1, "name": "Zoë"}'
    write_private_file(target, b"second")
    assert target.read_bytes() == b"second"
    with pytest.raises(FileExistsError):
        write_private_file(target, b"third", replace=False)
    assert target.read_bytes() == b"second"
    write_private_file(tmp_path / "new.html", b"<p>x</p>", replace=False)
    assert mode(tmp_path / "new.html") == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disclosure-1.json", "new.html"]


def test_ensure_private_helpers_create_but_never_loosen_or_tighten_what_exists(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "a" / "b"
    ensure_private_dir(folder)
    assert (mode(tmp_path / "a"), mode(folder)) == (0o700, 0o700)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    ensure_private_dir(shared)
    assert mode(shared) == 0o750
    ensure_private_file(folder / "db")
    assert mode(folder / "db") == 0o600
    (folder / "db").write_bytes(b"kept")
    ensure_private_file(folder / "db")
    assert (folder / "db").read_bytes() == b"kept"


async def test_db_check_names_every_database_file_others_can_read(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    assert check_database(database).loose_files == ()
    lock = tmp_path / "db.sqlite3.lock"
    lock.write_bytes(b"1")
    lock.chmod(0o640)
    database.chmod(0o644)
    report = check_database(database)
    assert [(f.path, f.mode) for f in report.loose_files] == [(database, 0o644), (lock, 0o640)]
    assert report.ok  # a warning, not a failed check
    assert f"chmod 600 {database}" in report.loose_files[0].warning()
    assert loose_files([tmp_path / "missing"]) == []
