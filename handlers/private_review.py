"""/review in a private chat: cases one at a time, with the review chat's buttons and decisions.

The review chat takes about twenty messages a minute for the whole team; a private chat takes
about one a second for each moderator and spends nothing of the group's budget. The next case
comes from moderation/review/claims.py (the queue's order, claimed for REVIEW_CLAIM_SECONDS so
nobody else is served it); a decision goes through the same domain functions as a press on the
case's post (decisions.decide / undo, case_actions.escalate), so whichever place decides first
wins and the others are told who decided. After a decision here the delivery worker brings the
case's post in the review chat up to date (decision edits first) and reporters are told as
always. One message in the chat shows the case served; every button edits it in place.

An "other" rejection asks for its explanation there (the review chat's `/reject <why>` reply
needs a case post, which a case decided here may not have): the moderator's next text message
is recorded with case_actions.reject_with_explanation, confirmed with the next case in a new
message; a command abandons it (the decision stands). What is asked is kept in the database
(moderation/review/explanations.py), as any instance may take the moderator's next message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from handlers.callback_data import (
    PrivateAction,
    PrivateButton,
    parse_private_button,
    pressed_decision,
    private_button,
)
from handlers.errors import is_not_modified
from handlers.review_views import ReviewViews, build_review_views, when_text
from handlers.runtime.access import resolve_actor
from handlers.runtime.context import BotContext, Services
from moderation.reporting.types import CaseStatus
from moderation.review.case_actions import NOTE_MAX, ActionRefusal, Done, Refused, escalate
from moderation.review.claims import (
    Claimed,
    claim_case,
    claim_holders,
    release,
    release_all,
    serve_next,
)
from moderation.review.decisions import (
    AlreadyDecided,
    Decided,
    NotAllowed,
    Undone,
    UndoRefusal,
    UndoRefused,
    case_view,
    decide,
    record_refused_press,
    undo,
)
from moderation.review.explanations import (
    PendingExplanation,
    ask_explanation,
    drop_explanation,
    explain,
    pending_explanation,
)
from moderation.review.types import CaseView, Menu, Moderator, RejectReason
from moderation.review.undo_window import undo_open, undo_open_until

log = structlog.get_logger(__name__)

VIA = "private"
STOP_ARGUMENT = "stop"
#: Next's argument on /start's button: the case comes in a new message, the greeting stays.
NEW_MESSAGE = "new"

_MENUS = {
    PrivateAction.APPROVE: Menu.CATEGORIES,
    PrivateAction.REJECT: Menu.REASONS,
    PrivateAction.BACK: Menu.MAIN,
}

Shown = tuple[str, InlineKeyboardMarkup | None]

#: Presses that move away from the case shown (an explanation asked is abandoned).
_MOVES = frozenset({PrivateAction.NEXT, PrivateAction.SKIP, PrivateAction.STOP, PrivateAction.UNDO})


def review_views(context: BotContext, language: str | None) -> ReviewViews:
    """The review chat's renderer, in the moderator's own language (a private chat)."""
    services = context.services
    views = build_review_views(
        services.texts, services.settings.report_categories, context.bot.username
    )
    return ReviewViews(views.texts, views.reports, services.texts.language_for(language))


async def review_command(update: Update, context: BotContext) -> None:
    """/review: the next case for the sender; `/review stop`: gives back what they hold."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    moderator = context.actor.moderator
    if moderator is None:  # the gate lets by only those who review
        return
    services = context.services
    views = review_views(context, user.language_code)
    args = context.args or []
    await drop_explanation(services.store, moderator.user_id)  # moving on: the decision stands
    if args and args[0].lower() == STOP_ARGUMENT:
        await release_all(services.store, moderator.user_id, VIA, services.clock.now())
        await _reply(services, message, views.t("review.private.stopped"))
        return
    text, keyboard = await _next(services, views, moderator, skip=None)
    await _reply(services, message, text, keyboard)


