"""How many more messages the bot may send to the review group this minute.

Telegram allows a bot about 20 messages (posts and edits alike) per minute in one group and
answers 429 beyond that. The delivery worker and the review handlers share this one account, so
the worker never has to learn the limit from a 429: it posts and edits only while there is room,
keeping a reserve for the edits that show a moderator's decision.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

#: A second of slack over Telegram's 60-second window, for the time a request spends in flight.
WINDOW_SECONDS = 61.0
GAP_SLACK_SECONDS = 0.1


class ChatBudget:
    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW_SECONDS,
        min_gap: float = 1.0,
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._window = window
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        #: Telegram also wants about a second between two messages to one chat (real time).
        self._min_gap = min_gap
        self._last_real = float("-inf")

    def _expire(self) -> float:
        now = self._clock()
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        return now

    def available(self) -> int:
        now = self._expire()
        if now < self._paused_until:
            return 0
        return max(0, self.per_minute - len(self._sent))

    def try_spend(self, reserve: int = 0) -> bool:
        """Takes one message if more than `reserve` would remain available."""
        now = self._expire()
        if now < self._paused_until or self.per_minute - len(self._sent) <= reserve:
            return False
        self._sent.append(now)
        self._last_real = time.monotonic()
        return True

    async def pace(self) -> None:
        """Waits until a second has passed since the last message to the chat."""
        if self._min_gap <= 0:
            return
        # Slack for the time the previous request took to reach Telegram after it was counted.
        wait = self._last_real + self._min_gap + GAP_SLACK_SECONDS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def refund(self) -> None:
        """The last message taken was refused (429): it did not count at Telegram."""
        if self._sent:
            self._sent.pop()

    def pause(self, seconds: float) -> None:
        """Telegram answered 429 anyway (another client of the same bot, say): wait it out."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def spend(self) -> None:
        """Counts a message that is sent anyway (a reply a moderator asked for)."""
        self._sent.append(self._expire())
        self._last_real = time.monotonic()

    def seconds_until_free(self) -> float:
        now = self._expire()
        wait = max(0.0, self._paused_until - now)
        if len(self._sent) < self.per_minute:
            return wait
        return max(wait, self._sent[len(self._sent) - self.per_minute] + self._window - now)
