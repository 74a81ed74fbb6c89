"""Builds the Application and registers every handler: the one place to start reading.

Handler groups run in order; within a group the first matching handler wins.
  group 0: commands and messages, each handler scoped by chat type at the door; every command
           and button handler here answers only after the access gate let the sender through
           (handlers.runtime.gate, from the table in handlers/runtime/permissions.py).
  group 1: /start from staff also sets their role's command menu (handlers.runtime.menus).
  errors:  one central handler (handlers.errors.on_error) logs, then tells the user.
Updates are processed concurrently across senders and in order per sender
(bot.update_processor). post_init opens and migrates the database and registers the command
menus (and serves the metrics when METRICS_PORT is set); post_stop, once every in-flight
update has been handled, lets the delivery worker finish its pass; post_shutdown closes the
metrics server and the database. Every handler's callback is timed for the metrics.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Final, cast

import structlog
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.settings import Settings
from bot.stores import opened_store
from bot.transport import AiohttpRequest, Pause
from bot.update_journal import JournalingRequest, UpdateJournal, replayed
from bot.update_processor import OrderedPerSenderProcessor
from handlers import (
    appeal,
    buttons,
    errors,
    health,
    ledger_heads,
    legal,
    legal_registration,
    membership,
    private_review,
    registry_jobs,
    report,
    review,
    review_chat,
    review_jobs,
    roles,
    start,
    stats,
    transparency,
)
from handlers.callback_data import (
    APPEAL_PREFIX,
    PRIVATE_REVIEW_PREFIX,
    REPORT_PREFIX,
    REVIEW_PREFIX,
)
from handlers.i18n import Catalog, default_catalog
from handlers.outbound.delivery_worker import DeliveryWorker
from handlers.runtime.access import ChatAdminCache
from handlers.runtime.chat_budget import ChatBudget
from handlers.runtime.chat_pacer import ChatPacer
from handlers.runtime.context import BotApplication, BotContext, BotData, Services
from handlers.runtime.gate import guard
from handlers.runtime.jobs import on_the_leader
from handlers.runtime.menus import register_menus, register_staff_menus
from handlers.runtime.metrics import BotMetrics, instrument_handlers, package_version
from handlers.runtime.presence import Presence
from handlers.runtime.telegram_health import TelegramHealth
from moderation.clock import Clock, SystemClock
from moderation.instances import Mode
from storage import Store
from storage.location import SqliteLocation

log = structlog.get_logger(__name__)

#: How often idle guided reports are looked for (they time out after minutes, not seconds).
DRAFT_SWEEP_SECONDS: Final = 30

#: How often the observation job looks for violators due to be re-read (each run reads a batch).
OBSERVE_EVERY_SECONDS: Final = 600

#: Staff commands that may be given in a private chat; they do not touch a report in progress,
#: which is then put on hold and said so after their answer (`report.note_open_report`).
STAFF_COMMANDS: Final = (
    "legal",
    "lookup",
    "transparency",
    "stats",
    "health",
    "grant",
    "revoke",
    "roles",
    "block",
    "unblock",
    "queue",
    "review",
)

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
    pause: Pause = asyncio.sleep,
) -> BotApplication:
    """Wires a ready-to-run Application; nothing touches the network or disk until it starts.
    `pause` waits between the attempts of a Bot API call that failed in passing."""
    catalog = texts or default_catalog()
    the_clock = clock or SystemClock()
    telegram = TelegramHealth(the_clock.now)
    metrics = BotMetrics(telegram)
    journal = UpdateJournal()
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.api_file_url)
        # A call that failed in passing (5xx, dropped connection, timeout) is made again.
        .request(AiohttpRequest(health=telegram, retries=3, pause=pause))
        # Each batch of updates is kept in the database before Telegram can be told it
        # arrived, and released once handled (bot.update_journal: no update lost to a crash).
        .get_updates_request(
            JournalingRequest(AiohttpRequest(connection_pool_size=1, health=telegram), journal)
        )
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .concurrent_updates(OrderedPerSenderProcessor(settings.max_concurrent_updates, journal))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                # Link previews would unfurl reported content in front of moderators.
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init_factory(settings, catalog, the_clock, telegram, metrics))
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    use_limiter = settings.rate_limiter_enabled if rate_limiter is None else rate_limiter
    if use_limiter:
        limiter = AIORateLimiter(max_retries=settings.rate_limiter_max_retries)
        # Handlers never pass rate_limit_args, so the bot's type parameter stays None.
        builder = builder.rate_limiter(cast("BaseRateLimiter[None]", limiter))
    application: BotApplication = builder.build()
    register_handlers(application)
    guard(application)  # who may: the access table, before every command and button handler
    instrument_handlers(application, metrics)
    return application


def register_handlers(application: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS

    # --- group -1, before everything: a confirmed violator's changed profile is recorded ---
    application.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE, registry_jobs.notice_profile),
        group=-1,
    )

    # --- legal officers, private chat: /legal, /lookup; the guided registration's answers
    # are taken in group -3, before anything else sees them ----------------------------
    legal_handlers = legal.LegalHandlers()
    application.add_handler(
        MessageHandler(
            private & legal_handlers.registration.drafts,
            legal_handlers.registration.draft_step,
        ),
        group=-3,
    )
    # --- reviewers, private chat: the explanation of an "other" rejection made there is
    # their next text message, taken in group -2 before the reporting flow sees it ---------
    application.add_handler(
        MessageHandler(
            private & filters.TEXT & ~filters.FORWARDED & filters.UpdateType.MESSAGE,
            private_review.explanation_message,
        ),
        group=-2,
    )
    application.add_handler(CommandHandler("legal", legal_handlers.command, filters=private))
    application.add_handler(
        CommandHandler("lookup", legal_handlers.lookup_command, filters=private)
    )
    # admins (private or review chat) and legal officers (private): the transparency report
    application.add_handler(CommandHandler("transparency", transparency.transparency_command))
    # admins, private chat or the review chat: /stats [24h|7d|30d|all]
    application.add_handler(CommandHandler("stats", stats.stats_command))
    # admins (private or review chat): uptime, queue, last Telegram error
    application.add_handler(CommandHandler("health", health.health_command))

    # --- running the team, private chat or the review chat (ignored in other groups):
    # admins grant, revoke and list roles; admins and moderators block and unblock reporters
    application.add_handler(CommandHandler("grant", roles.grant_command))
    application.add_handler(CommandHandler("revoke", roles.revoke_command))
    application.add_handler(CommandHandler("roles", roles.roles_command))
    application.add_handler(CommandHandler("block", roles.block_command))
    application.add_handler(CommandHandler("unblock", roles.unblock_command))
    # group 2, after a staff command has answered in a private chat: a report its sender
    # has open is put on hold and said so (the reporters' commands say it in their answer)
    application.add_handler(
        CommandHandler(STAFF_COMMANDS, report.note_open_report, filters=private), group=2
    )
    # group 1, after /start has answered: staff who had never opened the chat get their menu
    application.add_handler(
        CommandHandler("start", roles.staff_menu_on_start, filters=private), group=1
    )

    # --- everyone, private chat: start, help and the reporting flow ---------------------
    application.add_handler(CommandHandler("start", start.start, filters=private))
    application.add_handler(CommandHandler("report", report.report_command, filters=private))
    application.add_handler(CommandHandler("cancel", report.cancel_command, filters=private))
    application.add_handler(CommandHandler("skip", report.skip_command, filters=private))
    application.add_handler(CommandHandler("myreports", report.my_reports_command, filters=private))
    application.add_handler(CommandHandler("notify", report.notify_command, filters=private))
    application.add_handler(CommandHandler("appeal", appeal.appeal_command, filters=private))
    application.add_handler(
        CallbackQueryHandler(report.report_button, pattern=f"^{REPORT_PREFIX}:")
    )
    # --- moderators, review chat: case buttons -------------------------------------------
    application.add_handler(
        CallbackQueryHandler(review.review_button, pattern=f"^{REVIEW_PREFIX}:")
    )
    application.add_handler(CommandHandler("queue", review_chat.queue_command))
    # --- moderators, private chat: cases one at a time (/review, /review stop) -----------
    application.add_handler(
        CommandHandler("review", private_review.review_command, filters=private)
    )
    application.add_handler(
        CallbackQueryHandler(
            private_review.private_review_button, pattern=f"^{PRIVATE_REVIEW_PREFIX}:"
        )
    )
    application.add_handler(
        CallbackQueryHandler(appeal.appeal_button, pattern=f"^{APPEAL_PREFIX}:")
    )
    application.add_handler(CommandHandler("reject", review_chat.reject_reply, filters=groups))
    application.add_handler(CommandHandler("escalate", review_chat.escalate_reply, filters=groups))
    application.add_handler(
        MessageHandler(
            groups & filters.REPLY & filters.TEXT & ~filters.COMMAND, review_chat.note_reply
        )
    )
    # --- everyone, any chat (in groups /help and /report point to the private chat) ------
    application.add_handler(CommandHandler("help", start.help_command))
    application.add_handler(CommandHandler("report", report.report_in_group, filters=groups))

    # --- the bot's own membership (added to / removed from groups) ---------------------
    application.add_handler(
        ChatMemberHandler(membership.bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )

    # --- any callback data none of the patterns above matched: refused and logged ---------
    application.add_handler(CallbackQueryHandler(buttons.foreign_button))

    # --- last: anything else in a private chat (answers in a report, links, forwards) ---
    application.add_handler(MessageHandler(private & filters.COMMAND, report.unknown_command))
    application.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            report.private_message,
        )
    )

    application.add_error_handler(errors.on_error)


def schedule_jobs(application: BotApplication) -> None:
    """Periodic work, each on the leading instance only: timing out idle reports and legal
    drafts, pruning redelivery marks, provisional hiding whose wait is over
    (PROVISIONAL_HIDE_AFTER_MINUTES), the registry's retention purge (with the console's and
    the review claims' expired rows) and observation, and the signed ledger head owed to the
    legal officers (LEDGER_HEAD_EVERY_HOURS; 0: never)."""
    jobs = application.job_queue
    if jobs is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot[job-queue] is required")
    every = jobs.run_repeating
    every(on_the_leader(report.expire_job), DRAFT_SWEEP_SECONDS, first=5, name="drafts")
    every(
        on_the_leader(legal_registration.expire_drafts_job),
        DRAFT_SWEEP_SECONDS,
        first=5,
        name="legal_drafts",
    )
    every(on_the_leader(report.forget_updates_job), 3600, first=60, name="updates")
    every(on_the_leader(registry_jobs.retention_job), 86400, first=300, name="retention")
    every(on_the_leader(registry_jobs.observe_job), OBSERVE_EVERY_SECONDS, first=60, name="observe")
    every(
        on_the_leader(review_jobs.provisional_wait_job),
        review_jobs.PROVISIONAL_WAIT_EVERY_SECONDS,
        first=30,
        name="provisional_wait",
    )
    every(
        on_the_leader(ledger_heads.ledger_head_job),
        ledger_heads.CHECK_EVERY_SECONDS,
        first=120,
        name="ledger_head",
    )


def _post_init_factory(
    settings: Settings,
    texts: Catalog,
    clock: Clock,
    telegram: TelegramHealth,
    metrics: BotMetrics,
) -> Any:
    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        # Before anything reads a sealed value (the journal's replay first of all).
        store = await opened_store(settings)
        store.serve_bot(settings.bot_id())  # the journal and redelivery marks are this bot's
        presence = Presence(
            store,
            clock,
            Mode.WEBHOOK if settings.webhook_url else Mode.POLLING,
            package_version(),
            alone=isinstance(settings.database, SqliteLocation),  # the lock file made sure
            lease_term=timedelta(seconds=settings.jobs_lease_seconds),
        )
        try:
            await presence.start()
        except BaseException:
            await store.close()
            raise
        worker = DeliveryWorker()
        for_handlers = settings.for_handlers()  # every policy built once, here
        bot_data: BotData = application.bot_data
        bot_data.attach(
            Services(
                settings=for_handlers,
                store=store,
                texts=texts,
                clock=clock,
                started_at=clock.now(),
                admins=ChatAdminCache(settings.chat_admin_cache_seconds),
                delivery=worker,
                # On the bot's clock, so tests that move time also refill the budget.
                review_budget=ChatBudget(
                    store,
                    settings.review_messages_per_minute,
                    lambda: clock.now().timestamp(),
                    min_gap=settings.review_message_gap_seconds,
                ),
                cipher=settings.cipher() if settings.encryption_key else None,
                ledger=settings.ledger() if settings.ledger_key else None,
                violator_ids=registry_jobs.ViolatorIds(),
                telegram=telegram,
                metrics=metrics,
                presence=presence,
                private_pacer=ChatPacer(settings.private_message_gap_seconds),
            )
        )
        if settings.metrics_port is not None:
            await metrics.serve(store, settings.metrics_listen, settings.metrics_port)
        await register_menus(application.bot, for_handlers, texts)
        await register_staff_menus(application.bot, store, for_handlers, texts)
        await _open_journal(application, store, settings, clock)
        schedule_jobs(application)
        worker.start(application)
        log.info("bot_ready", bot_username=application.bot.username)

    return post_init


def _journal_of(application: Application[Any, Any, Any, Any, Any, Any]) -> UpdateJournal | None:
    processor = application.update_processor
    return processor.journal if isinstance(processor, OrderedPerSenderProcessor) else None


async def _open_journal(
    application: Application[Any, Any, Any, Any, Any, Any],
    store: Store,
    settings: Settings,
    clock: Clock,
) -> None:
    """Updates a previous run took but never handled are queued first (before polling)."""
    journal = _journal_of(application)
    if journal is None:
        return
    await journal.open(store, settings.cipher() if settings.encryption_key else None, clock)
    if settings.webhook_url:
        # The instances' dispatchers claim what is left (bot.update_dispatcher).
        await journal.adopt_leftovers()
        return
    for update in replayed(await journal.replay(), application.bot):
        await application.update_queue.put(update)


async def _post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every update taken has been handled: the worker ends its pass (outcomes recorded)
    while the bot can still send."""
    bot_data: BotData = application.bot_data
    try:
        services = bot_data.services
    except RuntimeError:  # start-up failed before the services were attached
        return
    if isinstance(services.delivery, DeliveryWorker):
        await services.delivery.stop()


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    bot_data: BotData = application.bot_data
    services = bot_data.detach()
    if services is not None:
        if isinstance(services.delivery, DeliveryWorker):
            await services.delivery.stop()
        await services.presence.stop()  # the leases pass on at once, not after they lapse
        journal = _journal_of(application)
        if journal is not None:
            await journal.close()  # the last releases, while the database is open
        await services.metrics.close()
        await services.store.close()
        log.info("database_closed")
