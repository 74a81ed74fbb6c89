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
    UnsafeFile,
    ensure_private_dir,
    ensure_private_file,
    loose_files,
    read_file_inside,
    read_regular_file,
    read_resolved,
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


@pytest.fixture
def request_folder(tmp_path: Path) -> tuple[Path, Path]:
    """(the request file's folder with docs/order.pdf in it, a folder outside it holding a
    file an insider wants read: outside/order.pdf and outside/docs/order.pdf)."""
    folder, outside = tmp_path / "requests", tmp_path / "outside"
    (folder / "docs").mkdir(parents=True)
    (outside / "docs").mkdir(parents=True)
    (folder / "docs" / "order.pdf").write_bytes(b"%PDF-1.4 the order")
    (outside / "order.pdf").write_bytes(b"not for the bot: outside")
    (outside / "docs" / "order.pdf").write_bytes(b"not for the bot: outside too")
    return folder, outside


def test_a_document_swapped_for_a_link_after_its_check_is_refused_not_followed(
    request_folder: tuple[Path, Path],
) -> None:
    """The insider's race (issue 27, point 7): `legal add` resolves the order document's path
    and checks it is inside the request file's folder, then opens it; whoever can write the
    folder swaps the file for a link to a file outside in between. The swap is made here
    between the two steps: the old open step (`read_regular_file`, a plain open) follows the
    link and reads the outside file; the open step now used refuses it."""
    folder, outside = request_folder
    checked, content = read_file_inside(folder, "docs/order.pdf", 1024)
    assert content == b"%PDF-1.4 the order"
    checked.unlink()
    checked.symlink_to(outside / "order.pdf")  # the swap, after the check
    assert read_regular_file(checked, 1024) == b"not for the bot: outside"  # the old open
    with pytest.raises(UnsafeFile, match="became a link after it was checked"):
        read_resolved(checked, 1024, shown="'docs/order.pdf'")


def test_a_folder_on_the_way_swapped_for_a_link_after_the_check_is_refused(
    request_folder: tuple[Path, Path],
) -> None:
    folder, outside = request_folder
    checked, _ = read_file_inside(folder, "docs/order.pdf", 1024)
    (folder / "docs").rename(folder / "moved")
    (folder / "docs").symlink_to(outside / "docs")
    assert read_regular_file(checked, 1024) == b"not for the bot: outside too"  # the old open
    with pytest.raises(UnsafeFile, match="became a link after it was checked"):
        read_resolved(checked, 1024)


def test_a_link_inside_the_folder_to_a_file_inside_it_is_still_read(
    request_folder: tuple[Path, Path],
) -> None:
    """Links are resolved before the check, so one that stays inside the folder works."""
    folder, _ = request_folder
    (folder / "order.pdf").symlink_to(folder / "docs" / "order.pdf")
    path, content = read_file_inside(folder, "order.pdf", 1024)
    assert (path, content) == ((folder / "docs" / "order.pdf").resolve(), b"%PDF-1.4 the order")
