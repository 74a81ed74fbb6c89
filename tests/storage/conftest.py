"""A migrated database on disk under tmp_path, opened as a `Database` and as a `Store` over it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database, Store, migrate


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "db.sqlite3"


@pytest.fixture
async def database(db_path: Path) -> AsyncIterator[Database]:
    await migrate(db_path)
    opened = await Database.open(db_path)
    yield opened
    await opened.close()


@pytest.fixture
async def store(database: Database) -> Store:
    """The Store the bot uses, over `database` (whose raw connections some tests adjust)."""
    return Store(database, await migrate(database.path))
