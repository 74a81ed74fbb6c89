"""Least privilege on PostgreSQL: the tables' owner migrates, the bot runs as a role that
cannot switch off the guards.

A guard trigger guards nothing against the role that owns its table: the owner may
`ALTER TABLE ... DISABLE TRIGGER`, delete, and enable the trigger again, and a superuser may
`SET session_replication_role = replica`. So the migrations run as an owner role
(DATABASE_OWNER_URL) and the bot connects as a role of its own (DATABASE_URL) that owns
nothing and holds only the privileges its code uses, computed here from the catalogue:

- every table of the schema: SELECT, INSERT, UPDATE, DELETE; `schema_version` SELECT only;
  never TRUNCATE, REFERENCES or TRIGGER;
- beside each guard trigger, the same refusal at the privilege level: a trigger that calls
  `refuse_change()` unconditionally on DELETE (or INSERT) withholds that privilege; on UPDATE
  it withholds UPDATE, or, for `UPDATE OF <columns>`, UPDATE of those columns (the table's
  other columns stay updatable column by column: voiding a vote, re-sealing under a new key).
  The list of append-only tables is the migrations', never kept here by hand;
- the identity sequences: USAGE and SELECT; the schema: USAGE, never CREATE.

`grant_bot_role` applies that, idempotently (everything is revoked and granted again in one
transaction), after every `migrate`, so a table a later migration adds gets its grants too.
`role_risks` is db-check's side: what the connected role may do beyond that, each with the
command that fixes it. `create_bot_role` makes the role from the owner's connection, its
password sent only as a SCRAM verifier, never in clear.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from storage.errors import StorageError
from storage.location import PostgresLocation
from storage.pg_migrations import MIGRATION_LOCK_KEY
from storage.postgres import translate

#: The privileges a table may give the bot; anything else (TRUNCATE, REFERENCES, TRIGGER) never.
ROW_PRIVILEGES: Final = ("SELECT", "INSERT", "UPDATE", "DELETE")
#: The migration runner's bookkeeping: the bot reads its version, never writes it.
READ_ONLY_TABLES: Final = frozenset({"schema_version"})
#: The trigger function whose unconditional call is a refusal (migration 0002).
REFUSAL: Final = "refuse_change"
# pg_trigger.tgtype bits (PostgreSQL's trigger.h).
_INSERT, _DELETE, _UPDATE = 1 << 2, 1 << 3, 1 << 4
#: What an operator runs to put the bot's grants right (it re-applies them after migrating).
REGRANT: Final = "run `report-bot migrate` with DATABASE_OWNER_URL set (it re-applies the grants)"
NEW_ROLE: Final = (
    "give the bot a role of its own: set DATABASE_URL to a new role's user and password, "
    "DATABASE_OWNER_URL to the owner, and run `report-bot db create-role` then "
    "`report-bot migrate` (docs/postgresql.md, PostgreSQL roles)"
)


class RoleError(StorageError):
    """The bot's role is missing, is the owner, or cannot be created; says what to do."""


@dataclass(frozen=True, slots=True)
class TableGrant:
    """What the bot may do to one table: whole-table privileges, and UPDATE of `columns`
    only when UPDATE is not among them (None: no column-level UPDATE)."""

    table: str
    privileges: frozenset[str]
    columns: tuple[str, ...] | None = None

    @property
    def guarded(self) -> bool:
        """Some row privilege is withheld: an append-only (or closed) table."""
        return self.table not in READ_ONLY_TABLES and self.privileges != frozenset(ROW_PRIVILEGES)

    def describe(self) -> str:
        granted: list[str] = [p for p in ROW_PRIVILEGES if p in self.privileges]
        if self.columns:
            granted.append(f"UPDATE ({', '.join(self.columns)})")
        return f"{self.table}: {', '.join(granted) or 'nothing'}"


@dataclass(frozen=True, slots=True)
class GrantReport:
    role: str
    owner: str
    tables: tuple[TableGrant, ...] = field(default_factory=tuple)

    @property
    def guarded(self) -> tuple[TableGrant, ...]:
        return tuple(grant for grant in self.tables if grant.guarded)


