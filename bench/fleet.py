"""Several webhook instances on one PostgreSQL database, SIGKILLed in turn, for N minutes.

Runs tests/reliability/fleet.py at any size: `--instances` processes of the bot behind a
round-robin proxy, reporters filing one-message and guided reports spread over `--minutes`,
moderators deciding cases, appellants appealing, and one instance after another SIGKILLed
every `--kill-every` seconds and started again; then everything settles (the reporters' news
included) and every check of the short CI round (tests/reliability/test_multi_instance.py)
runs. Prints the totals and every violation; exit 1 on a violation.

    .venv/bin/python bench/fleet.py --minutes 10
    .venv/bin/python bench/fleet.py --minutes 2 --instances 2 --kill-every 15 --seed 3

`--takeover N` runs N rounds of another kind instead (issue 29): three instances, the
leader (the jobs lease holder) SIGKILLed, a report filed at once; each round times the leader's
death to the next case post in the review chat (any instance posts, each post claimed) and,
in the same round, to another instance taking the jobs lease (until then the old code posted
nothing), with their ratio. A last round kills the instance sending a case post after Telegram
applied it and before it was recorded: it is posted again once its claim runs out.
`--quick` (CI; implies `--takeover`): one round of each, with JOBS_LEASE_SECONDS=10 and
OUTBOX_CLAIM_SECONDS=5.

    .venv/bin/python bench/fleet.py --takeover 3      # the default lease (30 s) and claim (20 s)
    .venv/bin/python bench/fleet.py --quick

PostgreSQL: TEST_POSTGRES_DSN's server, or a private one started for the run (pgserver).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

from moderation.text import counted
from tests.postgres import start_cluster
from tests.reliability.fleet import (
    FleetConfig,
    Member,
    jobs_lease,
    logged,
    member_of,
    run_fleet,
    three_instances,
)
from tests.reliability.harness import CASE

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
                if arguments.takeover or arguments.quick:
                    return await takeover(arguments, Path(folder) / "run", dsn)
                totals = await run_fleet(config, Path(folder) / "run", dsn, str(ROOT))
            finally:
                await cluster.drop_database(dsn)
        finally:
            await cluster.close()  # stops a server started for this run
    print("\n".join(totals.lines()), flush=True)
    return 1 if totals.violations else 0


async def takeover(arguments: argparse.Namespace, folder: Path, dsn: str) -> int:
    """The `--takeover` rounds (see the module's docstring); exit 1 if a round found no post."""
    lease, claim = (10, 5) if arguments.quick else (30, 20)
    rounds = 1 if arguments.quick else arguments.takeover
    print(
        f"3 webhook instances on PostgreSQL, JOBS_LEASE_SECONDS={lease}, "
        f"OUTBOX_CLAIM_SECONDS={claim}; {counted(rounds, 'round')} killing the leader, then one "
        "the poster",
        flush=True,
    )
    channels = [f"bench_shop_{n}" for n in range(rounds + 1)]
    async with three_instances(
        folder, dsn, str(ROOT), lease=lease, claim=claim, channels=channels
    ) as fleet:
        server, review, rita, members = fleet.server, fleet.review, fleet.reporter, fleet.members
        leases: list[tuple[float, float]] = []  # rounds that killed the leader: post, lease

        def case_posts() -> int:
            return sum(1 for m in review.messages() if CASE.search(m.text))

        async def post_after(seen: int, wait: float) -> None:
            await server.wait_for(lambda: case_posts() > seen, timeout=wait)

        async def lease_taken_from(dead: str, since: float) -> float:
            for _ in range(12_000):
                if (await jobs_lease(dsn))[0] != dead:
                    break
                await asyncio.sleep(0.05)
            return time.monotonic() - since

        def newest_sender() -> Member:
            """The member that logged sending the newest case's post."""
            sent = [
                (int(str(entry["case_id"])), member)
                for member in members
                for entry in logged(member, "case_post_sending")
            ]
            return max(sent, key=lambda found: found[0])[1]

        for n in range(rounds + 1):
            holder, _ = await jobs_lease(dsn)
            leader = member_of(members, holder)
            before = case_posts()
            if n < rounds:  # the leader, idle
                victim = leader
                await victim.process.kill()
                died = time.monotonic()
                await rita.send(f"/report @bench_shop_{n} drugs pills sold here")
                what = "leader killed"
            else:  # the poster, between Telegram applying its post and recording it
                server.faults.inject(
                    "sendMessage", kind="hold", when="after", chat_id=review.id, times=1
                )
                await rita.send(f"/report @bench_shop_{n} drugs pills sold here")
                await post_after(before, 60)
                victim = newest_sender()
                before = case_posts()
                await victim.process.kill()
                died = time.monotonic()
                what = "poster killed mid-post" + (" (it led)" if victim is leader else "")
            await post_after(before, 120)
            post = time.monotonic() - died
            line = f"  round {n + 1}: {what}: next case post after {post:.1f} s"
            if victim is leader:
                taken = await lease_taken_from(holder, died)
                leases.append((post, taken))
                line += f", jobs lease taken over after {taken:.1f} s ({taken / post:.0f}x)"
            print(line, flush=True)
            await victim.process.start()
    if leases:
        mean_post = sum(post for post, _ in leases) / len(leases)
        mean_lease = sum(taken for _, taken in leases) / len(leases)
        print(
            f"leader's death -> next case post: {mean_post:.1f} s now (posts claimed by any "
            f"instance), {mean_lease:.1f} s before (the lease takeover the old code waited "
            f"for): {mean_lease / mean_post:.0f}x sooner",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=5, help="how long the load lasts")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=20.0, help="seconds between kills")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--targets", type=int, help="more targets, more cases: a posting backlog in the review chat"
    )
    parser.add_argument(
        "--takeover", type=int, default=0, help="rounds timing a leader's death to the next post"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one --takeover round of each kind (CI)"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
