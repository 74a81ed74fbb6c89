"""Review-chat buttons: Approve / Reject (with category or reason), Escalate, Back, Undo, and
Post from /queue.

Every press is answered at once, except a decision: that is one atomic transition, so of many
presses exactly one wins, and each press is answered after its transition (within
DECISION_ANSWER_WAIT) so that every loser is told in an alert who decided what and when. Edits of
the case message come out of the review chat's message budget; when it is spent, the delivery
worker shows the change as soon as there is room.
"""

from __future__ import annotations

import asyncio
from typing import Final

import structlog
from telegram import Bot, CallbackQuery, Message, Update
from telegram.error import BadRequest, TelegramError

from handlers.callback_data import (
    ReviewAction,
    ReviewButton,
    parse_review_button,
    pressed_decision,
)
from handlers.errors import is_not_modified
from handlers.outbound.case_edits import case_message_edit
from handlers.review_copies import Located, locate, retire_now
from handlers.review_views import ReviewViews, build_review_views
from handlers.runtime.context import BotContext, Services
from moderation.reporting.types import CaseStatus
from moderation.review.case_actions import (
    ActionRefusal,
    Done,
    Refused,
    escalate,
    request_post,
)
from moderation.review.case_copies import PostRef
from moderation.review.decisions import (
    AlreadyDecided,
    Decided,
    NotAllowed,
    Undone,
    UndoRefusal,
    UndoRefused,
    UnknownCase,
    case_view,
    decide,
    record_refused_press,
    undo,
)
from moderation.review.delivery import mark_shown
from moderation.review.menus import menu_shown, open_menu
from moderation.review.types import CaseView, Menu, Moderator, RejectReason
from moderation.review.undo_window import undo_open, undo_open_until

log = structlog.get_logger(__name__)

#: Telegram's limit for the text of a callback query's answer.
ALERT_MAX = 200
#: How long a decision press waits for the database before it is answered anyway (Telegram
#: refuses an answer after about 15 s).
DECISION_ANSWER_WAIT: Final = 5.0

_MENUS = {
    ReviewAction.APPROVE: Menu.CATEGORIES,
    ReviewAction.REJECT: Menu.REASONS,
    ReviewAction.BACK: Menu.MAIN,
}


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
    # The access gate let by only reviewers and legal officers, where the button belongs.
    moderator = context.actor.moderator
    if moderator is None:
        return
    where = query.message.chat
    case = await case_view(services.store, button.case_id)
    if case is None:
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    answer = _Answer(query)
    located = Located(PostRef(where.id, query.message.message_id), None)
    if button.action is not ReviewAction.POST:  # on the case's post, in the review chat
        found = await locate(query.message, context.bot.id, services, case.id, "press")
        if found is None:
            await query.answer(views.t("review.alert.stale"), show_alert=True)
            return
        located = found
        if located.copy is not None:
            # A copy Telegram accepted but the bot never recorded (a restart or a lost answer
            # in between): the press counts for the case, shown on the live post.
            answer.notice = views.t("review.alert.copy", case_id=case.id)
            log.info("case_copy_pressed", case_id=case.id, message_id=located.copy.message_id)
    try:
        await _press(answer, services, views, moderator, case, button, located.live)
    finally:
        await retire_now(context.bot, services, views, case.id, located)


async def _press(
    answer: _Answer,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
    button: ReviewButton,
    post: PostRef,
) -> None:
    bot = answer.query.get_bot()
    user_id = moderator.user_id
    if button.action is ReviewAction.UNDO:
        await _undo(answer, services, views, moderator, case, post)
        return
    if case.status is not CaseStatus.PENDING:
        # The winner's press edits the message; the worker catches up if that edit failed.
        await answer(views.already(case), show_alert=True)
        services.delivery.wake()
        return
    if not moderator.may_decide(case.escalated):
        key = "review.alert.escalated" if case.escalated else "review.alert.not_moderator"
        await answer(views.t(key), show_alert=True)
        await record_refused_press(
            services.store,
            case.id,
            user_id,
            "escalated" if case.escalated else "legal only",
            services.clock.now(),
        )
        return
    if button.action is ReviewAction.POST:
        await _post(answer, services, views, moderator, case)
    elif button.action is ReviewAction.ESCALATE:
        await answer(views.t("review.alert.escalated_hint"), show_alert=True)
        outcome = await escalate(services.store, case.id, moderator, None, services.clock.now())
        if isinstance(outcome, Done):
            log.info("case_escalated", case_id=case.id)
            await show_case(bot, post, services, views, outcome.view)
    elif button.action in _MENUS:
        if not await services.review_budget.try_spend():
            await _busy(answer, services, views)
            return
        await answer()
        # Kept in the database: every instance's redraw of the post keeps it.
        await open_menu(services.store, case.id, _MENUS[button.action], services.clock.now())
        async with case_message_edit(services, case.id):
            await _show_menu(bot, post, services, views, case.id, _MENUS[button.action])
    else:
        await _decide(answer, services, views, moderator, case, button, post)