def login_role(location: PostgresLocation) -> str:
    """The role a DSN logs in as: its user, `?user=`, PGUSER, or the OS user (as asyncpg)."""
    parts = urlsplit(location.dsn)
    if parts.username:
        return unquote(parts.username)
    query = parse_qs(parts.query)
    if query.get("user"):
        return query["user"][0]
    return os.environ.get("PGUSER") or getpass.getuser()


def quoted(name: str) -> str:
    """An identifier as SQL text (catalogue names and role names, never user input)."""
    return '"' + name.replace('"', '""') + '"'


async def bot_grants(conn: asyncpg.Connection) -> tuple[TableGrant, ...]:
    """The bot's privileges on every table of the current schema, derived from the guard
    triggers found in the catalogue (see the module's docstring)."""
    tables = [
        str(row["relname"])
        for row in await conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY relname"
        )
    ]
    columns: dict[str, list[tuple[int, str]]] = {}
    for row in await conn.fetch(
        "SELECT c.relname, a.attnum, a.attname FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid WHERE a.attnum > 0 AND NOT a.attisdropped "
        "AND c.relkind IN ('r', 'p') AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1, 2"
    ):
        columns.setdefault(str(row["relname"]), []).append((int(row["attnum"]), row["attname"]))
    withheld: dict[str, set[str]] = {}
    frozen: dict[str, set[int]] = {}
    for row in await conn.fetch(
        "SELECT c.relname, t.tgtype, t.tgattr::int2[] AS attrs FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND t.tgqual IS NULL AND p.proname = $1 "
        "AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
        REFUSAL,
    ):
        table, kind, attrs = str(row["relname"]), int(row["tgtype"]), list(row["attrs"] or [])
        refused = withheld.setdefault(table, set())
        if kind & _INSERT:
            refused.add("INSERT")
        if kind & _DELETE:
            refused.add("DELETE")
        if kind & _UPDATE:
            if attrs:
                frozen.setdefault(table, set()).update(int(a) for a in attrs)
            else:
                refused.add("UPDATE")
    grants: list[TableGrant] = []
    for table in tables:
        if table in READ_ONLY_TABLES:
            grants.append(TableGrant(table, frozenset({"SELECT"})))
            continue
        privileges = set(ROW_PRIVILEGES) - withheld.get(table, set())
        updatable: tuple[str, ...] | None = None
        if "UPDATE" in privileges and table in frozen:
            privileges.discard("UPDATE")
            updatable = tuple(
                str(name) for number, name in columns.get(table, []) if number not in frozen[table]
            )
        grants.append(TableGrant(table, frozenset(privileges), updatable or None))
    return tuple(grants)


async def grant_bot_role(owner: PostgresLocation, bot: PostgresLocation) -> GrantReport | None:
    """Gives the bot's role (DATABASE_URL's user) exactly its privileges, as the owner;
    None when both URLs name one role (nothing can be withheld from the owner)."""
    role = login_role(bot)
    conn = await _connect(owner)
    try:
        me = str(await conn.fetchval("SELECT current_user"))
        if me == role:
            return None
        async with conn.transaction():
            # One at a time with the migrations (and another instance granting at start-up):
            # concurrent GRANTs on one table fail with "tuple concurrently updated".
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
            return await _grant(conn, role, me)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise translate(exc, owner.describe()) from None
    finally:
        await conn.close()


async def _grant(conn: asyncpg.Connection, role: str, me: str) -> GrantReport:
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        raise RoleError(
            f"the bot's role {role} (DATABASE_URL's user) does not exist: create it with "
            "`report-bot db create-role`, then run `report-bot migrate` again"
        )
    if await conn.fetchval("SELECT pg_has_role($1, $2, 'MEMBER')", role, me):
        raise RoleError(
            f"the bot's role {role} is a member of the owner {me}: it may do all the owner "
            f"does; REVOKE {quoted(me)} FROM {quoted(role)} (as a superuser), then run "
            "`report-bot migrate` again"
        )
    who = quoted(role)
    schema = quoted(str(await conn.fetchval("SELECT current_schema()")))
    database = quoted(str(await conn.fetchval("SELECT current_database()")))
    grants = await bot_grants(conn)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
    ]
    if await conn.fetchval(
        "SELECT pg_has_role(current_user, datdba, 'MEMBER') FROM pg_database "
        "WHERE datname = current_database()"
    ):  # else the database's owner decides (CONNECT is PUBLIC's by default)
        statements += [
            f"REVOKE CREATE ON DATABASE {database} FROM {who}",
            f"GRANT CONNECT ON DATABASE {database} TO {who}",
        ]
    for grant in grants:
        table = quoted(grant.table)
        if grant.privileges:
            listed = ", ".join(p for p in ROW_PRIVILEGES if p in grant.privileges)
            statements.append(f"GRANT {listed} ON {table} TO {who}")
        if grant.columns:
            names = ", ".join(quoted(name) for name in grant.columns)
            statements.append(f"GRANT UPDATE ({names}) ON {table} TO {who}")
    for statement in statements:
        await conn.execute(statement)
    return GrantReport(role, me, grants)


