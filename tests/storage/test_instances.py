"""Instances and leases (migration 0020) on both engines, and what they promise when several
processes share one database: one lease holder at a time, failover once a holder dies, the
scheduled work never on two instances at once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from handlers.runtime.presence import AnotherPoller, Presence
from moderation.instances import (
    HEARTBEAT,
    LEASE_TERM,
    PRESUMED_DEAD,
    Instance,
    LeaseName,
    Mode,
    announce,
    beat,
    retire,
    roster,
)
from storage import Store
from storage.location import Location
from tests.helpers import FakeClock
from tests.storage.sqlite_files import NOW


def instance(name: str, mode: Mode = Mode.WEBHOOK) -> Instance:
    return Instance(name, "host-a", 100, mode, "1.0", NOW, NOW)


@pytest.fixture
async def second(store_location: Location, store: Store) -> AsyncIterator[Store]:
    """Another process's view of the same database (its own connections)."""
    opened = await Store.open(store_location)
    yield opened
    await opened.close()


async def test_one_holder_at_a_time_and_the_holder_renews(store: Store) -> None:
    await announce(store, instance("a"))
    await announce(store, instance("b"))
    assert await beat(store, "a", NOW, (LeaseName.JOBS,)) == {LeaseName.JOBS}
    assert await beat(store, "b", NOW, (LeaseName.JOBS,)) == frozenset()
    later = NOW + HEARTBEAT
    assert await beat(store, "a", later, (LeaseName.JOBS,)) == {LeaseName.JOBS}
    assert await beat(store, "b", later + LEASE_TERM - HEARTBEAT, (LeaseName.JOBS,)) == set()
    running = await roster(store, later)
    assert [each.id for each in running.instances] == ["a", "b"]
    assert running.leader == "a"


async def test_a_dead_holder_is_replaced_once_its_lease_lapsed(store: Store) -> None:
    await announce(store, instance("a"))
    await announce(store, instance("b"))
    assert await beat(store, "a", NOW, (LeaseName.JOBS,))
    # "a" dies: no more beats. "b" waits out the term, then takes over.
    assert not await beat(store, "b", NOW + LEASE_TERM - timedelta(seconds=1), (LeaseName.JOBS,))
    taken = NOW + LEASE_TERM
    assert await beat(store, "b", taken, (LeaseName.JOBS,)) == {LeaseName.JOBS}
    running = await roster(store, taken)
    assert running.leader == "b"
    assert [each.id for each in running.instances] == ["b"]  # "a" missed its beats
    # "a" was only paused: it comes back and finds the lease taken.
    assert await beat(store, "a", taken + HEARTBEAT, (LeaseName.JOBS,)) == frozenset()


async def test_a_clean_stop_hands_the_lease_on_at_once(store: Store) -> None:
    await announce(store, instance("a"))
    await announce(store, instance("b"))
    assert await beat(store, "a", NOW, (LeaseName.JOBS,))
    await retire(store, "a", NOW)
    assert await beat(store, "b", NOW, (LeaseName.JOBS,)) == {LeaseName.JOBS}
    assert await beat(store, "a", NOW, (LeaseName.JOBS,)) == frozenset()  # stopped for good
    assert [each.id for each in (await roster(store, NOW)).instances] == ["b"]


async def test_instances_racing_from_two_processes_get_one_lease(
    store: Store, second: Store
) -> None:
    names = [f"i{n}" for n in range(8)]
    for name in names:
        await announce(store, instance(name))
    stores = [store, second]
    held = await asyncio.gather(
        *(beat(stores[n % 2], name, NOW, (LeaseName.JOBS,)) for n, name in enumerate(names))
    )
    assert sum(LeaseName.JOBS in each for each in held) == 1
    assert (await roster(second, NOW)).leader in names


async def test_a_second_poller_on_a_shared_database_is_refused_with_the_reason(
    store: Store, second: Store
) -> None:
    clock = FakeClock(NOW)
    first = Presence(store, clock, Mode.POLLING, "1.0", alone=False)
    await first.start()
    try:
        other = Presence(second, clock, Mode.POLLING, "1.0", alone=False)
        with pytest.raises(AnotherPoller, match=r"already polls this database.*WEBHOOK_URL"):
            await other.start()
        webhook = Presence(second, clock, Mode.WEBHOOK, "1.0", alone=False)
        await webhook.start()  # webhook instances share the database freely
        assert not await webhook.leads()  # the first instance leads the jobs
        await webhook.stop()
    finally:
        await first.stop()


async def test_scheduled_work_runs_on_one_instance_at_a_time_through_failover(
    store: Store, second: Store
) -> None:
    """Three instances each try to run a job every tick while the leader is stopped (cleanly)
    and killed (it just stops renewing); the job never runs on two at once and always
    runs somewhere within a lease term."""
    clock = FakeClock(NOW)
    presences = [
        Presence(s, clock, Mode.WEBHOOK, "1.0", alone=False) for s in (store, second, second)
    ]
    for presence in presences:
        await presence.start()
    running: set[str] = set()
    overlaps = 0
    ran: list[tuple[int, str]] = []  # (step, instance) of each run

    async def tick(step: int, presence: Presence) -> None:
        nonlocal overlaps
        if await presence.leads():
            if running:
                overlaps += 1
            running.add(presence.id)
            await asyncio.sleep(0)
            ran.append((step, presence.id))
            running.discard(presence.id)

    alive, killed = list(presences), []
    for step in range(40):
        await asyncio.gather(*(tick(step, each) for each in alive))
        clock.advance(HEARTBEAT)
        if step == 10:  # the leader stops cleanly
            leader = next(p for p in alive if p.id == ran[-1][1])
            await leader.stop()
            alive.remove(leader)
        if step == 25:  # the next leader is killed: it never renews again
            leader = next(p for p in alive if p.id == ran[-1][1])
            alive.remove(leader)
            killed.append(leader)
    assert overlaps == 0
    assert len({who for _, who in ran}) == 3  # each took its turn
    steps = [step for step, _ in ran]
    assert steps[:11] == list(range(11))  # the first leader, every tick
    assert 11 in steps  # a clean stop: the next one leads at the very next tick
    takeover = min(step for step in steps if step > 25)
    assert takeover - 25 <= LEASE_TERM / HEARTBEAT  # a dead leader: within a lease term
    assert steps[steps.index(takeover) :] == list(range(takeover, 40))
    assert PRESUMED_DEAD < LEASE_TERM  # a lease outlives the presumption of death
    for presence in alive + killed:
        await presence.stop()


async def test_a_poller_killed_on_this_host_is_replaced_at_once(
    store: Store, second: Store
) -> None:
    """Restarted after a SIGKILL, polling need not wait out the dead process's lease."""
    clock = FakeClock(NOW)
    dead = Instance("gone", socket.gethostname(), _unused_pid(), Mode.POLLING, "1.0", NOW, NOW)
    await announce(store, dead)
    assert await beat(store, "gone", NOW, (LeaseName.POLLING,)) == {LeaseName.POLLING}
    restarted = Presence(second, clock, Mode.POLLING, "1.0", alone=False)
    await restarted.start()
    try:
        assert await restarted.leads(LeaseName.POLLING)
    finally:
        await restarted.stop()


def _unused_pid() -> int:
    """A process id no process has: above the kernel's pid_max."""
    limit = int(Path("/proc/sys/kernel/pid_max").read_text())
    return limit + 1
