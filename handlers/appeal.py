"""/appeal <link-or-@username> <statement> and the Uphold / Overturn buttons of an appeal."""

from __future__ import annotations

import structlog
from telegram import Message, Update
from telegram.error import BadRequest, TelegramError

from handlers.appeal_views import AppealViews, filing_reply
from handlers.callback_data import AppealAction, parse_appeal_button
from handlers.errors import is_not_modified
from handlers.report import reply_noting_open_report
from handlers.review_views import build_review_views
from handlers.runtime.context import BotContext, Services
from moderation.reporting.target_links import parse_result
from moderation.reporting.targets import ParseProblem
from moderation.review.appeals import (
    STATEMENT_MAX,
    STATEMENT_MIN,
    AppealAlreadyDecided,
    AppealDecided,
    AppealDecision,
    AppealRefusal,
    AppealRefused,
    AppealView,
    NewAppeal,
    appeal_shown,
    appeal_view,
    decide_appeal,
    file_appeal,
)
from moderation.text import clean_multiline

log = structlog.get_logger(__name__)


def appeal_views(context: BotContext, language: str | None = None) -> AppealViews:
    services = context.services
    views = build_review_views(
        services.texts, services.settings.report_categories, context.bot.username
    )
    if language is not None:
        views.language = services.texts.language_for(language)
    return AppealViews(views)


async def appeal_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    text = await _appeal(update, context, user.id, user.language_code)
    await reply_noting_open_report(update, context, message, text)


async def _appeal(update: Update, context: BotContext, user_id: int, language: str | None) -> str:
    services = context.services
    views = appeal_views(context, language)
    args = context.args or []
    if not args:
        return views.t("appeal.usage")
    target = parse_result(args[0])
    if isinstance(target, ParseProblem):
        return views.t("appeal.bad_target", given=args[0][:60])
    statement = clean_multiline(" ".join(args[1:]))
    if len(statement) < STATEMENT_MIN:
        return views.t("appeal.statement_short", minimum=STATEMENT_MIN)
    if len(statement) > STATEMENT_MAX:
        return views.t("appeal.statement_long", maximum=STATEMENT_MAX)
    outcome = await file_appeal(
        services.store,
        NewAppeal(user_id, language, target, statement, update.update_id),
        services.clock.now(),
    )
    services.delivery.wake()
    return filing_reply(views.review, language, outcome)


async def appeal_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    views = appeal_views(context)
    button = parse_appeal_button(query.data)
    if button is None or not isinstance(query.message, Message):
        log.warning("callback_data_refused", reason="not one of our appeal buttons")
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    # The access gate let by only reviewers and legal officers, in the review chat.
    moderator = context.actor.moderator
    if moderator is None:
        return
    current = await appeal_view(services.store, button.appeal_id)
    if current is None:
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    # Refusals known from what was just read are answered as alerts at once (and audited).
    if not (moderator.reviews or moderator.is_admin):
        await query.answer(views.t("review.alert.not_moderator"), show_alert=True)
    elif current.appeal.original_decided_by == user.id:
        await query.answer(views.t("appeal.alert.same_moderator"), show_alert=True)
    else:
        await query.answer()
    decision = (
        AppealDecision.OVERTURN if button.action is AppealAction.OVERTURN else AppealDecision.UPHOLD
    )
    outcome = await decide_appeal(
        services.store,
        button.appeal_id,
        moderator,
        decision,
        now=services.clock.now(),
        policy=services.settings.case_policy,
    )
    services.delivery.wake()
    if isinstance(outcome, AppealDecided):
        log.info("appeal_decided", appeal_id=button.appeal_id, decision=decision.value)
        await _show(query.message, services, views, outcome.view)
    elif isinstance(outcome, AppealRefused) and outcome.reason not in (
        AppealRefusal.SAME_MODERATOR,
        AppealRefusal.NOT_ALLOWED,
    ):
        await _notice(query.message, services, views.t(f"appeal.refused.{outcome.reason.value}"))
    elif isinstance(outcome, AppealAlreadyDecided):
        await _show(query.message, services, views, outcome.view)


async def _show(message: Message, services: Services, views: AppealViews, view: AppealView) -> None:
    if not await services.review_budget.try_spend():
        return  # the delivery worker shows it when there is room
    try:
        await message.edit_text(views.text(view), reply_markup=views.keyboard(view))
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("appeal_message_edit_failed", error=exc.message)
            return
    except TelegramError as exc:
        log.warning("appeal_message_edit_failed", error_type=type(exc).__name__)
        return
    await appeal_shown(services.store, view.appeal.id, view.appeal.version, services.clock.now())


async def _notice(message: Message, services: Services, text: str) -> None:
    await services.review_budget.spend()
    try:
        await message.reply_text(text)
    except TelegramError as exc:
        log.warning("appeal_notice_failed", error_type=type(exc).__name__)
