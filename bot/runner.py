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

A stop asked for during start-up (while Telegram cannot be reached, with a call in flight,
while the database opens) ends start-up where it is, closes what it had opened and returns
normally: the process exits 0. While the Bot API cannot be reached, each attempt is said in
one line (`say`, the operator's terminal for `report-bot run`); after STARTUP_GIVE_UP_MINUTES
start-up gives up with `BotApiUnreachable` (exit 1, so systemd restarts the bot).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, TypeVar

import structlog
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app import ALLOWED_UPDATES
from bot.console_server import ConsoleServer
from bot.redaction import TOKEN_MASK
from bot.settings import Settings
from bot.transport import NotABotApi, Pause
from bot.update_dispatcher import UpdateDispatcher
from bot.update_journal import UpdateJournal
from bot.update_processor import OrderedPerSenderProcessor
from bot.webhook_server import WebhookServer, WebhookSetupError
from handlers.errors import log_background_error
from handlers.runtime.context import BotApplication
from moderation.text import counted

log = structlog.get_logger(__name__)

T = TypeVar("T")

#: Where start-up's one-line notices go (the CLI prints them for the operator).
Say = Callable[[str], None]


async def serve(
    application: BotApplication,
    settings: Settings,
    stop: asyncio.Event,
    started: asyncio.Event | None = None,
    *,
    say: Say | None = None,
    pause: Pause = asyncio.sleep,
) -> None:
    """Starts polling (or the webhook when WEBHOOK_URL is set) and returns after `stop` is set.

    `started` is set once updates are being received (tests and the sandbox wait for it).
    `say` gets start-up's notices (the Bot API cannot be reached, then can); logged without it.
    `pause` waits between start-up's attempts to reach the Bot API or set the webhook.
    """
    updater = application.updater
    if updater is None:
        raise RuntimeError("the application was built without an updater")
    opened = _Opened()
    try:
        mode = await _unless_stopped(
            _start(application, settings, stop, say or _log_notice, opened, pause), stop
        )
        if mode is None:
            log.info("bot_stopping", during="start-up")
            return
        log.info("bot_started", mode=mode, bot_username=application.bot.username)
        if started is not None:
            started.set()
        await stop.wait()
        log.info("bot_stopping")
    finally:
        if opened.console is not None:
            await opened.console.stop()
        if opened.endpoint is not None:
            await opened.endpoint.stop()
        if opened.dispatcher is not None:
            await opened.dispatcher.stop()
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        # The HTTP sessions, also when getMe never answered (shutdown() above then skips them).
        await application.bot.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        log.info("bot_stopped")


@dataclass
class _Opened:
    """What start-up opened that only `serve` closes."""

    endpoint: WebhookServer | None = None
    dispatcher: UpdateDispatcher | None = None
    console: ConsoleServer | None = None  # the moderators' console, when CONSOLE_URL is set


async def _start(
    application: BotApplication,
    settings: Settings,
    stop: asyncio.Event,
    say: Say,
    opened: _Opened,
    pause: Pause,
) -> str | None:
    """initialize (getMe), post_init, then updates flowing; the mode, or None when `stop`
    was set before Telegram accepted the webhook."""
    await _initialize(application, settings, say, pause)
    if application.post_init is not None:
        await application.post_init(application)
    updater = application.updater
    assert updater is not None  # serve checked
    if settings.webhook_url is not None and settings.webhook_secret_token is not None:
        opened.dispatcher = _dispatcher(application, settings)
        opened.endpoint = _webhook_server(application, settings, opened.dispatcher.wake)
        await opened.endpoint.start(settings.webhook_listen, settings.webhook_port)
        if not await _set_webhook(application, settings, stop, pause):
            return None
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
    if settings.console_url is not None:
        opened.console = ConsoleServer(application, settings.token())
        await opened.console.start(settings.console_listen, settings.console_port)
    if opened.dispatcher is not None:
        opened.dispatcher.start()  # claims once the Application takes from its queue
    if opened.endpoint is not None:
        opened.endpoint.serving()  # GET /health: 200 from now until the stop begins
    return mode


async def _unless_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event) -> T | None:
    """`work`'s result; None when `stop` was set first. `work` is then cancelled, and its own
    clean-up has run by the time this returns."""
    task = asyncio.create_task(work)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # serve itself was cancelled
        await _cancelled(task)
        raise
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    await _cancelled(task)
    return None


