"""Scheduled review work: provisional hiding that waited (PROVISIONAL_HIDE_AFTER_MINUTES) is
applied once a case's wait is over, on the leading instance, and the case's post redrawn."""

from __future__ import annotations

from typing import Final

import structlog

from handlers.runtime.context import BotContext
from moderation.review.case_rules import hide_waited

log = structlog.get_logger(__name__)

#: How often due provisional hidings are looked for: a hide comes at most this late.
PROVISIONAL_WAIT_EVERY_SECONDS: Final = 60


async def provisional_wait_job(context: BotContext) -> None:
    services = context.services
    hidden = await hide_waited(services.store, services.settings.case_policy, services.clock.now())
    if hidden:
        log.info("provisional_hiding_after_wait", cases=hidden)
        services.delivery.wake()  # the case posts say since when the target is hidden
