"""Webhook mode's endpoint: an update is kept in the journal before Telegram hears 200.

Telegram forgets an update once its POST was answered 2xx. So the endpoint checks the secret
token, parses the update, keeps it in the update journal (committed, `UpdateJournal.
keep_delivered`) and only then answers 200; the update is then claimed and handled by this
instance or another sharing the database (bot.update_dispatcher), also after a crash. When
the journal cannot be written the answer is 503 and nothing is kept: Telegram delivers the
update again.
A second copy of an update the journal already knew is answered 200 and not handled again.

GET /health answers 200 once the instance is serving (updates flow to the handlers) and 503
while it is starting or stopping, for a container healthcheck or a proxy's active check; it
says nothing else (no secret is needed to ask, so it tells nothing worth one).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from enum import IntEnum
from typing import Any, Final

import structlog
from aiohttp import web
from telegram import Bot, Update

from bot.update_journal import JournalUnavailable, UpdateJournal
from bot.update_processor import conversation_key
from handlers.runtime.listening import listen_on

log = structlog.get_logger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
#: Telegram's updates are a few kilobytes; anything much larger is not one.
MAX_BODY_BYTES: Final = 1024 * 1024
#: How long a graceful stop waits for deliveries being journaled (the database's busy
#: timeout is 10 s).
SHUTDOWN_SECONDS: Final = 15.0
#: The health endpoint's path, beside the webhook's (deploy/compose/compose.yaml asks it).
HEALTH_PATH: Final = "/health"


class WebhookSetupError(Exception):
    """Webhook mode could not start (port taken, URL refused); the message names the setting."""


class Answer(IntEnum):
    """What a delivery is answered with (the HTTP status)."""

    KEPT = 200  # journaled (or already known) and queued
    NOT_AN_UPDATE = 400  # Telegram would never send it; a retry cannot help
    REFUSED = 403  # the secret token is missing or wrong
    NOT_KEPT = 503  # the journal could not be written: Telegram delivers it again


async def take_update(
    body: bytes, journal: UpdateJournal, bot: Bot, kept: Callable[[], None]
) -> Answer:
    """The step between Telegram's POST and the handlers, without the HTTP around it: the body
    is parsed, the update journaled and committed with its conversation, and `kept` tells the
    dispatcher, which claims it for some instance (a known one is not kept again, as polling
    skips its second copy)."""
    data = _update_json(body)
    if data is None:
        return Answer.NOT_AN_UPDATE
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # a malformed field deep inside: not an update PTB can handle
        log.warning("webhook_not_an_update", reason="fields", error_type=type(exc).__name__)
        return Answer.NOT_AN_UPDATE
    try:
        new = await journal.keep_delivered(data, conversation_key(update))
    except JournalUnavailable as exc:
        log.error("webhook_journal_failed", update_id=update.update_id, error=str(exc))
        return Answer.NOT_KEPT
    if not new:
        log.info("update_duplicate_skipped", update_id=update.update_id, source="webhook")
        return Answer.KEPT
    kept()
    return Answer.KEPT


def _update_json(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        log.warning("webhook_not_an_update", reason="not JSON")
        return None
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        log.warning("webhook_not_an_update", reason="no update_id")
        return None
    return data  # type: ignore[no-any-return]


class WebhookServer:
    """Listens for Telegram's POSTs on one path; `stop` lets deliveries in progress finish."""

    def __init__(
        self,
        path: str,
        secret: str,
        journal: UpdateJournal,
        bot: Bot,
        kept: Callable[[], None],
    ) -> None:
        self._path = "/" + path.lstrip("/")
        self._secret = secret.encode()
        self._journal = journal
        self._bot = bot
        self._kept = kept
        self._runner: web.AppRunner | None = None
        self._serving = False
        self.port: int | None = None

    async def start(self, listen: str, port: int) -> None:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self._path, self._receive)
        app.router.add_get(HEALTH_PATH, self._health)
        self._runner, self.port = await listen_on(
            app,
            listen,
            port,
            lambda what: WebhookSetupError(
                f"WEBHOOK_PORT: {what}; choose a free port (or another WEBHOOK_LISTEN address)"
            ),
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
        log.info("webhook_listening", listen=listen, port=self.port, path=self._path)

    def serving(self) -> None:
        """Start-up is over: updates reach the handlers, so /health answers 200."""
        self._serving = True

    async def stop(self) -> None:
        """No new deliveries are taken; those being journaled finish and are answered."""
        self._serving = False
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        offered = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(offered, self._secret):
            log.warning("webhook_request_refused", reason="secret" if offered else "no secret")
            return _answer(Answer.REFUSED)
        body = await request.read()
        return _answer(await take_update(body, self._journal, self._bot, self._kept))

    async def _health(self, request: web.Request) -> web.Response:
        if self._serving:
            return web.Response(status=200, text="serving")
        state = "starting" if self._runner is not None else "stopping"
        return web.Response(status=503, text=state)


def _answer(answer: Answer) -> web.Response:
    return web.Response(status=int(answer), text=answer.name.lower().replace("_", " "))