async def _cancelled(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _journal(application: BotApplication) -> UpdateJournal:
    processor = application.update_processor
    journal = processor.journal if isinstance(processor, OrderedPerSenderProcessor) else None
    if journal is None:
        raise RuntimeError("webhook mode needs the update journal")
    return journal


def _dispatcher(application: BotApplication, settings: Settings) -> UpdateDispatcher:
    presence = application.bot_data.services.presence
    return UpdateDispatcher(
        _journal(application),
        lambda: presence.id,
        application.update_queue,
        application.bot,
        settings.max_concurrent_updates,
    )


def _webhook_server(
    application: BotApplication, settings: Settings, kept: Callable[[], None]
) -> WebhookServer:
    if settings.webhook_secret_token is None:
        raise RuntimeError("webhook mode needs WEBHOOK_SECRET_TOKEN")
    return WebhookServer(
        settings.webhook_path,
        settings.webhook_secret_token.get_secret_value(),
        _journal(application),
        application.bot,
        kept,
    )


#: Longest pause between two setWebhook attempts while Telegram cannot be reached.
SET_WEBHOOK_MAX_WAIT = 30.0


async def _set_webhook(
    application: BotApplication, settings: Settings, stop: asyncio.Event, pause: Pause
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
            wait = _retry_after(exc) or wait
            log.warning("set_webhook_retry", error_type=type(exc).__name__, wait=wait)
        await _unless_stopped(pause(wait), stop)
        wait = min(wait * 2, SET_WEBHOOK_MAX_WAIT)
    return False


#: Pauses between attempts to reach the Bot API at start-up grow to at most this.
STARTUP_MAX_WAIT: Final = 30.0


class BotApiUnreachable(Exception):
    """Start-up could not reach the Bot API within STARTUP_GIVE_UP_MINUTES."""


def api_location(settings: Settings) -> str:
    """The Bot API URL the bot calls, with the token masked: safe to show anyone."""
    return f"{settings.telegram_api_base_url}{TOKEN_MASK}"


async def _initialize(
    application: BotApplication, settings: Settings, say: Say, pause: Pause
) -> None:
    """`application.initialize()` (it calls getMe), tried again with growing pauses while the
    Bot API cannot be reached or asks to wait, one line each; a bad token fails at once."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + settings.startup_give_up_minutes * 60
    where = api_location(settings)
    gap = 1.0
    for attempt in itertools.count(1):
        try:
            await application.initialize()
        except (InvalidToken, BadRequest):
            raise  # trying again cannot help
        except (NetworkError, RetryAfter) as exc:
            reason = masked_message(exc, settings)
            left = give_up_at - loop.time()
            if left <= 0:
                raise BotApiUnreachable(
                    f"gave up after {settings.startup_give_up_minutes:g} min and "
                    f"{counted(attempt, 'attempt')}: cannot reach the Bot API at {where} "
                    f"(last error: "
                    f"{reason}); check this machine's network, DNS, firewall or proxy and "
                    "TELEGRAM_API_BASE_URL (STARTUP_GIVE_UP_MINUTES sets how long to keep trying)"
                ) from None
            wait = min(_retry_after(exc) or gap, left)
            problem = (
                f"the Bot API at {where} asks the bot to wait ({reason})"
                if isinstance(exc, RetryAfter)
                else f"cannot reach the Bot API at {where} ({reason})"
            )
            say(f"{problem}; retrying in {wait:.3g} s (attempt {attempt})")
            await pause(wait)
            gap = min(gap * 2, STARTUP_MAX_WAIT)
        else:
            if attempt > 1:
                say(f"reached the Bot API at {where} (attempt {attempt})")
            return


def _retry_after(exc: TelegramError) -> float | None:
    if not isinstance(exc, RetryAfter):
        return None
    after = exc.retry_after
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


def not_a_bot_api(exc: NotABotApi, settings: Settings) -> str:
    """The server at TELEGRAM_API_BASE_URL is not a Bot API: said with what to check, the URL
    without the token, and that the token was not checked."""
    return (
        f"the server at {api_location(settings)} is not a Bot API: {exc.message} to getMe; "
        "check the URL (Telegram's is https://api.telegram.org/bot, a self-hosted "
        "telegram-bot-api server's is http://host:port/bot); BOT_TOKEN was not checked"
    )


def masked_message(exc: TelegramError, settings: Settings) -> str:
    """What went wrong, in the library's words, never with the token."""
    return exc.message.replace(settings.token(), TOKEN_MASK) or type(exc).__name__


def _log_notice(text: str) -> None:
    log.warning("startup_notice", notice=text)


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