class _Answer:
    """Answers the press once. On a copy the copy's notice leads, with the press's own alert
    after it when both fit in Telegram's 200 characters (else the press's own alert)."""

    def __init__(self, query: CallbackQuery) -> None:
        self.query = query
        self.notice: str | None = None
        self._done = False

    async def __call__(self, text: str | None = None, *, show_alert: bool = False) -> None:
        if self._done:
            return
        self._done = True
        if self.notice is not None:
            both = f"{self.notice}\n\n{text}" if text else self.notice
            text = both if len(both) <= ALERT_MAX else text
            show_alert = True
        await self.query.answer(text, show_alert=show_alert)


async def _decide(
    answer: _Answer,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
    button: ReviewButton,
    post: PostRef,
) -> None:
    settings = services.settings
    pressed = pressed_decision(
        button.action is ReviewAction.CONFIRM, button.arg, settings.report_categories
    )
    if pressed is None:
        await answer(views.t("review.alert.stale"), show_alert=True)
        return
    decision, category, reason = pressed
    # The decision closes the menu in its own transaction (moderation/review/decisions.py).
    # The press is answered once the decision is known, so that of two moderators pressing at
    # the same moment the one who lost is told, in an alert, who decided what and when.
    decision_task = asyncio.ensure_future(
        decide(
            services.store,
            case.id,
            moderator,
            decision,
            category=category,
            reason=reason,
            undo_window=settings.undo_window,
            now=services.clock.now(),
            policy=settings.case_policy,
        )
    )
    try:
        outcome = await asyncio.wait_for(asyncio.shield(decision_task), DECISION_ANSWER_WAIT)
    except TimeoutError:
        # The database is slow (locked by a backup, say): answer before Telegram expires the
        # press (a press is answered once, so what follows says nothing more); the case
        # message shows the outcome when the decision is written.
        await answer(views.t("review.alert.saving"))
        outcome = await decision_task
    if isinstance(outcome, Decided):
        log.info("case_decided", case_id=case.id, decision=decision.value)
        if reason is RejectReason.OTHER:
            await answer(views.t("review.alert.other_hint"), show_alert=True)
        else:
            await answer()
        services.delivery.wake()
        services.violator_ids.forget()  # a new violator is noticed from its next message
        await show_case(answer.query.get_bot(), post, services, views, outcome.view)
        return
    await answer(_refusal_text(views, outcome), show_alert=True)
    # The winner's edit shows who decided; the worker catches up if that edit failed.
    services.delivery.wake()


def _refusal_text(views: ReviewViews, outcome: AlreadyDecided | NotAllowed | UnknownCase) -> str:
    if isinstance(outcome, AlreadyDecided):
        return views.already(outcome.view)
    if isinstance(outcome, NotAllowed):
        return views.t("review.alert.escalated")
    return views.t("review.alert.stale")


async def _post(
    answer: _Answer,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
) -> None:
    # One short write decides what the answer says (posted since the listing, or next).
    outcome = await request_post(services.store, case.id, moderator, services.clock.now())
    if isinstance(outcome, Done):
        await answer(views.t("review.alert.posting", case_id=case.id))
        services.delivery.wake()
    elif isinstance(outcome, Refused):
        key = (
            "review.refused.posted"
            if outcome.reason is ActionRefusal.POSTED
            else ("review.refused.decided")
        )
        await answer(views.t(key), show_alert=True)
    else:
        await answer(views.t("review.alert.stale"), show_alert=True)


