"""A live bot's logs, request lines included, never show the token, phones or IPs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.loopback import LoopbackServer
from bot.settings import LogLevel
from tests.conftest import TEST_TOKEN


async def test_debug_logs_of_a_live_bot_are_redacted(
    start_bot: Callable[..., Any], loopback: LoopbackServer
) -> None:
    bot = await start_bot(log_level=LogLevel.DEBUG)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send_contact(phone_number="+15550100200", first_name="Alice")
    await alice.send("my address is 203.0.113.9, call +44 20 7946 0958")
    await alice.send("/start")
    await alice.next_message()
    # A library logging a request line the way httpx does goes through the same pipeline.
    logging.getLogger("httpx").warning(
        "HTTP Request: POST %s/getMe from 203.0.113.9",
        bot.settings.telegram_api_base_url + TEST_TOKEN,
    )
    await bot.shutdown()
    text = bot.log_text()
    assert '"logger": "bot.transport"' in text  # our request lines went through the pipeline
    assert '"logger": "httpx"' in text
    assert "[token]" in text
    # The phone's tail digits, not "7946" alone, which a timestamp like .794680Z can contain.
    for secret in (TEST_TOKEN, TEST_TOKEN.split(":")[1], "15550100200", "203.0.113.9", "7946 0958"):
        assert secret not in text


async def test_updates_log_their_context_with_a_hashed_user(
    start_bot: Callable[..., Any], loopback: LoopbackServer
) -> None:
    bot = await start_bot(log_level=LogLevel.DEBUG)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    await alice.next_message()
    await bot.shutdown()
    handled = [line for line in bot.log_text().splitlines() if '"update_id"' in line]
    assert handled
    assert all(f'"user": "{alice.id}"' not in line for line in handled)
    assert any('"user": "' in line for line in handled)
