"""DATABASE_PASSWORD_FILE and DATABASE_OWNER_PASSWORD_FILE: a PostgreSQL URL's password read
from a file (a Compose secret), so it need not sit in the environment (issue 28, point 9).

The file's content goes into the URL the driver gets and nowhere else; a file that cannot be
used stops every command with one line naming the variable, the path and why.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.settings import SettingsError, load_settings
from storage.location import PostgresLocation
from tests.helpers import cli_command, cli_env

PASSWORD = "file-pass/word@1"  # a / and an @ must reach the driver percent-encoded
URL = "postgresql://reportbot_app@db.invalid:5432/reportbot"
OWNER_URL = "postgresql://reportbot@db.invalid:5432/reportbot"


@pytest.fixture
def password_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer .env
    path = tmp_path / "secrets" / "bot_database_password"
    path.parent.mkdir()
    path.write_text(PASSWORD + "\n")  # `openssl rand ... > file` ends it with a newline
    return path


def test_the_files_password_reaches_the_driver_and_is_never_shown(password_file: Path) -> None:
    owner_file = password_file.with_name("postgres_password")
    owner_file.write_text("owner-secret")
    settings = load_settings(
        database_url=URL,
        database_password_file=str(password_file),
        database_owner_url=OWNER_URL,
        database_owner_password_file=str(owner_file),
    )
    database, owner = settings.database, settings.database_owner
    assert isinstance(database, PostgresLocation)
    assert owner is not None
    assert urlsplit(database.dsn).password is not None
    assert urlsplit(database.dsn).netloc == "reportbot_app:file-pass%2Fword%401@db.invalid:5432"
    assert urlsplit(owner.dsn).password == "owner-secret"
    shown = database.describe() + owner.describe() + repr(settings)
    assert PASSWORD not in shown
    assert "owner-secret" not in shown


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"database_url": "postgresql://reportbot_app:inline@db.invalid/reportbot"},
            "DATABASE_PASSWORD_FILE: DATABASE_URL carries a password too; keep it in one place",
        ),
        ({"database_url": None}, "DATABASE_PASSWORD_FILE: only with a postgresql:// DATABASE_URL"),
        (
            {"database_url": "postgresql://db.invalid/reportbot"},
            "DATABASE_PASSWORD_FILE: DATABASE_URL names no user whose password it is",
        ),
    ],
)
def test_a_file_beside_a_url_it_cannot_serve_is_refused(
    password_file: Path, overrides: dict[str, str | None], expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, database_password_file=str(password_file), **overrides)
    [problem] = caught.value.problems
    assert problem.startswith(expected)
    assert "inline" not in problem


@pytest.mark.parametrize(
    ("prepare", "why"),
    [
        (lambda path: path.unlink(), "does not exist"),
        (lambda path: (path.unlink(), path.mkdir()), "is a folder, not a file"),
        (lambda path: path.write_text("\n"), "is empty"),
        (
            lambda path: path.write_text(f"{PASSWORD}\nsecond line\n"),
            "holds more than one line (only the password belongs there)",
        ),
    ],
)
def test_a_file_that_cannot_be_used_stops_a_command_with_one_line(
    password_file: Path, tmp_path: Path, prepare: object, why: str
) -> None:
    """`db-check` as a process: exit 2, one line naming the variable, the path and why, then
    the usual pointer; no traceback, never the file's content."""
    assert callable(prepare)
    prepare(password_file)
    env = cli_env(DATABASE_URL=URL, DATABASE_PASSWORD_FILE=str(password_file))
    done = subprocess.run(
        cli_command("db-check"),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    first, *rest = done.stderr.splitlines()
    assert first.startswith(
        f"report-bot: configuration: DATABASE_PASSWORD_FILE: {password_file} {why}; expected "
    )
    assert len(rest) == 1
    assert "Traceback" not in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
