"""Small helpers shared by tests that run the CLI as a real process."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.crypto import new_key_text, new_secret_text
from tests.workers import free_port as free_port  # a port of this test process's own range

#: XDG_STATE_HOME: the test's own (tests/conftest.py: own_state_folder), for the checkpoints.
_KEPT_ENV = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR", "XDG_STATE_HOME"}


def cli_env(**variables: str) -> dict[str, str]:
    """A clean environment (no developer settings leak in) plus the given variables."""
    env = {key: value for key, value in os.environ.items() if key in _KEPT_ENV}
    # Fresh random keys (the bot refuses to run without them); tests may override them.
    env.update(
        ENCRYPTION_KEY=new_key_text("test"),
        BLIND_INDEX_KEY=new_secret_text(),
        LEDGER_KEY=new_key_text("ledger"),
    )
    env.update(variables)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


async def run_cli(
    env: dict[str, str], cwd: Path, *args: str, seconds: float = 60
) -> tuple[int, str, str]:
    """`report-bot ARGS` as a real process, without blocking the event loop a running bot's
    test shares: (exit code, stdout, stderr), given `seconds` to end."""
    process = await asyncio.create_subprocess_exec(
        *cli_command(*args),
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=seconds)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def database_in(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


class FakeClock:
    """A clock tests move by hand (the bot's domain code reads time only through a Clock)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
