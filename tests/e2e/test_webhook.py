"""Webhook mode: deliveries are journaled before they are answered 200, requests without the
secret are refused, a body that is not an update gets 400, a second copy is not handled twice.

The kill test (the bot killed after answering 200, mid-handler) is in
tests/reliability/test_webhook_crash.py; it needs the bot in its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

from bot.app import build_application
from bot.runner import serve
from bot.settings import Settings
from bot.webhook_server import WebhookSetupError
from loopback import BotHandle, LoopbackServer
from tests.conftest import ENGINES, TEST_BOT_USERNAME, TEST_TOKEN, RunningBot, no_pause
from tests.engines import rows, write_lock_held
from tests.helpers import free_port

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

SECRET = "test-webhook-secret_0123"
#: The bot's busy timeout is 10 s: a delivery waiting for a locked database must be answered
#: (503) before the loopback gives up on it, as Telegram would.
DELIVERY_TIMEOUT = 30.0


@pytest.fixture
async def loopback() -> AsyncIterator[LoopbackServer]:
    async with LoopbackServer(webhook_timeout=DELIVERY_TIMEOUT) as server:
        server.add_bot(token=TEST_TOKEN, username=TEST_BOT_USERNAME, first_name="Report Bot")
        yield server


@pytest.fixture
async def webhook_bot(
    start_bot: Callable[..., Any], make_settings: Callable[..., Settings]
) -> RunningBot:
    running: RunningBot = await start_bot(webhook_settings(make_settings))
    return running


def webhook_settings(make_settings: Callable[..., Settings], port: int | None = None) -> Settings:
    port = port or free_port()
    return make_settings(
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret_token=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )


def update_json(update_id: int, user_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Mallory"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def journaled(bot: RunningBot) -> list[tuple[int, bool]]:
    """(update id, released) for every update the journal holds."""
    found = rows(
        bot.settings.database,
        "SELECT update_id, CASE WHEN released_at IS NULL THEN 0 ELSE 1 END FROM update_journal "
        "ORDER BY update_id",
    )
    return [(int(update_id), bool(released)) for update_id, released in found]


def events(bot: RunningBot, name: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in bot.log_text().splitlines() if line.startswith("{")]
    return [event for event in found if event.get("event") == name]


def last_webhook_error(account: BotHandle) -> str | None:
    config = account.record.updates.webhook
    return config.last_error_message if config is not None else None


async def test_updates_arrive_through_the_webhook(
    webhook_bot: RunningBot, loopback: LoopbackServer, bot_account: BotHandle
) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    sent = await alice.send("/start")
    reply = await alice.next_message()
    assert reply.text.startswith("👋 Hello, Alice!")
    assert not loopback.calls("getUpdates")
    [set_webhook] = loopback.calls("setWebhook")
    assert set_webhook.params["secret_token"] == SECRET
    assert json.loads(set_webhook.params["allowed_updates"]) == [
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
    ]
    assert set_webhook.params["drop_pending_updates"] == "false"
    # Kept in the journal (encrypted) before it was answered, released once handled.
    update_id = bot_account.update_id_of(sent)
    await webhook_bot.until_stored(lambda: journaled(webhook_bot) == [(update_id, True)])


@pytest.mark.slow
async def test_a_delivery_the_journal_cannot_keep_is_refused_and_handled_when_redelivered(
    webhook_bot: RunningBot, loopback: LoopbackServer, bot_account: BotHandle
) -> None:
    """Another process holds the database's write lock past the bot's busy timeout: the
    delivery is answered 503 (not 200), so Telegram keeps it and delivers it again."""
    alice = loopback.add_user(first_name="Alice", language_code="en")
    async with write_lock_held(webhook_bot.settings.database):
        await alice.send("/start")
        await loopback.wait_for(lambda: last_webhook_error(bot_account) is not None, timeout=30)
        assert bot_account.pending_update_count == 1  # not confirmed: Telegram still has it
        assert alice.messages() == []  # and nothing was handled
    reply = await alice.next_message(timeout=30)
    assert reply.text.startswith("👋 Hello, Alice!")
    await loopback.wait_for(lambda: bot_account.pending_update_count == 0, timeout=15)
    assert last_webhook_error(bot_account) == (
        "Wrong response from the webhook: 503 Service Unavailable"
    )
    assert len(alice.messages()) == 1
    [failed, *_] = events(webhook_bot, "webhook_journal_failed")
    assert failed["error"] == "DatabaseLockedError"
    assert "Traceback" not in webhook_bot.log_text()


async def test_a_redelivered_update_that_was_handled_is_not_handled_again(
    webhook_bot: RunningBot, loopback: LoopbackServer, bot_account: BotHandle
) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    sent = await alice.send("/start")
    await alice.next_message(timeout=15)
    update_id = bot_account.update_id_of(sent)
    await webhook_bot.until_stored(lambda: journaled(webhook_bot) == [(update_id, True)])

    bot_account.redeliver(update_id)  # Telegram sends it again (say the 200 was lost)
    await loopback.wait_for(lambda: bot_account.pending_update_count == 0, timeout=15)
    [skipped] = events(webhook_bot, "update_duplicate_skipped")
    assert skipped["update_id"] == update_id
    assert len(alice.messages()) == 1


async def test_a_redelivered_update_still_being_handled_is_not_handled_twice(
    webhook_bot: RunningBot, loopback: LoopbackServer, bot_account: BotHandle
) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    # The answer is held, so the second copy arrives while the first is being handled.
    held = loopback.faults.inject("sendMessage", kind="hold", chat_id=alice.id, times=1)
    sent = await alice.send("/start")
    update_id = bot_account.update_id_of(sent)
    await loopback.wait_for(
        lambda: any(call.pending for call in loopback.calls("sendMessage")), timeout=15
    )
    assert journaled(webhook_bot) == [(update_id, False)]
    [(key_id, payload)] = rows(
        webhook_bot.settings.database, "SELECT key_id, payload FROM update_journal"
    )
    assert key_id == "test"  # sealed under ENCRYPTION_KEY, as polling keeps it
    assert b"/start" not in payload

    bot_account.redeliver(update_id)
    await loopback.wait_for(lambda: bool(events(webhook_bot, "update_duplicate_skipped")))
    held.release()  # the first copy's handling goes on
    reply = await alice.next_message(timeout=15)
    assert reply.text.startswith("👋 Hello, Alice!")
    await webhook_bot.until_stored(lambda: journaled(webhook_bot) == [(update_id, True)])
    assert len(alice.messages()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing-secret"),
        pytest.param({"X-Telegram-Bot-Api-Secret-Token": "wrong-secret"}, id="wrong-secret"),
        pytest.param({"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]}, id="secret-prefix"),
    ],
)
async def test_request_without_the_right_secret_is_refused(
    webhook_bot: RunningBot, loopback: LoopbackServer, headers: dict[str, str]
) -> None:
    mallory = loopback.add_user(first_name="Mallory", language_code="en")
    trent = loopback.add_user(first_name="Trent", language_code="en")
    for user in (mallory, trent):
        await user.send("hi")  # the bot knows them now (and answers with a hint)
        await user.next_message()
    url = webhook_bot.settings.webhook_url
    assert url is not None
    async with aiohttp.ClientSession() as session:
        refused = await session.post(url, json=update_json(900_001, mallory.id), headers=headers)
        assert refused.status == 403
        # The same request with the secret is accepted, so the refusal was about the secret.
        accepted = await session.post(
            url,
            json=update_json(900_002, trent.id),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert accepted.status == 200
    reply = await trent.next_message()
    assert reply.text.startswith("👋 Hello, Mallory!")  # the forged update names Mallory
    assert len(loopback.messages(mallory.id)) == 1  # only the hint: nothing for the forgery
    assert 900_001 not in [update_id for update_id, _ in journaled(webhook_bot)]
    assert SECRET not in webhook_bot.log_text()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"this is not JSON", id="not-json"),
        pytest.param(b"[1, 2, 3]", id="a-list"),
        pytest.param(b'{"message": {"text": "/start"}}', id="no-update-id"),
        pytest.param(b'{"update_id": "7"}', id="update-id-not-a-number"),
        pytest.param(b'{"update_id": 7, "message": {"chat": 12}}', id="broken-message"),
    ],
)
async def test_a_body_that_is_not_an_update_gets_400_without_a_traceback(
    webhook_bot: RunningBot, loopback: LoopbackServer, body: bytes
) -> None:
    url = webhook_bot.settings.webhook_url
    assert url is not None
    async with aiohttp.ClientSession() as session:
        answer = await session.post(
            url,
            data=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        )
        assert answer.status == 400
    assert events(webhook_bot, "webhook_not_an_update")
    assert "Traceback" not in webhook_bot.log_text()
    assert journaled(webhook_bot) == []
    # The endpoint still takes real updates.
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    assert (await alice.next_message()).text.startswith("👋 Hello, Alice!")


async def test_a_webhook_port_in_use_is_named_in_the_error(
    start_bot: Callable[..., Any], make_settings: Callable[..., Settings]
) -> None:
    port = free_port()
    with socket_bound(port), pytest.raises(WebhookSetupError) as caught:
        await start_bot(webhook_settings(make_settings, port))
    assert str(caught.value).startswith(f"WEBHOOK_PORT: cannot listen on 127.0.0.1:{port}")


@contextlib.contextmanager
def socket_bound(port: int) -> Iterator[None]:
    """Something else listens on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        yield


