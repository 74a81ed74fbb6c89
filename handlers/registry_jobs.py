"""Scheduled registry work and what the bot notices itself: the daily retention purge (the
registry's old observations, and the console's and review claims' expired rows), the
observation job (getChat on confirmed violators' chats) and profile changes of violators who
message the bot."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Final

import structlog
from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ExtBot

from handlers.runtime.context import BotContext
from moderation.console.sessions import purge_expired as purge_console
from moderation.registry.observing import Profile, learn_user_id, observe_violators, record_profile
from moderation.registry.retention import purge_expired
from moderation.reporting.targets import TargetRef
from moderation.review.claims import expire_claims

log = structlog.get_logger(__name__)

#: Violators whose ids the bot knows are re-read from the database this often.
VIOLATOR_IDS_TTL: Final = 300.0


async def retention_job(context: BotContext) -> None:
    services = context.services
    retention = timedelta(days=services.settings.registry_retention_days)
    now = services.clock.now()
    purged = await purge_expired(services.store, retention, now)
    if purged:
        log.info("registry_retention_purged", observations=purged)
    # Rows anyone can make the bot write (console sign-ins, views, claims and skips) never
    # outlive their use, even when nobody signs in or is served a case for a long time.
    await purge_console(services.store, now)
    expired = await expire_claims(services.store, now)
    if expired:
        log.info("review_claims_expired", rows=expired)


class BotProfileReader:
    """getChat by id when known, else by public username; any failure reads as None."""

    def __init__(self, bot: ExtBot[None]) -> None:
        self._bot = bot
        self.rate_limited = False

    async def read(self, target: TargetRef) -> Profile | None:
        """By id first (works for chats the bot is in and users who talked to it), then by
        public username (works for public chats, but not once they have renamed)."""
        refs: list[int | str] = []
        if target.chat_id is not None:
            refs.append(target.chat_id)
        if target.username:
            refs.append(f"@{target.username}")
        for ref in refs:
            if self.rate_limited:
                return None
            try:
                chat = await self._bot.get_chat(ref)
            except RetryAfter:
                self.rate_limited = True  # stop this round; the rest stay due for the next one
                return None
            except TelegramError as exc:
                log.info("violator_chat_unreadable", error_type=type(exc).__name__)
                continue
            return Profile(chat.username, chat.title or chat.full_name or None)
        return None


async def observe_job(context: BotContext) -> None:
    services = context.services
    settings = services.settings
    if services.cipher is None:
        log.error("registry_keys_missing", hint="set ENCRYPTION_KEY and BLIND_INDEX_KEY")
        return
    summary = await observe_violators(
        services.store,
        services.cipher,
        BotProfileReader(context.bot),
        services.clock.now(),
        interval=timedelta(hours=settings.registry_observe_hours),
        limit=settings.registry_observe_batch,
    )
    if summary.read or summary.unreadable:
        log.info(
            "violators_observed",
            read=summary.read,
            unreadable=summary.unreadable,
            changes=summary.changes,
        )


class ViolatorIds:
    """Confirmed violators by Telegram id (and, for those reported by @username only, by
    username), so a message from anyone else costs no query."""

    def __init__(self) -> None:
        self._ids: dict[int, int] = {}
        self._usernames: dict[str, int] = {}
        self._loaded_at = float("-inf")

    def forget(self) -> None:
        self._loaded_at = float("-inf")

    async def _load(self, context: BotContext) -> None:
        if time.monotonic() - self._loaded_at <= VIOLATOR_IDS_TTL:
            return
        async with context.services.store.reading() as uow:
            self._ids = dict(await uow.registry.ids_with_telegram_ids())
            self._usernames = dict(await uow.registry.usernames_without_ids())
        self._loaded_at = time.monotonic()

    async def violator_of(self, context: BotContext, telegram_id: int) -> int | None:
        await self._load(context)
        return self._ids.get(telegram_id)

    async def by_username(self, context: BotContext, username: str | None) -> int | None:
        await self._load(context)
        return self._usernames.get(username.lower()) if username else None


async def notice_profile(update: Update, context: BotContext) -> None:
    """Runs before every other handler: a confirmed violator's changed names are recorded."""
    user = update.effective_user
    services = context.services
    if user is None or user.is_bot or services.cipher is None:
        return
    violator_id = await services.violator_ids.violator_of(context, user.id)
    if violator_id is None:
        if await services.violator_ids.by_username(context, user.username) is None:
            return
        assert user.username is not None
        await learn_user_id(
            services.store, user.username.lower(), user.id, user.full_name, services.clock.now()
        )
        services.violator_ids.forget()
        violator_id = await services.violator_ids.violator_of(context, user.id)
        if violator_id is None:
            return
    changes = await record_profile(
        services.store,
        services.cipher,
        violator_id,
        Profile(user.username, user.full_name),
        services.clock.now(),
    )
    if changes:
        log.info("violator_profile_changed", changes=changes)
