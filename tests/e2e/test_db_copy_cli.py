"""`report-bot db copy`, `db-check` and `backup` as real processes: a SQLite database with
sealed values, disclosures and the ledger moved into a real, empty PostgreSQL database and
verified; then checked there; refused a second time; refused while the bot holds the file. The
password in the target's URL (ignored by the tests' trust login) never appears in the output,
nor does any personal value."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.instance_lock import InstanceLock
from storage.crypto import new_key_text, new_secret_text
from storage.location import PostgresLocation, SqliteLocation, parse_location
from tests.engines import rows
from tests.helpers import cli_command, cli_env
from tests.postgres import PostgresCluster
from tests.storage.copy_fixtures import anchors_beside, filled_sqlite, keys_from
from tests.storage.legal_fixtures import PERSONAL_VALUES

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "not-a-real-password-7f3a"


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args),
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def with_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    user = parts.username or "postgres"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{host}"))


@pytest.fixture
def keys_env() -> dict[str, str]:
    return {
        "ENCRYPTION_KEY": new_key_text("test"),
        "BLIND_INDEX_KEY": new_secret_text(),
        "LEDGER_KEY": new_key_text("ledger"),
    }


async def filled_source(tmp_path: Path, keys_env: dict[str, str]) -> Path:
    """A SQLite database with sealed personal data and ledger entries, under these keys."""
    source = tmp_path / "data" / "bot.sqlite3"
    cipher, ledger = keys_from(
        keys_env["ENCRYPTION_KEY"],
        keys_env["BLIND_INDEX_KEY"],
        keys_env["LEDGER_KEY"],
        anchors_beside(source),
    )
    await filled_sqlite(source, cipher, ledger)
    return source


async def test_copy_to_postgresql_then_check_it_there(
    tmp_path: Path,
    postgres_dsn: str,
    keys_env: dict[str, str],
    postgres_cluster: PostgresCluster,
) -> None:
    source = await filled_source(tmp_path, keys_env)
    target_url = with_password(postgres_dsn)
    target = parse_location(target_url)
    assert isinstance(target, PostgresLocation)
    anchors = str(anchors_beside(source))
    sqlite_env = cli_env(DATABASE_PATH=str(source), LEDGER_ANCHOR_DIR=anchors, **keys_env)

    copied = run(sqlite_env, tmp_path, "db", "copy", "--to", target_url)

    assert copied.returncode == 0, copied.stderr
    out = copied.stdout
    assert f"copied {source} to {target.describe()}" in out
    observations = rows(SqliteLocation(source), "SELECT count(*) FROM observations")[0][0]
    assert "  observations" in out
    assert f"{observations} rows" in out
    assert "verified: row counts equal on both sides" in out
    assert "verified: disclosure ledger: 2 entries, the chain identical" in out
    assert "verified: ledger verify on the copy: 2 entries intact" in out
    assert "verified: sealed observations:" in out
    assert "verified: disclosures: 2 of a sample of 2 opened on the copy" in out
    assert f"LEDGER_ANCHOR_DIR={anchors_beside(source)}" in out
    assert copied.stderr == ""
    assert rows(target, "SELECT count(*) FROM observations") == [(observations,)]

    # The next steps of docs/postgresql.md ("Moving to PostgreSQL"): the bot's own role,
    # granted by `migrate` as the owner (the copy's --to); the bot, db-check and ledger verify
    # then log in as that role.
    role, role_password = await postgres_cluster.bot_role()
    bot_url = postgres_cluster.dsn_as(postgres_dsn, role, role_password)
    owner_env = cli_env(
        DATABASE_URL=bot_url,
        DATABASE_OWNER_URL=target_url,
        LEDGER_ANCHOR_DIR=str(anchors_beside(source)),
        **keys_env,
    )
    created = run(owner_env, tmp_path, "db", "create-role")
    assert created.returncode == 0, created.stderr
    granted = run(owner_env, tmp_path, "migrate")
    assert granted.returncode == 0, granted.stderr
    assert f"the bot's role {role} holds only its privileges" in granted.stdout
    pg_env = cli_env(
        DATABASE_URL=bot_url, LEDGER_ANCHOR_DIR=str(anchors_beside(source)), **keys_env
    )
    checked = run(pg_env, tmp_path, "db-check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "synchronous_commit on" in checked.stdout
    assert checked.stdout.rstrip().endswith("result: ok")
    verified = run(pg_env, tmp_path, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "ledger: 2 entries, intact" in verified.stdout

    backup = run(pg_env, tmp_path, "backup", str(tmp_path / "copy.sqlite3"))
    assert backup.returncode == 1
    assert "pg_dump -Fc" in backup.stderr
    assert not (tmp_path / "copy.sqlite3").exists()

    again = run(sqlite_env, tmp_path, "db", "copy", "--to", target_url)
    assert again.returncode == 1
    assert "is not empty" in again.stderr
    assert "nothing was changed" in again.stderr
    assert "Traceback" not in again.stderr

    everything = "".join(
        p.stdout + p.stderr for p in (copied, created, granted, checked, verified, backup, again)
    )
    assert PASSWORD not in everything
    assert role_password not in everything
    for value in PERSONAL_VALUES:
        assert value not in everything


async def test_copy_refuses_while_the_bot_runs_on_the_file(
    tmp_path: Path, postgres_dsn: str, keys_env: dict[str, str]
) -> None:
    source = await filled_source(tmp_path, keys_env)
    env = cli_env(
        DATABASE_PATH=str(source), LEDGER_ANCHOR_DIR=str(anchors_beside(source)), **keys_env
    )

    with InstanceLock(source):
        refused = run(env, tmp_path, "db", "copy", "--to", postgres_dsn)

    assert refused.returncode == 1
    assert "the bot is running on" in refused.stderr
    assert "stop it first" in refused.stderr
    target = parse_location(postgres_dsn)
    assert rows(
        target,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    ) == [(0,)]


def test_copy_wants_a_postgresql_target(tmp_path: Path) -> None:
    env = cli_env(DATABASE_PATH=str(tmp_path / "bot.sqlite3"))

    refused = run(env, tmp_path, "db", "copy", "--to", f"sqlite:///{tmp_path}/other.sqlite3")

    assert refused.returncode == 2
    assert "--to must be a postgresql://" in refused.stderr
