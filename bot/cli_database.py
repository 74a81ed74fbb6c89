"""The database file's own commands of `report-bot`: migrate, db-check, backup.

`migrate` opens the database like every other command; `db-check` and `backup` work on the file
without opening it for the bot, since opening would migrate it: they report on (or copy) the
database as it is.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli_kit import Exits, add_command, configure_logs
from bot.settings import Settings
from bot.stores import run_with_store, upgraded_seals
from moderation.sealing import Upgrade
from storage import (
    DatabaseTooNewError,
    MigrationError,
    MigrationReport,
    StorageError,
    Store,
    backup_database,
    check_database,
)
from storage.files import loose_files
from storage.legal.ledger_anchor import FILE_NAME as ANCHOR_FILE


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
        description="Run PRAGMA integrity_check and foreign_key_check and compare the "
        "schema version with this code. Exits 1 when anything is wrong. Also warns (exit "
        "code unchanged) about database files other users may read, with the chmod to fix it.",
    )
    backup = add_command(
        commands,
        "backup",
        make_backup,
        exits,
        help="copy the database consistently, even while the bot runs",
        description="Copy the database to PATH with SQLite's online backup API (safe while the "
        "bot is running) and verify the copy.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")


def migrate(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    configure_logs(settings)

    async def work(store: Store) -> tuple[MigrationReport, Upgrade | None]:
        # With the registry keys: what migration 0018 left to re-seal, bound to its row.
        return store.migration, await upgraded_seals(store, settings)

    try:
        report, upgrade = run_with_store(settings, work, bind_seals=False)
    except (DatabaseTooNewError, MigrationError, StorageError) as exc:
        exits.err(f"migrate: {exc}")
        return exits.failed
    if upgrade is not None:
        print(f"sealed values bound to their rows: {upgrade.resealed}")
        if upgrade.unopenable:
            exits.err(
                f"migrate: {len(upgrade.unopenable)} sealed value(s) did not open and stay "
                f"sealed, never disclosed: {', '.join(upgrade.unopenable[:20])}"
            )
    if report.applied:
        print(
            f"migrated {settings.database.describe()}: schema version {report.from_version} -> "
            f"{report.to_version} ({len(report.applied)} migration(s) applied)"
        )
    else:
        print(f"{settings.database.describe()}: schema version {report.to_version}, nothing to do")
    return exits.ok


def db_check(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    try:
        report = check_database(settings.database_path)
    except StorageError as exc:
        exits.err(f"db-check: {exc}")
        return exits.failed
    integrity = "ok" if not report.integrity_messages else "; ".join(report.integrity_messages)
    print(f"database: {settings.database_path}")
    print(f"schema version: {report.user_version} (this code: {report.latest_version})")
    print(f"integrity_check: {integrity}")
    print(f"foreign_key_check: {len(report.foreign_key_violations)} violation(s)")
    for violation in report.foreign_key_violations[:20]:
        print(f"  {violation}")
    loose = [*report.loose_files, *loose_files([settings.anchor_dir / ANCHOR_FILE])]
    print(f"file permissions: {'ok' if not loose else 'WARNING'}")
    for file in loose:
        print(f"  warning: {file.warning()}")
    print("result: ok" if report.ok else "result: PROBLEMS FOUND")
    return exits.ok if report.ok else exits.failed


def make_backup(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    try:
        result = backup_database(settings.database_path, args.path, overwrite=args.force)
    except StorageError as exc:
        exits.err(f"backup: {exc}")
        return exits.failed
    print(
        f"backed up {settings.database_path} to {result.destination} "
        f"({result.size_bytes} bytes, {result.pages} pages); integrity_check ok"
    )
    return exits.ok
