"""What every `report-bot` sub-command is handed, and the calls that add one to the parser.

A command is a plain function `(exits, args, settings) -> exit code`, its parser set up beside
it. The exit codes and where problems go come in from outside (bot/cli.py: `report-bot: ...` on
stderr), so a test can add one module's commands to a parser of its own and collect them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from bot import env_file as settings_file
from bot.logging_setup import configure_logging
from bot.settings import Settings, known_names
from handlers.runtime.log_pseudonym import log_key_from
from moderation.legal.officers import Officer


@dataclass(frozen=True)
class Exits:
    """The codes a command returns, and `err`, where it says what went wrong."""

    ok: int
    failed: int
    usage: int
    err: Callable[[str], None]


Command = Callable[[Exits, argparse.Namespace, Settings], int]
#: A command that reads no settings at all (`sandbox`, `keys generate`).
SettingsFreeCommand = Callable[[Exits, argparse.Namespace], int]


class AddCommands(Protocol):
    """What each module of commands offers bot/cli.py: add them to `report-bot`'s parser."""

    def __call__(
        self, commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
    ) -> None: ...


def add_command(
    actions: Any, name: str, command: Command, exits: Exits, **options: Any
) -> argparse.ArgumentParser:
    """`actions.add_parser(name, **options)`, answering with `command`."""
    parser: argparse.ArgumentParser = actions.add_parser(name, **options)
    parser.set_defaults(handler=partial(command, exits))
    return parser


def add_settings_free_command(
    actions: Any, name: str, command: SettingsFreeCommand, exits: Exits, **options: Any
) -> argparse.ArgumentParser:
    """Like `add_command`, for a command that needs no setting: bot/cli.py runs it without
    reading them, so a broken .env or a bad variable meant for `run` does not stop it."""
    parser: argparse.ArgumentParser = actions.add_parser(name, **options)
    parser.set_defaults(settings_free=partial(command, exits))
    return parser


def add_group(actions: Any, name: str, *, dest: str, help: str, description: str) -> Any:
    """A command that only holds actions (`keys generate`, `legal add`): their subparsers."""
    group = actions.add_parser(name, help=help, description=description)
    return group.add_subparsers(dest=dest, required=True, metavar="ACTION")


def warn_about_env_file(exits: Exits, env_file: Path | None) -> None:
    """`run` and `db-check`: a line per thing to fix in the env file (bot/env_file.py), which
    changes nothing else."""
    for warning in settings_file.warnings(env_file, known_names()):
        exits.err(f"warning: {warning}")


def configure_logs(settings: Settings) -> None:
    """Logging as the settings ask, the token and the webhook secret redacted."""
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


def cli_officer(user_id: int) -> Officer:
    """The officer a legal command acts as: the `--by` id, named as the command line's."""
    return Officer(user_id, f"id {user_id} (command line)")
