"""/transparency [2026Q3]: the transparency report for admins and legal officers.

Admins may ask in a private chat or the review chat, legal officers in a private chat; anyone
else is refused and the attempt audit-logged. A period we cannot read is answered with the
syntax. The report comes as one text message (a table) and a chart of requests per country.
"""

from __future__ import annotations

from enum import StrEnum

import structlog
from telegram import Chat, InputFile, Update

from handlers.runtime.access import staff_roles
from handlers.runtime.context import BotContext, Services
from handlers.transparency_chart import transparency_chart
from handlers.transparency_views import TransparencyViews
from moderation.legal.transparency import BadPeriod, build_report, period_or_default
from moderation.staff.team import record_denial

log = structlog.get_logger(__name__)


class Access(StrEnum):
    ALLOWED = "allowed"
    NOT_STAFF = "not_staff"  # neither an admin nor a legal officer
    WRONG_CHAT = "wrong_chat"  # staff, but not where they may ask


async def transparency_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    services = context.services
    views, language = TransparencyViews(services.texts), user.language_code
    access = await _access(services, user.id, chat)
    if access is not Access.ALLOWED:
        await record_denial(
            services.store,
            user.id,
            "transparency",
            services.clock.now(),
            chat_type=chat.type,
            why=access.value,
        )
        log.info("transparency_refused", chat_type=chat.type, why=access.value)
        refusal = views.refused if access is Access.NOT_STAFF else views.private_only
        await message.reply_text(refusal(language))
        return
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


async def _access(services: Services, user_id: int, chat: Chat) -> Access:
    """Admins: a private chat or the review chat; legal officers: a private chat only."""
    roles = await staff_roles(services.store, services.settings, user_id)
    if not (roles.is_admin or roles.is_legal):
        return Access.NOT_STAFF
    private = chat.type == Chat.PRIVATE
    if private or (roles.is_admin and chat.id == services.settings.review_chat_id):
        return Access.ALLOWED
    return Access.WRONG_CHAT
