"""/stats [24h|7d|30d|all]: the team's figures for admins, in a private chat or the review chat.

Anyone else is refused by the access gate (and the attempt audit-logged); a window we do not
know is answered with the usage. The figures come as one text message and a chart of reports
and decisions per day.
"""

from __future__ import annotations

import structlog
from telegram import InputFile, Update

from handlers.report_views import ReportViews
from handlers.runtime.context import BotContext
from handlers.stats_chart import stats_chart
from handlers.stats_views import StatsViews
from moderation.stats.figures import BadWindow, build_stats, parse_window

log = structlog.get_logger(__name__)


def _views(context: BotContext) -> StatsViews:
    services = context.services
    reports = ReportViews(services.texts, services.settings.report_categories, context.bot.username)
    return StatsViews(services.texts, reports)


async def stats_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    services = context.services
    views, language = _views(context), user.language_code
    args = context.args or []
    try:
        if len(args) > 1:
            raise BadWindow(" ".join(args))
        window = parse_window(args[0] if args else None)
    except BadWindow as exc:
        await message.reply_text(views.usage(language, str(exc)))
        return
    report = await build_stats(services.store, window, services.clock.now())
    await message.reply_text(views.report(report, language))
    chart = await stats_chart(report.days, views.chart_labels(window, language))
    await message.reply_photo(
        InputFile(chart, filename=f"stats-{window.label}.png"),
        caption=views.caption(window, language),
    )
    log.info("stats_sent", window=window.label, chat_type=chat.type, days=len(report.days))
