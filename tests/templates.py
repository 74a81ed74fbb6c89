"""A migrated SQLite database made once per test process and copied for each test.

Migrating a new file runs every migration (tens of milliseconds, on every test that opens a
store); copying a migrated file is a file copy. The migrations themselves are tested from
empty in tests/storage/test_migrations.py and wherever a test asks for an empty database.
The copy is made as the bot makes its files: 0600 in a folder it creates 0700.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from storage import migrate
from storage.files import create_private_file, ensure_private_dir


def make_sqlite_template(folder: Path) -> Path:
    """Migrates a new file in `folder` to the latest version, its WAL folded into the file."""
    path = folder / "migrated-template.sqlite3"
    # On a thread of its own: the caller may be inside a running event loop (a fixture).
    with ThreadPoolExecutor(max_workers=1) as runner:
        runner.submit(asyncio.run, migrate(path)).result()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def copy_sqlite_template(template: Path, destination: Path) -> None:
    """`destination` becomes a migrated database, as if the bot had created and migrated it."""
    ensure_private_dir(destination.parent)
    with os.fdopen(create_private_file(destination), "wb") as copy:
        copy.write(template.read_bytes())
