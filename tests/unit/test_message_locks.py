"""Edits of one case message are made one at a time; other messages are not held up."""

from __future__ import annotations

import asyncio

from handlers.runtime.message_locks import MessageLocks


async def test_one_holder_per_message_and_no_lock_left_behind() -> None:
    locks = MessageLocks()
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold(1):
            order.append("first in")
            first_in.set()
            await release.wait()
            order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with locks.hold(1):
            order.append("second in")

    async def other_message() -> None:
        await first_in.wait()
        async with locks.hold(2):
            order.append("other in")

    tasks = [asyncio.create_task(job()) for job in (first, second, other_message)]
    await first_in.wait()
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == ["first in", "other in"]
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first in", "other in", "first out", "second in"]
    assert len(locks) == 0


async def test_a_failing_holder_releases_the_lock() -> None:
    locks = MessageLocks()
    try:
        async with locks.hold(7):
            raise RuntimeError("edit failed")
    except RuntimeError:
        pass
    async with asyncio.timeout(1):
        async with locks.hold(7):
            pass
    assert len(locks) == 0
