"""Builds the Application and registers every handler: the one place to start reading.

Handler groups run in order; within a group the first matching handler wins.
  group 0: commands and messages, each handler scoped by chat type at the door.
  errors:  one central handler (handlers.errors.on_error) logs, then tells the user.
Updates are processed concurrently across senders and in order per sender
(bot.update_processor). post_init opens and migrates the database and registers the command
menus; post_shutdown closes the database.
"""

from __future__ import annotations

from typing import Any, Final, cast

import structlog
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    filters,
)

from bot.context import BotApplication, BotContext, BotData, Services
from bot.menus import register_menus
from bot.settings import Settings
from bot.update_processor import OrderedPerSenderProcessor
from handlers import errors, membership, start
from handlers.i18n import Catalog, default_catalog
from moderation.clock import Clock, SystemClock
from storage import Store

log = structlog.get_logger(__name__)

#: Update types the bot asks Telegram for; anything else is never delivered.
ALLOWED_UPDATES: Final = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    texts: Catalog | None = None,
    rate_limiter: bool | None = None,
) -> BotApplication:
    """Wires a ready-to-run Application; nothing touches the network or disk until it starts."""
    catalog = texts or default_catalog()
    the_clock = clock or SystemClock()
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.api_file_url)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .concurrent_updates(OrderedPerSenderProcessor(settings.max_concurrent_updates))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                # Link previews would unfurl reported content in front of moderators.
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init_factory(settings, catalog, the_clock))
        .post_shutdown(_post_shutdown)
    )
    use_limiter = settings.rate_limiter_enabled if rate_limiter is None else rate_limiter
    if use_limiter:
        limiter = AIORateLimiter(max_retries=settings.rate_limiter_max_retries)
        # Handlers never pass rate_limit_args, so the bot's type parameter stays None.
        builder = builder.rate_limiter(cast("BaseRateLimiter[None]", limiter))
    application: BotApplication = builder.build()
    register_handlers(application)
    return application


def register_handlers(application: BotApplication) -> None:
    private = filters.ChatType.PRIVATE

    # --- everyone, private chat -------------------------------------------------------
    application.add_handler(CommandHandler("start", start.start, filters=private))
    # --- everyone, any chat (in groups /help points to the private chat) -------------
    application.add_handler(CommandHandler("help", start.help_command))

    # --- the bot's own membership (added to / removed from groups) ---------------------
    application.add_handler(
        ChatMemberHandler(membership.bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )

    application.add_error_handler(errors.on_error)


def _post_init_factory(settings: Settings, texts: Catalog, clock: Clock) -> Any:
    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        store = await Store.open(settings.database_path)
        bot_data: BotData = application.bot_data
        bot_data.attach(
            Services(
                settings=settings, store=store, texts=texts, clock=clock, started_at=clock.now()
            )
        )
        await register_menus(application.bot, settings, texts)
        log.info("bot_ready", bot_username=application.bot.username)

    return post_init


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    bot_data: BotData = application.bot_data
    services = bot_data.detach()
    if services is not None:
        await services.store.close()
