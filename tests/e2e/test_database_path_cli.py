"""A SQLite path the bot cannot use is said in one line by every command that opens it, with
the same exit code as `migrate` (1: the operation failed), whatever the OS answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loopback import LoopbackServer
from tests.conftest import TEST_TOKEN
from tests.helpers import cli_env, run_cli

#: Every command that opens the SQLite file DATABASE_PATH names (or creates it beside a lock).
COMMANDS = (
    ("run",),
    ("migrate",),
    ("db-check",),
    ("backup", "copy.sqlite3"),
    ("purge",),
    ("ledger", "verify"),
    ("db", "copy", "--to", "postgresql://bot@127.0.0.1:9/reportbot"),
)


def _in_proc(tmp_path: Path) -> Path:
    return Path("/proc/reportbot.sqlite3")  # /proc takes no new file: ENOENT


def _in_sys(tmp_path: Path) -> Path:
    return Path("/sys/reportbot.sqlite3")  # sysfs refuses to create one, root or not


def _through_a_file(tmp_path: Path) -> Path:
    (tmp_path / "a-file").write_text("not a folder\n")
    return tmp_path / "a-file" / "reportbot.sqlite3"  # ENOTDIR


def _a_folder(tmp_path: Path) -> Path:
    (tmp_path / "a-folder").mkdir()
    return tmp_path / "a-folder"  # EISDIR, once SQLite gets to it


@pytest.mark.parametrize("where", [_in_proc, _in_sys, _through_a_file, _a_folder])
async def test_an_unusable_database_path_is_one_line_and_exit_1_for_every_command(
    tmp_path: Path, where: Callable[[Path], Path], loopback: LoopbackServer
) -> None:
    """issue 28, point 3: `DATABASE_PATH=/proc/reportbot.sqlite3 report-bot run` ended in a raw
    traceback from the lock file while `migrate` said it in one line."""
    path = where(tmp_path)
    env = cli_env(
        DATABASE_PATH=str(path),
        BOT_TOKEN=TEST_TOKEN,
        # A Bot API that answers: `run` gets as far as the path lets it (the lock file, or
        # the database it opens once Telegram answered).
        TELEGRAM_API_BASE_URL=loopback.base_url,
        LEDGER_ANCHOR_DIR=str(tmp_path / "anchors"),
    )
    for command in COMMANDS:
        code, out, err = await run_cli(env, tmp_path, *command)
        said = f"{' '.join(command)}: exit {code}, stdout {out!r}, stderr {err!r}"
        assert code == 1, said
        assert out == "", said
        # `run` logs as it starts (JSON lines, not a terminal); what it says is one line
        (line,) = (said_line for said_line in err.splitlines() if not said_line.startswith("{"))
        assert line.startswith("report-bot: "), said
        assert str(path) in line or f"folder {path.parent}:" in line, said
        assert "Traceback" not in err, said
    assert not (tmp_path / "copy.sqlite3").exists()
