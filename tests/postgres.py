"""A real PostgreSQL for the tests, started and stopped by the test session itself.

pgserver ships the server binaries in its wheel and starts a private cluster (Unix socket
only, trust authentication) in about a second, as a normal user or as root; nothing has to be
installed or running beforehand. TEST_POSTGRES_DSN points the tests at a server of one's own
instead (a DSN of a role that may create databases). A test that needs PostgreSQL and cannot
get it fails: the engine is part of what is tested, so it is never skipped.
"""

from __future__ import annotations

import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ENVIRONMENT_DSN = "TEST_POSTGRES_DSN"


@dataclass
class PostgresCluster:
    """Where the tests' databases are created; `stop` ends a cluster this session started."""

    admin_dsn: str
    server: Any = None  # pgserver.PostgresServer, when the session started one

    def dsn_for(self, database: str) -> str:
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path=f"/{database}"))

    async def create_database(self) -> str:
        """A new empty database with a unique name; its DSN."""
        name = f"test_{uuid.uuid4().hex[:16]}"
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.dsn_for(name)

    async def drop_database(self, dsn: str) -> None:
        name = urlsplit(dsn).path.lstrip("/")
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()


def start_cluster(base: Path) -> PostgresCluster:
    """TEST_POSTGRES_DSN's server, or a private one under `base` (removed by `stop`)."""
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
