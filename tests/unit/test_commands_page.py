"""docs/commands.md names every command: each one the bot answers in Telegram (the access
table every command passes) and each of the `report-bot` command line, so a command added
later without a line there is noticed."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import build_parser
from handlers.runtime.permissions import ACCESS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "commands.md"


def cli_commands() -> list[str]:
    parser = build_parser()
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return [name for action in subcommands for name in action.choices]


def test_the_commands_page_names_every_chat_command() -> None:
    """issue 28, point 14: every command the bot registers has its row in docs/commands.md."""
    page = PAGE.read_text(encoding="utf-8")
    assert [name for name in ACCESS if f"`/{name}" not in page] == []


def test_the_commands_page_names_every_command_line_command() -> None:
    """issue 28, point 14: every `report-bot` command has its row in docs/commands.md."""
    page = PAGE.read_text(encoding="utf-8")
    names = cli_commands()
    assert {"run", "setup", "sandbox", "migrate"} <= set(names)
    missing = [
        name for name in names if f"`report-bot {name}" not in page and f"`{name}`" not in page
    ]
    assert missing == []
