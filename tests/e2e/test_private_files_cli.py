"""The operator's commands under a umask of 022 (Docker's and a plain shell's usual one): the
database, a backup and an export come out 0600, and db-check names a database file others can
read, with the chmod that fixes it."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import cli_command, cli_env


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The CLI processes inherit it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_database_backup_and_export_are_private_and_db_check_warns_about_loose_ones(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "db.sqlite3"
    env = cli_env(
        DATABASE_PATH=str(database), LEDGER_ANCHOR_DIR=str(database.parent / "ledger-anchors")
    )
    for args in (
        ("migrate",),
        ("backup", str(tmp_path / "backup.sqlite3")),
        ("transparency", "export", "--period", "2026Q3", "--out", str(tmp_path / "t.json")),
    ):
        done = run(env, tmp_path, *args)
        assert done.returncode == 0, done.stderr
    assert {
        name: mode(tmp_path / name) for name in ("data/db.sqlite3", "backup.sqlite3", "t.json")
    } == {
        "data/db.sqlite3": 0o600,
        "backup.sqlite3": 0o600,
        "t.json": 0o600,
    }
    clean = run(env, tmp_path, "db-check")
    assert clean.returncode == 0, clean.stderr
    assert "file permissions: ok" in clean.stdout

    database.chmod(0o644)
    warned = run(env, tmp_path, "db-check")
    assert warned.returncode == 0, warned.stderr  # a warning; the check itself passed
    assert "file permissions: WARNING" in warned.stdout
    assert f"warning: {database} has mode 0644" in warned.stdout
    assert f"(fix: chmod 600 {database})" in warned.stdout
    assert "result: ok" in warned.stdout
    anchor = database.parent / "ledger-anchors" / "ledger-checkpoints.jsonl"
    anchor.parent.mkdir()
    anchor.write_text("")
    anchor.chmod(0o644)
    both = run(env, tmp_path, "db-check")
    assert f"warning: {anchor} has mode 0644" in both.stdout
