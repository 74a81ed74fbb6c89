"""/transparency [2026Q3]: the transparency report for admins and legal officers."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.access import staff_roles
from bot.context import BotContext
from handlers.charts import transparency_chart
from handlers.i18n import Html
from moderation.transparency import BadPeriod, build_report, current_quarter, parse_period

MAX_ROWS = 40


async def transparency_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    services = context.services
    texts, language = services.texts, user.language_code
    roles = await staff_roles(services.store, services.settings, user.id)
    in_review_chat = chat.id == services.settings.review_chat_id
    allowed = roles.is_admin or (roles.is_legal and chat.type == chat.PRIVATE)
    if not allowed or (chat.type != chat.PRIVATE and not in_review_chat):
        async with services.store.transaction() as uow:
            await uow.audit.append(
                at=services.clock.now(),
                actor_id=user.id,
                action="access.denied",
                details={"command": "transparency"},
            )
        await message.reply_text(texts.render(language, "transparency.refused"))
        return
    args = context.args or []
    try:
        period = parse_period(args[0]) if args else current_quarter(services.clock.now().date())
    except BadPeriod as exc:
        await message.reply_text(texts.render(language, "transparency.bad_period", problem=exc))
        return
    report = await build_report(services.store, period)
    lines = [
        f"{r.country:<3}{r.received:>9}{r.fulfilled:>10}{r.rejected:>9}{r.users:>7}"
        for r in report.rows[:MAX_ROWS]
    ]
    more = len(report.rows) - MAX_ROWS
    if more > 0:
        lines.append(texts.render(language, "transparency.more", count=more))
    table = "\n".join(
        [
            f"{'':<3}{'received':>9}{'fulfilled':>10}{'rejected':>9}{'users':>7}",
            *lines,
            f"{'all':<3}{report.received:>9}{report.fulfilled:>10}{report.rejected:>9}"
            f"{report.users_total:>7}",
        ]
    )
    await message.reply_text(
        texts.render(
            language,
            "transparency.report",
            period=period.label,
            start=period.start.isoformat(),
            end=period.last_day.isoformat(),
            table=table,
            entries=report.ledger_entries,
        )
    )
    chart = await transparency_chart(report)
    await message.reply_photo(
        InputFile(chart, filename=f"transparency-{period.label}.png"),
        caption=texts.render(language, "transparency.chart", period=Html(period.label)),
    )
