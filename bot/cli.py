"""`report-bot` / `python -m bot`: run the bot and operate its database.

Exit codes: 0 success, 1 the operation failed, 2 bad configuration or usage. Configuration
problems are printed one per line, naming the variable, never with a traceback or a secret.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from telegram.error import InvalidToken, TelegramError

from bot.app import build_application
from bot.cli_legal import add_legal_commands
from bot.cli_registry import add_registry_commands
from bot.cli_transparency import add_transparency_commands
from bot.instance_lock import AlreadyRunningError, InstanceLock
from bot.logging_setup import configure_logging
from bot.runner import BotApiUnreachable, api_location, masked_message, serve, stop_on_signals
from bot.sandbox import DEFAULT_STEP_TIMEOUT
from bot.sandbox import run as run_sandbox
from bot.settings import Settings, SettingsError, load_settings
from bot.setup_check import run_setup
from bot.stores import upgraded_seals
from bot.webhook_server import WebhookSetupError
from handlers.runtime.log_pseudonym import log_key_from
from handlers.runtime.metrics import MetricsServerError
from moderation.sealing import Upgrade
from storage import (
    DatabaseTooNewError,
    MigrationError,
    StorageError,
    Store,
    backup_database,
    check_database,
    migrate,
)
from storage.files import loose_files
from storage.legal.ledger_anchor import FILE_NAME as ANCHOR_FILE

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
PROG = "report-bot"
PRIVATE_UMASK = 0o077
SETUP = "setup"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Trust-and-safety report bot for Telegram search: reporting, review, "
        "violator registry and due-process legal requests.",
        epilog="Configuration comes from the environment and an optional .env file "
        "(the environment wins); see .env.example for every variable.",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="read settings from this file instead of ./.env",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the bot (long polling, or a webhook when WEBHOOK_URL is set)",
        description="Run the bot until SIGINT or SIGTERM. Applies pending database "
        "migrations first. Needs BOT_TOKEN.",
    )
    run.add_argument(
        "--no-rate-limiter",
        action="store_true",
        help="send without the built-in rate limiter (benchmarks only; Telegram will answer "
        "429 when its limits are exceeded)",
    )
    run.set_defaults(handler=_cmd_run)

    mig = commands.add_parser(
        "migrate",
        help="apply pending database migrations",
        description="Create the database if needed and apply pending migrations. Running it "
        "again is a no-op.",
    )
    mig.set_defaults(handler=_cmd_migrate)

    check = commands.add_parser(
        "db-check",
        help="check the database's integrity and foreign keys",
        description="Run PRAGMA integrity_check and foreign_key_check and compare the "
        "schema version with this code. Exits 1 when anything is wrong. Also warns (exit "
        "code unchanged) about database files other users may read, with the chmod to fix it.",
    )
    check.set_defaults(handler=_cmd_db_check)

    backup = commands.add_parser(
        "backup",
        help="copy the database consistently, even while the bot runs",
        description="Copy the database to PATH with SQLite's online backup API (safe while the "
        "bot is running) and verify the copy.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    backup.set_defaults(handler=_cmd_backup)

    sandbox = commands.add_parser(
        "sandbox",
        help="watch the whole bot work against a loopback Bot API (no token, no network)",
        description="Run the bot in-process against the loopback Bot API server with a "
        "temporary database and fresh keys, and play a scripted walk-through (a report, a "
        "moderator's approval, the outcome, an admin's /stats), printing the conversation. "
        "Exits 1 if a step gets no answer in time.",
    )
    sandbox.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_STEP_TIMEOUT,
        metavar="SECONDS",
        help=f"how long each step waits for the bot (default {DEFAULT_STEP_TIMEOUT:g})",
    )
    sandbox.set_defaults(handler=_cmd_sandbox)

    commands.add_parser(
        SETUP,
        aliases=["doctor"],
        help="check what the first run still needs: keys, token, the review group and the "
        "bot's rights there (exit 0 when ready)",
        description="Read the settings as `run` does and check them against Telegram: the "
        "token (getMe), the groups the bot was added to with their ids (from its pending "
        "updates, none of them confirmed or taken from the bot), and its rights in "
        "REVIEW_CHAT_ID (and REVIEW_THREAD_ID). Prints the next step to take; exits 0 when "
        "everything is ready, 1 otherwise. Never prints a secret.",
    )
    add_registry_commands(commands, ok=EXIT_OK, failed=EXIT_FAILED, usage=EXIT_CONFIG, err=_err)
    add_legal_commands(commands, ok=EXIT_OK, failed=EXIT_FAILED, usage=EXIT_CONFIG, err=_err)
    add_transparency_commands(commands, ok=EXIT_OK, failed=EXIT_FAILED, usage=EXIT_CONFIG, err=_err)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Everything this process creates (the database, its -wal and -shm, backups, exports) is
    # its user's alone, whatever umask Docker or a shell handed it; storage/files.py also sets
    # the mode explicitly, this covers whatever else a library creates.
    previous_umask = os.umask(PRIVATE_UMASK)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command in {SETUP, "doctor"}:
            # reports unusable settings itself, as one more thing still to do (exit 1)
            return run_setup(args.env_file, sys.stdout)
        settings = load_settings(args.env_file)
        handler: Callable[[argparse.Namespace, Settings], int] = args.handler
        return handler(args, settings)
    except SettingsError as exc:
        for problem in exc.problems:
            _err(f"configuration: {problem}")
        _err(
            f"see .env.example for every setting; `{PROG} setup` checks what a first run "
            "still needs and names the next step"
        )
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_FAILED
    finally:
        os.umask(previous_umask)  # matters only to a caller in the same process (tests)


def _configure_logs(settings: Settings) -> None:
    secrets = [
        secret.get_secret_value()
        for secret in (settings.bot_token, settings.webhook_secret_token)
        if secret is not None
    ]
    configure_logging(
        level=settings.log_level,
        log_format=settings.log_format,
        secrets=secrets,
        pseudonym_key=log_key_from(settings),
        unsafe_debug=settings.log_unsafe_debug,
    )


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_run()
    _configure_logs(settings)
    # Until the event loop takes the signals over (bot.runner.stop_on_signals), SIGTERM stops
    # the bot as Ctrl-C does: nothing has started yet, so leaving is a clean stop.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with InstanceLock(settings.database_path):
            # None: follow RATE_LIMITER_ENABLED; the flag can only switch it off.
            return asyncio.run(_run(settings, rate_limiter=False if args.no_rate_limiter else None))
    except AlreadyRunningError as exc:
        _err(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)


async def _run(settings: Settings, *, rate_limiter: bool | None) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop)
    application = build_application(settings, rate_limiter=rate_limiter)
    try:
        await serve(application, settings, stop, say=_err)
    except BotApiUnreachable as exc:
        _err(str(exc))
        return EXIT_FAILED
    except InvalidToken:
        _err(
            "configuration: BOT_TOKEN: the Bot API rejected this token (Unauthorized); "
            "check it with @BotFather (/mybots -> API Token)"
        )
        return EXIT_CONFIG
    except (MetricsServerError, WebhookSetupError) as exc:
        _err(f"configuration: {exc}")
        return EXIT_CONFIG
    except (DatabaseTooNewError, MigrationError, StorageError) as exc:
        _err(f"database: {exc}")
        return EXIT_FAILED
    except TelegramError as exc:  # anything else the Bot API refused while starting
        _err(
            f"the Bot API at {api_location(settings)} refused to start the bot: "
            f"{masked_message(exc, settings)}; check TELEGRAM_API_BASE_URL"
        )
        return EXIT_FAILED
    return EXIT_OK


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _configure_logs(settings)
    try:
        report = asyncio.run(migrate(settings.database_path))
        upgrade = asyncio.run(_bind_seals(settings))
    except (DatabaseTooNewError, MigrationError, StorageError) as exc:
        _err(f"migrate: {exc}")
        return EXIT_FAILED
    if upgrade is not None:
        print(f"sealed values bound to their rows: {upgrade.resealed}")
        if upgrade.unopenable:
            _err(
                f"migrate: {len(upgrade.unopenable)} sealed value(s) did not open and stay "
                f"sealed, never disclosed: {', '.join(upgrade.unopenable[:20])}"
            )
    if report.applied:
        print(
            f"migrated {settings.database_path}: schema version {report.from_version} -> "
            f"{report.to_version} ({len(report.applied)} migration(s) applied)"
        )
    else:
        print(f"{settings.database_path}: schema version {report.to_version}, nothing to do")
    return EXIT_OK


async def _bind_seals(settings: Settings) -> Upgrade | None:
    """With the registry keys set: what migration 0018 left to re-seal, bound to its row."""
    if settings.encryption_key is None or settings.blind_index_key is None:
        return None
    store = await Store.open(settings.database_path)
    try:
        return await upgraded_seals(store, settings)
    finally:
        await store.close()


def _cmd_db_check(args: argparse.Namespace, settings: Settings) -> int:
    try:
        report = check_database(settings.database_path)
    except StorageError as exc:
        _err(f"db-check: {exc}")
        return EXIT_FAILED
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
    return EXIT_OK if report.ok else EXIT_FAILED


def _cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    try:
        result = backup_database(settings.database_path, args.path, overwrite=args.force)
    except StorageError as exc:
        _err(f"backup: {exc}")
        return EXIT_FAILED
    print(
        f"backed up {settings.database_path} to {result.destination} "
        f"({result.size_bytes} bytes, {result.pages} pages); integrity_check ok"
    )
    return EXIT_OK


def _cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    failed = run_sandbox(sys.stdout, sys.stderr, args.timeout)
    if failed is not None:
        _err(f"sandbox: {failed}")
        return EXIT_FAILED
    return EXIT_OK


def _err(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr)
