"""Where the database is: `DATABASE_URL` read into a SQLite file or a PostgreSQL server.

A plain path or `sqlite:///relative/path` / `sqlite:////absolute/path` (SQLAlchemy's
convention) is a SQLite file; `postgresql://user:password@host:port/database?sslmode=...`
(or `postgres://`) is a PostgreSQL database reached with asyncpg. A password is kept only in
the DSN handed to the driver: `describe()` and every error leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from storage.sql import Dialect

_POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})
_ASYNCPG_QUERY = frozenset(
    {
        "host",
        "port",
        "user",
        "password",
        "passfile",
        "database",
        "dbname",
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslcrl",
        "sslpassword",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "target_session_attrs",
        "krbsrvname",
        "gsslib",
        "service",
        "servicefile",
        "application_name",
        "connect_timeout",
        "options",
    }
)
EXPECTED = "a file path, sqlite:///path/to/file.sqlite3 or postgresql://user@host:5432/database"


@dataclass(frozen=True)
class SqliteLocation:
    path: Path

    dialect = Dialect.SQLITE

    def describe(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PostgresLocation:
    """`dsn` may hold a password: never print it, print `describe()`."""

    dsn: str = field(repr=False)
    shown: str

    dialect = Dialect.POSTGRESQL

    def describe(self) -> str:
        return self.shown

    def without_user(self) -> str:
        """The server and database, whoever logs in: two roles' URLs of one database agree."""
        scheme, _, rest = self.shown.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"

    def __repr__(self) -> str:
        return f"PostgresLocation({self.shown!r})"


Location = SqliteLocation | PostgresLocation


def parse_location(text: str) -> Location:
    """Raises ValueError saying what is wrong; the message never holds a password."""
    value = text.strip()
    if not value:
        raise ValueError("it is empty")
    scheme, sep, _ = value.partition("://")
    if not sep:
        if value.lower().startswith(("postgres:", "postgresql:", "sqlite:")):
            raise ValueError(f"{value.split(':', 1)[0]}: must be followed by //")
        return SqliteLocation(Path(value).expanduser())
    scheme = scheme.lower()
    if scheme == "sqlite":
        return _sqlite(value)
    if scheme in _POSTGRES_SCHEMES:
        return _postgres(value)
    if "+" in scheme and scheme.split("+", 1)[0] in _POSTGRES_SCHEMES:
        raise ValueError(
            f"drop the driver from the scheme ({scheme}://): write postgresql://...; "
            "the bot always uses asyncpg"
        )
    raise ValueError(f"unknown scheme {scheme}://")


def _sqlite(value: str) -> SqliteLocation:
    rest = value[len("sqlite://") :]
    if not rest.startswith("/") or rest == "/":
        raise ValueError(
            "a sqlite URL needs three slashes and a path: sqlite:///relative/file.sqlite3 or "
            "sqlite:////absolute/file.sqlite3"
        )
    path = unquote(rest[1:].split("?", 1)[0])
    if path in ("", ":memory:"):
        raise ValueError("the bot keeps its records on disk; name a file, not :memory:")
    return SqliteLocation(Path(path).expanduser())


def _postgres(value: str) -> PostgresLocation:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(
            "the postgresql URL is malformed (is the port a number, and are special characters "
            "in the user or password percent-encoded, e.g. @ as %40?)"
        ) from None
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - _ASYNCPG_QUERY)
    if unknown:
        raise ValueError(f"unknown option(s) in the postgresql URL: {', '.join(unknown)}")
    host = parts.hostname or (query.get("host") or [""])[0]
    if not host:
        raise ValueError("the postgresql URL names no host: postgresql://user@host:5432/database")
    database = unquote(parts.path.lstrip("/")) or (query.get("dbname") or [""])[0]
    if not database:
        raise ValueError(
            "the postgresql URL names no database: add it after the host, "
            "postgresql://user@host:5432/database"
        )
    user = unquote(parts.username) if parts.username else None
    where = host if parts.hostname else f"[{host}]"  # a Unix socket folder
    shown = (
        f"postgresql://{user + '@' if user else ''}{where}{f':{port}' if port else ''}/{database}"
    )
    return PostgresLocation(dsn=value, shown=shown)
