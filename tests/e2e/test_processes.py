"""The bot as a real process: second instance refused, graceful SIGTERM, backup while writing."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.instance_lock import InstanceLock
from loopback import LoopbackServer
from tests.conftest import TEST_TOKEN
from tests.helpers import cli_command, cli_env, database_in, run_cli


def bot_env(loopback: LoopbackServer, tmp_path: Path) -> dict[str, str]:
    return cli_env(
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=loopback.base_url,
        DATABASE_PATH=str(database_in(tmp_path)),
        LOG_FORMAT="json",
        POLL_TIMEOUT_SECONDS="5",
    )


@pytest.fixture
async def bot_process(
    loopback: LoopbackServer, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        *cli_command("run"),
        env=bot_env(loopback, tmp_path),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await loopback.wait_for(lambda: bool(loopback.calls("getUpdates")), timeout=30)
    yield process
    if process.returncode is None:
        process.kill()
        await process.communicate()


async def test_second_instance_is_refused_with_its_reason(
    bot_process: asyncio.subprocess.Process, loopback: LoopbackServer, tmp_path: Path
) -> None:
    code, _, err = await run_cli(bot_env(loopback, tmp_path), tmp_path, "run")
    assert code == 1
    assert "another report-bot instance" in err
    assert f"process {bot_process.pid}" in err
    assert "Conflict: terminated by other getUpdates request" in err
    assert "Traceback" not in err


async def test_sigterm_stops_the_bot_cleanly(
    bot_process: asyncio.subprocess.Process, loopback: LoopbackServer, tmp_path: Path
) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    await alice.next_message(timeout=30)
    bot_process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(bot_process.communicate(), timeout=30)
    assert bot_process.returncode == 0, err.decode()
    assert '"event": "bot_stopped"' in err.decode()
    with InstanceLock(database_in(tmp_path)):  # the lock went with the process
        pass


async def test_backup_while_the_bot_writes_restores_consistently(
    bot_process: asyncio.subprocess.Process, loopback: LoopbackServer, tmp_path: Path
) -> None:
    users = [loopback.add_user(first_name=f"U{n}", language_code="en") for n in range(40)]

    async def visit_all() -> None:
        for user in users:
            await user.send("/start")

    writer = asyncio.create_task(visit_all())
    await users[0].next_message(timeout=30)  # writes are under way
    env = bot_env(loopback, tmp_path)
    copy = tmp_path / "backup" / "copy.sqlite3"
    copy.parent.mkdir()
    code, out, err = await run_cli(env, tmp_path, "backup", str(copy))
    assert code == 0, err
    assert "integrity_check ok" in out
    await writer
    await asyncio.gather(*(user.next_message(timeout=30) for user in users[1:]))

    check_env = {**env, "DATABASE_PATH": str(copy)}
    code, out, err = await run_cli(check_env, tmp_path, "db-check")
    assert code == 0, out + err
    assert "result: ok" in out
    with sqlite3.connect(copy) as restored:
        visitors = restored.execute("SELECT count(*) FROM users").fetchone()[0]
    assert 1 <= visitors <= len(users)

    code, _, err = await run_cli(env, tmp_path, "backup", str(copy))
    assert code == 1
    assert "--force" in err or "exists" in err
