"""A real PostgreSQL for the tests, started and stopped by the test session itself.

pgserver ships the server binaries in its wheel and starts a private cluster (Unix socket
only, trust authentication) in about a second, as a normal user or as root; nothing has to be
installed or running beforehand. TEST_POSTGRES_DSN points the tests at a server of one's own
instead (a DSN of a role that may create databases). A test that needs PostgreSQL and cannot
get it fails: the engine is part of what is tested, so it is never skipped.

Each test process (a pytest-xdist worker) starts a cluster of its own, or, on a server of one's
own, names its databases after itself. A test's database is migrated once per process: the
first is migrated into a template, and every other is `CREATE DATABASE ... TEMPLATE` of it (a
file copy on the server), not a run of every migration.

The bot logs in as a role of its own, as in production (docs/postgresql.md): one per
test process, granted its privileges on the template (the copies carry them), so a privilege
the code needs and the role lacks fails the test that needs it. The tests' admin role owns the
tables: it migrates, and it is the insider of tests/storage/stored.py and tests/engines.py
(`owner_dsn` finds it from the bot's DSN of a test's database).
"""

from __future__ import annotations

import contextlib
import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.location import PostgresLocation, parse_location
from storage.pg_migrations import migrate_postgres
from storage.pg_roles import grant_bot_role
from tests.workers import worker_name

ENVIRONMENT_DSN = "TEST_POSTGRES_DSN"

#: The owner's DSN of each test database handed out with the bot's DSN (`bot_database`).
_OWNERS: dict[str, str] = {}


def owner_dsn(dsn: str) -> str:
    """The owner's DSN of the database `dsn` logs in to as the bot (`dsn` itself otherwise):
    who the insider is, with the database's admin password."""
    return _OWNERS.get(dsn, dsn)


@dataclass
class PostgresCluster:
    """Where the tests' databases are created; `close` cleans up after the session."""

    admin_dsn: str
    server: Any = None  # pgserver.PostgresServer, when the session started one
    #: The migrated template's name, once made (one per test process).
    template: str | None = None
    #: The bot's least-privileged role in this cluster (`bot_role`), once made: name, password.
    bot: tuple[str, str] | None = None

    def dsn_for(self, database: str) -> str:
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path=f"/{database}"))

    def dsn_as(self, dsn: str, role: str, password: str) -> str:
        """`dsn` (one of this cluster's databases) logging in as `role`."""
        parts = urlsplit(dsn)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))

    async def bot_role(self) -> tuple[str, str]:
        """A role as `report-bot db create-role` makes it (LOGIN, nothing else), made once per
        cluster and named after the test process; `grant_bot_role` gives it its privileges
        per database. Its name and (random, test-only) password."""
        if self.bot is None:
            name = f"reportbot_{worker_name().replace('-', '_')}_{uuid.uuid4().hex[:6]}"
            password = uuid.uuid4().hex
            conn = await asyncpg.connect(self.admin_dsn)
            try:
                await conn.execute(
                    f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                    f"PASSWORD '{password}'"
                )
            finally:
                await conn.close()
            self.bot = (name, password)
        return self.bot

    async def create_database(self, *, template: str | None = None) -> str:
        """A new database with a unique name (empty, or a copy of `template`); its DSN."""
        name = _unique_name("test")
        copy = f' TEMPLATE "{template}"' if template else ""
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"{copy}')
        finally:
            await conn.close()
        return self.dsn_for(name)

    async def migrated_template(self) -> str:
        """This process's template, a database at the latest schema version (made on first
        use; `close` drops it): its name."""
        if self.template is None:
            dsn = await self.create_database()
            await migrate_postgres(dsn)  # closes its connection: a template must have none
            role, password = await self.bot_role()
            await grant_bot_role(_location(dsn), _location(self.dsn_as(dsn, role, password)))
            self.template = urlsplit(dsn).path.lstrip("/")
        return self.template

    async def create_migrated_database(self) -> str:
        """A new database at the latest schema version: a copy of this process's template."""
        return await self.create_database(template=await self.migrated_template())

    async def bot_database(self) -> tuple[str, str]:
        """A new migrated database: (the owner's DSN, the bot's role's DSN, granted)."""
        owner = await self.create_migrated_database()
        role, password = await self.bot_role()
        bot = self.dsn_as(owner, role, password)
        _OWNERS[bot] = owner
        return owner, bot

    async def drop_database(self, dsn: str) -> None:
        for bot in [bot for bot, owner in _OWNERS.items() if owner == dsn]:
            del _OWNERS[bot]
        name = urlsplit(dsn).path.lstrip("/")
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def close(self) -> None:
        """Drops the template on a server of one's own (it keeps running), then stops a
        cluster the session started."""
        if self.server is None and self.template is not None:
            await self.drop_database(self.dsn_for(self.template))
        self.template = None
        if self.server is None and self.bot is not None:
            conn = await asyncpg.connect(self.admin_dsn)
            try:
                # Still granted in a database left behind (a run cut short): it stays.
                with contextlib.suppress(asyncpg.DependentObjectsStillExistError):
                    await conn.execute(f'DROP ROLE IF EXISTS "{self.bot[0]}"')
            finally:
                await conn.close()
        self.bot = None
        if self.server is not None:
            self.server.cleanup()


def _unique_name(kind: str) -> str:
    """A database name that says which test process made it (its worker) and is unique."""
    worker = worker_name().replace("-", "_")
    return f"{kind}_{worker}_{uuid.uuid4().hex[:12]}"


def start_cluster(base: Path) -> PostgresCluster:
    """TEST_POSTGRES_DSN's server, or a private one under `base` (`close` stops, removes it)."""
    configured = os.environ.get(ENVIRONMENT_DSN)
    if configured:
        return PostgresCluster(configured)
    try:
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers).
            warnings.simplefilter("ignore")
            from pgserver import postgres_server

            server = postgres_server.get_server(base / "pgdata", cleanup_mode="delete")
    except Exception as exc:
        raise RuntimeError(
            f"PostgreSQL for the tests did not start ({exc!r}); install the dev extra "
            f'(pip install -e ".[dev]") or set {ENVIRONMENT_DSN} to a server of your own'
        ) from exc
    return PostgresCluster(server.get_uri(), server)


def _location(dsn: str) -> PostgresLocation:
    location = parse_location(dsn)
    assert isinstance(location, PostgresLocation)
    return location
