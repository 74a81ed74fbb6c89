"""The review chat's digest: one message saying how big the backlog is when posting would take
longer than a few minutes, and how many severe cases wait too long."""

from __future__ import annotations

import structlog
from telegram.error import BadRequest, RetryAfter, TelegramError

from handlers.console_entry import with_console
from handlers.errors import is_message_gone, is_not_modified
from handlers.outbound.case_posts import review_views
from handlers.outbound.review_poster import throttle
from handlers.runtime.context import BotApplication, Services
from moderation.review.delivery import (
    backlog_size,
    current_digest,
    digest_cleared,
    digest_due,
    digest_shown,
)
from moderation.review.severe_waits import Overdue

log = structlog.get_logger(__name__)


async def keep_digest(
    application: BotApplication,
    services: Services,
    chat_id: int,
    reserve: int,
    overdue: Overdue,
) -> None:
    """One message tells the chat how big the backlog is when posting would take longer
    than a few minutes, and how many severe cases wait too long; it is refreshed now and
    then and cleared when both are."""
    settings = services.settings
    budget = services.review_budget
    threshold = (budget.per_minute - reserve) * settings.backlog_digest_minutes
    backlog = await backlog_size(services.store)
    digest = await current_digest(services.store)
    now = services.clock.now()
    if digest is not None and digest.chat_id != chat_id:
        digest = None  # the chat moved: the old digest is in a chat nobody reads
    action = digest_due(digest, backlog, threshold, now, overdue.count)
    if action is None:
        return
    await budget.pace()
    if not await budget.try_spend(0):
        return
    views = review_views(application, services)
    bot = application.bot
    minutes = settings.sla_severe_pending_minutes
    current = views.digest_text(backlog, budget.per_minute - reserve, overdue, minutes)
    # The console works the backlog without this chat's budget: a link to it on the digest.
    keyboard = with_console(
        None, settings.console, services.texts, None, private=False, bot=bot.username
    )
    try:
        if action == "post":
            sent = await bot.send_message(
                chat_id,
                current,
                message_thread_id=settings.review_thread_id,
                reply_markup=keyboard,
            )
            await digest_shown(
                services.store,
                chat_id,
                sent.message_id,
                backlog,
                now,
                new=True,
                severe=overdue.count,
            )
            log.warning(
                "review_backlog", backlog=backlog, threshold=threshold, severe=overdue.count
            )
        elif digest is not None:
            text = current if action == "refresh" else views.digest_cleared_text()
            try:
                await bot.edit_message_text(
                    text,
                    chat_id=digest.chat_id,
                    message_id=digest.message_id,
                    reply_markup=keyboard if action == "refresh" else None,
                )
            except BadRequest as exc:
                if not (is_not_modified(exc) or is_message_gone(exc)):
                    raise
            if action == "refresh":
                await digest_shown(
                    services.store,
                    chat_id,
                    digest.message_id,
                    backlog,
                    now,
                    new=False,
                    severe=overdue.count,
                )
            else:
                await digest_cleared(services.store, digest, now)
    except RetryAfter as exc:
        await throttle(budget, exc)
    except TelegramError as exc:
        log.warning("digest_failed", error_type=type(exc).__name__)
