"""Appeal posts in the review chat: few, and someone waits on each, so they skip the reserve.

A deleted appeal message is not posted again: the appeal is decided from the case's post too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from telegram.error import TelegramError

from handlers.appeal_views import AppealViews
from handlers.outbound.case_posts import review_views
from handlers.outbound.review_poster import Accepted, ReviewPoster
from handlers.runtime.context import BotApplication, Services
from moderation.review.appeals import (
    AppealView,
    appeal_post_failed,
    appeal_posted,
    appeal_shown,
    appeal_view,
    due_appeal_posts,
)
from moderation.review.delivery import backoff
from moderation.review.types import PostTask

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AppealPost:
    application: BotApplication
    services: Services
    task: PostTask
    chat_id: int
    view: AppealView
    views: AppealViews
    now: datetime
    kind: str = "appeal"

    @property
    def subject_id(self) -> int:
        return self.task.case_id  # the appeal's id

    @property
    def message_id(self) -> int | None:
        return self.task.message_id

    async def send(self) -> Accepted:
        sent = await self.application.bot.send_message(
            self.chat_id,
            self.views.text(self.view),
            reply_markup=self.views.keyboard(self.view),
            message_thread_id=self.services.settings.review_thread_id,
        )
        return Accepted(self.task, self.chat_id, sent.message_id)

    async def record_sent(self, accepted: Accepted) -> None:
        await appeal_posted(
            self.services.store, accepted.task, accepted.chat_id, accepted.message_id, self.now
        )

    def editing(self) -> AbstractAsyncContextManager[object]:
        return contextlib.nullcontext()

    async def edit(self) -> None:
        await self.application.bot.edit_message_text(
            self.views.text(self.view),
            chat_id=self.task.chat_id or self.chat_id,
            message_id=self.task.message_id,
            reply_markup=self.views.keyboard(self.view),
        )

    async def record_shown(self) -> None:
        await appeal_shown(
            self.services.store, self.task.case_id, self.view.appeal.version, self.now
        )

    async def gone(self) -> bool:
        await self.record_shown()
        return True

    async def throttled(self, wait: timedelta) -> None:
        await appeal_post_failed(self.services.store, self.task, "retry_after", self.now + wait)


async def post_appeals(
    poster: ReviewPoster,
    application: BotApplication,
    services: Services,
    chat_id: int,
    stopping: Callable[[], bool],
) -> None:
    now = services.clock.now()
    for task in await due_appeal_posts(services.store, now):
        if stopping():
            return
        view = await appeal_view(services.store, task.case_id)
        await services.review_budget.pace()
        if view is None or not await services.review_budget.try_spend():
            return
        views = AppealViews(review_views(application, services))
        post = AppealPost(application, services, task, chat_id, view, views, now)
        try:
            if not await poster.publish(post, services.review_budget):
                return
        except TelegramError as exc:
            log.warning("appeal_post_failed", appeal_id=task.case_id, error=str(exc)[:100])
            retry_at = now + backoff(task.attempts)
            await appeal_post_failed(services.store, task, type(exc).__name__, retry_at)
            return
