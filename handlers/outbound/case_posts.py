"""Case posts in the review chat: what a case's message adds to any versioned post.

A send is written down as begun first, so a kill before it is recorded leaves a copy the next
post says may be above it (migration 0019); a deleted case message is posted again, once; an
edit holds the case message's lock (handlers/outbound/case_edits.py); the Undo button shows
when its window ends, and the post is redrawn then.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog
from telegram import InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from handlers.outbound.case_edits import case_message_edit
from handlers.outbound.review_poster import Accepted, ReviewPoster
from handlers.review_views import ReviewViews, build_review_views
from handlers.runtime.answer_watch import watch_answers
from handlers.runtime.context import BotApplication, Services
from moderation.review.case_copies import PostRef, lost_race
from moderation.review.decisions import case_view
from moderation.review.delivery import (
    mark_lost,
    mark_shown,
    post_failed,
    record_post,
    review_chat_moved,
    send_begun,
    send_refused,
)
from moderation.review.menus import close_menu, menu_shown
from moderation.review.types import CaseView, Menu, PostTask
from moderation.review.undo_window import undo_open_until

log = structlog.get_logger(__name__)


def review_views(application: BotApplication, services: Services) -> ReviewViews:
    return build_review_views(
        services.texts, services.settings.report_categories, application.bot.username
    )


@dataclass(frozen=True, slots=True)
class CasePost:
    poster: ReviewPoster
    application: BotApplication
    services: Services
    task: PostTask
    chat_id: int
    view: CaseView
    text: str
    keyboard: InlineKeyboardMarkup | None
    undo_until: datetime | None  # the end of the undo window the Undo button shows, if any
    now: datetime
    wake: Callable[[], None]
    kind: str = "case"
    menu: Menu = Menu.MAIN  # the menu `text` and `keyboard` show (moderation/review/menus.py)

    @property
    def subject_id(self) -> int:
        return self.task.case_id

    @property
    def message_id(self) -> int | None:
        return self.task.message_id

    async def send(self) -> Accepted:
        services, task = self.services, self.task
        await send_begun(services.store, task.case_id, services.clock.now())
        log.debug("case_post_sending", case_id=task.case_id, instance=services.presence.id)
        with watch_answers() as watch:
            try:
                sent = await self.application.bot.send_message(
                    self.chat_id,
                    self.text,
                    reply_markup=self.keyboard,
                    message_thread_id=services.settings.review_thread_id,
                )
            except TelegramError as exc:
                if not watch.lost and _refused(exc):
                    await send_refused(services.store, task.case_id)
                raise
        return Accepted(task, self.chat_id, sent.message_id, watch.lost)

    async def record_sent(self, accepted: Accepted) -> None:
        task, post = accepted.task, PostRef(accepted.chat_id, accepted.message_id)
        store = self.services.store
        recorded = await record_post(
            store,
            task,
            post.chat_id,
            post.message_id,
            self.now,
            lost=accepted.lost,
            redraw_at=self.undo_until,
        )
        if recorded or task.message_id is not None:
            log.info("case_posted", case_id=task.case_id, message_id=post.message_id)
            return
        # A moderator pressed an unrecorded earlier post meanwhile and it became the case's
        # post: this one is the copy now, and goes at once.
        log.info("case_post_superseded", case_id=task.case_id, message_id=post.message_id)
        await lost_race(store, task.case_id, post, self.now)
        self.wake()

    def editing(self) -> AbstractAsyncContextManager[object]:
        return case_message_edit(self.services, self.task.case_id)

    async def edit(self) -> None:
        await self.application.bot.edit_message_text(
            self.text,
            chat_id=self.task.chat_id or self.chat_id,
            message_id=self.task.message_id,
            reply_markup=self.keyboard,
        )

    async def record_shown(self) -> None:
        assert self.task.message_id is not None  # only an edited post is shown
        await mark_shown(
            self.services.store,
            self.task.case_id,
            self.task.message_id,
            self.view.version,
            self.now,
            redraw_at=self.undo_until,
            menu=self.menu,
        )

    async def gone(self) -> bool:
        """Someone deleted the case message: the case is posted again, once."""
        task = self.task
        log.warning("case_message_gone", case_id=task.case_id, message_id=task.message_id)
        views = review_views(self.application, self.services)
        await close_menu(self.services.store, task.case_id)  # the new post opens without
        again = replace(
            self,
            text=views.case_text(self.view),
            keyboard=views.keyboard(self.view, undo_until=self.undo_until),
            menu=Menu.MAIN,
        )
        try:
            accepted = await self.poster.sent_once(again)
        except TelegramError as exc:
            log.warning("case_repost_failed", case_id=task.case_id, error_type=type(exc).__name__)
            await mark_lost(self.services.store, task, self.services.clock.now())
            self.wake()  # the next pass posts it afresh
            return not isinstance(exc, RetryAfter | Forbidden | ChatMigrated)
        await self.poster.record(again, accepted)
        return True

    async def throttled(self, wait: timedelta) -> None:
        await post_failed(self.services.store, self.task, "retry_after", self.now, wait)


async def post_case(
    poster: ReviewPoster,
    application: BotApplication,
    services: Services,
    task: PostTask,
    chat_id: int,
    wake: Callable[[], None],
) -> bool:
    """Posts or edits one case message; False when the chat cannot take more right now."""
    view = await case_view(services.store, task.case_id)
    if view is None:
        return True
    settings = services.settings
    views = review_views(application, services)
    now = services.clock.now()
    undo_until = undo_open_until(view, now, settings.undo_window)
    menu = await menu_shown(services.store, view, now)  # text and buttons: the same, or none
    post = CasePost(
        poster,
        application,
        services,
        task,
        chat_id,
        view,
        views.case_text(view, menu),
        views.keyboard(view, menu, undo_until=undo_until),
        undo_until,
        now,
        wake,
        menu=menu,
    )
    try:
        return await poster.publish(post, services.review_budget)
    except ChatMigrated as exc:
        configured = settings.review_chat_id
        if configured is not None:
            await review_chat_moved(
                services.store, configured, chat_id, exc.new_chat_id, services.clock.now()
            )
        log.warning("review_chat_migrated", new_chat_id=exc.new_chat_id)
        wake()
        return False
    except Forbidden as exc:
        log.error(
            "review_chat_unreachable",
            hint="add the bot to the review chat with the right to post; cases stay queued",
            error=exc.message,
        )
        await post_failed(services.store, task, exc.message, now)
        return False
    except TelegramError as exc:
        log.warning("case_post_failed", case_id=task.case_id, error_type=type(exc).__name__)
        await post_failed(services.store, task, f"{type(exc).__name__}: {exc}", now)
    return True


def _refused(error: TelegramError) -> bool:
    """Telegram answered the call with a refusal (4xx): it was not applied. A timeout, a
    dropped connection or a 5xx may have been (PTB raises NetworkError for those)."""
    return isinstance(error, BadRequest) or not isinstance(error, NetworkError)
