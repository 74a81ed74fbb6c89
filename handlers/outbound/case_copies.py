"""Retiring a copy of a case post once Telegram has named it (moderation/review/case_copies.py).

deleteMessage first; Telegram refuses it for a message over 48 hours old, and then the copy is
edited into a pointer to the live post without buttons (a bot may edit its own messages at any
age). Each costs one message of the review chat's budget; what cannot go out now is left to
the delivery worker, which retries with backoff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import structlog
from telegram import Bot
from telegram.error import BadRequest, RetryAfter, TelegramError

from handlers.errors import is_message_gone, is_not_modified
from handlers.review_views import ReviewViews
from handlers.runtime.context import Services
from moderation.review.case_copies import CopyTask, RetiredHow, copy_retire_failed, copy_retired

log = structlog.get_logger(__name__)

#: deleteMessage's answer for a message this bot may not delete (too old, or not allowed).
_CANNOT_DELETE: Final = "message can't be deleted"


def _delete_gone(error: BadRequest) -> bool:
    return "message to delete not found" in error.message.lower()


async def retire_copy(bot: Bot, services: Services, views: ReviewViews, task: CopyTask) -> bool:
    """Deletes the copy, or edits it without buttons; False when it has to wait (retried)."""
    now = services.clock.now()
    how: RetiredHow
    try:
        try:
            await bot.delete_message(task.copy.chat_id, task.copy.message_id)
            how = "deleted"
        except BadRequest as exc:
            if _delete_gone(exc):
                how = "gone"
            elif _CANNOT_DELETE in exc.message.lower():
                how = await _edit_into_pointer(bot, views, task)
            else:
                raise
    except RetryAfter as exc:
        await services.review_budget.refund()
        await services.review_budget.pause(_seconds(exc.retry_after))
        await copy_retire_failed(services.store, task, now)
        return False
    except TelegramError as exc:
        log.warning("case_copy_retire_failed", case_id=task.case_id, error_type=type(exc).__name__)
        await copy_retire_failed(services.store, task, now)
        return False
    await copy_retired(services.store, task.copy, how, now)
    log.info("case_copy_retired", case_id=task.case_id, message_id=task.copy.message_id, how=how)
    return True


async def _edit_into_pointer(bot: Bot, views: ReviewViews, task: CopyTask) -> RetiredHow:
    text = views.copy_retired_text(task.case_id, task.live)
    try:
        await bot.edit_message_text(
            text, chat_id=task.copy.chat_id, message_id=task.copy.message_id
        )
    except BadRequest as exc:
        if is_message_gone(exc):
            return "gone"
        if not is_not_modified(exc):
            raise
    return "edited"


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
