"""Optional flood control: Telegram's per-chat, per-group and global message limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from loopback import FloodLimits, LoopbackServer
from tests.loopback.conftest import TOKEN, ManualClock


@pytest.fixture
async def limited(clock: ManualClock) -> AsyncIterator[LoopbackServer]:
    limits = FloodLimits(per_group_per_minute=3, per_chat_per_second=1, global_per_second=30)
    async with LoopbackServer(flood_limits=limits, clock=clock) as server:
        server.add_bot(token=TOKEN, username="report_test_bot")
        yield server


@pytest.fixture
async def limited_bot(limited: LoopbackServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=limited.base_url) as bot:
        yield bot


async def test_second_message_in_a_second_is_refused(
    limited: LoopbackServer, limited_bot: Bot, clock: ManualClock
) -> None:
    alice = limited.add_user(first_name="Alice")
    await alice.send("/start")
    await limited_bot.send_message(alice.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(alice.id, "two")
    assert caught.value.retry_after == dt.timedelta(seconds=1)
    clock.advance(1.0)
    await limited_bot.send_message(alice.id, "two")
    assert [m.text for m in limited.messages(alice.id)] == ["one", "two"]


async def test_group_limit_computes_the_wait(
    limited: LoopbackServer, limited_bot: Bot, clock: ManualClock
) -> None:
    group = limited.add_supergroup(title="Review")
    for n in range(3):
        await limited_bot.send_message(group.id, f"case {n}")
        clock.advance(5.0)
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(group.id, "one too many")
    assert caught.value.retry_after == dt.timedelta(seconds=45)
    assert limited.calls("sendMessage")[-1].description == "Too Many Requests: retry after 45"
    clock.advance(45.0)
    await limited_bot.send_message(group.id, "case 3")


async def test_flood_control_is_off_by_default(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    await alice.send("/start")
    for n in range(5):
        await bot.send_message(alice.id, str(n))
    assert len(server.messages(alice.id)) == 5
