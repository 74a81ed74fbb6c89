"""Several webhook instances on one PostgreSQL database, SIGKILLed in turn, for N minutes.

Runs tests/reliability/fleet.py at any size: `--instances` processes of the bot behind a
round-robin proxy, reporters filing one-message and guided reports spread over `--minutes`,
moderators deciding cases, appellants appealing, and one instance after another SIGKILLed
every `--kill-every` seconds and started again; then everything settles (the reporters' news
included) and every check of the short CI round (tests/reliability/test_multi_instance.py)
runs. Prints the totals and every violation; exit 1 on a violation.

    .venv/bin/python bench/fleet.py --minutes 10
    .venv/bin/python bench/fleet.py --minutes 2 --instances 2 --kill-every 15 --seed 3

PostgreSQL: TEST_POSTGRES_DSN's server, or a private one started for the run (pgserver).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

from tests.postgres import start_cluster
from tests.reliability.fleet import FleetConfig, run_fleet

ROOT = Path(__file__).resolve().parents[1]


def config_for(arguments: argparse.Namespace) -> FleetConfig:
    """Per minute: 30 one-message reports by 10 reporters, 2 guided reports, 2 decisions and
    3 new targets (each case costs review-chat messages, about 20 a minute there)."""
    minutes = arguments.minutes
    reporters = 10
    reports = 30 * minutes
    per_reporter = -(-reports // reporters)
    return FleetConfig(
        instances=arguments.instances,
        reports=reports,
        guided=2 * minutes,
        decisions=2 * minutes,
        appeals=max(1, minutes // 2),
        kills=0,
        seed=arguments.seed,
        targets=max(arguments.targets or 0, 6, 3 * minutes, per_reporter),
        reporters=reporters,
        pace=60.0 * minutes / per_reporter,
        kill_every=arguments.kill_every,
        concurrency=reporters + 2 * minutes,
        settle_timeout=600.0 + 60.0 * minutes,
        notifications=True,
    )


async def main(arguments: argparse.Namespace) -> int:
    config = config_for(arguments)
    with tempfile.TemporaryDirectory(prefix="fleet-") as folder:
        cluster = start_cluster(Path(folder))
        try:
            dsn = await cluster.create_database()
            try:
                totals = await run_fleet(config, Path(folder) / "run", dsn, str(ROOT))
            finally:
                await cluster.drop_database(dsn)
        finally:
            await cluster.close()  # stops a server started for this run
    print("\n".join(totals.lines()), flush=True)
    return 1 if totals.violations else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=5, help="how long the load lasts")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=20.0, help="seconds between kills")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--targets", type=int, help="more targets, more cases: a posting backlog in the review chat"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
