"""This process among the bot's instances: registered, alive, and leading or not.

Every few seconds (moderation.instances.HEARTBEAT) the instance says it is alive and renews
the leases it wants: `jobs` (scheduled work and the review chat's upkeep, on one instance at a
time, for JOBS_LEASE_SECONDS past each renewal) and, when polling, `polling`. `leads` answers
from the last renewal and renews first when that is getting old, so work the bot's clock made
due (tests move it by hours) never runs on a lease that lapsed. On SQLite the process is alone
(a lock file keeps a second one out), so it takes every lease at once, even one a killed
predecessor still held.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

import structlog

from moderation.clock import Clock
from moderation.instances import (
    HEARTBEAT,
    LEASE_TERM,
    Instance,
    LeaseName,
    Mode,
    PresenceDatabase,
    announce,
    beat,
    polling_holder,
    retire,
)

log = structlog.get_logger(__name__)


class AnotherPoller(Exception):
    """Polling was asked for while another live instance polls the same database."""


class Presence:
    def __init__(
        self,
        db: PresenceDatabase,
        clock: Clock,
        mode: Mode,
        version: str,
        *,
        alone: bool,
        lease_term: timedelta = LEASE_TERM,
    ) -> None:
        self._db = db
        self._clock = clock
        self._alone = alone
        self._lease_term = lease_term
        now = clock.now()
        host = socket.gethostname()
        self.instance = Instance(
            id=f"{host}:{os.getpid()}:{secrets.token_hex(3)}",
            host=host,
            pid=os.getpid(),
            mode=mode,
            version=version,
            started_at=now,
            seen_at=now,
        )
        self._wanted = (LeaseName.JOBS,) + ((LeaseName.POLLING,) if mode is Mode.POLLING else ())
        self._held: frozenset[LeaseName] = frozenset()
        self._renewed_at: datetime | None = None
        self._renewing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def id(self) -> str:
        return self.instance.id

    async def start(self) -> None:
        """Registers and takes what it may; `AnotherPoller` when polling is taken."""
        if self._alone:
            await _take_over(self._db)
        elif self.instance.mode is Mode.POLLING:
            other = await polling_holder(self._db, self._clock.now())
            if other is not None and _died_here(other):
                # Restarted on the same host after a kill: no need to wait out the lease.
                await retire(self._db, other.id, self._clock.now())
                log.warning("dead_poller_replaced", instance=other.id)
            elif other is not None:
                raise AnotherPoller(_poller_message(other))
        await announce(self._db, self.instance)
        await self._renew()
        if self.instance.mode is Mode.POLLING and LeaseName.POLLING not in self._held:
            await retire(self._db, self.id, self._clock.now())
            raise AnotherPoller(
                "another instance took polling as this one started; polling mode runs one "
                "instance (use webhook mode, WEBHOOK_URL, for several)"
            )
        self._task = asyncio.create_task(self._beat_forever(), name="presence")
        log.info("instance_started", instance=self.id, leads=sorted(self._held))

    async def leads(self, name: LeaseName = LeaseName.JOBS) -> bool:
        """Whether this instance holds `name` now (renewing first when the last renewal is
        a heartbeat old)."""
        renewed = self._renewed_at
        if renewed is None or self._clock.now() - renewed >= HEARTBEAT:
            await self._renew()
        return name in self._held

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._held = frozenset()
        try:
            await retire(self._db, self.id, self._clock.now())
        except Exception as exc:  # the leases then lapse by themselves
            log.warning("instance_retire_failed", error_type=type(exc).__name__)
        log.info("instance_stopped", instance=self.id)

    async def _renew(self) -> None:
        async with self._renewing:
            now = self._clock.now()
            held = await beat(self._db, self.id, now, self._wanted, self._lease_term)
            for name in held - self._held:
                log.info("lease_taken", lease=name.value, instance=self.id)
            for name in self._held - held:
                log.warning("lease_lost", lease=name.value, instance=self.id)
            self._held, self._renewed_at = held, now

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            try:
                await self._renew()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: leases lapse after their term
                held, self._held = self._held, frozenset()
                log.error(
                    "instance_heartbeat_failed",
                    error_type=type(exc).__name__,
                    dropped=sorted(held),
                    lease_term_seconds=self._lease_term.total_seconds(),
                )


async def _take_over(db: PresenceDatabase) -> None:
    """The only process of a SQLite database: what a killed predecessor held is free."""
    async with db.transaction() as uow:
        for other in await uow.instances.live(datetime.min.replace(tzinfo=UTC)):
            await uow.instances.stopped(other.id, other.seen_at)
        for name in LeaseName:
            lease = await uow.leases.get(name)
            if lease is not None:
                await uow.leases.give_up(name, lease.holder)


def _died_here(other: Instance) -> bool:
    """The instance ran on this host and its process is gone."""
    if other.host != socket.gethostname():
        return False
    try:
        os.kill(other.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def _poller_message(other: Instance) -> str:
    return (
        f"instance {other.id} (host {other.host}, pid {other.pid}) already polls this "
        "database; polling mode runs one instance, as Telegram allows one getUpdates "
        "consumer. Stop it, or run every instance in webhook mode (WEBHOOK_URL)"
    )
