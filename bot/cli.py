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
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from bot.cli_database import add_database_commands
from bot.cli_keys import add_key_commands
from bot.cli_kit import AddCommands, Exits, add_command, configure_logs
from bot.cli_ledger import add_ledger_commands
from bot.cli_legal import add_legal_commands
from bot.cli_registry import add_registry_commands
from bot.cli_transparency import add_transparency_commands
from bot.instance_lock import AlreadyRunningError, InstanceLock, LockFileError
from bot.sandbox import DEFAULT_STEP_TIMEOUT
from bot.sandbox import run as run_sandbox
from bot.settings import Settings, SettingsError, load_settings
from storage.location import SqliteLocation

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
    for add in COMMANDS:
        add(commands, ok=EXIT_OK, failed=EXIT_FAILED, usage=EXIT_CONFIG, err=_err)
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
            # it asks Telegram: telegram and aiohttp are imported for it alone
            from bot.setup_check import run_setup

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


def _add_run(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    run = add_command(
        commands,
        "run",
        _cmd_run,
        Exits(ok, failed, usage, err),
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


def _cmd_run(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    """The Application (bot/cli_run.py) is imported here, not with the CLI: every other
    command starts without telegram, aiohttp and the handlers."""
    from bot.cli_run import run_until_stopped

    settings.require_run()
    configure_logs(settings)
    # Until the event loop takes the signals over (bot.runner.stop_on_signals), SIGTERM stops
    # the bot as Ctrl-C does: nothing has started yet, so leaving is a clean stop.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with _single_instance(settings):
            # None: follow RATE_LIMITER_ENABLED; the flag can only switch it off.
            rate_limiter = False if args.no_rate_limiter else None
            return asyncio.run(run_until_stopped(exits, settings, rate_limiter=rate_limiter))
    except AlreadyRunningError as exc:
        exits.err(str(exc))
        return exits.failed
    except LockFileError as exc:  # as `migrate` says a database it cannot create (exit 1)
        exits.err(f"database: {exc}")
        return exits.failed
    except KeyboardInterrupt:
        return exits.ok
    finally:
        signal.signal(signal.SIGTERM, previous)


def _single_instance(settings: Settings) -> AbstractContextManager[object]:
    """One process per SQLite file (a lock file beside it). PostgreSQL is shared by design:
    the instances coordinate through the database itself."""
    database = settings.database
    if isinstance(database, SqliteLocation):
        return InstanceLock(database.path)
    return nullcontext()


def _add_sandbox(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    sandbox = add_command(
        commands,
        "sandbox",
        _cmd_sandbox,
        Exits(ok, failed, usage, err),
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


def _cmd_sandbox(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    failed = run_sandbox(sys.stdout, sys.stderr, args.timeout)
    if failed is not None:
        exits.err(f"sandbox: {failed}")
        return exits.failed
    return exits.ok


def _add_setup(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    """No handler: `main` runs it before the settings are loaded (it reports them itself)."""
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


def _err(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr)


#: Every command, in the order `report-bot --help` lists them.
COMMANDS: tuple[AddCommands, ...] = (
    _add_run,
    add_database_commands,
    _add_sandbox,
    _add_setup,
    add_key_commands,
    add_registry_commands,
    add_legal_commands,
    add_ledger_commands,
    add_transparency_commands,
)
