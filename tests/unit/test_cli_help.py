"""Every command and sub-command of `report-bot` answers --help with its usage and a summary,
walked from the parser itself, so a command added or moved later is covered too."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from bot.cli import build_parser


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:
                    continue  # an alias (`doctor` for `setup`): the same parser
                seen.add(id(sub))
                yield (*path, name)
                yield from _commands(sub, (*path, name))


COMMANDS = sorted(set(_commands(build_parser())))


def test_the_walk_finds_the_nested_commands() -> None:
    assert ("run",) in COMMANDS
    assert ("legal", "disclose") in COMMANDS
    assert ("keys", "rotate") in COMMANDS
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_answers_help(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: report-bot {' '.join(command)}")
    # a line of its own beyond the usage and the options: what the command is for
    body = out.split("\n\n")
    assert len(body) >= 3, out
