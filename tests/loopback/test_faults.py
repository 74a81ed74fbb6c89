"""Injected faults reach PTB as the exceptions real Telegram failures produce."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

from loopback import LoopbackServer, UserHandle
from tests.loopback.conftest import TOKEN


@pytest.fixture
async def alice(server: LoopbackServer, bot: Bot) -> UserHandle:
    user = server.add_user(first_name="Alice")
    await user.send("/start")
    return user


async def test_retry_after_raises_retry_after_once(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    rule = server.faults.inject("sendMessage", kind="retry_after", retry_after=3, times=1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "first try")
    assert caught.value.retry_after == dt.timedelta(seconds=3)
    await bot.send_message(alice.id, "second try")
    assert rule.hits == 1
    calls = server.calls("sendMessage")
    assert [(c.ok, c.error_code) for c in calls] == [(False, 429), (True, None)]
    assert calls[0].description == "Too Many Requests: retry after 3"
    assert [m.text for m in server.messages(alice.id)] == ["second try"]


async def test_server_error_is_a_network_error(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    rule = server.faults.inject("sendmessage", kind="server_error", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(alice.id, "x")
    await bot.send_message(alice.id, "through")
    assert rule.hits == 2
    assert rule.exhausted


async def test_delay_answers_late_but_answers(bot: Bot, server: LoopbackServer) -> None:
    rule = server.faults.inject("getMe", kind="delay", delay=0.05, times=1)
    me = await bot.get_me()
    assert me.username == "report_test_bot"
    assert rule.hits == 1
    assert server.calls("getMe")[-1].ok


async def test_drop_before_loses_the_call(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    server.faults.inject("sendMessage", kind="drop", when="before", times=1)
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "lost")
    assert server.messages(alice.id) == []
    call = server.calls("sendMessage")[-1]
    assert call.dropped
    assert not call.ok


async def test_drop_after_applies_the_call_but_hides_the_answer(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    sent = await bot.send_message(alice.id, "v1")
    server.faults.inject("editMessageText", kind="drop", when="after", times=1)
    with pytest.raises(NetworkError):
        await bot.edit_message_text("v2", chat_id=alice.id, message_id=sent.message_id)
    assert server.messages(alice.id)[-1].text == "v2"  # it happened; the bot cannot know
    call = server.calls("editMessageText")[-1]
    assert call.dropped
    assert call.ok


async def test_share_is_seeded_and_counted(bot: Bot, server: LoopbackServer) -> None:
    rule = server.faults.inject("*", kind="server_error", share=0.5, seed=7)
    failures = 0
    for _ in range(20):
        try:
            await bot.get_me()
        except NetworkError:
            failures += 1
    assert 0 < failures < 20
    assert rule.hits == failures
    replay = LoopbackServer().faults.inject("*", kind="server_error", share=0.5, seed=7)
    assert [replay.fires() for _ in range(20)].count(True) == failures


async def test_chat_filter_limits_the_fault_to_one_chat(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    bob = server.add_user(first_name="Bob")
    await bob.send("/start")
    server.faults.inject("sendMessage", kind="server_error", chat_id=alice.id)
    await bot.send_message(bob.id, "fine")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "broken")
    server.faults.clear()
    await bot.send_message(alice.id, "fixed")


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        LoopbackServer().faults.inject("getMe", kind="explode")  # type: ignore[arg-type]


async def test_delay_after_applies_the_call_then_holds_the_answer(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    server.faults.inject("sendMessage", kind="delay", when="after", delay=0.5, times=1)
    sending = asyncio.create_task(bot.send_message(alice.id, "held"))
    await server.wait_for(lambda: [m.text for m in server.messages(alice.id)] == ["held"])
    assert server.calls("sendMessage")[-1].pending  # applied; the answer is still on its way
    sent = await sending
    assert sent.text == "held"
    assert not server.calls("sendMessage")[-1].pending


async def test_hold_keeps_the_call_until_released(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    rule = server.faults.inject("sendMessage", kind="hold", times=1)
    sending = asyncio.create_task(bot.send_message(alice.id, "held"))
    await server.wait_for(lambda: any(c.pending for c in server.calls("sendMessage")))
    assert server.messages(alice.id) == []  # held before it was applied
    assert not sending.done()
    rule.release()
    sent = await sending
    assert sent.text == "held"
    assert [m.text for m in server.messages(alice.id)] == ["held"]
    assert rule.hits == 1


async def test_hold_after_applies_the_call_and_holds_the_answer_past_a_clear(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    rule = server.faults.inject("sendMessage", kind="hold", when="after", times=1)
    sending = asyncio.create_task(bot.send_message(alice.id, "applied"))
    await server.wait_for(lambda: [m.text for m in server.messages(alice.id)] == ["applied"])
    server.faults.clear()  # new calls go through; the held answer stays held
    assert (await bot.send_message(alice.id, "next")).text == "next"
    assert not sending.done()
    assert server.calls("sendMessage")[0].pending
    rule.release()
    assert (await sending).text == "applied"


async def test_stopping_the_server_lets_held_calls_go() -> None:
    server = LoopbackServer()
    await server.start()
    account = server.add_bot(token=TOKEN, username="held_bot", first_name="Held")
    user = server.add_user(first_name="Hal")
    server.faults.inject("sendMessage", kind="hold", times=1)
    async with Bot(account.token, base_url=server.base_url) as held_bot:
        sending = asyncio.create_task(held_bot.send_message(user.id, "held at the stop"))
        await server.wait_for(lambda: bool(server.calls("sendMessage")))
        # Without the release, the HTTP server would wait up to a minute for the handler.
        await asyncio.wait_for(server.stop(), timeout=10)
        with contextlib.suppress(NetworkError):  # answered as it went, or cut off
            await asyncio.wait_for(sending, timeout=10)
        assert sending.done()
