"""PostgreSQL's two roles as an operator meets them: `report-bot run` as the bot's own role
stops in one line when the schema is behind and no owner URL is set; with DATABASE_OWNER_URL
it migrates as the owner, grants the bot's role, and serves a user as that role; `setup`
describes both roles without printing a password.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from loopback import LoopbackServer
from storage.location import parse_location
from tests.conftest import TEST_TOKEN
from tests.engines import rows
from tests.helpers import cli_command, cli_env, run_cli
from tests.postgres import PostgresCluster


@pytest.fixture
async def empty(postgres_cluster: PostgresCluster) -> AsyncIterator[tuple[str, str]]:
    """An empty database: (the owner's DSN, the bot's role's DSN)."""
    dsn = await postgres_cluster.create_database()
    role, password = await postgres_cluster.bot_role()
    yield dsn, postgres_cluster.dsn_as(dsn, role, password)
    await postgres_cluster.drop_database(dsn)


def bot_env(loopback: LoopbackServer, tmp_path: Path, **variables: str) -> dict[str, str]:
    return cli_env(
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=loopback.base_url,
        LEDGER_ANCHOR_DIR=str(tmp_path / "ledger"),
        LOG_FORMAT="json",
        POLL_TIMEOUT_SECONDS="5",
        **variables,
    )


async def test_run_as_the_bots_role_stops_in_one_line_when_the_schema_is_behind(
    loopback: LoopbackServer, tmp_path: Path, empty: tuple[str, str]
) -> None:
    """The bot's role may not change the schema: without DATABASE_OWNER_URL, `run` says to
    migrate as the owner instead of failing on a permission mid-migration."""
    _, bot = empty
    code, _, err = await run_cli(bot_env(loopback, tmp_path, DATABASE_URL=bot), tmp_path, "run")

    assert code == 1
    (line,) = [line for line in err.splitlines() if line.startswith("report-bot: database:")]
    assert "has schema version 0, this release" in line
    assert "run `report-bot migrate` with DATABASE_OWNER_URL set to the tables' owner" in line
    assert "Traceback" not in err
    assert rows(parse_location(bot), "SELECT to_regclass('audit_log') IS NULL") == [(True,)]


async def test_run_with_the_owner_url_migrates_then_serves_as_the_bots_own_role(
    loopback: LoopbackServer, tmp_path: Path, empty: tuple[str, str]
) -> None:
    """Start-up migrates as the owner and grants; the bot then answers a user, writing as its
    own role; db-check (as that role) passes."""
    owner, bot = empty
    env = bot_env(loopback, tmp_path, DATABASE_URL=bot, DATABASE_OWNER_URL=owner)
    process = await asyncio.create_subprocess_exec(
        *cli_command("run"),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await loopback.wait_for(lambda: bool(loopback.calls("getUpdates")), timeout=30)
        alice = loopback.add_user(first_name="Alice", language_code="en")
        await alice.send("/start")
        await alice.next_message(timeout=30)
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert rows(parse_location(bot), "SELECT count(*) FROM users") == [(1,)]

    code, out, err_text = await run_cli(cli_env(DATABASE_URL=bot), tmp_path, "db-check")
    assert code == 0, out + err_text
    assert "least privilege" in out


async def test_setup_describes_both_roles_and_refuses_one_role_for_both(
    loopback: LoopbackServer, tmp_path: Path, empty: tuple[str, str]
) -> None:
    owner, bot = empty
    password = bot.split(":", 2)[2].split("@", 1)[0]
    code, out, err = await run_cli(
        bot_env(loopback, tmp_path, DATABASE_URL=bot, DATABASE_OWNER_URL=owner),
        tmp_path,
        "setup",
    )
    text = out + err
    assert "database: the bot logs in as reportbot_" in text
    assert "migrations as " in text
    assert password not in text
    assert "Traceback" not in text

    code, out, err = await run_cli(
        bot_env(loopback, tmp_path, DATABASE_URL=bot, DATABASE_OWNER_URL=bot), tmp_path, "setup"
    )
    assert code == 1
    assert "DATABASE_URL and DATABASE_OWNER_URL both log in as reportbot_" in out
    assert password not in out + err
