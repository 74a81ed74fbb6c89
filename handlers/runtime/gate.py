"""The access gate: every command and button handler answers only after the table said yes.

`guard` wraps the callback of every command and button handler registered in the answering
group (`bot/app.py`), so PTB's own matching (the bot's @username, chat-type filters, callback
patterns) decides first whether the handler applies, exactly as before, and the gate then looks
the command or `<prefix>:<action>` up in handlers/runtime/permissions.py for the chat it came
from. The sender is resolved once (`handlers.runtime.access.resolve_actor`, asking only what
the entry needs) and handed to the handler on the context (`context.actor`); a refusal is
recorded and answered here, and the handler does not run. Handlers of later groups (the staff
menu on /start, a report put on hold after a staff command) still run, refused or not, as they
did when each handler refused for itself. A registered command or button prefix the table does
not know stops the bot at start-up.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

import structlog
from telegram import Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.callback_data import (
    APPEAL_PREFIX,
    PRIVATE_REVIEW_PREFIX,
    REPORT_PREFIX,
    REVIEW_PREFIX,
    parse_appeal_button,
    parse_private_button,
    parse_report_button,
    parse_review_button,
)
from handlers.i18n import DEFAULT_LANGUAGE
from handlers.runtime.access import Actor, resolve_actor
from handlers.runtime.context import BotApplication, BotContext
from handlers.runtime.permissions import ACCESS, BUTTONS, PEOPLE, ROLE_WHO, Access, Where, Who
from moderation.review.decisions import record_refused_press
from moderation.review.delivery import review_chat
from moderation.staff.team import record_denial

log = structlog.get_logger(__name__)

#: The handler group whose commands and buttons answer (later groups only follow up).
ANSWERING_GROUP: Final = 0

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]


class UnknownAccess(RuntimeError):
    """A handler is registered for a command or button the access table does not know."""


def _button_key(data: str | None) -> tuple[str, int | None] | None:
    """`<prefix>:<action>` and the case pressed on, for data one of our parsers accepts."""
    if (review := parse_review_button(data)) is not None:
        return f"{REVIEW_PREFIX}:{review.action.value}", review.case_id
    if (private := parse_private_button(data)) is not None:
        return f"{PRIVATE_REVIEW_PREFIX}:{private.action.value}", private.case_id or None
    if (appeal := parse_appeal_button(data)) is not None:
        return f"{APPEAL_PREFIX}:{appeal.action.value}", None
    if (report := parse_report_button(data)) is not None:
        return f"{REPORT_PREFIX}:{report.action.value}", None
    return None


_PREFIXES: Final = frozenset(key.split(":")[0] for key in BUTTONS)
#: Every place a command can come from (None: a group other than the review chat).
_PLACES: Final[tuple[Where | None, ...]] = (Where.PRIVATE, Where.REVIEW, None)


def guard(application: BotApplication) -> None:
    """Puts every command and button handler of the answering group behind the table (once);
    a command or button prefix the table does not know, in any group, is refused here."""
    for group, handlers in application.handlers.items():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                unknown = handler.commands - ACCESS.keys()
                if unknown:
                    raise UnknownAccess(f"commands not in the access table: {sorted(unknown)}")
                admit = _admit_command
            elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                text = getattr(handler.pattern, "pattern", handler.pattern)
                if str(text).removeprefix("^").split(":")[0] not in _PREFIXES:
                    raise UnknownAccess(f"buttons not in the access table: {text!r}")
                admit = _admit_press
            else:
                continue
            if group == ANSWERING_GROUP and not is_gated(handler.callback):
                handler.callback = _gated(handler.callback, admit)


def is_gated(callback: object) -> bool:
    return getattr(callback, "__gated__", False) is True


def _gated(callback: Callback, admit: Callable[[Update, BotContext], Awaitable[bool]]) -> Callback:
    @functools.wraps(callback)
    async def gated(update: Update, context: BotContext) -> Any:
        if await admit(update, context):
            return await callback(update, context)
        return None

    gated.__gated__ = True  # type: ignore[attr-defined]
    return gated


# --- commands -----------------------------------------------------------------------------


def _command_of(message: Message) -> str | None:
    entities, text = message.entities, message.text
    if not text or not entities or entities[0].type != MessageEntity.BOT_COMMAND:
        return None
    return text[1 : entities[0].length].split("@")[0].lower()


async def _admit_command(update: Update, context: BotContext) -> bool:
    message, user = update.effective_message, update.effective_user
    name = _command_of(message) if message is not None else None
    if message is None or user is None or name is None or name not in ACCESS:
        return True  # not a command the table knows: the handler decides, as it always did
    access = ACCESS[name]
    args = context.args or []
    sub = None
    if access.argument is not None and args and args[0].lower() == access.argument[0]:
        sub = access.argument[1]
    entry = sub or access
    if all(_everyone(_admits(entry, where), where) for where in _PLACES):
        return True  # served to everyone everywhere (/help, /report): nothing to read
    place = await _where(context, message.chat.type, message.chat.id)
    where = place.where
    if access.served(where) is None:
        return False  # the command does not apply here: ignored, as before
    wanted = _admits(access, where) | (_admits(sub, where) if sub is not None else frozenset())
    if _everyone(_admits(entry, where), where):
        return True  # served to everyone here: nothing to resolve
    actor = await _actor(context, user, place, wanted)
    who = actor.who(where)
    if who & _admits(entry, where):
        return True
    # Those the command serves but not with this argument hear the argument's refusal.
    refused = sub if sub is not None and who & _admits(access, where) else access
    await _refuse_command(message, context, name, refused, actor, where)
    return False


def _admits(access: Access, where: Where | None) -> frozenset[Who]:
    return (access.served(where) or frozenset()) | access.by_domain


def _everyone(admitted: frozenset[Who], where: Where | None) -> bool:
    return admitted >= (PEOPLE[where] if where is not None else frozenset(Who))


async def _refuse_command(
    message: Message,
    context: BotContext,
    name: str,
    access: Access,
    actor: Actor,
    where: Where | None,
) -> None:
    services = context.services
    refusal = access.refusal
    if refusal is None:
        raise UnknownAccess(f"/{name}: the table refuses someone but says no answer")
    details: dict[str, str] = {}
    if refusal.where_in_audit:
        details["chat_type"] = message.chat.type
    text = refusal.text
    if refusal.wrong_place is not None:
        roles = frozenset(ROLE_WHO[role] for role in actor.roles.all)
        elsewhere = any(roles & (access.served(p) or frozenset()) for p in _PLACES if p != where)
        details["why"] = "wrong_chat" if elsewhere else "not_staff"
        text = refusal.wrong_place if elsewhere else refusal.text
    await record_denial(services.store, actor.user.id, name, services.clock.now(), **details)
    log.info("access_refused", command=name, **{"chat_type": message.chat.type, **details})
    if not refusal.review_voice:
        await message.reply_text(services.texts.render(actor.user.language_code, text))
        return
    if message.chat.type != ChatType.PRIVATE:
        await services.review_budget.spend()
    try:
        await message.reply_text(services.texts.render(DEFAULT_LANGUAGE, text))
    except TelegramError as exc:
        log.warning("review_reply_failed", error_type=type(exc).__name__)


# --- buttons ------------------------------------------------------------------------------


async def _admit_press(update: Update, context: BotContext) -> bool:
    query, user = update.callback_query, update.effective_user
    found = _button_key(query.data) if query is not None else None
    if query is None or user is None or found is None or not isinstance(query.message, Message):
        return True  # not one of our buttons: the handler answers it (stale), as before
    key, case_id = found
    access = BUTTONS[key]
    if access.refusal is None:
        return True  # everyone's own buttons
    place = await _where(context, query.message.chat.type, query.message.chat.id)
    where = place.where
    if where in access.places:
        actor = await _actor(context, user, place, access.admitted)
        if actor.who(where) & access.admitted:
            return True
    services = context.services
    alert = services.texts.render(DEFAULT_LANGUAGE, access.refusal.text)
    await query.answer(alert, show_alert=True)
    await record_refused_press(
        services.store, case_id, user.id, access.refusal.why, services.clock.now()
    )
    return False


# --- where and who ------------------------------------------------------------------------


async def _where(context: BotContext, chat_type: str, chat_id: int) -> _Place:
    """Private, the review chat (following a group -> supergroup migration), or None."""
    if chat_type == ChatType.PRIVATE:
        return _Place(Where.PRIVATE, None, known=False)
    services = context.services
    review_id = await review_chat(services.store, services.settings.review_chat_id)
    return _Place(Where.REVIEW if chat_id == review_id else None, review_id, known=True)


@dataclass(frozen=True, slots=True)
class _Place:
    where: Where | None
    review_chat_id: int | None
    known: bool  # whether review_chat_id was read (a private chat does not need it)


async def _actor(context: BotContext, user: User, place: _Place, wanted: frozenset[Who]) -> Actor:
    """Resolves the sender, asking only what `wanted` tells apart, and hands them to the
    handler on the context."""
    services = context.services
    review_id = None
    if Who.CHAT_ADMIN in wanted:
        review_id = place.review_chat_id
        if not place.known:
            review_id = await review_chat(services.store, services.settings.review_chat_id)
    private = place.where is Where.PRIVATE
    actor = await resolve_actor(
        context.bot,
        services.store,
        services.settings,
        services.admins,
        user,
        review_chat_id=review_id,
        ask_blocked=private and (Who.REPORTER in wanted) != (Who.BLOCKED in wanted),
    )
    context.admit(actor)
    return actor
