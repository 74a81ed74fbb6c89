"""/transparency [2026Q3]: the transparency report for admins and legal officers.

Admins may ask in a private chat or the review chat, legal officers in a private chat; anyone
else is refused by the access gate and the attempt audit-logged. A period we cannot read is
answered with the syntax. The report comes as one text message (a table) and a chart of
requests per country.
"""

from __future__ import annotations

import structlog
from telegram import InputFile, Update

from handlers.runtime.context import BotContext
from handlers.transparency_chart import transparency_chart
from handlers.transparency_views import TransparencyViews
from moderation.legal.transparency import BadPeriod, build_report, period_or_default

log = structlog.get_logger(__name__)


async def transparency_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    services = context.services
    views, language = TransparencyViews(services.texts), user.language_code
    args = context.args or []
    now = services.clock.now()
    try:
        if len(args) > 1:
            raise BadPeriod(" ".join(args))
        period = period_or_default(args[0] if args else None, now)
    except BadPeriod:
        log.info("transparency_bad_period", chat_type=chat.type)
        await message.reply_text(views.bad_period(language, " ".join(args)))
        return
    report = await build_report(services.store, period)
    await message.reply_text(views.report(report, language, now))
    if not report.is_empty:
        chart = await transparency_chart(report, views.chart_labels(report, language))
        await message.reply_photo(
            InputFile(chart, filename=f"transparency-{period.label}.png"),
            caption=views.caption(period, language),
        )
    log.info(
        "transparency_sent",
        period=period.label,
        chat_type=chat.type,
        countries=len(report.countries),
        disclosures=report.ledger_entries,
    )
