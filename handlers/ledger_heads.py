"""The periodic signed ledger head (moderation/legal/ledger_heads.py), run by the job queue on
the instance holding the `jobs` lease: queued in the outbox for every legal officer when the
ledger moved and LEDGER_HEAD_EVERY_HOURS have passed; the delivery worker sends it."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import structlog

from handlers.runtime.context import BotContext
from moderation.legal.ledger_heads import queue_periodic_head

log = structlog.get_logger(__name__)

#: How often the job looks whether a head is owed (one read when none is).
CHECK_EVERY_SECONDS: Final = 900


async def ledger_head_job(context: BotContext) -> None:
    services = context.services
    hours = services.settings.ledger_head_every_hours
    if hours == 0 or services.ledger is None:
        return
    queued = await queue_periodic_head(
        services.store,
        services.ledger.keys,
        services.settings.legal_policy.bootstrap_legal,
        timedelta(hours=hours),
        services.clock.now(),
    )
    if queued is None:
        return
    log.info("ledger_head_queued", seq=queued.head.seq, officers=queued.officers)
    if queued.behind is not None:
        log.error(
            "ledger_went_back",
            previous_seq=queued.behind,
            seq=queued.head.seq,
            hint="the ledger no longer holds the last periodic head: run report-bot ledger "
            "verify with the officers' heads",
        )
