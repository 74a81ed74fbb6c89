"""The webhook dispatcher's stop ends its claim loop whatever the loop is doing at that moment.

On Python 3.11, `asyncio.wait_for` returns normally (and the cancellation is lost) when it is
cancelled in the same moment the event it waits for is set: a stop that met a wake (an update
journaled, one released) then waited for ever (bench/README.md: scaling out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, cast

from telegram import Bot

from bot.update_dispatcher import UpdateDispatcher
from bot.update_journal import UpdateJournal


class QuietJournal:
    """A journal with nothing to claim, counting the claims."""

    def __init__(self) -> None:
        self.claims = 0

    def on_release(self, listener: Callable[[Sequence[int]], None]) -> None:
        pass

    async def claim(self, instance_id: str, limit: int) -> list[dict[str, Any]]:
        self.claims += 1
        return []


async def stopped(claiming: UpdateDispatcher) -> None:
    """Stops it, failing if the stop is still waiting after 5 s (it hung: it takes none)."""
    stopping = asyncio.create_task(claiming.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert stopping in done, "the dispatcher's stop hung"
    stopping.result()


def dispatcher(journal: QuietJournal) -> UpdateDispatcher:
    queue: asyncio.Queue[object] = asyncio.Queue()
    return UpdateDispatcher(
        cast("UpdateJournal", journal), lambda: "instance", queue, cast("Bot", None), 4
    )


async def test_a_stop_that_meets_a_wake_still_ends_the_loop() -> None:
    for _ in range(50):  # every moment of the loop: right after a claim, mid-wait, ...
        journal = QuietJournal()
        claiming = dispatcher(journal)
        claiming.start()
        await asyncio.sleep(0)
        claiming.wake()  # the event is set in the same moment the stop cancels the wait
        await stopped(claiming)


async def test_a_stop_between_claims_ends_the_loop_and_claims_no_more() -> None:
    journal = QuietJournal()
    claiming = dispatcher(journal)
    claiming.start()
    claiming.wake()
    await asyncio.sleep(0.01)
    await stopped(claiming)
    claims = journal.claims
    claiming.wake()
    await asyncio.sleep(0.01)
    assert journal.claims == claims