@dataclass(frozen=True, slots=True)
class CreatedRole:
    role: str
    created: bool  # False: it existed already
    with_password: bool


async def create_bot_role(owner: PostgresLocation, bot: PostgresLocation) -> CreatedRole:
    """Creates DATABASE_URL's role (LOGIN, no other attribute) with DATABASE_URL's password,
    from the owner's connection (which needs CREATEROLE); an existing role is left as it is
    (db-check says what is wrong with it)."""
    role = login_role(bot)
    password = urlsplit(bot.dsn).password
    conn = await _connect(owner)
    try:
        me = str(await conn.fetchval("SELECT current_user"))
        if me == role:
            raise RoleError(f"DATABASE_URL and DATABASE_OWNER_URL both log in as {me}; {NEW_ROLE}")
        if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            return CreatedRole(role, created=False, with_password=password is not None)
        verifier = f" PASSWORD '{scram_verifier(unquote(password))}'" if password else ""
        try:
            await conn.execute(
                f"CREATE ROLE {quoted(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                f"NOREPLICATION NOBYPASSRLS INHERIT{verifier}"
            )
        except asyncpg.InsufficientPrivilegeError:
            raise RoleError(
                f"the owner {me} may not create roles (it has no CREATEROLE); as a superuser "
                f"run: CREATE ROLE {quoted(role)} LOGIN PASSWORD '<the password in "
                "DATABASE_URL>'; then `report-bot migrate`"
            ) from None
        return CreatedRole(role, created=True, with_password=password is not None)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise translate(exc, owner.describe()) from None
    finally:
        await conn.close()


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677, as
    libpq's PQencryptPasswordConn makes it): the server never sees the password itself."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}$"
        f"{b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


