"""Offline and online maintenance: integrity checks and consistent backups.

Backups use SQLite's online backup API in one step, which copies a single consistent snapshot
even while the bot writes (in WAL mode the copy does not block the writer). The copy is written
next to its destination, checked, switched to a single self-contained file (journal_mode
DELETE), synced, and only then renamed into place, so a failed backup never leaves a
half-written file under the requested name. The copy is created 0600 (storage/files.py): it
holds everything the database does.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.errors import StorageError
from storage.files import LooseFile, create_private_file, loose_files
from storage.migrations import latest_version


@dataclass(frozen=True, slots=True)
class CheckReport:
    user_version: int
    latest_version: int
    integrity_messages: tuple[str, ...]
    foreign_key_violations: tuple[str, ...]
    #: The database's files that others may read: a warning, not a failed check.
    loose_files: tuple[LooseFile, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            not self.integrity_messages
            and not self.foreign_key_violations
            and self.user_version == self.latest_version
        )


@dataclass(frozen=True, slots=True)
class BackupResult:
    destination: Path
    size_bytes: int
    pages: int


def database_files(path: Path) -> list[Path]:
    """The database and the files next to it that hold its data or guard it."""
    return [path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", ".lock"))]


def check_database(path: Path) -> CheckReport:
    """Runs integrity_check and foreign_key_check on `path`, read-only, and finds its files
    that others than the bot's user may read."""
    loose = tuple(loose_files(database_files(path)))  # before opening creates any -shm
    conn = _open_existing(path, read_only=True)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        messages = tuple(
            str(row[0]) for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"
        )
        violations = tuple(
            f"table {row[0]} row {row[1]} refers to a missing row in {row[2]}"
            for row in conn.execute("PRAGMA foreign_key_check")
        )
    except sqlite3.Error as exc:
        raise StorageError(f"cannot check {path}: {exc}") from None
    finally:
        conn.close()
    return CheckReport(version, latest_version(), messages, violations, loose)


def backup_database(source: Path, destination: Path, *, overwrite: bool = False) -> BackupResult:
    if destination.exists() and not overwrite:
        raise StorageError(f"{destination} already exists; choose another path or pass --force")
    if destination.resolve() == source.resolve():
        raise StorageError("the backup must not overwrite the database itself")
    if not destination.parent.is_dir():
        raise StorageError(f"the folder {destination.parent} does not exist")
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    src = _open_existing(source, read_only=True)
    try:
        # Created 0600 first: SQLite opens the empty file as a new database and gives its
        # journal the same mode.
        os.close(create_private_file(temporary, replace_stale=True))
        with contextlib.closing(sqlite3.connect(temporary, isolation_level=None)) as copy:
            src.backup(copy, pages=-1)
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check") if row[0] != "ok"]
            if problems:
                raise StorageError(f"the copy failed its integrity check: {problems[0]}")
            copy.execute("PRAGMA journal_mode = DELETE")
            pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
        _fsync(temporary)
        temporary.replace(destination)
        _fsync(destination.parent)
    except sqlite3.Error as exc:
        raise StorageError(f"backup failed: {exc}") from None
    except OSError as exc:
        raise StorageError(f"backup failed: {exc.strerror} ({exc.filename})") from None
    finally:
        src.close()
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-journal")):
            leftover.unlink(missing_ok=True)
    return BackupResult(destination, destination.stat().st_size, pages)


def _open_existing(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file; check DATABASE_PATH")
    if not path.is_file():
        raise StorageError(
            f"there is no database at {path}; check DATABASE_PATH, or create it with "
            "`report-bot migrate`"
        )
    mode = "ro" if read_only else "rw"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA schema_version").fetchone()  # fails now if it is not a database
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {path}: {exc}") from None
    return conn


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
