"""The bot's processes as the database sees them: who runs, who leads the scheduled work.

Several `report-bot run` processes may share one PostgreSQL database. Each registers as an
`Instance` and renews `seen_at`; one of them holds the `jobs` lease and alone runs scheduled
work, another takes over once a dead leader's lease expired (JOBS_LEASE_SECONDS). Case posts
and notifications do not wait for that: every instance sends them, each claimed for a while
(moderation/review/delivery.py, OUTBOX_CLAIM_SECONDS). The rules live here, the clock
and the database are the caller's.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol

#: How often an instance says it is alive and renews what it leads.
HEARTBEAT: Final = timedelta(seconds=5)
#: An instance not seen for this long is taken for dead (three heartbeats missed).
PRESUMED_DEAD: Final = 3 * HEARTBEAT
#: A lease outlives its last renewal by this much, so a leader that died is replaced within
#: about this time, and a live one renewing every HEARTBEAT never loses it to a late tick
#: (the default of JOBS_LEASE_SECONDS; at least MIN_LEASE_TERM).
LEASE_TERM: Final = 6 * HEARTBEAT
#: The shortest term that still outlives a heartbeat that comes late.
MIN_LEASE_TERM: Final = 2 * HEARTBEAT


class Mode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class LeaseName(StrEnum):
    JOBS = "jobs"  # scheduled work and the review chat's upkeep (not posts: those are claimed)
    POLLING = "polling"  # the one getUpdates consumer Telegram allows


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    host: str
    pid: int
    mode: Mode
    version: str
    started_at: datetime
    seen_at: datetime

    def alive_at(self, now: datetime) -> bool:
        return now - self.seen_at < PRESUMED_DEAD


@dataclass(frozen=True, slots=True)
class Lease:
    name: LeaseName
    holder: str
    acquired_at: datetime
    expires_at: datetime

    def held_at(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class Roster:
    """Who runs now, and who leads the scheduled work (None: nobody, e.g. between leaders)."""

    instances: tuple[Instance, ...]
    leader: str | None


class InstanceStore(Protocol):
    async def register(self, instance: Instance) -> None: ...
    async def seen(self, instance_id: str, at: datetime) -> bool: ...
    async def stopped(self, instance_id: str, at: datetime) -> None: ...
    async def live(self, seen_since: datetime) -> list[Instance]: ...
    async def forget_stopped_before(self, before: datetime) -> int: ...


class LeaseStore(Protocol):
    async def take(self, name: LeaseName, holder: str, at: datetime, until: datetime) -> bool: ...
    async def give_up(self, name: LeaseName, holder: str) -> None: ...
    async def get(self, name: LeaseName) -> Lease | None: ...


class PresenceWork(Protocol):
    @property
    def instances(self) -> InstanceStore: ...
    @property
    def leases(self) -> LeaseStore: ...


class PresenceDatabase(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[PresenceWork]: ...
    def reading(self) -> AbstractAsyncContextManager[PresenceWork]: ...


#: Rows of instances gone this long are dropped (a week of history for /health is plenty).
FORGET_AFTER: Final = timedelta(days=7)


async def announce(db: PresenceDatabase, instance: Instance) -> None:
    async with db.transaction() as uow:
        await uow.instances.forget_stopped_before(instance.started_at - FORGET_AFTER)
        await uow.instances.register(instance)


async def beat(
    db: PresenceDatabase,
    instance_id: str,
    now: datetime,
    wanted: tuple[LeaseName, ...],
    term: timedelta = LEASE_TERM,
) -> frozenset[LeaseName]:
    """Says the instance is alive and takes or renews each wanted lease; the leases it holds
    until `now + term`. An instance whose row was marked stopped holds nothing."""
    held: set[LeaseName] = set()
    async with db.transaction() as uow:
        if not await uow.instances.seen(instance_id, now):
            return frozenset()
        for name in wanted:
            if await uow.leases.take(name, instance_id, now, now + term):
                held.add(name)
    return frozenset(held)


async def retire(db: PresenceDatabase, instance_id: str, now: datetime) -> None:
    """A clean stop: the leases go to the next instance at once, the row says stopped."""
    async with db.transaction() as uow:
        for name in LeaseName:
            await uow.leases.give_up(name, instance_id)
        await uow.instances.stopped(instance_id, now)


async def roster(db: PresenceDatabase, now: datetime) -> Roster:
    async with db.reading() as uow:
        live = await uow.instances.live(now - PRESUMED_DEAD)
        lease = await uow.leases.get(LeaseName.JOBS)
    leader = lease.holder if lease is not None and lease.held_at(now) else None
    return Roster(tuple(live), leader)


async def polling_holder(db: PresenceDatabase, now: datetime) -> Instance | None:
    """The live instance polling already, if another one does (polling is one consumer)."""
    async with db.reading() as uow:
        lease = await uow.leases.get(LeaseName.POLLING)
        live = await uow.instances.live(now - PRESUMED_DEAD)
    if lease is None or not lease.held_at(now):
        return None
    return next((each for each in live if each.id == lease.holder), None)
