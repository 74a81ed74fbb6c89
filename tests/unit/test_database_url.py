"""DATABASE_URL: a SQLite path or URL, or a PostgreSQL URL; what is wrong with it is named,
and its password is never echoed (settings errors, descriptions, the CLI's answer)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from storage.crypto import new_key_text, new_secret_text
from storage.location import PostgresLocation, SqliteLocation, parse_location

PASSWORD = "pw-0f9e8d7c6b5a"  # made up for this test


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("./data/bot.sqlite3", Path("data/bot.sqlite3")),
        ("/var/lib/report-bot/bot.sqlite3", Path("/var/lib/report-bot/bot.sqlite3")),
        ("sqlite:///data/bot.sqlite3", Path("data/bot.sqlite3")),
        ("sqlite:////var/lib/bot.sqlite3", Path("/var/lib/bot.sqlite3")),
        ("SQLITE:///data/a%20b.sqlite3", Path("data/a b.sqlite3")),
    ],
)
def test_sqlite_paths_and_urls(url: str, path: Path) -> None:
    assert parse_location(url) == SqliteLocation(path)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"postgresql://bot:{PASSWORD}@db.internal:5432/reports",
            "postgresql://bot@db.internal:5432/reports",
        ),
        (
            f"postgres://bot:{PASSWORD}@db/reports?sslmode=verify-full",
            "postgresql://bot@db/reports",
        ),
        (
            "postgresql://bot@/reports?host=/run/postgresql",
            "postgresql://bot@[/run/postgresql]/reports",
        ),
        (f"postgresql://b%40t:{PASSWORD}@db/reports", "postgresql://b@t@db/reports"),
    ],
)
def test_postgresql_urls_are_described_without_the_password(url: str, shown: str) -> None:
    location = parse_location(url)
    assert isinstance(location, PostgresLocation)
    assert location.dsn == url  # the driver gets it whole
    assert location.describe() == shown
    assert PASSWORD not in repr(location)
    assert PASSWORD not in str(location)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://bot@db/reports", "unknown scheme mysql://"),
        (f"postgresql+asyncpg://bot:{PASSWORD}@db/r", "drop the driver from the scheme"),
        ("sqlite://data.sqlite3", "needs three slashes and a path"),
        ("sqlite:///:memory:", "name a file, not :memory:"),
        (f"postgresql://bot:{PASSWORD}@db:port/reports", "is the port a number"),
        (f"postgresql://bot:{PASSWORD}@/reports", "names no host"),
        (f"postgresql://bot:{PASSWORD}@db/", "names no database"),
        (
            f"postgresql://bot:{PASSWORD}@db/r?sslmod=require",
            "unknown option(s) in the postgresql URL: sslmod",
        ),
        ("postgresql:db/reports", "postgresql: must be followed by //"),
    ],
)
def test_a_wrong_url_is_named_in_the_settings_error_without_its_password(
    url: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as caught:
        load_settings(database_url=url)
    [problem] = caught.value.problems
    assert problem.startswith("DATABASE_URL: ")
    assert says in problem
    assert PASSWORD not in problem


def test_database_url_wins_over_database_path_and_an_empty_one_keeps_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    both = load_settings(database_path=tmp_path / "a.sqlite3", database_url="sqlite:///b.sqlite3")
    assert both.database == SqliteLocation(Path("b.sqlite3"))
    empty = load_settings(database_path=tmp_path / "a.sqlite3", database_url="  ")
    assert empty.database == SqliteLocation(tmp_path / "a.sqlite3")
    with_server = load_settings(database_url=f"postgresql://bot:{PASSWORD}@db/reports")
    assert PASSWORD not in repr(with_server)


def migrate_with(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`report-bot migrate` with DATABASE_URL set to `url`, in a clean environment."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env.update(
        ENCRYPTION_KEY=new_key_text("test"), BLIND_INDEX_KEY=new_secret_text(), DATABASE_URL=url
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_names_a_bad_url_and_exits_2_without_echoing_the_password(
    tmp_path: Path,
) -> None:
    done = migrate_with(f"postgresql://bot:{PASSWORD}@db:notaport/reports", tmp_path)
    assert done.returncode == 2
    assert "DATABASE_URL: the postgresql URL is malformed" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_an_unreachable_server_is_named_by_the_cli_without_the_password(tmp_path: Path) -> None:
    done = migrate_with(f"postgresql://bot:{PASSWORD}@127.0.0.1:1/reports", tmp_path)
    assert done.returncode == 1
    assert "cannot reach PostgreSQL at postgresql://bot@127.0.0.1:1/reports" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_the_owner_url_is_the_same_postgresql_database_under_another_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    settings = load_settings(
        database_url=f"postgresql://reportbot_app:{PASSWORD}@db:5432/reports",
        database_owner_url=f"postgresql://reportbot:{PASSWORD}@db:5432/reports",
    )
    assert settings.database_owner is not None
    assert settings.database_owner.describe() == "postgresql://reportbot@db:5432/reports"
    assert load_settings(database_url="postgresql://bot@db/reports").database_owner is None


@pytest.mark.parametrize(
    ("database", "owner", "named"),
    [
        (None, f"postgresql://owner:{PASSWORD}@db/reports", "only with a PostgreSQL DATABASE_URL"),
        (
            "postgresql://bot@db/reports",
            f"postgresql://owner:{PASSWORD}@db/other",
            "both must name the same database",
        ),
        ("postgresql://bot@db/reports", "sqlite:///data/bot.sqlite3", "the tables' owner"),
    ],
)
def test_a_wrong_owner_url_is_named_without_its_password(
    database: str | None, owner: str, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as raised:
        load_settings(database_url=database, database_owner_url=owner)
    text = "\n".join(raised.value.problems)
    assert "DATABASE_OWNER_URL" in text
    assert named in text
    assert PASSWORD not in text
