"""`report-bot db-check` on PostgreSQL: what the server can tell without extensions.

The schema version against this code and every applied migration's checksum; durability as
the bot's own session sees it (its session settings applied: synchronous_commit, and the
server's fsync and full_page_writes); every foreign key and check constraint validated; the
guard triggers the migrations create present and enabled (a trigger disabled, or set to fire
only on a replica, no longer guards anything) and the session not in replica mode; no index
left invalid by a failed CREATE INDEX CONCURRENTLY or REINDEX. Read-only: nothing is changed.

A trigger's state is read as it is now, so a trigger disabled and enabled again in between
leaves no trace here: what keeps the bot from doing that is its role's privileges, checked
too (storage/pg_roles.py): the role DATABASE_URL logs in as is neither a superuser nor an
owner of the tables (or a member of their owner), may not TRUNCATE, and holds no UPDATE or
DELETE on an append-only table beyond the columns the code updates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg

from storage import pg_roles
from storage.location import PostgresLocation
from storage.migrations import Migration
from storage.pg_migrations import load_pg_migrations, schema_version
from storage.postgres import SESSION_SETTINGS, translate

_TRIGGER: Final = re.compile(
    r"\b(CREATE|DROP)\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(?:IF\s+EXISTS\s+)?"
    r"(\w+)",
    re.IGNORECASE,
)
_LINE_COMMENT: Final = re.compile(r"--[^\n]*")
#: pg_trigger.tgenabled: O fires in the normal (origin) mode, A always; D is disabled and R
#: fires only while session_replication_role = replica.
_FIRING: Final = frozenset({"O", "A"})


@dataclass(frozen=True, slots=True)
class PgCheckReport:
    where: str
    version: int
    latest: int
    settings: dict[str, str]
    triggers: int
    foreign_keys: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    #: The role the check logged in as (DATABASE_URL's: the bot's), and what it may do to
    #: its own guards (also among `problems`).
    role: str = ""
    role_risks: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def expected_triggers(migrations: tuple[Migration, ...] | None = None) -> set[str]:
    """The guard triggers the migrations leave: each CREATE TRIGGER, less those dropped
    later (and created again, in order)."""
    names: set[str] = set()
    for migration in migrations if migrations is not None else load_pg_migrations():
        code = _LINE_COMMENT.sub(" ", migration.sql)
        for verb, name in _TRIGGER.findall(code):
            if verb.upper() == "CREATE":
                names.add(name)
            else:
                names.discard(name)
    return names


async def check_postgres(
    location: PostgresLocation, directory: Path | None = None
) -> PgCheckReport:
    where = location.describe()
    try:
        conn = await asyncpg.connect(
            location.dsn, server_settings=dict(SESSION_SETTINGS), timeout=10
        )
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise translate(exc, where) from None
    try:
        async with conn.transaction(readonly=True, isolation="repeatable_read"):
            return await _check(conn, where, directory)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise translate(exc, where) from None
    finally:
        await conn.close()


async def _check(conn: asyncpg.Connection, where: str, directory: Path | None) -> PgCheckReport:
    migrations = load_pg_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    problems: list[str] = []
    warnings: list[str] = []
    version = await schema_version(conn)
    if version != latest:
        advice = (
            "run `report-bot migrate`"
            if version < latest
            else "this release is older than the database; run the newer release"
        )
        problems.append(f"schema version {version}, this code {latest}: {advice}")
    if version:
        recorded = {
            int(row["version"]): str(row["checksum"])
            for row in await conn.fetch("SELECT version, checksum FROM schema_version")
        }
        for migration in migrations[:version]:
            checksum = recorded.get(migration.version)
            if checksum is None:
                problems.append(f"{migration.filename} is not recorded as applied")
            elif checksum != migration.checksum:
                problems.append(
                    f"{migration.filename} was changed after it was applied (checksum differs)"
                )

    settings = {
        name: str(await conn.fetchval(f"SHOW {name}"))
        for name in ("synchronous_commit", "fsync", "full_page_writes", "session_replication_role")
    }
    if settings["synchronous_commit"] != "on":
        problems.append(
            f"synchronous_commit is {settings['synchronous_commit']} in the bot's session: "
            "an acknowledged report could be lost in a crash"
        )
    for name in ("fsync", "full_page_writes"):
        if settings[name] != "on":
            problems.append(
                f"{name} is off on the server: a power loss can corrupt the database; set "
                f"{name} = on in postgresql.conf"
            )
    if settings["session_replication_role"] != "origin":
        problems.append(
            f"session_replication_role is {settings['session_replication_role']} for the bot's "
            "role: the guard triggers do not fire; ALTER ROLE ... RESET session_replication_role"
        )

    unvalidated = await conn.fetch(
        "SELECT c.relname, k.conname, k.contype::text AS contype FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid "
        "WHERE k.contype IN ('f', 'c') AND NOT k.convalidated AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1, 2"
    )
    problems.extend(
        f"{'foreign key' if row['contype'] == 'f' else 'check constraint'} {row['conname']} on "
        f"{row['relname']} is not validated: ALTER TABLE {row['relname']} VALIDATE CONSTRAINT "
        f"{row['conname']}"
        for row in unvalidated
    )
    foreign_keys = int(
        await conn.fetchval(
            "SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "WHERE k.contype = 'f' AND c.relnamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
        )
    )

    present = {
        str(row["tgname"]): (str(row["relname"]), str(row["tgenabled"]))
        for row in await conn.fetch(
            "SELECT t.tgname, c.relname, t.tgenabled::text AS tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relnamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
        )
    }
    expected = expected_triggers(migrations[:version]) if version else set()
    for name in sorted(expected - set(present)):
        problems.append(f"guard trigger {name} is missing")
    for name in sorted(expected & set(present)):
        table, enabled = present[name]
        if enabled not in _FIRING:
            state = "disabled" if enabled == "D" else "set to fire only on a replica"
            problems.append(
                f"guard trigger {name} on {table} is {state}: ALTER TABLE {table} ENABLE "
                f"TRIGGER {name}"
            )
    warnings.extend(
        f"trigger {name} on {present[name][0]} is not one the migrations create"
        for name in sorted(set(present) - expected)
    )

    role = str(await conn.fetchval("SELECT current_user"))
    role_risks = await pg_roles.role_risks(conn)
    problems.extend(role_risks)

    invalid = await conn.fetch(
        "SELECT i.relname AS index, c.relname AS table FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
        "WHERE (NOT x.indisvalid OR NOT x.indisready) AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1"
    )
    problems.extend(
        f"index {row['index']} on {row['table']} is invalid: REINDEX INDEX {row['index']}"
        for row in invalid
    )
    return PgCheckReport(
        where=where,
        version=version,
        latest=latest,
        settings=settings,
        triggers=len(expected & set(present)),
        foreign_keys=foreign_keys,
        problems=tuple(problems),
        warnings=tuple(warnings),
        role=role,
        role_risks=tuple(role_risks),
    )
