"""`report-bot` / `python -m bot`: run the bot and operate its database.

Exit codes: 0 success, 1 the operation failed, 2 bad configuration or usage. Configuration
problems are printed one per line, naming the variable, never with a traceback or a secret.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from bot import env_file as settings_file
from bot.cli_database import add_database_commands
from bot.cli_keys import add_key_commands
from bot.cli_kit import (
    AddCommands,
    Exits,
    add_command,
    add_settings_free_command,
    configure_logs,
    warn_about_env_file,
)
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
#: Where --env-file given after the command lands (before it: `env_file`).
ENV_FILE_AFTER = "env_file_after_command"


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
        metavar="PATH",
        help="read settings from this file instead of ./.env (it must exist); may also follow "
        "the command, as in `report-bot db-check --env-file PATH`; given both before and after "
        "the command it is a usage error",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands, ok=EXIT_OK, failed=EXIT_FAILED, usage=EXIT_CONFIG, err=_err)
    for command in _every_command(parser):
        command.add_argument(
            "--env-file",
            dest=ENV_FILE_AFTER,
            type=Path,
            default=None,
            metavar="PATH",
            help="read settings from this file instead of ./.env (it must exist); the same as "
            f"`{PROG} --env-file PATH COMMAND`: give it in one place",
        )
    return parser


def _every_command(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Each command's own parser (`keys generate`, not `keys`), aliases once."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        seen: set[int] = set()
        for child in action.choices.values():
            if id(child) in seen:
                continue
            seen.add(id(child))
            if any(isinstance(a, argparse._SubParsersAction) for a in child._actions):
                yield from _every_command(child)
            else:
                yield child


def _env_file(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Path | None:
    """--env-file from before or after the command; both is a usage error (exit 2)."""
    before: Path | None = args.env_file
    after: Path | None = getattr(args, ENV_FILE_AFTER, None)
    if before is not None and after is not None:
        parser.error(
            f"--env-file given both before and after {args.command}: give it once, in either place"
        )
    return before if before is not None else after


def main(argv: Sequence[str] | None = None) -> int:
    # Everything this process creates (the database, its -wal and -shm, backups, exports) is
    # its user's alone, whatever umask Docker or a shell handed it; storage/files.py also sets
    # the mode explicitly, this covers whatever else a library creates.
    previous_umask = os.umask(PRIVATE_UMASK)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.env_file = _env_file(parser, args)
        unreadable = settings_file.unreadable(args.env_file)
        if unreadable is not None:  # before anything is created from settings it lacks
            _err(unreadable)
            return EXIT_CONFIG
        settings_free: Callable[[argparse.Namespace], int] | None = getattr(
            args, "settings_free", None
        )
        if settings_free is not None:
            return settings_free(args)
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
    run.add_argument(
        "--check",
        action="store_true",
        help="only check the settings `run` needs, as `run` reads them, and exit: 0 when they "
        "are usable, 2 naming each problem (nothing starts, Telegram is not asked); a "
        "container recipe runs it before the bot, which Docker would restart for ever",
    )


def _cmd_run(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    """The Application (bot/cli_run.py) is imported here, not with the CLI: every other
    command starts without telegram, aiohttp and the handlers."""
    from bot.cli_run import run_until_stopped

    warn_about_env_file(exits, args.env_file)
    settings.require_run()
    if args.check:
        mode = "webhook" if settings.webhook_url is not None else "long polling"
        print(f"settings ready for `{PROG} run`: {mode}, database {settings.database.describe()}")
        return exits.ok
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
    sandbox = add_settings_free_command(
        commands,
        "sandbox",
        _cmd_sandbox,
        Exits(ok, failed, usage, err),
        help="watch the whole bot work against a loopback Bot API (no token, no network)",
        description="Run the bot in-process against the loopback Bot API server with a "
        "temporary database and fresh keys, and play a scripted walk-through (a report, a "
        "moderator's approval, the outcome, an admin's /stats), printing the conversation. "
        "Exits 1 if a step gets no answer in time. Reads no settings (neither .env nor the "
        "environment).",
    )
    sandbox.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_STEP_TIMEOUT,
        metavar="SECONDS",
        help=f"how long each step waits for the bot (default {DEFAULT_STEP_TIMEOUT:g})",
    )


def positive_seconds(text: str) -> float:
    """argparse's type for a wait: a finite number of seconds above 0."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number; give the seconds to wait, e.g. 30"
        ) from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(
            f"{text} is not a wait; give a number of seconds above 0, e.g. 30"
        )
    return seconds


def _cmd_sandbox(exits: Exits, args: argparse.Namespace) -> int:
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
        "everything is ready, 1 otherwise. Never prints a secret. Warns too when other users "
        "may read the env file or it holds names that are not settings (one close to a "
        "setting's name is a thing to fix: did you mean ...?).",
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
