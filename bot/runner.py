"""Runs an Application until asked to stop; production and tests share this exact path.

PTB's run_polling owns the event loop and signal handling, which tests cannot share; this
mirrors its order (initialize, post_init, updater, start ... stop, shutdown, post_shutdown)
inside a caller's loop, so the tests exercise what production runs.

A graceful stop (SIGTERM or SIGINT, see `stop_on_signals`) runs in this order: the updater
stops taking updates (and confirms the ones it fetched), the Application handles every update
already taken and waits for running jobs, the delivery worker ends its pass with the outbox
saved (post_stop), the bot's HTTP sessions close, then the metrics server and the database
(post_shutdown).
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import structlog
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app import ALLOWED_UPDATES
from bot.context import BotApplication
from bot.settings import Settings
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
    try:
        if application.post_init is not None:
            await application.post_init(application)
        if settings.webhook_url is not None and settings.webhook_secret_token is not None:
            await updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=settings.webhook_path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret_token.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                bootstrap_retries=-1,
            )
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