def offer_keyboard(views: ReviewViews) -> InlineKeyboardMarkup:
    """The "Review cases" button on /start's greeting for staff who review: it serves the
    next case in that message's place."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    views.t("review.private.button.start"),
                    callback_data=private_button(PrivateAction.NEXT, 0, NEW_MESSAGE),
                )
            ]
        ]
    )


async def private_review_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    views = review_views(context, user.language_code)
    button = parse_private_button(query.data)
    if button is None or not isinstance(query.message, Message):
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    moderator = context.actor.moderator
    if moderator is None:  # the gate lets by only those who review
        await query.answer(views.t("review.alert.not_moderator"), show_alert=True)
        return
    services = context.services
    message = query.message
    if button.action in _MOVES:  # an explanation asked is abandoned; the decision stands
        await drop_explanation(services.store, moderator.user_id)
    if button.action is PrivateAction.STOP:
        await query.answer()
        await release_all(services.store, moderator.user_id, VIA, services.clock.now())
        await _edit(services, message, (views.t("review.private.stopped"), None))
        return
    if button.action in (PrivateAction.NEXT, PrivateAction.SKIP):
        await query.answer()
        skip = button.case_id if button.action is PrivateAction.SKIP and button.case_id else None
        text, keyboard = await _next(services, views, moderator, skip=skip)
        if button.arg == NEW_MESSAGE:
            await _reply(services, message, text, keyboard)
        else:
            await _edit(services, message, (text, keyboard))
        return
    case = await case_view(services.store, button.case_id)
    if case is None:
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    if button.action is PrivateAction.UNDO:
        await _undo(query, message, services, views, moderator, case, button.arg)
        return
    if case.status is not CaseStatus.PENDING:
        await query.answer(views.already(case), show_alert=True)
        await _edit(services, message, _shown(services, views, moderator, case))
        return
    if not moderator.may_decide(case.escalated):
        key = "review.alert.escalated" if case.escalated else "review.alert.not_moderator"
        await query.answer(views.t(key), show_alert=True)
        await record_refused_press(
            services.store,
            case.id,
            moderator.user_id,
            "escalated" if case.escalated else "legal only",
            services.clock.now(),
        )
        return
    if button.action in _MENUS:
        await query.answer()
        until = await _held_until(services, case.id, moderator)
        shown = _shown(services, views, moderator, case, _MENUS[button.action], claimed_until=until)
        await _edit(services, message, shown)
    elif button.action is PrivateAction.ESCALATE:
        outcome = await escalate(services.store, case.id, moderator, None, services.clock.now())
        if not isinstance(outcome, Done):  # decided meanwhile (or gone): say so, show it
            now_case = await case_view(services.store, case.id)
            if now_case is None or now_case.status is CaseStatus.PENDING:
                await query.answer(views.t("review.alert.stale"), show_alert=True)
                return
            await query.answer(views.already(now_case), show_alert=True)
            await _edit(services, message, _shown(services, views, moderator, now_case))
            return
        await query.answer()
        log.info("case_escalated", case_id=case.id, via=VIA)
        if not moderator.may_decide(escalated=True):  # admins and legal officers take it
            await release(services.store, case.id, moderator.user_id, services.clock.now())
        services.delivery.wake()
        until = await _held_until(services, case.id, moderator)  # an admin keeps it
        await _edit(
            services, message, _shown(services, views, moderator, outcome.view, claimed_until=until)
        )
    else:
        await _decide(query, message, services, views, moderator, case, button)


async def _next(
    services: Services, views: ReviewViews, moderator: Moderator, *, skip: int | None
) -> Shown:
    return (await _serve(services, views, moderator, skip=skip))[1]


async def _serve(
    services: Services, views: ReviewViews, moderator: Moderator, *, skip: int | None
) -> tuple[CaseView | None, Shown]:
    """The next case for this moderator, claimed, and how it shows (None: none is left)."""
    now = services.clock.now()
    case = await serve_next(
        services.store,
        moderator,
        now=now,
        claim_for=timedelta(seconds=services.settings.review_claim_seconds),
        severe=services.settings.severe_policy,
        via=VIA,
        skip=skip,
    )
    if case is None:
        return None, (views.t("review.private.empty"), _moves(views, None))
    until = now + timedelta(seconds=services.settings.review_claim_seconds)
    return case, _shown(services, views, moderator, case, claimed_until=until)


async def _held_until(services: Services, case_id: int, moderator: Moderator) -> datetime | None:
    """Until when this moderator holds the case (None: they do not, or no longer)."""
    holder = (await claim_holders(services.store, [case_id], services.clock.now())).get(case_id)
    return holder.until if holder is not None and holder.user_id == moderator.user_id else None


def _shown(
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
    menu: Menu = Menu.MAIN,
    *,
    claimed_until: datetime | None = None,
) -> Shown:
    """The case as its post shows it, with the buttons of a private review."""
    now = services.clock.now()
    text = views.case_text(case, menu)
    if case.status is not CaseStatus.PENDING:
        window = services.settings.undo_window
        undo_until = undo_open_until(case, now, window)
        rows: list[list[InlineKeyboardButton]] = []
        if undo_until is not None and case.decided_by == moderator.user_id:
            text = f"{text}\n\n{views.t('review.private.decided')}"
            label = views.t("review.button.undo", until=undo_until.strftime("%H:%M UTC"))
            rows.append([_button(label, PrivateAction.UNDO, case.id)])
        return text, InlineKeyboardMarkup([*rows, *_move_rows(views, None)])
    if not moderator.may_decide(case.escalated):
        text = f"{text}\n\n{views.t('review.private.escalated')}"
        return text, _moves(views, None)
    if claimed_until is not None:  # under the case, above a menu's prompt
        base = views.case_text(case)
        claimed = views.t("review.private.claimed", until=when_text(claimed_until))
        text = f"{base}\n\n{claimed}{text[len(base) :]}"
    group = views.keyboard(case, menu)
    rows = [
        [
            _button(b.text, _ACTIONS[str(b.callback_data).split(":")[1]], case.id, _arg(b))
            for b in row
        ]
        for row in (group.inline_keyboard if group is not None else ())
    ]
    if menu is Menu.MAIN:
        rows += _move_rows(views, case.id)
    return text, InlineKeyboardMarkup(rows)


#: The review chat's buttons, as their private counterparts.
_ACTIONS = {action.value: action for action in PrivateAction}


def _arg(button: InlineKeyboardButton) -> str:
    return str(button.callback_data).split(":", 3)[3]


def _button(label: str, action: PrivateAction, case_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=private_button(action, case_id, arg))


def _move_rows(views: ReviewViews, case_id: int | None) -> list[list[InlineKeyboardButton]]:
    """Skip (a pending case served here) or Next, and Stop."""
    first = (
        _button(views.t("review.private.button.skip"), PrivateAction.SKIP, case_id)
        if case_id is not None
        else _button(views.t("review.private.button.next"), PrivateAction.NEXT, 0)
    )
    return [[first, _button(views.t("review.private.button.stop"), PrivateAction.STOP, 0)]]


def _moves(views: ReviewViews, case_id: int | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(_move_rows(views, case_id))


async def _decide(
    query: CallbackQuery,
    message: Message,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
    button: PrivateButton,
) -> None:
    settings = services.settings
    pressed = pressed_decision(
        button.action is PrivateAction.CONFIRM, button.arg, settings.report_categories
    )
    if pressed is None:
        await query.answer(views.t("review.alert.stale"), show_alert=True)
        return
    decision, category, reason = pressed
    outcome = await decide(
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
    if isinstance(outcome, Decided):
        log.info("case_decided", case_id=case.id, decision=decision.value, via=VIA)
        await query.answer()
        services.delivery.wake()  # the review chat's post: a decision edit goes first
        services.violator_ids.forget()
        if reason is RejectReason.OTHER:  # why, in the next message (no post to reply to)
            now = services.clock.now()
            await ask_explanation(services.store, moderator.user_id, case.id, message.id, now)
            await _edit(services, message, _asking(services, views, moderator, outcome.view))
            return
        await _edit(
            services, message, await _decided_then_next(services, views, moderator, outcome.view)
        )
        return
    if isinstance(outcome, AlreadyDecided):
        await query.answer(views.already(outcome.view), show_alert=True)
        await _edit(services, message, _shown(services, views, moderator, outcome.view))
    elif isinstance(outcome, NotAllowed):
        await query.answer(views.t("review.alert.escalated"), show_alert=True)
    else:
        await query.answer(views.t("review.alert.stale"), show_alert=True)


async def _decided_then_next(
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    decided: CaseView,
    line: str | None = None,
) -> Shown:
    """The decision's one edit: a line saying what was decided (or `line`), and the next case
    served at once, with Undo for the decided one while its window is open. The chat takes
    one message a second, so each edit saved is a second a decision: Next would cost a third
    edit."""
    served, (text, keyboard) = await _serve(services, views, moderator, skip=None)
    if line is None:
        status = views.t(f"review.status.{decided.status.value}")
        line = views.t("review.private.decided_next", case_id=decided.id, status=status)
    rows: list[Sequence[InlineKeyboardButton]] = (
        list(keyboard.inline_keyboard) if keyboard is not None else []
    )
    undo_row = _undo_row(services, views, moderator, decided, served.id if served else None)
    return f"{line}\n\n{text}", InlineKeyboardMarkup([*undo_row, *rows])


def _undo_row(
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    decided: CaseView,
    served: int | None,
) -> list[list[InlineKeyboardButton]]:
    """↩️ Undo #N while the decided case's window is open (and it is this moderator's)."""
    window = services.settings.undo_window
    undo_until = undo_open_until(decided, services.clock.now(), window)
    if undo_until is None or decided.decided_by != moderator.user_id:
        return []
    label = views.t(
        "review.private.button.undo_case",
        case_id=decided.id,
        until=undo_until.strftime("%H:%M UTC"),
    )
    return [[_button(label, PrivateAction.UNDO, decided.id, str(served or ""))]]


