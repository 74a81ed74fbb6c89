"""Telegram's flood control: a 429 is waited out and retried, and the message arrives once."""

from __future__ import annotations

from bot.loopback import LoopbackServer
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


async def test_a_failed_reply_reaches_the_error_handler_and_the_user(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    loopback.faults.inject("sendMessage", kind="server_error", times=1)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    apology = await alice.next_message(timeout=15)
    assert "Nothing you sent was lost" in apology.text
    assert "Traceback" not in apology.text
    assert '"event": "update_failed"' in bot.log_text()
