"""Moderators' commands and replies: /queue, notes (a reply to a case message), and
`/reject <why>` or `/escalate <note>` in reply to a case message.

Replies from people who are not moderators are ignored (a review chat may have other members);
commands from them are refused by the access gate (a short reply, audit-logged as
`access.denied`), which hands the commands' handlers the sender it resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from telegram import InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError

from handlers.console_entry import with_console
from handlers.review import show_case
from handlers.review_copies import Located, buttons_case, locate, retire_now
from handlers.review_views import ReviewViews, build_review_views
from handlers.runtime.access import resolve_actor
from handlers.runtime.context import BotContext, Services
from moderation.review.case_actions import (
    ActionOutcome,
    ActionRefusal,
    Done,
    Refused,
    add_note,
    case_at,
    escalate,
    queue,
    reject_with_explanation,
)
from moderation.review.case_copies import PostRef
from moderation.review.decisions import AlreadyDecided, Decided, NotAllowed, case_view
from moderation.review.delivery import review_chat
from moderation.review.types import CaseView, Moderator

log = structlog.get_logger(__name__)


def _views(context: BotContext) -> ReviewViews:
    services = context.services
    return build_review_views(
        services.texts, services.settings.report_categories, context.bot.username
    )


async def _reviewer(context: BotContext, user: User, chat_id: int | None) -> Moderator | None:
    """The sender as a reviewer: the gate's for a command, resolved here for a plain reply."""
    admitted = context.admitted
    if admitted is not None:
        return admitted.moderator
    services = context.services
    actor = await resolve_actor(
        context.bot,
        services.store,
        services.settings,
        services.admins,
        user,
        review_chat_id=chat_id,
    )
    return actor.moderator


async def _reply(
    message: Message,
    services: Services,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Answers in the chat the command came from; in the review chat it costs the budget."""
    if message.chat.type != ChatType.PRIVATE:
        await services.review_budget.spend()
    try:
        await message.reply_text(text, reply_markup=reply_markup)
    except TelegramError as exc:
        log.warning("review_reply_failed", error_type=type(exc).__name__)


async def queue_command(update: Update, context: BotContext) -> None:
    """/queue: pending cases by priority with a button that posts each; /queue escalated."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    views = _views(context)
    moderator = context.actor.moderator  # the gate let only reviewers and legal officers by
    if moderator is None:
        return
    args = context.args or []
    wants_escalated = bool(args) and args[0].lower() == "escalated"
    if args and not wants_escalated:
        await _reply(message, services, views.t("review.queue.usage"))
        return
    escalated = wants_escalated or not moderator.reviews
    listing = await queue(services.store, escalated=escalated)
    keyboard = with_console(
        views.queue_keyboard(listing),
        services.settings.console,
        services.texts,
        views.language,
        private=message.chat.type == ChatType.PRIVATE,
        bot=context.bot.username,
    )
    await _reply(
        message, services, views.queue_text(listing, escalated=escalated), reply_markup=keyboard
    )


@dataclass(frozen=True, slots=True)
class _Replied:
    message: Message
    moderator: Moderator
    case: CaseView
    located: Located  # the case's live post, and the copy replied to if it was one


async def _case_replied_to(update: Update, context: BotContext) -> _Replied | None:
    """The moderator's reply and the case it answers, when it is one. A reply to a copy of
    the case's post (sent around a restart, never recorded) answers the case too."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return None
    services = context.services
    chat_id = await review_chat(services.store, services.settings.review_chat_id)
    if message.chat.id != chat_id:
        return None
    replied = message.reply_to_message
    case = await case_at(services.store, message.chat.id, replied.message_id)
    copy_of = buttons_case(replied, context.bot.id) if case is None else None
    if case is None and copy_of is None:
        return None
    moderator = await _reviewer(context, user, chat_id)
    if moderator is None:
        log.info("review_reply_ignored", reason="not a moderator")
        return None
    if case is None and copy_of is not None:
        located = await locate(replied, context.bot.id, services, copy_of, "reply")
        case = await case_view(services.store, copy_of)
        if located is None or case is None:
            return None
        return _Replied(message, moderator, case, located)
    assert case is not None
    return _Replied(message, moderator, case, Located(PostRef(chat_id, replied.message_id), None))


async def note_reply(update: Update, context: BotContext) -> None:
    """A moderator's plain reply to a case message becomes a private note on the case."""
    found = await _case_replied_to(update, context)
    if found is None:
        return
    services = context.services
    outcome = await add_note(
        services.store,
        found.case.id,
        found.moderator,
        found.message.text or "",
        services.clock.now(),
    )
    await _after_action(found, context, outcome)


async def reject_reply(update: Update, context: BotContext) -> None:
    """`/reject <why>` in reply to a case: reject for "other" with the explanation."""
    await _reply_command(update, context, "reject")


async def escalate_reply(update: Update, context: BotContext) -> None:
    """`/escalate [note]` in reply to a case: hand it to admins and legal officers."""
    await _reply_command(update, context, "escalate")


async def _reply_command(update: Update, context: BotContext, command: str) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    views = _views(context)
    found = await _case_replied_to(update, context)
    if found is None:  # the gate let only reviewers by, in the review chat
        await _reply(message, services, views.t(f"review.{command}.usage"))
        return
    moderator, case = found.moderator, found.case
    text = " ".join(context.args or [])
    now = services.clock.now()
    outcome: ActionOutcome | Decided | AlreadyDecided
    if command == "escalate":
        if not moderator.may_decide(case.escalated) and not case.escalated:
            await _reply(message, services, views.t("review.alert.not_moderator"))
            return
        outcome = await escalate(services.store, case.id, moderator, text or None, now)
    else:
        if not text:
            await _reply(message, services, views.t("review.reject.usage"))
            return
        outcome = await reject_with_explanation(
            services.store,
            case.id,
            moderator,
            text,
            undo_window=services.settings.undo_window,
            now=now,
            policy=services.settings.case_policy,
        )
    await _after_action(found, context, outcome)


async def _after_action(
    found: _Replied,
    context: BotContext,
    outcome: ActionOutcome | Decided | AlreadyDecided,
) -> None:
    services = context.services
    views = _views(context)
    message = found.message
    try:
        if isinstance(outcome, Done | Decided):
            services.delivery.wake()
            await show_case(context.bot, found.located.live, services, views, outcome.view)
        else:
            await _refusal(message, services, views, outcome)
    finally:
        await retire_now(context.bot, services, views, found.case.id, found.located)


async def _refusal(
    message: Message,
    services: Services,
    views: ReviewViews,
    outcome: ActionOutcome | Decided | AlreadyDecided,
) -> None:
    if isinstance(outcome, AlreadyDecided):
        await _reply(message, services, views.already(outcome.view))
    elif isinstance(outcome, NotAllowed):
        await _reply(message, services, views.t("review.alert.escalated"))
    elif isinstance(outcome, Refused):
        await _reply(message, services, views.t(_REFUSALS[outcome.reason]))


_REFUSALS = {
    ActionRefusal.DECIDED: "review.refused.decided",
    ActionRefusal.NOT_YOURS: "review.refused.not_yours",
    ActionRefusal.EXPIRED: "review.alert.undo_expired",
    ActionRefusal.EMPTY: "review.refused.empty",
    ActionRefusal.TOO_LONG: "review.refused.too_long",
    ActionRefusal.POSTED: "review.refused.posted",
    ActionRefusal.UNDONE: "review.refused.decided",  # asked only by a private chat
}
