"""Scheduled work runs on one instance at a time: the holder of the `jobs` lease
(handlers/runtime/presence.py), whichever instance that is now."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from handlers.runtime.context import BotContext

Job = Callable[[BotContext], Coroutine[Any, Any, None]]


def on_the_leader(job: Job) -> Job:
    """Runs `job` only on the instance holding the `jobs` lease: one at a time, whichever."""

    @functools.wraps(job)
    async def run(context: BotContext) -> None:
        if await context.services.presence.leads():
            await job(context)

    return run
