"""Concurrent update processing that keeps each user's updates in order.

Updates from different users run concurrently (database I/O overlaps), while two updates from
the same user in the same chat never run at the same time, so a conversation step can't race
the next one. Each update also gets its own logging context (update id, chat, hashed user).
With an update journal, a handled update is released from it, and the second copy of an update
(the journal's and Telegram's after a crash) is skipped (bot.update_journal).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Hashable
from typing import Any

import structlog
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.logging_setup import bind_update_context
from bot.update_journal import UpdateJournal

log = structlog.get_logger(__name__)


class OrderedPerSenderProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int, journal: UpdateJournal | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._journal = journal
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._waiters: dict[Hashable, int] = {}

    @property
    def journal(self) -> UpdateJournal | None:
        return self._journal

    async def initialize(self) -> None:
        """Nothing to set up; locks are created per sender on demand."""

    async def shutdown(self) -> None:
        """Nothing to release; in-flight updates are awaited by the Application."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        journal = self._journal
        if journal is None or not isinstance(update, Update):
            await self._process(update, coroutine)
            return
        if journal.take_duplicate(update.update_id):
            log.info("update_duplicate_skipped", update_id=update.update_id)
            if isinstance(coroutine, Coroutine):
                coroutine.close()
            return
        try:
            await self._process(update, coroutine)
        except asyncio.CancelledError:
            raise  # not handled: the journal keeps it for the next start
        except Exception:
            journal.handled(update.update_id)
            raise
        journal.handled(update.update_id)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _sender_key(update)
        if isinstance(update, Update):
            bind_update_context(
                update.update_id,
                update.effective_chat.id if update.effective_chat else None,
                update.effective_user.id if update.effective_user else None,
            )
            log.debug("update_processing")
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiters[key] -= 1
            if self._waiters[key] == 0:
                del self._waiters[key]
                del self._locks[key]


def _sender_key(update: object) -> Hashable | None:
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    user = update.effective_user
    if chat is None and user is None:
        return None
    return (chat.id if chat else None, user.id if user else None)


def conversation_key(update: Update) -> str:
    """The journal's name for the conversation an update belongs to: one person in one chat,
    the unit whose updates run in order, one at a time, in this process and across all
    instances (bot.update_dispatcher). An update of no one's is a conversation of its own."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None and user is None:
        return f"update:{update.update_id}"
    return f"{chat.id if chat else ''}:{user.id if user else ''}"
