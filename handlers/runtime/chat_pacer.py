"""At most one message a second in each private chat, the pace Telegram takes there.

Telegram answers 429 to a bot that sends (or edits) faster than about one message a second in
one chat. A moderator reviewing in a private chat presses as fast as they read, and each press
is an edit: without pacing the edits that come too soon are refused and retried later, each a
second or more late. The pacer gives each message its moment instead: the first at once, the
next `gap` seconds after the one before.

In the process, not the database: one moderator's updates are handled in order and one at a
time (bot.update_processor locally; bot.update_dispatcher's per-conversation claims across
instances), so the messages of one private chat come from one handler at a time, nearly always
on one instance. When the next update of the same moderator is handled by another instance
within the gap, that instance does not know the last moment; a 429 is then possible and
python-telegram-bot's rate limiter retries it. Time is real (monotonic), not the bot's clock:
Telegram's limit is in real seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

#: A little over a second between two messages: a request spends some time in flight.
GAP_SLACK_SECONDS: Final = 0.05
#: Chats remembered before the ones whose moment has passed are forgotten.
_PRUNE_ABOVE: Final = 1024


class ChatPacer:
    def __init__(self, gap: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._gap = gap + GAP_SLACK_SECONDS if gap > 0 else 0.0
        self._clock = clock
        self._next: dict[int, float] = {}  # chat id -> the earliest moment of its next message

    async def turn(self, chat_id: int) -> None:
        """Waits for this chat's next moment and takes it (concurrent callers queue up)."""
        if self._gap <= 0:
            return
        now = self._clock()
        moment = max(now, self._next.get(chat_id, now))
        self._next[chat_id] = moment + self._gap
        if len(self._next) > _PRUNE_ABOVE:
            self._next = {chat: at for chat, at in self._next.items() if at > now}
        if moment > now:
            await asyncio.sleep(moment - now)
