"""Editing a case message in the review chat, by a button's handler or the delivery worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from handlers.runtime.answer_watch import watch_answers
from handlers.runtime.context import Services
from moderation.review.delivery import recheck_post


@asynccontextmanager
async def case_message_edit(services: Services, case_id: int) -> AsyncIterator[None]:
    """Holds the case message's lock around an edit and recording what it shows. An edit whose
    answer was lost on the way (even one a retry then made) may be applied by Telegram later,
    after a newer edit: the message is then edited once more after CASE_EDIT_RECHECK_SECONDS."""
    async with services.case_messages.hold(case_id):
        with watch_answers() as watch:
            try:
                yield
            finally:
                if watch.lost:
                    later = timedelta(seconds=services.settings.case_edit_recheck_seconds)
                    await recheck_post(services.store, case_id, services.clock.now() + later)
