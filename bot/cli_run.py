"""`report-bot run` once its settings are checked and the instance lock is held: build the
Application, serve until a signal, and answer each way the start can fail with its exit code.

bot/cli.py imports this only when the bot is run: it brings in telegram, aiohttp and every
handler, which no other command needs and each of them would otherwise pay for at start-up.
"""

from __future__ import annotations

import asyncio

from telegram.error import InvalidToken, TelegramError

from bot.app import build_application
from bot.cli_kit import Exits
from bot.console_server import ConsoleSetupError
from bot.runner import (
    BotApiUnreachable,
    api_location,
    masked_message,
    not_a_bot_api,
    serve,
    stop_on_signals,
)
from bot.settings import Settings
from bot.transport import NotABotApi
from bot.webhook_server import WebhookSetupError
from handlers.runtime.metrics import MetricsServerError
from handlers.runtime.presence import AnotherPoller
from storage import DatabaseTooNewError, MigrationError, StorageError


async def run_until_stopped(exits: Exits, settings: Settings, *, rate_limiter: bool | None) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop)
    application = build_application(settings, rate_limiter=rate_limiter)
    try:
        await serve(application, settings, stop, say=exits.err)
    except BotApiUnreachable as exc:
        exits.err(str(exc))
        return exits.failed
    except NotABotApi as exc:  # before TelegramError: the URL is wrong, the token unchecked
        exits.err(f"configuration: TELEGRAM_API_BASE_URL: {not_a_bot_api(exc, settings)}")
        return exits.usage
    except InvalidToken as exc:  # Telegram's own answer: 401 Unauthorized, or 404 Not Found
        exits.err(
            f"configuration: BOT_TOKEN: the Bot API at {api_location(settings)} rejected this "
            f"token ({masked_message(_telegrams_words(exc), settings)}); check it with "
            "@BotFather (/mybots -> API Token)"
        )
        return exits.usage
    except (ConsoleSetupError, MetricsServerError, WebhookSetupError) as exc:
        exits.err(f"configuration: {exc}")
        return exits.usage
    except AnotherPoller as exc:
        exits.err(f"not started: {exc}")
        return exits.failed
    except (DatabaseTooNewError, MigrationError, StorageError) as exc:
        exits.err(f"database: {exc}")
        return exits.failed
    except TelegramError as exc:  # anything else the Bot API refused while starting
        exits.err(
            f"the Bot API at {api_location(settings)} refused to start the bot: "
            f"{masked_message(exc, settings)}; check TELEGRAM_API_BASE_URL"
        )
        return exits.failed
    return exits.ok


def _telegrams_words(exc: InvalidToken) -> TelegramError:
    """The error with Telegram's own words ("Unauthorized", "Not Found"): PTB's initialize
    raises a new one naming the token instead, from the one getMe raised."""
    cause = exc.__cause__
    return cause if isinstance(cause, TelegramError) else exc
