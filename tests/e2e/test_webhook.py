"""Webhook mode: Telegram's deliveries are accepted, requests without the secret are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from bot.loopback import LoopbackServer
from bot.settings import Settings
from tests.conftest import RunningBot
from tests.helpers import free_port

SECRET = "test-webhook-secret_0123"


@pytest.fixture
async def webhook_bot(
    start_bot: Callable[..., Any], make_settings: Callable[..., Settings]
) -> RunningBot:
    port = free_port()
    settings = make_settings(
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret_token=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    running: RunningBot = await start_bot(settings)
    return running


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


async def test_updates_arrive_through_the_webhook(
    webhook_bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    reply = await alice.next_message()
    assert reply.text.startswith("👋 Hello, Alice!")
    assert not loopback.calls("getUpdates")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing-secret"),
        pytest.param({"X-Telegram-Bot-Api-Secret-Token": "wrong-secret"}, id="wrong-secret"),
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
