"""One bot's pending updates: long polling, Telegram's 409 conflicts and allowed_updates.

Updates stay queued until a later getUpdates confirms them with a higher offset (or the
webhook receiver answers 2xx), exactly as Telegram keeps them.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import TelegramObject, Update

from loopback.api_errors import conflict

#: Telegram's default when allowed_updates was never set (or set to an empty list).
DEFAULT_EXCLUDED = frozenset(
    {Update.CHAT_MEMBER, Update.MESSAGE_REACTION, Update.MESSAGE_REACTION_COUNT}
)
TERMINATED_BY_OTHER = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)


@dataclass(slots=True)
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: dtm.datetime | None = None
    last_error_message: str | None = None


@dataclass(slots=True)
class _Poll:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: bool = False


class UpdateQueue:
    def __init__(self, on_change: Callable[[], None]) -> None:
        self._pending: deque[dict[str, Any]] = deque()
        self._history: dict[int, dict[str, Any]] = {}
        self._next_update_id = 1
        self._on_change = on_change
        self._poll: _Poll | None = None
        self._arrived = asyncio.Event()
        self._closed = False
        self.allowed_updates: frozenset[str] | None = None
        self.webhook: WebhookConfig | None = None

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def accepts(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed_updates

    def set_allowed(self, kinds: Sequence[str] | None) -> None:
        """None keeps the current filter; an empty list restores Telegram's default."""
        if kinds is not None:
            self.allowed_updates = frozenset(kinds) if kinds else None

    def push(self, kind: str, payload: TelegramObject) -> dict[str, Any] | None:
        """Queues an update unless allowed_updates filters it; returns its JSON."""
        if not self.accepts(kind):
            return None
        fields: dict[str, Any] = {kind: payload}
        update = Update(self._next_update_id, **fields).to_dict()
        self._next_update_id += 1
        self._history[update["update_id"]] = update
        self._pending.append(update)
        self._wake()
        return update

    def _wake(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()
        if self._poll is not None:
            self._poll.wake.set()
        self._on_change()

    def confirm(self, offset: int) -> None:
        """Forgets updates below offset; a negative offset keeps only the last -offset ones."""
        if offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()
            return
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()

    def history(self) -> list[dict[str, Any]]:
        """Every update ever queued for this bot, oldest first."""
        return list(self._history.values())

    def redeliver(self, update_id: int) -> None:
        """Queues a confirmed update again, as Telegram does when the bot crashed before its
        offset was confirmed (the bot sees it on its next start, polling from offset 0)."""
        update = self._history.get(update_id)
        if update is None:
            raise LookupError(f"update {update_id} was never sent")
        if any(pending["update_id"] == update_id for pending in self._pending):
            return
        self._pending.append(update)
        self._pending = deque(sorted(self._pending, key=lambda item: int(item["update_id"])))
        self._wake()

    def drop_pending(self) -> None:
        self._pending.clear()

    def peek(self, limit: int) -> list[dict[str, Any]]:
        return list(self._pending)[:limit]

    def supersede_poll(self) -> None:
        """A newer getUpdates (or a webhook) ends the running long poll with a 409."""
        if self._poll is not None:
            self._poll.superseded = True
            self._poll.wake.set()
            self._poll = None

    async def long_poll(self, limit: int, wait_seconds: float) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise conflict(WEBHOOK_ACTIVE)
        self.supersede_poll()
        poll = _Poll()
        self._poll = poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(wait_seconds, 0.0)
        try:
            while not self._pending and not poll.superseded and not self._closed:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                poll.wake.clear()
                try:
                    await asyncio.wait_for(poll.wake.wait(), remaining)
                except TimeoutError:
                    break
        finally:
            if self._poll is poll:
                self._poll = None
        if poll.superseded:
            raise conflict(TERMINATED_BY_OTHER)
        if self.webhook is not None:
            raise conflict(WEBHOOK_ACTIVE)
        return self.peek(limit)

    async def wait_for_update(self) -> dict[str, Any] | None:
        """The oldest pending update, waiting for one (webhook delivery); None once closed."""
        while not self._pending and not self._closed:
            await self._arrived.wait()
        return None if self._closed else self._pending[0]

    def close(self) -> None:
        """Server shutdown: running long polls return at once."""
        self._closed = True
        if self._poll is not None:
            self._poll.wake.set()
        self._arrived.set()
