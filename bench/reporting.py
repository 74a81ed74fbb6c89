"""Benchmark: reporters completing the guided report at the same time, over the loopback Bot API.

Runs the real bot (`report-bot run`, durable SQLite with synchronous=FULL) and, in the same run
against the same server, a bare python-telegram-bot bot that answers every message with one
sendMessage (bench/bare_bot.py). Each bot is its own process, as in production, where Telegram
never shares the bot's CPU; the loopback server and the simulated reporters share this one.
Each simulated reporter behaves like a person: it waits for each answer before the next step.

    .venv/bin/python bench/reporting.py                 # 1,000 reporters (the issue's figure)
    .venv/bin/python bench/reporting.py --quick         # the short round CI runs: 50 reporters

Prints completed reports per second, updates handled per second for both bots and their ratio
(the target: ours at least 0.5 of the bare framework's).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from loopback import BotHandle, LoopbackServer, SentMessage, UserHandle
from storage.crypto import new_key_text, new_secret_text

OUR_TOKEN = "100001:BENCH-loopback-token-not-a-secret-0"
BARE_TOKEN = "100002:BENCH-baseline-token-not-a-secret"
STEP_TIMEOUT = 120.0
STEPS_PER_REPORT = 6  # /report, query, link, category button, Skip button, Submit button
CONCURRENCY = 64
#: The short CI round's reporters (--quick).
QUICK_REPORTERS = 50


@dataclass(frozen=True)
class Figures:
    name: str
    reporters: int
    updates: int
    seconds: float
    bot_cpu_seconds: float

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def reports_per_second(self) -> float:
        return self.reporters / self.seconds


async def _tap(user: UserHandle, message: SentMessage, label: str) -> SentMessage:
    revision = user.revision(message)
    press = await user.press(message, text=label)
    await press.answered(timeout=STEP_TIMEOUT)
    await user.wait_until(lambda: user.revision(message) > revision, STEP_TIMEOUT)
    return user.message(message)


async def _report(user: UserHandle, number: int, targets: int) -> None:
    await user.send("/report")
    await user.next_message(STEP_TIMEOUT)
    await user.send(f"bench query {number}")
    await user.next_message(STEP_TIMEOUT)
    await user.send(f"https://t.me/bench_target_{number % targets}")
    prompt = await user.next_message(STEP_TIMEOUT)
    prompt = await _tap(user, prompt, "Illegal drugs")
    summary = await _tap(user, prompt, "Skip")
    receipt = await _tap(user, summary, "✅ Submit")
    if "received" not in receipt.text:
        raise RuntimeError(f"reporter {number} got no receipt: {receipt.text[:80]!r}")


def _chat_with(bare: BotHandle) -> Callable[[UserHandle, int, int], Awaitable[None]]:
    async def chat(user: UserHandle, number: int, targets: int) -> None:
        for step in range(STEPS_PER_REPORT):
            await user.send(f"message {step} from {number}", bot=bare)
            await user.next_message(STEP_TIMEOUT, bot=bare)

    return chat


async def _drive(
    users: Sequence[UserHandle],
    walk: Callable[[UserHandle, int, int], Awaitable[None]],
    targets: int,
    server: LoopbackServer,
) -> float:
    calls_before = len(server.calls())
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(walk(user, n, targets) for n, user in enumerate(users)))
    elapsed = time.perf_counter() - started
    busy = (time.process_time() - cpu) / elapsed
    print(f"  loopback server and reporters: {busy:.0%} of one core busy")
    methods = Counter(call.method for call in server.calls()[calls_before:])
    print(
        "  Bot API calls: " + ", ".join(f"{name} {count}" for name, count in methods.most_common())
    )
    return elapsed


async def _start_process(
    server: LoopbackServer, command: Sequence[str], env: dict[str, str]
) -> asyncio.subprocess.Process:
    polls = len(server.calls("getUpdates"))
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    await server.wait_for(lambda: len(server.calls("getUpdates")) > polls, timeout=60)
    return process


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _stop_process(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    if os.environ.get("BENCH_SHOW_BOT_STDERR"):
        print(err.decode()[-3000:])
    if process.returncode not in (0, -signal.SIGTERM):
        raise RuntimeError(f"bot exited with {process.returncode}: {err.decode()[-2000:]}")


def _environment(**variables: str) -> dict[str, str]:
    kept = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    # Fresh keys each run: the bot refuses to start without them.
    keys = {"ENCRYPTION_KEY": new_key_text("bench"), "BLIND_INDEX_KEY": new_secret_text()}
    return {**kept, **keys, **variables}


async def run_ours(server: LoopbackServer, reporters: int, targets: int, folder: Path) -> Figures:
    database = folder / "bench.sqlite3"
    env = _environment(
        BOT_TOKEN=OUR_TOKEN,
        TELEGRAM_API_BASE_URL=server.base_url,
        DATABASE_PATH=str(database),
        MAX_CONCURRENT_UPDATES=os.environ.get("BENCH_OUR_CONCURRENCY", str(CONCURRENCY)),
        POLL_TIMEOUT_SECONDS="1",
        REPORT_LIMIT_PER_HOUR="1000",
        REPORT_LIMIT_PER_DAY="1000",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="json",
    )
    users = [server.add_user(first_name=f"R{n}", language_code="en") for n in range(reporters)]
    cpu_before = _children_cpu()
    command = os.environ.get("BENCH_BOT_COMMAND", f"{sys.executable} -m bot").split()
    process = await _start_process(server, [*command, "run", "--no-rate-limiter"], env)
    try:
        seconds = await _drive(users, _report, targets, server)
    finally:
        await _stop_process(process)
    with sqlite3.connect(database) as conn:
        stored = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    if stored != reporters:
        raise RuntimeError(f"{reporters} receipts but {stored} reports stored")
    print(f"  stored reports: {stored}, cases: {cases}")
    cpu = _children_cpu() - cpu_before
    return Figures("report bot", reporters, reporters * STEPS_PER_REPORT, seconds, cpu)


async def run_bare(
    server: LoopbackServer, bare: BotHandle, reporters: int, targets: int, concurrency: int
) -> Figures:
    users = [server.add_user(first_name=f"B{n}", language_code="en") for n in range(reporters)]
    script = Path(__file__).with_name("bare_bot.py")
    cpu_before = _children_cpu()
    process = await _start_process(
        server,
        [sys.executable, str(script), BARE_TOKEN, server.base_url, str(concurrency)],
        _environment(),
    )
    try:
        seconds = await _drive(users, _chat_with(bare), targets, server)
    finally:
        await _stop_process(process)
    cpu = _children_cpu() - cpu_before
    name = f"bare, {concurrency} at once" if concurrency else "bare, PTB defaults"
    return Figures(name, reporters, reporters * STEPS_PER_REPORT, seconds, cpu)


async def measure(scenario: str, reporters: int, targets: int) -> Figures:
    async with LoopbackServer() as server:
        if scenario == "ours":
            server.add_bot(token=OUR_TOKEN, username="bench_report_bot")
            with tempfile.TemporaryDirectory(prefix="bench-reporting-") as folder:
                return await run_ours(server, reporters, targets, Path(folder))
        account = server.add_bot(token=BARE_TOKEN, username="bench_bare_bot")
        concurrency = CONCURRENCY if scenario == "bare-concurrent" else 0
        return await run_bare(server, account, reporters, targets, concurrency)


def run_scenario(scenario: str, reporters: int, targets: int) -> Figures:
    """Each scenario in a fresh process: state left by one run must not slow the next."""
    command = [
        sys.executable,
        __file__,
        "--scenario",
        scenario,
        "--reporters",
        str(reporters),
        "--targets",
        str(targets),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"scenario {scenario} failed:\n{result.stdout}\n{result.stderr}")
    lines = result.stdout.splitlines()
    for line in lines[:-1]:
        print(line)
    return Figures(**json.loads(lines[-1]))


def main(reporters: int, targets: int) -> int:
    print(f"{reporters} reporters, {targets} distinct targets, {STEPS_PER_REPORT} updates each")
    baselines = [
        run_scenario("bare-defaults", reporters, targets),
        run_scenario("bare-concurrent", reporters, targets),
    ]
    ours = run_scenario("ours", reporters, targets)
    for figures in (*baselines, ours):
        print(
            f"{figures.name:>22}: {figures.updates} updates in {figures.seconds:.2f} s = "
            f"{figures.updates_per_second:.0f} updates/s; bot process CPU "
            f"{figures.bot_cpu_seconds * 1000 / figures.updates:.1f} ms per update "
            "(start-up included)"
        )
    print(f"completed reports: {ours.reports_per_second:.1f} reports/s")
    for baseline in baselines:
        ratio = ours.updates_per_second / baseline.updates_per_second
        print(f"ratio to the {baseline.name} bot: {ratio:.2f} (target >= 0.5)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reporters", type=int, default=1000)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument(
        "--quick", action="store_true", help=f"the short CI round ({QUICK_REPORTERS} reporters)"
    )
    parser.add_argument(
        "--scenario", choices=["ours", "bare-defaults", "bare-concurrent"], help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.reporters = QUICK_REPORTERS
    if arguments.scenario:
        figures = asyncio.run(measure(arguments.scenario, arguments.reporters, arguments.targets))
        print(json.dumps(dataclasses.asdict(figures)))
        sys.exit(0)
    sys.exit(main(arguments.reporters, arguments.targets))
