"""Telegram's failures: a 429 is waited out and retried, and the message arrives once; a call
that failed in passing (5xx, a dropped connection, a timeout) is made again; a failure that
outlasts the retries reaches the error handler and the user gets an apology."""

from __future__ import annotations

from handlers.runtime.answer_watch import watch_answers
from loopback import LoopbackServer
from tests.conftest import RunningBot


async def test_429_on_send_message_is_retried_and_arrives_once(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    rule = loopback.faults.inject("sendMessage", kind="retry_after", retry_after=1, times=1)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    reply = await alice.next_message(timeout=15)
    assert reply.text.startswith("👋 Hello, Alice!")
    assert rule.hits == 1
    outcomes = [(call.ok, call.error_code) for call in loopback.calls("sendMessage")]
    assert outcomes == [(False, 429), (True, None)]
    assert len(loopback.messages(alice.id)) == 1


async def test_a_server_error_is_retried_and_the_answer_arrives_once(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    rule = loopback.faults.inject("sendMessage", kind="server_error", times=2)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    reply = await alice.next_message(timeout=15)
    assert reply.text.startswith("👋 Hello, Alice!")
    assert rule.hits == 2
    outcomes = [(call.ok, call.error_code) for call in loopback.calls("sendMessage")]
    assert outcomes == [(False, 500), (False, 500), (True, None)]
    assert len(loopback.messages(alice.id)) == 1
    assert '"update_failed"' not in bot.log_text()
    assert bot.log_text().count('"bot_api_retry"') == 2


async def test_a_connection_dropped_after_telegram_applied_the_call_sends_it_again(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    """The bot cannot know Telegram applied a call whose answer never came: it tries again, so
    the user may see the message twice (once per attempt Telegram accepted), never not at all."""
    loopback.faults.inject("sendMessage", kind="drop", when="after", times=1)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    first = await alice.next_message(timeout=15)
    second = await alice.next_message(timeout=15)
    assert first.text == second.text
    assert first.text.startswith("👋 Hello, Alice!")
    assert '"update_failed"' not in bot.log_text()


async def test_a_failed_reply_reaches_the_error_handler_and_the_user(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    # The first try and its three retries fail; the apology goes through.
    loopback.faults.inject("sendMessage", kind="server_error", times=4)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    apology = await alice.next_message(timeout=30)
    assert "Nothing you sent was lost" in apology.text
    assert "Traceback" not in apology.text
    assert '"event": "update_failed"' in bot.log_text()


async def test_answers_that_may_have_been_applied_are_counted_for_the_caller(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    """A 5xx or a dropped connection may hide a call Telegram applied; a 429 or a 400 did not."""
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    await alice.next_message(timeout=15)
    loopback.faults.inject("sendMessage", kind="server_error", times=1)
    loopback.faults.inject("sendMessage", kind="drop", when="after", times=1)
    with watch_answers() as lost:
        await bot.application.bot.send_message(alice.id, "one")
    assert lost.lost == 2
    loopback.faults.inject("sendMessage", kind="retry_after", retry_after=1, times=1)
    with watch_answers() as refused:
        await bot.application.bot.send_message(alice.id, "two")
    assert refused.lost == 0
    with watch_answers() as outside:
        pass
    await bot.application.bot.send_message(alice.id, "three")  # no watch: nothing counted
    assert outside.lost == 0
    texts = [m.text for m in loopback.messages(alice.id)][1:]
    assert texts == ["one", "one", "two", "three"]
