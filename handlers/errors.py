"""The one central error handler: log first, then tell the user, never a traceback."""

from __future__ import annotations

import contextlib

import structlog
from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, TelegramError

from handlers.runtime.context import BotContext
from storage.errors import DatabaseFullError

log = structlog.get_logger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if not isinstance(update, Update):
        log_background_error(error)
        return
    if isinstance(error, DatabaseFullError):
        # Not a bug to trace: the operator has to free space; the message says so.
        log.error("database_full", update_id=update.update_id, error=str(error))
        await _tell_user(update, context, "error.storage_full")
        return
    log.error(
        "update_failed",
        update_id=update.update_id,
        error_type=type(error).__name__,
        exc_info=error,
    )
    if isinstance(error, Forbidden):
        return  # the user blocked us or we left the chat: nobody to tell
    await _tell_user(update, context)


def is_not_modified(error: BadRequest) -> bool:
    """Telegram's answer to an edit that changes nothing; the message already shows it."""
    return "message is not modified" in error.message.lower()


def is_message_gone(error: BadRequest) -> bool:
    """The message to edit was deleted (Telegram's wording varies by method)."""
    text = error.message.lower()
    return "message to edit not found" in text or "message_id_invalid" in text


def log_background_error(error: BaseException | None) -> None:
    if isinstance(error, Conflict):
        log.error(
            "telegram_conflict",
            hint="another process is receiving updates for this bot token; stop it, "
            "or only one of them will get each update",
            error_type=type(error).__name__,
        )
    elif isinstance(error, NetworkError):
        log.warning("telegram_network_error", error_type=type(error).__name__, error=str(error))
    elif isinstance(error, DatabaseFullError):
        log.error("database_full", error=str(error))
    else:
        log.error("background_error", error_type=type(error).__name__, exc_info=error)


async def _tell_user(update: Update, context: BotContext, key: str = "error.generic") -> None:
    user = update.effective_user
    language = user.language_code if user else None
    try:
        text = context.services.texts.render(language, key)
    except RuntimeError:  # the services are not attached: start-up failed
        return
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
            return
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        is_command = bool(message.text and message.text.startswith("/"))
        if chat.type == ChatType.PRIVATE or is_command:
            await message.reply_text(text)