async def test_set_webhook_is_tried_again_while_telegram_fails(
    start_bot: Callable[..., Any], make_settings: Callable[..., Settings], loopback: LoopbackServer
) -> None:
    # More 500s than one call's own retries: start-up waits and sets the webhook again.
    loopback.faults.inject("setWebhook", kind="server_error", times=4)
    bot: RunningBot = await start_bot(webhook_settings(make_settings))
    assert events(bot, "set_webhook_retry")
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    assert (await alice.next_message()).text.startswith("👋 Hello, Alice!")


async def test_a_stop_while_set_webhook_waits_to_try_again_ends_start_up(
    make_settings: Callable[..., Settings], loopback: LoopbackServer
) -> None:
    """Telegram keeps failing setWebhook; the pause before the next attempt never ends on its
    own here, so only the stop can end start-up, and the bot then shuts down cleanly."""
    loopback.faults.inject("setWebhook", kind="server_error", times=1000)
    settings = webhook_settings(make_settings)

    async def endless(seconds: float) -> None:
        await asyncio.Event().wait()

    application = build_application(settings, pause=no_pause)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(application, settings, stop, pause=endless))
    # One call's own attempts (the first and three retries) failed: start-up now pauses.
    await loopback.wait_for(lambda: len(loopback.calls("setWebhook")) >= 4)
    stop.set()
    await asyncio.wait_for(serving, timeout=10)
    assert len(loopback.calls("setWebhook")) == 4
    assert not application.running


async def test_a_webhook_telegram_refuses_is_named_in_the_error(
    start_bot: Callable[..., Any], make_settings: Callable[..., Settings], loopback: LoopbackServer
) -> None:
    loopback.faults.inject(
        "setWebhook",
        kind="error",
        description="Bad Request: bad webhook: Failed to resolve host: Name or service not known",
    )
    with pytest.raises(WebhookSetupError) as caught:
        await start_bot(webhook_settings(make_settings))
    assert str(caught.value).startswith(  # PTB capitalises Telegram's description
        "WEBHOOK_URL: Telegram refused the webhook (Bad webhook: failed to resolve host: "
    )
