"""How many more messages the bot may send to the review group this minute.

Telegram allows a bot about 20 messages (posts and edits alike) per minute in one group and
answers 429 beyond that. The delivery worker and the review handlers share this one account, so
the worker never has to learn the limit from a 429: it posts and edits only while there is room,
keeping a reserve for the edits that show a moderator's decision.

The account is kept in the database (storage/review/sends.py), not in the process: every
instance sharing the database spends from it, each message taken in a write transaction, so N
instances together never exceed the group's limit. Times are the bot's clock (tests move it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

from storage import Store
from storage.review.sends import SendRepository as SendLog

#: A second of slack over Telegram's 60-second window, for the time a request spends in flight.
WINDOW_SECONDS: Final = 61.0
GAP_SLACK_SECONDS: Final = 0.1
#: The account's name in the database: the review group's.
REVIEW: Final = "review"


class ChatBudget:
    def __init__(
        self,
        store: Store,
        per_minute: int,
        clock: Callable[[], float],
        window: float = WINDOW_SECONDS,
        min_gap: float = 1.0,
        name: str = REVIEW,
    ) -> None:
        self.per_minute = per_minute
        self._store = store
        self._clock = clock
        self._window_ms = round(window * 1000)
        #: Telegram also wants about a second between two messages to one chat.
        self._min_gap = min_gap
        self._name = name

    def _now_ms(self) -> int:
        return round(self._clock() * 1000)

    async def available(self) -> int:
        now = self._now_ms()
        async with self._store.reading() as uow:
            paused = await uow.sends.paused_until(self._name)
            if paused is not None and now < paused:
                return 0
            sent = await uow.sends.sent_since(self._name, now - self._window_ms)
        return max(0, self.per_minute - len(sent))

    async def try_spend(self, reserve: int = 0) -> bool:
        """Takes one message if more than `reserve` would remain available, at the first moment
        a second after the chat's last message (taken by any instance), and waits for it: two
        takers at once get two moments a second apart, as Telegram wants for one chat."""
        now = self._now_ms()
        async with self._store.transaction() as uow:
            paused = await uow.sends.paused_until(self._name)
            if paused is not None and now < paused:
                return False
            await uow.sends.forget_before(self._name, now - self._window_ms)
            at = await self._slot(uow.sends, now)
            sent = await uow.sends.sent_since(self._name, at - self._window_ms)
            if self.per_minute - len(sent) <= reserve:
                return False
            await uow.sends.add(self._name, at)
        await self._wait_for(at, now)
        return True

    async def spend(self) -> None:
        """Counts a message that is sent anyway (a reply a moderator asked for), at the chat's
        next free moment, and waits for it."""
        now = self._now_ms()
        async with self._store.transaction() as uow:
            at = await self._slot(uow.sends, now)
            await uow.sends.add(self._name, at)
        await self._wait_for(at, now)

    async def _slot(self, sends: SendLog, now: int) -> int:
        """Now, or the gap after the chat's last message if that is later."""
        if self._min_gap <= 0:
            return now
        last = await sends.last_sent(self._name)
        gap = round((self._min_gap + GAP_SLACK_SECONDS) * 1000)
        return now if last is None else max(now, last + gap)

    async def _wait_for(self, at: int, now: int) -> None:
        if at > now:
            await asyncio.sleep((at - now) / 1000)

    async def pace(self) -> None:
        """Waits until a second has passed since the last message to the chat (sent by any
        instance)."""
        if self._min_gap <= 0:
            return
        async with self._store.reading() as uow:
            last = await uow.sends.last_sent(self._name)
        if last is None:
            return
        wait = (last - self._now_ms()) / 1000 + self._min_gap + GAP_SLACK_SECONDS
        if wait > 0:
            await asyncio.sleep(min(wait, self._min_gap + GAP_SLACK_SECONDS))

    async def refund(self) -> None:
        """The last message taken was refused (429): it did not count at Telegram."""
        async with self._store.transaction() as uow:
            await uow.sends.drop_latest(self._name)

    async def pause(self, seconds: float) -> None:
        """Telegram answered 429 anyway (another client of the same bot, say): wait it out."""
        async with self._store.transaction() as uow:
            await uow.sends.pause(self._name, self._now_ms() + round(seconds * 1000))

    async def seconds_until_free(self) -> float:
        now = self._now_ms()
        async with self._store.reading() as uow:
            paused = await uow.sends.paused_until(self._name)
            sent = await uow.sends.sent_since(self._name, now - self._window_ms)
        wait = max(0.0, ((paused or now) - now) / 1000)
        if len(sent) < self.per_minute:
            return wait
        oldest = sent[len(sent) - self.per_minute]
        return max(wait, (oldest + self._window_ms - now) / 1000)
