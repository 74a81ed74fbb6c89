"""The database's own commands of `report-bot`: migrate, db-check, backup, db copy.

`migrate` opens the database like every other command; `db-check` and `backup` work on the
database without opening it for the bot, since opening would migrate it: they report on (or
copy) the database as it is. On PostgreSQL `db-check` asks the server (storage/pg_maintenance.py)
and `backup` points at pg_dump. `db copy --to postgresql://...` moves a SQLite database into an
empty PostgreSQL one (storage/copy.py), verified before it commits.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bot.cli_kit import Exits, add_command, add_group, configure_logs, warn_about_env_file
from bot.instance_lock import AlreadyRunningError, InstanceLock, LockFileError
from bot.settings import Settings
from bot.stores import run_with_store, upgraded_seals
from moderation.sealing import Upgrade
from moderation.text import counted
from storage import (
    DatabaseTooNewError,
    MigrationError,
    MigrationReport,
    StorageError,
    Store,
    backup_database,
    check_database,
)
from storage.copy import BATCH, CopyFailed, CopyRefused, CopyReport, copy_to_postgres
from storage.copy_checks import check_copy
from storage.files import loose_files
from storage.legal.ledger_anchor import FILE_NAME as ANCHOR_FILE
from storage.legal.ledger_anchor import placement
from storage.location import PostgresLocation, SqliteLocation, parse_location
from storage.pg_maintenance import PgCheckReport, check_postgres
from storage.pg_roles import GrantReport, create_bot_role, login_role

#: Where the docs tell how to back up and restore a PostgreSQL database.
PG_BACKUP_DOCS = 'docs/postgresql.md, "PostgreSQL backups"'


def add_database_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    exits = Exits(ok, failed, usage, err)
    add_command(
        commands,
        "migrate",
        migrate,
        exits,
        help="apply pending database migrations",
        description="Create the database if needed and apply pending migrations. Running it "
        "again is a no-op.",
    )
    add_command(
        commands,
        "db-check",
        db_check,
        exits,
        help="check the database's integrity and foreign keys",
        description="Either engine: warns first (exit code unchanged) about the env file: "
        "other users may read it, or it holds names that are not settings. "
        "SQLite: run PRAGMA integrity_check and foreign_key_check and compare the "
        "schema version with this code; also warns (exit code unchanged) about database files "
        "other users may read, with the chmod to fix it, and about a ledger checkpoint folder "
        "on the database's filesystem. PostgreSQL: the schema version and "
        "migration checksums, synchronous_commit, fsync and full_page_writes as the bot's "
        "session sees them, every foreign key validated, every guard trigger present and "
        "enabled, no invalid index, and the bot's role (DATABASE_URL's user) neither a "
        "superuser nor an owner of the tables, without TRUNCATE and without UPDATE or DELETE "
        "on the append-only tables. Exits 1 when anything is wrong, a line per problem.",
    )
    backup = add_command(
        commands,
        "backup",
        make_backup,
        exits,
        help="copy the database consistently, even while the bot runs",
        description="Copy the SQLite database to PATH with SQLite's online backup API (safe "
        "while the bot is running) and verify the copy. A PostgreSQL database is backed up "
        "with pg_dump instead.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    actions = add_group(
        commands,
        "db",
        dest="db_command",
        help="the database as a whole: copy it to PostgreSQL, create the bot's role there",
        description="Moving the bot's records from SQLite to PostgreSQL; the bot's own role "
        "on PostgreSQL.",
    )
    add_command(
        actions,
        "create-role",
        create_role,
        exits,
        help="create the bot's PostgreSQL role (DATABASE_URL's user) as DATABASE_OWNER_URL",
        description="PostgreSQL: create the role DATABASE_URL logs in as, with LOGIN and no "
        "other attribute and DATABASE_URL's password (sent as a SCRAM verifier), from the "
        "DATABASE_OWNER_URL connection (it needs CREATEROLE; otherwise the SQL to run as a "
        "superuser is printed, without the password). An existing role is left as it is. "
        "Then `report-bot migrate` grants it exactly the bot's privileges.",
    )
    copy = add_command(
        actions,
        "copy",
        copy_database,
        exits,
        help="copy the SQLite database into an empty PostgreSQL database, verified",
        description="Copy the SQLite database named by DATABASE_PATH / DATABASE_URL, which "
        "must be at this release's schema version (run `migrate` first), into an EMPTY "
        "PostgreSQL database: migrate it, copy every table with its ids in one transaction, "
        "move the identity sequences on, and verify before committing: row counts and every "
        "row of every table, the disclosure ledger's chain (and `ledger verify` with "
        "LEDGER_KEY), a sample of sealed values opened on both sides (with ENCRYPTION_KEY and "
        "BLIND_INDEX_KEY). Any failure rolls the copy back (exit 1). Stop the bot first.",
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="postgresql://user@host:5432/database; leave the password out of the command "
        "line (other users can see it) and give it in PGPASSWORD or ~/.pgpass",
    )
    copy.add_argument(
        "--batch",
        type=int,
        default=BATCH,
        metavar="ROWS",
        help=f"rows per COPY round-trip (default {BATCH})",
    )


def migrate(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    configure_logs(settings)

    async def work(store: Store) -> tuple[MigrationReport, GrantReport | None, Upgrade | None]:
        # With the registry keys: what migration 0018 left to re-seal, bound to its row.
        return store.migration, store.grants, await upgraded_seals(store, settings)

    try:
        report, grants, upgrade = run_with_store(settings, work, bind_seals=False, migrate=True)
    except (DatabaseTooNewError, MigrationError, StorageError) as exc:
        exits.err(f"migrate: {exc}")
        return exits.failed
    if upgrade is not None:
        print(f"sealed values bound to their rows: {upgrade.resealed}")
        if upgrade.unopenable:
            exits.err(
                f"migrate: {counted(len(upgrade.unopenable), 'sealed value')} did not open "
                f"and stay sealed, never disclosed: {', '.join(upgrade.unopenable[:20])}"
            )
    if report.applied:
        print(
            f"migrated {settings.database.describe()}: schema version {report.from_version} -> "
            f"{report.to_version} ({counted(len(report.applied), 'migration')} applied)"
        )
    else:
        print(f"{settings.database.describe()}: schema version {report.to_version}, nothing to do")
    if grants is not None:
        guarded = ", ".join(grant.describe() for grant in grants.guarded)
        print(
            f"migrated as the owner {grants.owner}; the bot's role {grants.role} holds only its "
            f"privileges on {len(grants.tables)} tables, append-only ones: {guarded}"
        )
    elif isinstance(settings.database, PostgresLocation) and settings.database_owner:
        exits.err(
            f"migrate: note: DATABASE_URL and DATABASE_OWNER_URL both log in as "
            f"{login_role(settings.database)}: the bot owns its tables and could switch off "
            'their guards; give it a role of its own (docs/postgresql.md, "PostgreSQL roles")'
        )
    elif isinstance(settings.database, PostgresLocation):
        exits.err(
            f"migrate: note: DATABASE_OWNER_URL is not set, so this ran as "
            f"{login_role(settings.database)}, the role the bot connects as; if it owns the "
            "tables it could switch off their guards (`report-bot db-check` says); see "
            'docs/postgresql.md, "PostgreSQL roles"'
        )
    return exits.ok


def create_role(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    database, owner = settings.database, settings.database_owner
    if not isinstance(database, PostgresLocation) or owner is None:
        exits.err(
            "db create-role: needs DATABASE_URL (postgresql://, the bot's role and password) "
            "and DATABASE_OWNER_URL (the tables' owner, who creates the role); SQLite has no "
            "roles"
        )
        return exits.usage
    configure_logs(settings)
    try:
        created = asyncio.run(create_bot_role(owner, database))
    except StorageError as exc:
        exits.err(f"db create-role: {exc}")
        return exits.failed
    password = (
        "with DATABASE_URL's password (sent as a SCRAM verifier, never in clear)"
        if created.with_password
        else "without a password (DATABASE_URL has none: the server's pg_hba.conf decides)"
    )
    if created.created:
        print(f"created the bot's role {created.role}: LOGIN, nothing else, {password}")
    else:
        print(
            f"the bot's role {created.role} exists; left as it is (db-check says if it may "
            "do too much)"
        )
    print("next: `report-bot migrate` (as DATABASE_OWNER_URL) grants it its privileges")
    return exits.ok


def db_check(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    warn_about_env_file(exits, args.env_file)
    database = settings.database
    anchor_dir = settings.anchor_dir  # stops first if the checkpoint file was left behind
    if isinstance(database, PostgresLocation):
        _print_anchor(database, anchor_dir)
        return _pg_check(exits, database)
    try:
        report = check_database(database.path)
    except StorageError as exc:
        exits.err(f"db-check: {exc}")
        return exits.failed
    integrity = "ok" if not report.integrity_messages else "; ".join(report.integrity_messages)
    print(f"database: {database.path}")
    print(f"schema version: {report.user_version} (this code: {report.latest_version})")
    print(f"integrity_check: {integrity}")
    print(f"foreign_key_check: {counted(len(report.foreign_key_violations), 'violation')}")
    for violation in report.foreign_key_violations[:20]:
        print(f"  {violation}")
    loose = [*report.loose_files, *loose_files([anchor_dir / ANCHOR_FILE])]
    print(f"file permissions: {'ok' if not loose else 'WARNING'}")
    for file in loose:
        print(f"  warning: {file.warning()}")
    _print_anchor(database, anchor_dir)
    print("result: ok" if report.ok else "result: PROBLEMS FOUND")
    return exits.ok if report.ok else exits.failed


def _print_anchor(database: SqliteLocation | PostgresLocation, anchor_dir: Path) -> None:
    """Where the ledger's checkpoints are, and a warning (exit code unchanged) when whoever
    can write the database could cut them too."""
    where = placement(anchor_dir, database)
    status = "WARNING" if where.warning else "see the note" if where.note else "ok"
    print(f"ledger checkpoints: {anchor_dir} ({status})")
    if where.warning:
        print(f"  warning: {where.warning}")
    if where.note:
        print(f"  note: {where.note}")


def _pg_check(exits: Exits, database: PostgresLocation) -> int:
    try:
        report: PgCheckReport = asyncio.run(check_postgres(database))
    except StorageError as exc:
        exits.err(f"db-check: {exc}")
        return exits.failed
    settings = report.settings
    print(f"database: {report.where}")
    print(f"schema version: {report.version} (this code: {report.latest})")
    print(
        f"durability (the bot's session): synchronous_commit {settings['synchronous_commit']}, "
        f"fsync {settings['fsync']}, full_page_writes {settings['full_page_writes']}"
    )
    print(
        f"foreign keys: {report.foreign_keys}; guard triggers present and enabled: "
        f"{report.triggers}"
    )
    print(
        f"the bot's role {report.role}: "
        f"{'least privilege' if not report.role_risks else 'MAY ALTER ITS GUARDS'}"
    )
    for problem in report.problems:
        print(f"  problem: {problem}")
    for warning in report.warnings:
        print(f"  warning: {warning}")
    print("result: ok" if report.ok else f"result: PROBLEMS FOUND ({len(report.problems)})")
    return exits.ok if report.ok else exits.failed


def make_backup(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    database = settings.database
    if isinstance(database, PostgresLocation):
        exits.err(
            f"backup: {database.describe()} is a PostgreSQL database; back it up with the "
            f"server's own tools: pg_dump -Fc (and pg_restore to restore), see {PG_BACKUP_DOCS}"
        )
        return exits.failed
    try:
        result = backup_database(database.path, args.path, overwrite=args.force)
    except StorageError as exc:
        exits.err(f"backup: {exc}")
        return exits.failed
    print(
        f"backed up {database.path} to {result.destination} "
        f"({result.size_bytes} bytes, {result.pages} pages); integrity_check ok"
    )
    return exits.ok


def copy_database(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    source = settings.database
    if not isinstance(source, SqliteLocation):
        exits.err(
            "db copy: DATABASE_URL names a PostgreSQL database; the copy reads the SQLite one: "
            "set DATABASE_PATH (or DATABASE_URL=sqlite:///...) to it and give the PostgreSQL "
            "database as --to"
        )
        return exits.usage
    try:
        target = parse_location(args.to)
    except ValueError as exc:
        exits.err(f"db copy: --to: {exc}")
        return exits.usage
    if not isinstance(target, PostgresLocation):
        exits.err("db copy: --to must be a postgresql://user@host:5432/database URL")
        return exits.usage
    if args.batch < 1:
        exits.err("db copy: --batch must be at least 1")
        return exits.usage
    configure_logs(settings)
    keys = settings.encryption_key is not None and settings.blind_index_key is not None
    check = partial(
        check_copy,
        sealer=settings.cipher() if keys else None,
        ledger=settings.ledger() if settings.ledger_key is not None else None,
    )
    if not source.path.is_file():
        exits.err(
            f"db copy: there is no SQLite database at {source.path}; check DATABASE_PATH / "
            "DATABASE_URL"
        )
        return exits.failed
    try:
        # Held for the whole copy: the bot cannot start on the source meanwhile.
        with InstanceLock(source.path):
            report = asyncio.run(
                copy_to_postgres(source.path, target, check=check, batch=args.batch)
            )
    except AlreadyRunningError as exc:
        holder = f" (process {exc.holder_pid})" if exc.holder_pid else ""
        exits.err(
            f"db copy: the bot is running on {source.path}{holder}; stop it first, or what it "
            "writes after the copy stays behind. Nothing was changed."
        )
        return exits.failed
    except LockFileError as exc:
        exits.err(f"db copy: {exc}")
        return exits.failed
    except (CopyRefused, CopyFailed, DatabaseTooNewError, MigrationError, StorageError) as exc:
        exits.err(f"db copy: {exc}")
        return exits.failed
    _print_copy(exits, report, settings)
    return exits.ok


def _print_copy(exits: Exits, report: CopyReport, settings: Settings) -> None:
    migration = report.migration
    migrated = (
        f"migrated from version {migration.from_version} to {migration.to_version}"
        if migration.applied
        else f"already at version {migration.to_version}"
    )
    print(
        f"copied {report.source} to {report.target} (schema version {report.schema_version}; "
        f"the target was {migrated})"
    )
    width = max((len(table.name) for table in report.tables), default=5)
    for table in report.tables:
        print(f"  {table.name:<{width}}  {table.rows:>10} rows")
    print(
        f"total: {report.rows} rows in {len(report.tables)} tables, one transaction; identity "
        f"sequences moved past the copied ids ({report.identities})"
    )
    for trigger in report.paused_triggers:
        print(
            f"note: {trigger} (it refuses every insert) was paused inside the copy's "
            "transaction to copy its rows, and is enabled again"
        )
    print("verified: row counts equal on both sides, every row read back equal to the source")
    head = f", head {report.ledger_head[0]}:{report.ledger_head[1]}" if report.ledger_head else ""
    print(
        f"verified: disclosure ledger: {report.ledger_entries} entries, the chain identical "
        f"entry by entry{head}"
    )
    for line in report.checks.passed:
        print(f"verified: {line}")
    for warning in report.checks.warnings:
        exits.err(f"db copy: warning: {warning}")
    print(
        f"next: set DATABASE_OWNER_URL to {report.target} (the owner, as for this copy) and "
        "DATABASE_URL to the same database with a role of the bot's own (a new user and "
        "password), run `report-bot db create-role` and `report-bot migrate` (it grants that "
        "role only the bot's privileges), then start the bot; keep the SQLite file as it is "
        "until the bot runs well on PostgreSQL"
    )
    if settings.ledger_anchor_dir is not None:
        print(
            f"next: keep LEDGER_ANCHOR_DIR={settings.anchor_dir} in the settings with "
            "DATABASE_URL: the ledger's checkpoint file is there"
        )
    else:
        print(
            f"next: the ledger's checkpoint file stays in {settings.anchor_dir} (the default "
            "with LEDGER_ANCHOR_DIR unset): run the bot as this user, or set "
            f"LEDGER_ANCHOR_DIR={settings.anchor_dir}"
        )
