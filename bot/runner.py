"""Runs an Application until asked to stop; production and tests share this exact path.

PTB's run_polling owns the event loop and signal handling, which tests cannot share; this
mirrors its order (initialize, post_init, updater, start ... stop, shutdown, post_shutdown)
inside a caller's loop, so the tests exercise what production runs.

A graceful stop (SIGTERM or SIGINT, see `stop_on_signals`) runs in this order: the updater
stops taking updates (and confirms the ones it fetched), the Application handles every update
already taken and waits for running jobs, the delivery worker ends its pass with the outbox
saved (post_stop), the bot's HTTP sessions close, then the metrics server and the database
(post_shutdown). In webhook mode the bot's own endpoint (bot.webhook_server) stops first,
answering the deliveries it is journaling.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import timedelta

import structlog
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app import ALLOWED_UPDATES
from bot.context import BotApplication
from bot.settings import Settings
from bot.update_processor import OrderedPerSenderProcessor
from bot.webhook_server import WebhookServer, WebhookSetupError
from handlers.errors import log_background_error

log = structlog.get_logger(__name__)


async def serve(
    application: BotApplication,
    settings: Settings,
    stop: asyncio.Event,
    started: asyncio.Event | None = None,
) -> None:
    """Starts polling (or the webhook when WEBHOOK_URL is set) and returns after `stop` is set.

    `started` is set once updates are being received (tests and the sandbox wait for it).
    """
    updater = application.updater
    if updater is None:
        raise RuntimeError("the application was built without an updater")
    await _initialize(application)
    endpoint: WebhookServer | None = None
    try:
        if application.post_init is not None:
            await application.post_init(application)
        if settings.webhook_url is not None and settings.webhook_secret_token is not None:
            endpoint = _webhook_server(application, settings)
            await endpoint.start(settings.webhook_listen, settings.webhook_port)
            if not await _set_webhook(application, settings, stop):
                return  # asked to stop before Telegram accepted the webhook
            mode = "webhook"
        else:
            await updater.start_polling(
                timeout=settings.poll_timeout_seconds,
                poll_interval=settings.poll_interval_seconds,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                bootstrap_retries=-1,
                error_callback=_polling_error,
            )
            mode = "polling"
        await application.start()
        log.info("bot_started", mode=mode, bot_username=application.bot.username)
        if started is not None:
            started.set()
        await stop.wait()
        log.info("bot_stopping")
    finally:
        if endpoint is not None:
            await endpoint.stop()
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        log.info("bot_stopped")


def _webhook_server(application: BotApplication, settings: Settings) -> WebhookServer:
    processor = application.update_processor
    journal = processor.journal if isinstance(processor, OrderedPerSenderProcessor) else None
    if journal is None or settings.webhook_secret_token is None:
        raise RuntimeError("webhook mode needs the update journal and WEBHOOK_SECRET_TOKEN")
    return WebhookServer(
        settings.webhook_path,
        settings.webhook_secret_token.get_secret_value(),
        journal,
        application.bot,
        application.update_queue,
    )


#: Longest pause between two setWebhook attempts while Telegram cannot be reached.
SET_WEBHOOK_MAX_WAIT = 30.0


async def _set_webhook(
    application: BotApplication, settings: Settings, stop: asyncio.Event
) -> bool:
    """setWebhook (with the secret, the allowed updates, pending updates kept), tried until
    Telegram accepts it; False when `stop` was set first. A refused URL or token raises."""
    secret = settings.webhook_secret_token
    wait = 1.0
    while not stop.is_set():
        try:
            await application.bot.set_webhook(
                url=settings.webhook_url or "",
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                secret_token=secret.get_secret_value() if secret is not None else None,
            )
            return True
        except BadRequest as exc:  # the URL (or secret) itself: trying again cannot help
            raise WebhookSetupError(
                f"WEBHOOK_URL: Telegram refused the webhook ({exc.message}); use an https URL "
                "Telegram can reach, with WEBHOOK_SECRET_TOKEN of A-Z a-z 0-9 _ -"
            ) from None
        except (NetworkError, RetryAfter) as exc:
            if isinstance(exc, RetryAfter):
                after = exc.retry_after
                wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
            log.warning("set_webhook_retry", error_type=type(exc).__name__, wait=wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        wait = min(wait * 2, SET_WEBHOOK_MAX_WAIT)
    return False


#: Start-up tries getMe this often before giving up (a dropped connection or a 5xx at the
#: moment the bot starts must not end the process; an unreachable API still does, soon).
INITIALIZE_ATTEMPTS = 6


async def _initialize(application: BotApplication) -> None:
    """`application.initialize()` (it calls getMe), retried with backoff on network errors
    and 429s; a bad token fails at once."""
    for attempt in range(1, INITIALIZE_ATTEMPTS + 1):
        try:
            await application.initialize()
            return
        except InvalidToken:
            raise
        except (NetworkError, RetryAfter) as exc:
            if attempt == INITIALIZE_ATTEMPTS:
                raise
            wait = min(0.5 * 2 ** (attempt - 1), 8.0)
            if isinstance(exc, RetryAfter):
                after = exc.retry_after
                wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
            log.warning(
                "initialize_retry", attempt=attempt, error_type=type(exc).__name__, wait=wait
            )
            await asyncio.sleep(wait)


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop` (logged); `serve` then shuts down gracefully."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _request_stop, stop, sig)


def _request_stop(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("shutdown_requested", signal=sig.name, again=stop.is_set())
    stop.set()


def _polling_error(error: TelegramError) -> None:
    log_background_error(error)