def _asking(
    services: Services, views: ReviewViews, moderator: Moderator, decided: CaseView
) -> Shown:
    """An "other" rejection's edit: the question (why), the case, Undo, Next and Stop."""
    rows = _undo_row(services, views, moderator, decided, None)
    ask = views.t("review.private.explain_ask", case_id=decided.id, limit=NOTE_MAX)
    text = f"{ask}\n\n{views.case_text(decided)}"
    return text, InlineKeyboardMarkup([*rows, *_move_rows(views, None)])


async def explanation_message(update: Update, context: BotContext) -> None:
    """A moderator's text in the private chat while an "other" rejection waits for its
    explanation (group -2, before the reporting flow): recorded, confirmed with the next case
    in a new message; `/cancel` leaves the rejection without one and goes on; any other
    command abandons it and runs as usual. Nothing asked: the message goes on untouched."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    services = context.services
    now = services.clock.now()
    window = services.settings.undo_window
    pending = await pending_explanation(services.store, user.id, now, window)
    if pending is None:
        return
    views = review_views(context, user.language_code)
    text = message.text.strip()
    if text.startswith("/"):
        await drop_explanation(services.store, user.id)
        if text.split()[0].split("@")[0].lower() != "/cancel":
            return  # /review stop, /report ...: the command runs; the rejection stands
        moderator = await _reviewer(context, user)
        if moderator is None:  # no longer reviews: /cancel is the reporting flow's
            return
        line = views.t("review.private.explain_cancelled", case_id=pending.case_id)
        await _next_below(message, services, views, moderator, pending, line)
        raise ApplicationHandlerStop
    moderator = await _reviewer(context, user)
    if moderator is None:  # no longer reviews: the message is theirs to send as anyone
        await drop_explanation(services.store, user.id)
        return
    outcome = await explain(
        services.store,
        moderator,
        pending,
        text,
        undo_window=window,
        now=now,
        policy=services.settings.case_policy,
    )
    if isinstance(outcome, Refused) and outcome.reason is ActionRefusal.TOO_LONG:
        too_long = views.t("review.private.explain_too_long", limit=NOTE_MAX, length=len(text))
        await _reply(services, message, too_long)
        raise ApplicationHandlerStop
    if isinstance(outcome, Done):
        log.info("case_reject_explained", case_id=pending.case_id, via=VIA)
        services.delivery.wake()  # the case's post in the review chat shows it
        line = views.t("review.private.explained", case_id=pending.case_id)
    else:
        line = views.t(_refusal_key(outcome), case_id=pending.case_id)
        line = f"{line} {views.t('review.private.explain_dropped', case_id=pending.case_id)}"
    await _next_below(message, services, views, moderator, pending, line)
    raise ApplicationHandlerStop


_EXPLAIN_REFUSALS = {
    ActionRefusal.UNDONE: "review.private.explain_undone",
    ActionRefusal.EXPIRED: "review.alert.undo_expired",
    ActionRefusal.DECIDED: "review.refused.decided",
    ActionRefusal.NOT_YOURS: "review.refused.not_yours",
}


def _refusal_key(outcome: object) -> str:
    if isinstance(outcome, Refused):
        return _EXPLAIN_REFUSALS.get(outcome.reason, "review.alert.stale")
    return "review.alert.stale"


async def _reviewer(context: BotContext, user: User) -> Moderator | None:
    """The sender as a reviewer now (a plain message passes no gate; roles may have changed)."""
    services = context.services
    actor = await resolve_actor(
        context.bot,
        services.store,
        services.settings,
        services.admins,
        user,
        review_chat_id=services.settings.review_chat_id,
    )
    return actor.moderator


async def _next_below(
    message: Message,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    pending: PendingExplanation,
    line: str,
) -> None:
    """The review goes on below the moderator's message: `line` and the next case, with Undo
    for the rejected one; the question's message loses its buttons (one message in use)."""
    decided = await case_view(services.store, pending.case_id)
    if decided is None or decided.status is CaseStatus.PENDING:
        text, keyboard = await _next(services, views, moderator, skip=None)
        text = f"{line}\n\n{text}"
    else:
        text, keyboard = await _decided_then_next(services, views, moderator, decided, line)
    await _reply(services, message, text, keyboard)
    await services.private_pacer.turn(message.chat_id)
    try:
        await message.get_bot().edit_message_reply_markup(
            chat_id=message.chat_id, message_id=pending.message_id, reply_markup=None
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("private_review_edit_failed", error=exc.message)
    except TelegramError as exc:
        log.warning("private_review_edit_failed", error_type=type(exc).__name__)


async def _reply(
    services: Services, message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """A new message in the private chat, at the chat's pace (one message a second)."""
    await services.private_pacer.turn(message.chat_id)
    try:
        await message.reply_text(text, reply_markup=keyboard)
    except TelegramError as exc:
        log.warning("private_review_send_failed", error_type=type(exc).__name__)


async def _undo(
    query: CallbackQuery,
    message: Message,
    services: Services,
    views: ReviewViews,
    moderator: Moderator,
    case: CaseView,
    served: str = "",
) -> None:
    """Undoes `case` and claims it for its undoer, who is about to decide it again (nobody
    else is served it meanwhile); `served`: the case shown with the Undo button (a decision's
    edit shows the next one), given back to the queue when the undone case takes its place."""
    window = services.settings.undo_window
    now = services.clock.now()
    policy = services.settings.case_policy
    if case.status is CaseStatus.PENDING:
        await query.answer(views.t("review.alert.not_decided"), show_alert=True)
        return
    if case.decided_by != moderator.user_id and not moderator.is_admin:
        await query.answer(views.t("review.alert.undo_not_yours"), show_alert=True)
        await undo(  # refused again inside, and audited there
            services.store, case.id, moderator, undo_window=window, now=now, policy=policy
        )
        return
    if not undo_open(case, now, window):
        await query.answer(views.t("review.alert.undo_expired"), show_alert=True)
        await _edit(services, message, _shown(services, views, moderator, case))
        return
    outcome = await undo(
        services.store, case.id, moderator, undo_window=window, now=now, policy=policy
    )
    if isinstance(outcome, Undone):
        await query.answer(views.t("review.alert.undone"))
        services.delivery.wake()
        claim = await claim_case(
            services.store,
            case.id,
            moderator,
            now,
            timedelta(seconds=services.settings.review_claim_seconds),
            VIA,
        )  # the case served below goes back with the claim it held
        until = claim.until if isinstance(claim, Claimed) else None
        if until is None and served.isdigit() and int(served) != case.id:
            await release(services.store, int(served), moderator.user_id, now)
        shown = _shown(services, views, moderator, outcome.view, claimed_until=until)
        await _edit(services, message, shown)
        return
    key = "review.alert.stale"
    if isinstance(outcome, UndoRefused) and outcome.reason is UndoRefusal.NEWER_CASE:
        key = "review.newer_case"
    elif isinstance(outcome, UndoRefused) and outcome.reason is UndoRefusal.LEGAL_REQUEST:
        key = "review.legal_request"
    await query.answer(views.t(key, case_id=case.id), show_alert=True)


async def _edit(services: Services, message: Message, shown: Shown) -> None:
    """Edits the review message in place, at the chat's pace (one message a second)."""
    text, keyboard = shown
    await services.private_pacer.turn(message.chat_id)
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if not is_not_modified(exc):
            log.warning("private_review_edit_failed", error=exc.message)
    except TelegramError as exc:
        log.warning("private_review_edit_failed", error_type=type(exc).__name__)
