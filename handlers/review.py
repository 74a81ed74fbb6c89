"""Review-chat buttons: Approve / Reject (with category or reason), Back and Undo.

Every press is answered at once; only then does the decision hit the database. The decision is
one atomic transition, so of many presses exactly one wins; the others see who won.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.access import moderator_for
from bot.context import BotContext, Services
from handlers.callback_data import ReviewAction, ReviewButton, parse_review_button
from handlers.errors import is_not_modified
from handlers.review_views import Menu, ReviewViews, build_review_views
from moderation.decisions import (
    AlreadyDecided,
    Decided,
    Undone,
    UndoRefusal,
    UndoRefused,
    case_view,
    decide,
    record_refused_press,
    undo,
)
from moderation.delivery import mark_shown, review_chat
from moderation.reports import CaseStatus
from moderation.review import CaseView, Decision, Moderator, RejectReason

log = structlog.get_logger(__name__)


async def review_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    views = build_review_views(
        services.texts, services.settings.report_categories, context.bot.username
    )
    button = parse_review_button(query.data)
    if button is None or not isinstance(query.message, Message):
        log.warning("callback_data_refused", reason="not one of our review buttons")
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    chat_id = await review_chat(services.store, services.settings.review_chat_id)
    moderator = await moderator_for(context.bot, services.settings, services.admins, user, chat_id)
    if moderator is None or query.message.chat.id != chat_id:
        await query.answer(views.t("review.alert.not_moderator"), show_alert=True)
        await record_refused_press(
            services.store, button.case_id, user.id, "not a moderator", services.clock.now()
        )
        return
    case = await case_view(services.store, button.case_id)
    if case is None:
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    if button.action is ReviewAction.UNDO:
        await _undo(query, services, views, moderator, case)
        return
    if case.status is not CaseStatus.PENDING:
        # The winner's press edits the message; the worker catches up if that edit failed.
        await query.answer(views.already(case), show_alert=True)
        services.delivery.wake()
        return
    await query.answer()  # before any database work
    if button.action in (ReviewAction.APPROVE, ReviewAction.REJECT, ReviewAction.BACK):
        menu = {
            ReviewAction.APPROVE: Menu.CATEGORIES,
            ReviewAction.REJECT: Menu.REASONS,
            ReviewAction.BACK: Menu.MAIN,
        }[button.action]
        await _edit_keyboard(query, views, case, menu)
        return
    await _decide(query, services, views, moderator, case, button)


async def _decide(
    query: CallbackQuery,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
    button: ReviewButton,
) -> None:
    settings = services.settings
    if button.action is ReviewAction.CONFIRM:
        if button.arg not in settings.report_categories:
            return
        decision, category, reason = Decision.APPROVED, button.arg, None
    else:
        if button.arg not in {r.value for r in RejectReason}:
            return
        decision, category, reason = Decision.REJECTED, None, RejectReason(button.arg)
    outcome = await decide(
        services.store,
        case.id,
        moderator,
        decision,
        category=category,
        reason=reason,
        undo_window=timedelta(minutes=settings.undo_window_minutes),
        now=services.clock.now(),
    )
    if isinstance(outcome, Decided):
        log.info("case_decided", case_id=case.id, decision=decision.value)
        services.delivery.wake()
        await _show(query, services, views, outcome.view)
    elif isinstance(outcome, AlreadyDecided):
        # Lost the race after the answer went out: the winner's edit shows who decided.
        services.delivery.wake()


async def _undo(
    query: CallbackQuery,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
) -> None:
    window = timedelta(minutes=services.settings.undo_window_minutes)
    now = services.clock.now()
    # Checked on what we just read, so the answer goes out before the write.
    if case.status is CaseStatus.PENDING:
        await query.answer(views.t("review.alert.not_decided"), show_alert=True)
        await _show(query, services, views, case)
        return
    if case.decided_by != moderator.user_id and not moderator.is_admin:
        await query.answer(views.t("review.alert.undo_not_yours"), show_alert=True)
        await undo(services.store, case.id, moderator, undo_window=window, now=now)  # audited
        return
    if case.decided_at is not None and now > case.decided_at + window:
        await query.answer(views.t("review.alert.undo_expired"), show_alert=True)
        await _show(query, services, views, case)
        return
    await query.answer(views.t("review.alert.undone"))
    outcome = await undo(services.store, case.id, moderator, undo_window=window, now=now)
    if isinstance(outcome, Undone | UndoRefused):
        if isinstance(outcome, UndoRefused) and outcome.reason is UndoRefusal.NOT_YOURS:
            return
        await _show(query, services, views, outcome.view)


async def _show(
    query: CallbackQuery, services: Services, views: ReviewViews, case: CaseView
) -> None:
    """Edits the case message to the case's current state."""
    message = query.message
    if not isinstance(message, Message):
        return
    now = services.clock.now()
    window = timedelta(minutes=services.settings.undo_window_minutes)
    undo_open = case.decided_at is not None and now < case.decided_at + window
    try:
        await message.edit_text(
            views.case_text(case), reply_markup=views.keyboard(case, undo_open=undo_open)
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("case_message_edit_failed", case_id=case.id, error=exc.message)
            return  # the delivery worker brings the message up to date later
    except TelegramError as exc:
        log.warning("case_message_edit_failed", case_id=case.id, error_type=type(exc).__name__)
        return
    await mark_shown(services.store, case.id, case.version, now)


async def _edit_keyboard(
    query: CallbackQuery, views: ReviewViews, case: CaseView, menu: Menu
) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=views.keyboard(case, menu))
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("case_keyboard_edit_failed", case_id=case.id, error=exc.message)
