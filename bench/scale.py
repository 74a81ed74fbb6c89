"""Benchmark: reports per second with 1, 2 and 3 webhook instances on PostgreSQL, against one
instance on SQLite, in the same run.

Each scenario starts its instances (`report-bot run --no-rate-limiter`, webhook mode, one
database) behind the round-robin proxy of tests/reliability/fleet.py and drives them with
`--reporters` simulated reporters at once, each filing one-message reports
(`/report @channel drugs <query>`, one update and one receipt each, every report on a target
of its own) one after another, each waiting for its receipt, for `--seconds`. Telegram (the
loopback Bot API) POSTs one update at a time and waits for the answer; real Telegram keeps up
to 40 connections open (max_connections), so the proxy relays: it answers at once and
forwards on up to `--connections` connections, retrying the next instance until one answers
2xx (safe here, as each reporter waits for its receipt before its next update). No review
chat: the report path alone. Each scenario runs in a fresh process with a fresh loopback
server and database; the PostgreSQL scenarios share one server, started once for the run, each
on a database of its own copied from one migrated at the start (start-up is not measured).

    .venv/bin/python bench/scale.py            # the figures in bench/README.md
    .venv/bin/python bench/scale.py --quick    # the short CI round

Prints per scenario: reports per second, receipt latency p50 and p95, and the bot CPU per
update (user + system time of the bot processes while the load ran, over the updates), then
the ratios against the single SQLite instance.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

import asyncpg

from loopback import LoopbackServer, UserHandle
from tests.postgres import ENVIRONMENT_DSN, PostgresCluster, start_cluster
from tests.reliability.fleet import SECRET, Member, start_fleet, stop_fleet
from tests.reliability.harness import BOT_USERNAME, TOKEN, _environment

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"sqlite-1": ("sqlite", 1), "pg-1": ("pg", 1), "pg-2": ("pg", 2), "pg-3": ("pg", 3)}
#: --quick: the short CI round.
QUICK_REPORTERS, QUICK_SECONDS = 8, 4.0
TARGETS = 600
ANSWER_TIMEOUT = 60.0
#: An instance still running this long after its SIGTERM is killed and counted (a graceful
#: stop takes 0.2-2 s, 9 s once on a saturated machine; one hung for good before a fix:
#: bench/README.md, scaling out).
STOP_GRACE = 15.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Postgres:
    """The run's PostgreSQL server: its admin DSN, the migrated database each scenario copies,
    and its data folder (None on a server of one's own, whose CPU is not ours to read)."""

    dsn: str
    template: str
    pgdata: Path | None


@dataclass(frozen=True)
class Figures:
    name: str
    instances: int
    reports: int
    seconds: float
    p50: float
    p95: float
    bot_cpu_seconds: float
    driver_cpu_seconds: float
    postgres_cpu_seconds: float
    #: PostgreSQL transactions committed while the load ran (None on SQLite).
    commits: int | None
    #: Instances that did not stop within STOP_GRACE of their SIGTERM (killed).
    unstopped: int = 0

    @property
    def per_second(self) -> float:
        return self.reports / self.seconds

    @property
    def cpu_ms_per_update(self) -> float:
        return self.bot_cpu_seconds * 1000 / max(1, self.reports)


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (fields 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_of(pids: list[int]) -> float:
    """User + system seconds these processes have used (those gone count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = _stat(pid)
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def _bots(members: list[Member]) -> list[int]:
    return [m.process.pid for m in members if m.process.pid is not None]


def _postgres(pgdata: Path | None) -> list[int]:
    """The PostgreSQL server's processes: the postmaster (pgserver starts it detached) and
    its children (one backend per connection, the writer, the WAL writer, ...)."""
    pid_file = pgdata / "postmaster.pid" if pgdata is not None else None
    if pid_file is None or not pid_file.exists():
        return []
    postmaster = int(pid_file.read_text().split()[0])
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(FileNotFoundError, IndexError):
                if int(_stat(int(entry.name))[1]) == postmaster:
                    children.append(int(entry.name))
    return [postmaster, *children]


async def _copy(postgres: Postgres) -> str:
    """A fresh database for one scenario, a file copy of the migrated one: its DSN."""
    return await PostgresCluster(postgres.dsn).create_database(template=postgres.template)


async def _commits(dsn: str | None) -> int | None:
    if dsn is None:
        return None
    conn = await asyncpg.connect(dsn)
    try:
        value = await conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(value)
    finally:
        await conn.close()


async def _reporter(
    user: UserHandle, number: int, until: float, latencies: list[float], stop: asyncio.Event
) -> None:
    for k in range(TARGETS):
        if time.monotonic() >= until or stop.is_set():
            return
        target = (number * 7 + k) % TARGETS
        began = time.monotonic()
        await user.send(f"/report @scale_target_{target} drugs scale query {number}-{k}")
        answer = (await user.next_message(ANSWER_TIMEOUT)).text
        if "received" not in answer:
            stop.set()
            raise RuntimeError(f"reporter {number} got no receipt: {answer[:100]!r}")
        latencies.append(time.monotonic() - began)


async def measure(
    scenario: str, reporters: int, seconds: float, connections: int, postgres: Postgres | None
) -> Figures:
    engine, count = SCENARIOS[scenario]
    if (engine == "pg") != (postgres is not None):
        raise ValueError(f"{scenario}: PostgreSQL is given to the PostgreSQL scenarios only")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        base = Path(folder)
        dsn = await _copy(postgres) if postgres is not None else None
        pgdata = postgres.pgdata if postgres is not None else None
        try:
            if dsn is not None:
                database = {"DATABASE_URL": dsn}
            else:
                database = {"DATABASE_PATH": str(base / "data" / "scale.sqlite3")}
            async with LoopbackServer() as server:
                server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Scale Bot")
                for n in range(TARGETS):
                    server.add_channel(title=f"t{n}", username=f"scale_target_{n}")
                users = [
                    server.add_user(first_name=f"R{n}", language_code="en")
                    for n in range(reporters)
                ]
                env = _environment(
                    BOT_TOKEN=TOKEN,
                    TELEGRAM_API_BASE_URL=server.base_url,
                    WEBHOOK_SECRET_TOKEN=SECRET,
                    WEBHOOK_LISTEN="127.0.0.1",
                    REPORT_LIMIT_PER_HOUR="10000",
                    REPORT_LIMIT_PER_DAY="100000",
                    LEDGER_ANCHOR_DIR=str(base / "anchors"),
                    LOG_LEVEL="WARNING",
                    LOG_FORMAT="json",
                    **database,
                )
                proxy, members = await start_fleet(
                    server,
                    env,
                    count,
                    base,
                    str(ROOT),
                    connections,
                    ("--no-rate-limiter",),
                    together=True,
                )
                try:
                    latencies: list[float] = []
                    stop = asyncio.Event()
                    bots = _bots(members)
                    cpu, pg_cpu = _cpu_of(bots), _cpu_of(_postgres(pgdata))
                    commits = await _commits(dsn)
                    driver = time.process_time()
                    began = time.monotonic()
                    await asyncio.gather(
                        *(
                            _reporter(user, n, began + seconds, latencies, stop)
                            for n, user in enumerate(users)
                        )
                    )
                    elapsed = time.monotonic() - began
                    driver = time.process_time() - driver
                    cpu = _cpu_of(bots) - cpu
                    # Backends started during the load count whole (they are the load's).
                    pg_cpu = _cpu_of(_postgres(pgdata)) - pg_cpu
                    # The statistics reach the view within about half a second.
                    await asyncio.sleep(1.0)
                    after = await _commits(dsn)
                    if commits is not None and after is not None:
                        commits = after - commits - 1  # our own reading
                finally:
                    codes = await stop_fleet(members, together=True, grace=STOP_GRACE)
                    await proxy.stop()
        finally:
            if postgres is not None and dsn is not None:
                await PostgresCluster(postgres.dsn).drop_database(dsn)
    ordered = sorted(latencies)
    return Figures(
        name=f"{count} instance{'s' if count > 1 else ''}, "
        + ("PostgreSQL" if engine == "pg" else "SQLite"),
        instances=count,
        reports=len(ordered),
        seconds=elapsed,
        p50=statistics.median(ordered),
        p95=ordered[int(0.95 * (len(ordered) - 1))],
        bot_cpu_seconds=cpu,
        driver_cpu_seconds=driver,
        postgres_cpu_seconds=pg_cpu,
        commits=commits,
        unstopped=sum(1 for code in codes if code != 0),
    )


def run_scenario(
    scenario: str, arguments: argparse.Namespace, postgres: Postgres | None = None
) -> Figures:
    """Each scenario in a fresh process: state left by one run must not slow the next."""
    command = [
        sys.executable,
        __file__,
        "--scenario",
        scenario,
        "--reporters",
        str(arguments.reporters),
        "--seconds",
        str(arguments.seconds),
        "--connections",
        str(arguments.connections),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if postgres is not None:
        env[ENVIRONMENT_DSN] = postgres.dsn  # not on the command line: it may hold a password
        command += ["--template", postgres.template]
        if postgres.pgdata is not None:
            command += ["--pgdata", str(postgres.pgdata)]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=3600, env=env
    )
    if result.returncode != 0:
        raise RuntimeError(f"scenario {scenario} failed:\n{result.stdout}\n{result.stderr}")
    return Figures(**json.loads(result.stdout.splitlines()[-1]))


def main(arguments: argparse.Namespace) -> int:
    print(
        f"{arguments.reporters} reporters at once, one-message reports for "
        f"{arguments.seconds:.0f} s per scenario, {arguments.connections} delivery connections"
    )
    figures = [
        run_scenario(name, arguments)
        for name, (engine, _) in SCENARIOS.items()
        if engine == "sqlite"
    ]
    # One PostgreSQL server for the PostgreSQL scenarios, started once the SQLite one is over
    # (none runs beside it): a fresh database each, copied from one migrated here.
    with tempfile.TemporaryDirectory(prefix="bench-scale-pg-") as folder:
        cluster = start_cluster(Path(folder))
        try:
            template = asyncio.run(cluster.migrated_template())
            own = Path(folder) / "pgdata" if cluster.server is not None else None
            postgres = Postgres(cluster.admin_dsn, template, own)
            figures += [
                run_scenario(name, arguments, postgres)
                for name, (engine, _) in SCENARIOS.items()
                if engine == "pg"
            ]
        finally:
            # Drops the migrated database on a server of one's own, stops one this run started.
            asyncio.run(cluster.close())
    base = figures[0]
    print(
        f"| {'scenario':<24} | reports/s | receipt p50 | receipt p95 | bot CPU per update "
        "| reports/s vs SQLite | CPU/update vs SQLite |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for each in figures:
        print(
            f"| {each.name:<24} | {each.per_second:9.1f} | {each.p50:9.3f} s | "
            f"{each.p95:9.3f} s | {each.cpu_ms_per_update:15.1f} ms | "
            f"{each.per_second / base.per_second:19.2f} | "
            f"{each.cpu_ms_per_update / base.cpu_ms_per_update:20.2f} |"
        )
    print("Where the two cores went while the load ran (share of one core):")
    for each in figures:
        print(
            f"  {each.name}: bot processes {each.bot_cpu_seconds / each.seconds:.0%}, "
            f"PostgreSQL {each.postgres_cpu_seconds / each.seconds:.0%}, loopback server and "
            f"reporters {each.driver_cpu_seconds / each.seconds:.0%}"
            + (
                f"; PostgreSQL commits per report {each.commits / max(1, each.reports):.1f}"
                if each.commits is not None
                else ""
            )
        )
    unstopped = sum(each.unstopped for each in figures)
    if unstopped:
        print(
            f"{unstopped} instance(s) still running {STOP_GRACE:.0f} s after SIGTERM were killed "
            "(a graceful stop takes seconds; a hang is a bug: bench/README.md, scaling out)"
        )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reporters", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=40, help="Telegram's max_connections")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"the short CI round ({QUICK_REPORTERS} reporters, {QUICK_SECONDS:.0f} s each)",
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    # The run's PostgreSQL (its DSN in TEST_POSTGRES_DSN): the database to copy, its data.
    parser.add_argument("--template", help=argparse.SUPPRESS)
    parser.add_argument("--pgdata", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.reporters, arguments.seconds = QUICK_REPORTERS, QUICK_SECONDS
    if arguments.scenario:
        given = (
            Postgres(os.environ[ENVIRONMENT_DSN], arguments.template, arguments.pgdata)
            if arguments.template
            else None
        )
        result = asyncio.run(
            measure(
                arguments.scenario,
                arguments.reporters,
                arguments.seconds,
                arguments.connections,
                given,
            )
        )
        print(json.dumps(dataclasses.asdict(result)))
        sys.exit(0)
    sys.exit(main(arguments))