async def role_risks(conn: asyncpg.Connection) -> list[str]:
    """What the connected role (the bot's) may do beyond `bot_grants`, each with its fix."""
    role = str(await conn.fetchval("SELECT current_user"))
    attributes = await conn.fetchrow(
        "SELECT rolsuper, rolcreaterole, rolreplication, rolbypassrls, rolcreatedb "
        "FROM pg_roles WHERE rolname = current_user"
    )
    assert attributes is not None
    if attributes["rolsuper"]:
        return [
            f"the bot's role {role} is a superuser: it can switch off every guard (ALTER TABLE "
            "... DISABLE TRIGGER, SET session_replication_role = replica) and read or change "
            f"anything; {NEW_ROLE}"
        ]
    risks: list[str] = []
    named = {
        "rolcreaterole": "CREATEROLE (it may grant itself other roles)",
        "rolreplication": "REPLICATION",
        "rolbypassrls": "BYPASSRLS",
        "rolcreatedb": "CREATEDB",
    }
    held = [text for column, text in named.items() if attributes[column]]
    if held:
        risks.append(
            f"the bot's role {role} has {', '.join(held)}: as a superuser run ALTER ROLE "
            f"{quoted(role)} NOCREATEROLE NOREPLICATION NOBYPASSRLS NOCREATEDB"
        )
    owned = await conn.fetch(
        "SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c "
        "WHERE c.relkind IN ('r', 'p') AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND pg_has_role(current_user, c.relowner, 'MEMBER') ORDER BY 1"
    )
    functions = await conn.fetch(
        "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND pg_has_role(current_user, p.proowner, 'MEMBER') ORDER BY 1"
    )
    if owned or functions:
        owners = sorted({str(row["owner"]) for row in owned} - {role})
        who = f"{role} (a member of {', '.join(owners)})" if owners else role
        what = [f"tables {_some(row['relname'] for row in owned)}"] if owned else []
        if functions:
            what.append(f"functions {_some(row['proname'] for row in functions)}")
        # The owner may do everything: the privileges below would only repeat it.
        return [
            *risks,
            f"the bot's role {who} owns {' and '.join(what)}: it may ALTER TABLE ... DISABLE "
            "TRIGGER, delete and enable the trigger again, or replace a guard function; "
            f"{NEW_ROLE}",
        ]
    schema = await conn.fetchrow(
        "SELECT nspname, pg_has_role(current_user, nspowner, 'MEMBER') AS owner, "
        "has_schema_privilege(current_user, oid, 'CREATE') AS can_create "
        "FROM pg_namespace WHERE nspname = current_schema()"
    )
    if schema is not None and (schema["owner"] or schema["can_create"]):
        how = "owns the schema" if schema["owner"] else "may create objects in the schema"
        risks.append(
            f"the bot's role {role} {how} {schema['nspname']}: it may add its own tables, "
            "functions and triggers beside the bot's; as the schema's owner run REVOKE CREATE "
            f"ON SCHEMA {quoted(schema['nspname'])} FROM PUBLIC, {quoted(role)}"
        )
    if await conn.fetchval(
        "SELECT has_database_privilege(current_user, current_database(), 'CREATE')"
    ):
        risks.append(f"the bot's role {role} may create schemas in this database: {REGRANT}")
    extra = await conn.fetch(
        "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND ("
        "has_table_privilege(current_user, c.oid, 'TRUNCATE') OR "
        "has_table_privilege(current_user, c.oid, 'TRIGGER')) ORDER BY 1"
    )
    if extra:
        risks.append(
            f"the bot's role {role} may TRUNCATE (or add triggers to) "
            f"{_some(row['relname'] for row in extra)}: {REGRANT}"
        )
    if await conn.fetchval("SELECT current_setting('server_version_num')::int >= 150000") and (
        await conn.fetchval(
            "SELECT has_parameter_privilege(current_user, 'session_replication_role', 'SET')"
        )
    ):
        risks.append(
            f"the bot's role {role} may SET session_replication_role: with it set to replica "
            "no guard trigger fires; as a superuser run REVOKE SET ON PARAMETER "
            f"session_replication_role FROM {quoted(role)}"
        )
    risks.extend(await _beyond_guards(conn, role))
    return risks


async def _beyond_guards(conn: asyncpg.Connection, role: str) -> list[str]:
    """Privileges on the append-only tables that their guard triggers refuse."""
    risks: list[str] = []
    for grant in await bot_grants(conn):
        if not grant.guarded and grant.table not in READ_ONLY_TABLES:
            continue
        held = [
            privilege
            for privilege in ROW_PRIVILEGES
            if privilege not in grant.privileges
            and not (privilege == "UPDATE" and grant.columns)
            and await conn.fetchval(
                "SELECT has_table_privilege(current_user, $1::regclass, $2)",
                quoted(grant.table),
                privilege,
            )
        ]
        allowed = set(grant.columns or ())
        if "UPDATE" not in grant.privileges and "UPDATE" not in held:
            held.extend(
                f"UPDATE ({row['attname']})"
                for row in await conn.fetch(
                    "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass "
                    "AND attnum > 0 AND NOT attisdropped "
                    "AND has_column_privilege(current_user, attrelid, attnum, 'UPDATE') "
                    "ORDER BY attnum",
                    quoted(grant.table),
                )
                if row["attname"] not in allowed
            )
        if held:
            risks.append(
                f"the bot's role {role} holds {', '.join(held)} on {grant.table}, which its "
                f"guard triggers refuse (the bot needs {grant.describe()}): {REGRANT}"
            )
    return risks


def _some(names: Iterable[object], limit: int = 6) -> str:
    listed = [str(name) for name in names]
    shown = ", ".join(listed[:limit])
    return f"{shown} and {len(listed) - limit} more" if len(listed) > limit else shown


async def _connect(location: PostgresLocation) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(location.dsn, timeout=10)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise translate(exc, location.describe()) from None
