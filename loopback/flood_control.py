"""Telegram's message rate limits, optional: per chat, per group and across all chats."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Telegram's documented guidance; exceeding any answers 429 with retry_after.

    `count_edits`: editMessageText and editMessageReplyMarkup count like sent messages (Telegram
    answers 429 to edits too, in groups notably; its FAQ only documents sends, so it is opt-in).
    """

    per_group_per_minute: int = 20
    per_chat_per_second: int = 1
    global_per_second: int = 30
    count_edits: bool = False


class _Window:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.events: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.seconds - now


class FloodControl:
    """Per-bot sliding windows; only messages actually sent are counted."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._windows: dict[tuple[int, str, int], _Window] = {}

    def _window(self, key: tuple[int, str, int], limit: int, seconds: float) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(limit, seconds)
        return window

    def spend(self, bot_id: int, chat_id: int, is_group: bool) -> int | None:
        """Counts one message, or returns the retry_after (whole seconds) it must wait."""
        now = self.clock()
        windows = [
            self._window((bot_id, "global", 0), self.limits.global_per_second, 1.0),
            self._window((bot_id, "chat", chat_id), self.limits.per_chat_per_second, 1.0),
        ]
        if is_group:
            windows.append(
                self._window((bot_id, "group", chat_id), self.limits.per_group_per_minute, 60.0)
            )
        wait = max(window.wait_needed(now) for window in windows)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.events.append(now)
        return None
