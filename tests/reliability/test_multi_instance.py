"""Three webhook instances on one PostgreSQL database, SIGKILLed one after another.

tests/reliability/fleet.py runs the round: a round-robin proxy in front of the instances,
reporters (one-message and guided reports), moderators deciding cases, an appeal upheld,
while each instance in turn is killed and started again; then everything settles and the
checks compare Telegram's record, the database and the instances' logs (see fleet.py for
each promise). A longer round: bench/fleet.py --minutes N.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres import PostgresCluster
from tests.reliability.fleet import FleetConfig, run_fleet

WORKTREE = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_three_instances_killed_in_turn_lose_nothing_and_keep_every_promise(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    dsn = await postgres_cluster.create_database()
    lines: list[str] = []
    try:
        totals = await run_fleet(FleetConfig(), tmp_path, dsn, str(WORKTREE), say=lines.append)
    finally:
        await postgres_cluster.drop_database(dsn)
    report = "\n".join([*lines, *totals.lines()])
    assert totals.violations == [], report
    assert totals.kills == 3, report
    assert set(totals.killed) == {0, 1, 2}, report  # each instance was killed once
    assert totals.stored == totals.receipts == 16 + 3, report
    assert totals.decisions == 3, report
    assert totals.appeals == 1, report
    assert len(totals.forwarded) == 3, report  # every instance took deliveries
