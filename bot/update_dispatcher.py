"""Webhook mode: which instance handles which update, when several share one database.

Any instance may take Telegram's POST: it journals the update (with its conversation, one
person in one chat) and answers 200 (bot.webhook_server). Handling is claimed from the
journal: an instance claims an update only when no earlier update of the same conversation is
still unhandled and no live instance claimed it already, so a conversation's updates run in
order and one at a time across every instance, whichever took the POST. A claim by an instance
that stopped or died (no heartbeat for moderation.instances.PRESUMED_DEAD) is claimed again by
another. Claims are transactions under the database's write serialisation: two instances never
claim the same update.

The instance that journaled an update claims at once (`wake`); the release of an update wakes
the claim of the next one; a short poll picks up the rest (updates journaled by another
instance, claims of a dead one). Each instance claims at most as many as it may handle at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Final

import structlog
from telegram import Bot, Update

from bot.update_journal import UpdateJournal

log = structlog.get_logger(__name__)

#: How often an idle instance looks for updates another instance journaled or left behind.
POLL_SECONDS: Final = 0.25
#: After a failed claim (the database away), the next try waits this long.
RETRY_SECONDS: Final = 1.0


class UpdateDispatcher:
    def __init__(
        self,
        journal: UpdateJournal,
        instance_id: Callable[[], str],
        queue: asyncio.Queue[object],
        bot: Bot,
        capacity: int,
    ) -> None:
        self._journal = journal
        self._instance_id = instance_id
        self._queue = queue
        self._bot = bot
        self._capacity = capacity
        self._in_flight: set[int] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        journal.on_release(self._released)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="update-dispatcher")

    async def stop(self) -> None:
        """Claims no more; what was claimed is in the Application's queue and gets handled
        (a graceful stop), or is claimed again by another instance (a crash)."""
        task, self._task = self._task, None
        self._stopping = True  # the loop ends at its next turn, should a cancellation be lost
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _released(self, update_ids: Sequence[int]) -> None:
        self._in_flight.difference_update(update_ids)
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally when it
            # is cancelled just as the event is set, and the stop's cancellation is lost.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: the updates wait in the journal
                log.error("update_claim_failed", error_type=type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)

    async def _claim(self) -> None:
        room = self._capacity - len(self._in_flight)
        if room <= 0:
            return
        claimed = await self._journal.claim(self._instance_id(), room)
        for data in claimed:
            update = Update.de_json(data, self._bot)
            self._in_flight.add(update.update_id)
            await self._queue.put(update)
        if len(claimed) == room:
            self._wake.set()  # there may be more waiting
