"""Telegram faults: with 20% of Bot API calls failing, everything the bot owes arrives.

One bounded round of tests/reliability/harness.py with a seeded storm on every method (429
with retry_after, 500, 502, connections dropped before and after the call was applied, slow
answers and timeouts): reporters report, moderators decide, then the faults are cleared and
everything still owed must arrive. A message Telegram applied twice is allowed only where the
bot never got the first answer (dropped after applying, timed out); those are counted apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from loopback import LoopbackServer
from tests.reliability.harness import SoakConfig, SoakTotals, run_soak
from tests.workers import run_once

# The storm round is one module fixture whose tests share one run: they stay on one worker.
# Slow: it starts first.
pytestmark = [pytest.mark.xdist_group("fault-storm"), pytest.mark.slow]

SEED = 424242
ROUND = SoakConfig(
    reports=20, decisions=6, kills=0, seed=SEED, faults=0.2, settle_timeout=240, recheck_seconds=8
)


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> SoakTotals:
    run_once("fault-storm", tmp_path_factory)
    return asyncio.run(run_soak(ROUND, tmp_path_factory.mktemp("fault-storm")))


def explain(totals: SoakTotals) -> str:
    return "\n".join(totals.lines())


def test_a_fifth_of_the_calls_failed_in_every_way(storm: SoakTotals) -> None:
    failing = ("retry_after", "server_error", "bad_gateway", "drop_before", "drop_after")
    assert all(storm.faults_by_kind.get(kind, 0) > 0 for kind in failing), explain(storm)
    assert storm.faults_injected > 0


def test_the_bot_keeps_polling_through_the_faults_and_after(storm: SoakTotals) -> None:
    assert storm.polls_during_faults > 0, explain(storm)
    assert storm.in_area("polling", "process") == [], explain(storm)


def test_every_report_is_answered_and_stored_once(storm: SoakTotals) -> None:
    assert storm.in_area("reports") == [], explain(storm)
    assert storm.stored == ROUND.reports


def test_every_case_is_posted_once_per_post_telegram_answered(storm: SoakTotals) -> None:
    assert storm.in_area("cases", "delivery") == [], explain(storm)


def test_every_decision_shows_and_is_applied_once(storm: SoakTotals) -> None:
    assert storm.in_area("decisions", "audit") == [], explain(storm)
    assert storm.decisions == ROUND.decisions


def test_every_notification_arrives_once_per_answered_attempt(storm: SoakTotals) -> None:
    assert storm.in_area("notifications") == [], explain(storm)


def test_the_database_stays_intact(storm: SoakTotals) -> None:
    assert storm.in_area("database") == [], explain(storm)


async def test_failed_get_me_at_start_up_is_retried_and_the_bot_polls(
    start_bot: Callable[..., Any], loopback: LoopbackServer
) -> None:
    dropped = loopback.faults.inject("getMe", kind="drop", times=1)
    failed = loopback.faults.inject("getMe", kind="server_error", times=1)
    await start_bot()
    assert (dropped.hits, failed.hits) == (1, 1)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    assert (await alice.next_message(timeout=15)).text.startswith("👋 Hello, Alice!")
