"""Webhook mode: the server POSTs updates to the bot with the secret header, in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from loopback import LoopbackServer

SECRET = "s3cret_token-1"


@dataclass
class Receiver:
    """A tiny webhook endpoint that can be told to fail its first deliveries."""

    url: str = ""
    failures_left: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.Response(status=500)
        self.received.append(json.loads(await request.text()))
        self.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        self.arrived.set()
        return web.Response()

    async def wait_for(self, count: int) -> None:
        while len(self.received) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), timeout=10)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    target.url = f"http://127.0.0.1:{port}/hook"
    yield target
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret(
    bot: Bot, server: LoopbackServer, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token=SECRET)
    alice = server.add_user(first_name="Alice")
    await alice.send("one")
    await alice.send("two")
    await receiver.wait_for(2)
    assert [update["message"]["text"] for update in receiver.received] == ["one", "two"]
    assert receiver.secrets == [SECRET, SECRET]
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0


async def test_failed_deliveries_are_retried_in_order(
    bot: Bot, server: LoopbackServer, receiver: Receiver
) -> None:
    receiver.failures_left = 2
    await bot.set_webhook(receiver.url)
    alice = server.add_user(first_name="Alice")
    await alice.send("first")
    await alice.send("second")
    await receiver.wait_for(2)
    assert [update["message"]["text"] for update in receiver.received] == ["first", "second"]
    assert receiver.secrets == [None, None]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_get_updates_conflicts_with_an_active_webhook(
    bot: Bot, server: LoopbackServer, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    with pytest.raises(Conflict) as caught:
        await bot.get_updates()
    assert caught.value.message == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_only_https_or_loopback_urls_are_accepted(bot: Bot) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.set_webhook("http://example.org/hook")
    assert caught.value.message == "Bad webhook: an https url must be provided for webhook"