async def _undo(
    answer: _Answer,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
    post: PostRef,
) -> None:
    window = services.settings.undo_window
    now = services.clock.now()
    policy = services.settings.case_policy
    bot = answer.query.get_bot()
    # Checked on what we just read, so the answer goes out before the write.
    if case.status is CaseStatus.PENDING:
        await answer(views.t("review.alert.not_decided"), show_alert=True)
        await show_case(bot, post, services, views, case)
        return
    if case.decided_by != moderator.user_id and not moderator.is_admin:
        await answer(views.t("review.alert.undo_not_yours"), show_alert=True)
        await undo(  # refused again inside, and audited there
            services.store, case.id, moderator, undo_window=window, now=now, policy=policy
        )
        return
    if not undo_open(case, now, window):
        await answer(views.t("review.alert.undo_expired"), show_alert=True)
        await show_case(bot, post, services, views, case)
        return
    await answer(views.t("review.alert.undone"))
    outcome = await undo(
        services.store, case.id, moderator, undo_window=window, now=now, policy=policy
    )
    if isinstance(outcome, Undone):
        services.delivery.wake()
        await show_case(bot, post, services, views, outcome.view)
    elif isinstance(outcome, UndoRefused) and outcome.reason is UndoRefusal.NEWER_CASE:
        log.info("undo_refused_newer_case", case_id=case.id)
        await _tell_chat(bot, post, services, views.t("review.newer_case", case_id=case.id))
    elif isinstance(outcome, UndoRefused) and outcome.reason is UndoRefusal.LEGAL_REQUEST:
        log.info("undo_refused_legal_request", case_id=case.id)
        await _tell_chat(bot, post, services, views.t("review.legal_request", case_id=case.id))


async def show_case(
    bot: Bot, post: PostRef, services: Services, views: ReviewViews, case: CaseView
) -> None:
    """Edits the case message `post` to the case's current state, if the chat's budget allows
    now; otherwise the delivery worker does it when there is room."""
    if not await services.review_budget.try_spend():
        services.delivery.wake()
        return
    now = services.clock.now()
    window = services.settings.undo_window
    undo_until = undo_open_until(case, now, window)
    async with case_message_edit(services, case.id):
        # Read under the post's lock: a menu this process opens meanwhile is drawn. A note or
        # an escalation keeps the menu open; one another instance opens is checked on record.
        menu = await menu_shown(services.store, case, now)
        try:
            await bot.edit_message_text(
                views.case_text(case, menu),
                chat_id=post.chat_id,
                message_id=post.message_id,
                reply_markup=views.keyboard(case, menu, undo_until=undo_until),
            )
        except BadRequest as exc:
            if not is_not_modified(exc):
                log.warning("case_message_edit_failed", case_id=case.id, error=exc.message)
                return  # the delivery worker brings the message up to date later
        except TelegramError as exc:
            log.warning("case_message_edit_failed", case_id=case.id, error_type=type(exc).__name__)
            return
        await mark_shown(
            services.store,
            case.id,
            post.message_id,
            case.version,
            now,
            redraw_at=undo_until,
            menu=menu,
        )


async def _show_menu(
    bot: Bot, post: PostRef, services: Services, views: ReviewViews, case_id: int, menu: Menu
) -> None:
    """Opens (or, for Menu.MAIN, closes) a menu on the case post: one edit of text and buttons
    together, so the post says what the buttons are for at no extra message. The case is read
    again under the post's lock, so the edit never shows an older version than the last one."""
    case = await case_view(services.store, case_id)
    if case is None:
        return
    try:
        await bot.edit_message_text(
            views.case_text(case, menu),
            chat_id=post.chat_id,
            message_id=post.message_id,
            reply_markup=views.keyboard(case, menu),
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("case_keyboard_edit_failed", case_id=case.id, error=exc.message)


async def _busy(answer: _Answer, services: Services, views: ReviewViews) -> None:
    seconds = max(1, round(await services.review_budget.seconds_until_free()))
    await answer(views.t("review.alert.busy", seconds=seconds), show_alert=True)


async def _tell_chat(bot: Bot, post: PostRef, services: Services, text: str) -> None:
    await services.review_budget.spend()
    try:
        await bot.send_message(post.chat_id, text, reply_to_message_id=post.message_id)
    except TelegramError as exc:
        log.warning("review_reply_failed", error_type=type(exc).__name__)
