"""`report-bot run` as a process while Telegram cannot be reached or answers slowly: one line
per attempt on the operator's terminal, a clean exit 0 on SIGTERM or Ctrl-C at any moment of
start-up, and exit 1 with a clear line once STARTUP_GIVE_UP_MINUTES have passed."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.redaction import TOKEN_MASK
from loopback import LoopbackServer
from tests.conftest import TEST_TOKEN
from tests.helpers import cli_command, cli_env, database_in, free_port

#: What a clean exit never prints: a traceback, asyncio's complaints about what was left open.
NOISE = ("Traceback", "Unclosed", "unclosed", "Task was destroyed", "Exception ignored")
TOKEN_SECRET = TEST_TOKEN.partition(":")[2]


def run_env(tmp_path: Path, base_url: str, **more: str) -> dict[str, str]:
    return cli_env(
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_PATH=str(database_in(tmp_path)),
        LOG_FORMAT="json",
        POLL_TIMEOUT_SECONDS="5",
        **more,
    )


@dataclass
class BotRun:
    """A `report-bot run` process whose stderr is read line by line as it comes."""

    process: asyncio.subprocess.Process
    seen: list[str] = field(default_factory=list)

    async def line_with(self, text: str) -> str:
        stream = self.process.stderr
        assert stream is not None
        try:
            async with asyncio.timeout(60):  # a hung test fails instead of hanging CI
                while raw := await stream.readline():
                    self.seen.append(raw.decode())
                    if text in self.seen[-1]:
                        return self.seen[-1]
        except TimeoutError:
            pass
        raise AssertionError(f"{text!r} never printed:\n{''.join(self.seen)}")

    async def finish(self) -> tuple[int, str]:
        """Waits for the exit; the exit code and everything printed (stdout, then stderr)."""
        out, err = await asyncio.wait_for(self.process.communicate(), timeout=60)
        assert self.process.returncode is not None
        return self.process.returncode, out.decode() + "".join(self.seen) + err.decode()


@pytest.fixture
async def start_run(tmp_path: Path) -> AsyncIterator[list[BotRun]]:
    runs: list[BotRun] = []
    yield runs
    for run in runs:
        if run.process.returncode is None:
            run.process.kill()
            await run.process.communicate()


async def launch(runs: list[BotRun], env: dict[str, str], cwd: Path) -> BotRun:
    process = await asyncio.create_subprocess_exec(
        *cli_command("run"),
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    run = BotRun(process)
    runs.append(run)
    return run


def assert_clean(output: str) -> None:
    for noise in NOISE:
        assert noise not in output, output
    assert TOKEN_SECRET not in output, output


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
async def test_an_unreachable_bot_api_is_said_each_attempt_and_a_stop_while_waiting_exits_0(
    start_run: list[BotRun], tmp_path: Path, stop_signal: signal.Signals
) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there
    run = await launch(start_run, run_env(tmp_path, base_url), tmp_path)
    first = await run.line_with("(attempt 1)")
    assert first.startswith(f"report-bot: cannot reach the Bot API at {base_url}{TOKEN_MASK} ("), (
        first
    )
    assert "; retrying in 1 s (attempt 1)" in first
    await run.line_with("(attempt 2)")
    run.process.send_signal(stop_signal)  # during the pause before attempt 3
    code, output = await run.finish()
    assert code == 0, output
    assert '"event": "bot_stopped"' in output
    assert "(attempt 3)" not in output
    assert_clean(output)


async def test_a_failing_bot_api_is_said_until_it_answers_then_the_bot_runs(
    start_run: list[BotRun], loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.faults.inject("getMe", kind="server_error", times=2)
    run = await launch(start_run, run_env(tmp_path, loopback.base_url), tmp_path)
    where = f"{loopback.base_url}{TOKEN_MASK}"
    first = await run.line_with("(attempt 1)")
    assert first.startswith(f"report-bot: cannot reach the Bot API at {where} ("), first
    assert "(Internal Server Error)" in first
    await run.line_with("(attempt 2)")
    assert f"report-bot: reached the Bot API at {where} (attempt 3)" in await run.line_with(
        "reached"
    )
    await run.line_with('"event": "bot_started"')
    assert [call.ok for call in loopback.calls("getMe")] == [False, False, True]
    run.process.send_signal(signal.SIGTERM)
    code, output = await run.finish()
    assert code == 0, output
    assert '"bot_api_retry"' not in output  # start-up's own lines say it, once per attempt
    assert_clean(output)


async def test_sigterm_with_getme_in_flight_exits_0(
    start_run: list[BotRun], tmp_path: Path
) -> None:
    """A Bot API that takes the request and never answers: the call is in flight."""
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        arrived.set()
        await release.wait()
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        run = await launch(start_run, run_env(tmp_path, f"http://127.0.0.1:{port}/bot"), tmp_path)
        await asyncio.wait_for(arrived.wait(), timeout=60)
        run.process.send_signal(signal.SIGTERM)
        code, output = await run.finish()
    finally:
        release.set()
        server.close()
        await server.wait_closed()
    assert code == 0, output
    assert "(attempt 1)" not in output  # stopped before the first attempt failed
    assert_clean(output)


async def test_sigterm_while_the_database_is_open_and_menus_register_exits_0(
    start_run: list[BotRun], loopback: LoopbackServer, tmp_path: Path
) -> None:
    """post_init: the database migrated and open, a setMyCommands call in flight."""
    loopback.faults.inject("setMyCommands", kind="hold", times=1)  # until the server stops
    run = await launch(start_run, run_env(tmp_path, loopback.base_url), tmp_path)
    await loopback.wait_for(lambda: bool(loopback.calls("setMyCommands")), timeout=60)
    run.process.send_signal(signal.SIGTERM)
    code, output = await run.finish()
    assert code == 0, output
    assert '"event": "database_closed"' in output
    assert '"event": "bot_started"' not in output
    assert not loopback.calls("getUpdates")
    assert_clean(output)


async def test_start_up_gives_up_after_the_configured_time_with_exit_1(
    start_run: list[BotRun], tmp_path: Path
) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    env = run_env(tmp_path, base_url, STARTUP_GIVE_UP_MINUTES="0.02")
    run = await launch(start_run, env, tmp_path)
    code, output = await run.finish()
    assert code == 1, output
    last = output.strip().splitlines()[-1]
    assert last.startswith("report-bot: gave up after 0.02 min and "), output
    assert f"cannot reach the Bot API at {base_url}{TOKEN_MASK}" in last
    assert "STARTUP_GIVE_UP_MINUTES" in last
    assert_clean(output)
