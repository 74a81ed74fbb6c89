"""Small helpers shared by tests that run the CLI as a real process."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

_KEPT_ENV = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR"}


def cli_env(**variables: str) -> dict[str, str]:
    """A clean environment (no developer settings leak in) plus the given variables."""
    env = {key: value for key, value in os.environ.items() if key in _KEPT_ENV}
    env.update(variables)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def database_in(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"
