"""Scheduled registry work: the daily retention purge."""

from __future__ import annotations

from datetime import timedelta

import structlog

from bot.context import BotContext
from moderation.retention import purge_expired

log = structlog.get_logger(__name__)


async def retention_job(context: BotContext) -> None:
    services = context.services
    retention = timedelta(days=services.settings.registry_retention_days)
    purged = await purge_expired(services.store, retention, services.clock.now())
    if purged:
        log.info("registry_retention_purged", observations=purged)
