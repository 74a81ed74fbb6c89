"""A migrated database opened as a `Store`, on each engine; SQLite's `Database` for the tests
that reach under the store (connection settings, the writer lock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database, Store, migrate
from storage.crypto import (
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)
from storage.location import Location
from tests.templates import copy_sqlite_template


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "db.sqlite3"


@pytest.fixture
async def database(db_path: Path, migrated_sqlite: Path) -> AsyncIterator[Database]:
    """The migrated SQLite file (a copy of the template), opened."""
    copy_sqlite_template(migrated_sqlite, db_path)
    opened = await Database.open(db_path)
    yield opened
    await opened.close()


@pytest.fixture
async def store(store_location: Location) -> AsyncIterator[Store]:
    """The Store the bot uses, migrated: a SQLite file or a PostgreSQL database."""
    opened = await Store.open(store_location)
    yield opened
    await opened.close()


@pytest.fixture
def cipher() -> PersonalDataCipher:
    """The registry's cipher under fresh random keys (data key id `t1`)."""
    return PersonalDataCipher(
        parse_key(new_key_text("t1")), [], decode_secret(new_secret_text(), "index")
    )


@pytest.fixture
async def sqlite_store(database: Database) -> Store:
    """A Store over `database` itself, for SQLite tests that adjust its connections."""
    return Store(database, await migrate(database.path))
