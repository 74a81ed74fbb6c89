"""How many more messages the bot may send to the review group this minute.

Telegram allows a bot about 20 messages (posts and edits alike) per minute in one group and
answers 429 beyond that. The delivery worker and the review handlers share this one account, so
the worker never has to learn the limit from a 429: it posts and edits only while there is room,
keeping a reserve for the edits that show a moderator's decision.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

#: A second of slack over Telegram's 60-second window, for the time a request spends in flight.
WINDOW_SECONDS = 61.0


class ChatBudget:
    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._window = window
        self._sent: deque[float] = deque()
        self._paused_until = 0.0

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
        return True

    def pause(self, seconds: float) -> None:
        """Telegram answered 429 anyway (another client of the same bot, say): wait it out."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def spend(self) -> None:
        """Counts a message that is sent anyway (a reply a moderator asked for)."""
        self._sent.append(self._expire())

    def seconds_until_free(self) -> float:
        now = self._expire()
        wait = max(0.0, self._paused_until - now)
        if len(self._sent) < self.per_minute:
            return wait
        return max(wait, self._sent[len(self._sent) - self.per_minute] + self._window - now)
