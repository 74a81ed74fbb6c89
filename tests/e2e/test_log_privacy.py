"""A live bot's logs, request lines included, never show the token, phones or IPs; at DEBUG
they hold no names, message texts, raw user ids or SQL parameters either."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.settings import LogLevel, Settings
from handlers.outbound.delivery_worker import DeliveryWorker
from loopback import LoopbackServer
from storage.crypto import decode_secret
from tests.conftest import TEST_TOKEN, RunningBot
from tests.e2e.reporting_steps import Reporter
from tests.helpers import FakeClock


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


# --- personal data in DEBUG logs (issue 17) ------------------------------------------------

REPORTER_ID = 7_318_402_955
MODERATOR_2_ID = 6_102_938_475
REPORTER = ("Zephyrine", "Quillbramble", "zephy_q_reports")  # first, last and user name
MODERATOR = ("Mortimer", "Vantablack", "morty_decides")
QUERY = "velvet marmalade lanterns"
TARGET = "@tangerine_bazaar_shop"
COMMENT = "seen twice beside the orchard gate"
NOTE = "cross-checked with the gooseberry ledger"


def pseudonym_key_of(settings: Settings) -> bytes:
    """What docs/privacy.md promises: an HMAC of a fixed label under BLIND_INDEX_KEY."""
    assert settings.blind_index_key is not None
    index_key = decode_secret(settings.blind_index_key.get_secret_value(), "BLIND_INDEX_KEY")
    return hmac.new(index_key, b"report-bot log pseudonym v1", hashlib.sha256).digest()


def expected_pseudonym(key: bytes, user_id: int) -> str:
    return hmac.new(key, f"report-bot-user:{user_id}".encode(), hashlib.sha256).hexdigest()[:16]


async def converse_and_decide(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
    **setting_overrides: Any,
) -> RunningBot:
    """A reporter's whole guided report with a comment, a moderator's note and approval, the
    outcome told to the reporter and /myreports, with LOG_LEVEL=DEBUG."""
    first, last, username = MODERATOR
    moderator = loopback.add_user(
        first_name=first, last_name=last, username=username, user_id=MODERATOR_2_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    settings = make_settings(
        review_chat_id=chat.id,
        moderator_ids=frozenset({MODERATOR_2_ID}),
        case_edit_debounce_seconds=0,
        **setting_overrides,
    )
    bot: RunningBot = await start_bot(settings, clock=clock, log_level=LogLevel.DEBUG)
    first, last, username = REPORTER
    reporter = Reporter(
        loopback.add_user(first_name=first, last_name=last, username=username, user_id=REPORTER_ID),
        loopback,
    )
    await reporter.say("/start")
    receipt = await reporter.report(TARGET, query=QUERY, comment=COMMENT)
    assert "received" in receipt.text
    posted = await chat.next_message(timeout=15)
    assert COMMENT in posted.text  # the values did travel through the bot
    await moderator.send(NOTE, chat=chat, reply_to=posted.message_id)
    await loopback.wait_for(
        lambda: any(NOTE in m.text for m in chat.messages() if m.message_id == posted.message_id),
        timeout=15,
    )
    current = next(m for m in chat.messages() if m.message_id == posted.message_id)
    menu = await moderator.press(current, text="✅ Approve")
    await menu.answered(timeout=15)
    await loopback.wait_for(
        lambda: any(b == "✓ Illegal drugs" for m in chat.messages() for b in m.button_texts()),
        timeout=15,
    )
    current = next(m for m in chat.messages() if m.message_id == posted.message_id)
    confirm = await moderator.press(current, text="✓ Illegal drugs")
    await confirm.answered(timeout=15)
    await loopback.wait_for(lambda: any("Approved" in m.text for m in chat.messages()), timeout=15)
    clock.advance(timedelta(minutes=6))
    services = bot.application.bot_data.services
    assert isinstance(services.delivery, DeliveryWorker)
    await services.delivery.run_once()
    told = await reporter.user.next_message(timeout=15)
    assert "confirmed a violation" in told.text
    listed = await reporter.say("/myreports")
    assert TARGET in listed.text
    await bot.shutdown()
    return bot


async def test_debug_logs_hold_no_names_texts_user_ids_or_sql_parameters(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    bot = await converse_and_decide(start_bot, make_settings, loopback)
    out, err = capfd.readouterr()
    text = bot.log_text() + out + err
    events = [json.loads(line) for line in bot.log_text().splitlines()]
    # The log is not empty or quiet: libraries' DEBUG records are there, summarised.
    loggers = {event["logger"] for event in events}
    assert {"telegram.ext.ExtBot", "telegram.ext.Application", "aiosqlite"} <= loggers
    assert any("`sendMessage`" in event["event"] for event in events)
    personal = [
        *REPORTER,
        *MODERATOR,
        QUERY,
        TARGET.lstrip("@"),
        COMMENT,
        NOTE,
        str(REPORTER_ID),
        str(MODERATOR_2_ID),
    ]
    leaks = {
        value: [line[:300] for line in text.splitlines() if value in line] for value in personal
    }
    assert {value: found for value, found in leaks.items() if found} == {}
    # The reporter's events are correlated by a keyed pseudonym, not by the id or its bare hash.
    key = pseudonym_key_of(bot.settings)
    users = {event["user"] for event in events if "user" in event}
    assert expected_pseudonym(key, REPORTER_ID) in users
    assert expected_pseudonym(key, MODERATOR_2_ID) in users
    unkeyed = hashlib.sha256(f"report-bot-user:{REPORTER_ID}".encode()).hexdigest()
    assert not any(unkeyed[:12] in line for line in text.splitlines())


async def test_the_unsafe_debug_override_lets_library_records_through_and_says_so(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    bot = await converse_and_decide(start_bot, make_settings, loopback, log_unsafe_debug=True)
    events = [json.loads(line) for line in bot.log_text().splitlines()]
    [warning] = [event for event in events if event["event"] == "log_unsafe_debug_enabled"]
    assert warning["level"] == "warning"
    assert any(COMMENT in event["event"] for event in events if event["logger"] == "aiosqlite")
    # Our own events keep the pseudonym; tokens stay masked even then.
    assert str(REPORTER_ID) not in json.dumps([e for e in events if e["logger"].startswith("bot.")])
    assert TEST_TOKEN not in bot.log_text()
