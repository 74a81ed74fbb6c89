"""The server's side of setWebhook: POSTing each update to the bot, in order, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

from loopback.chat_state import utc_now
from loopback.update_queue import WebhookConfig
from loopback.world import BotRecord, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)


class WebhookSender:
    """One delivery task per bot; a failed delivery is retried with doubling backoff."""

    def __init__(
        self, world: World, first_retry: float, max_retry: float, timeout: float = 10.0
    ) -> None:
        self._world = world
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._timeout = timeout
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    def start(self, bot: BotRecord) -> None:
        self.stop(bot)
        self._tasks[bot.id] = asyncio.create_task(self._deliver(bot), name=f"webhook-{bot.id}")

    def stop(self, bot: BotRecord) -> None:
        task = self._tasks.pop(bot.id, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(self, bot: BotRecord) -> None:
        delay = self._first_retry
        while (config := bot.updates.webhook) is not None:
            update = await bot.updates.wait_for_update()
            if update is None or bot.updates.webhook is not config:
                return
            error = await self._post(config, update)
            if error is None:
                bot.updates.confirm(int(update["update_id"]) + 1)
                delay = self._first_retry
            else:
                config.last_error_date = utc_now()
                config.last_error_message = error
            self._world.changed()
            if error is not None:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry)

    async def _post(self, config: WebhookConfig, update: dict[str, Any]) -> str | None:
        """None on a 2xx answer, else the error Telegram would report in getWebhookInfo."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        try:
            async with self._session.post(
                config.url, data=json.dumps(update), headers=headers
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {type(exc).__name__}"
