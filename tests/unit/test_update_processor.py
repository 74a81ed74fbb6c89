"""Updates run concurrently across senders and strictly in order for one sender."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.update_processor import OrderedPerSenderProcessor


def update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, datetime.now(UTC), chat, from_user=user, text="x")
    return Update(update_id, message=message)


async def test_one_senders_updates_never_overlap() -> None:
    processor = OrderedPerSenderProcessor(16)
    active, order = 0, []
    overlapped = False
    release = asyncio.Event()

    async def handle(n: int) -> None:
        nonlocal active, overlapped
        active += 1
        overlapped = overlapped or active > 1
        await release.wait()
        order.append(n)
        active -= 1

    tasks = [
        asyncio.create_task(processor.process_update(update(n, 7), handle(n))) for n in range(5)
    ]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert not overlapped
    assert order == [0, 1, 2, 3, 4]


async def test_different_senders_run_concurrently() -> None:
    processor = OrderedPerSenderProcessor(16)
    both_running = asyncio.Event()
    running: set[int] = set()

    async def handle(user_id: int) -> None:
        running.add(user_id)
        if len(running) == 2:
            both_running.set()
        await asyncio.wait_for(both_running.wait(), timeout=5)

    await asyncio.gather(
        processor.process_update(update(1, 1), handle(1)),
        processor.process_update(update(2, 2), handle(2)),
    )
    assert both_running.is_set()


async def test_locks_are_released_after_use() -> None:
    processor = OrderedPerSenderProcessor(4)

    async def noop() -> None:
        return None

    await processor.process_update(update(1, 1), noop())
    assert processor._locks == {}
