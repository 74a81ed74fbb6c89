"""Bot API calls whose answer was lost: Telegram may still apply them later, after a newer call.

The transport (bot/transport.py) reports each attempt that timed out, lost its connection or got
a 5xx; code that edits a message counts them inside `watch_answers()` and rechecks the message
when any was lost (the delivery worker, handlers/outbound/case_edits.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class AnswerWatch:
    """Attempts, among the calls made inside `watch_answers()`, that Telegram may have applied
    without the bot hearing so: timeouts, dropped connections, 5xx answers."""

    lost: int = 0


_watch: ContextVar[AnswerWatch | None] = ContextVar("bot_api_answer_watch", default=None)


@contextmanager
def watch_answers() -> Iterator[AnswerWatch]:
    """Counts lost answers of the Bot API calls this task makes inside the block."""
    watch = AnswerWatch()
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def answer_lost() -> None:
    watch = _watch.get()
    if watch is not None:
        watch.lost += 1
