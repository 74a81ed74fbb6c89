"""sendMessage, sendChatAction, editMessageText, editMessageReplyMarkup and deleteMessage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Message

from loopback.api_errors import bad_request
from loopback.chat_access import (
    require_can_send,
    resolve_chat,
    resolve_reply,
    resolve_thread,
    sendable_chat,
)
from loopback.chat_state import ChatView, MessageRecord, utc_now
from loopback.formatted_text import FormattedText
from loopback.keyboards import inline_markup, parse_reply_markup, require_buttons_allowed
from loopback.message_factory import build_message, replace_message, store
from loopback.message_text import MAX_TEXT_LENGTH, format_text
from loopback.methods.context import CallContext

#: The Bot API's deleteMessage: "a message can only be deleted if it was sent less than 48
#: hours ago" (older ones answer 400 "message can't be deleted"; editing them still works).
DELETABLE_FOR = timedelta(hours=48)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


def entity_list(ctx: CallContext, name: str) -> list[dict[str, Any]] | None:
    value = ctx.params.json(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise bad_request(f"can't parse {name} JSON object")
    return value


def message_text(ctx: CallContext) -> tuple[str, FormattedText]:
    source = ctx.params.text("text") or ""
    formatted = format_text(
        source,
        parse_mode=ctx.params.text("parse_mode"),
        entities=entity_list(ctx, "entities"),
        lookup_user=ctx.world.user_lookup(ctx.bot),
    )
    if not formatted.text:
        raise bad_request("message text is empty")
    if formatted.length > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return source, formatted


def thread_and_reply(ctx: CallContext, view: ChatView) -> tuple[int | None, MessageRecord | None]:
    thread_id = resolve_thread(view, ctx.params.integer("message_thread_id"))
    reply_to = resolve_reply(view, ctx.params)
    if thread_id is None and reply_to is not None and view.group is not None:
        thread_id = reply_to.message.message_thread_id if view.group.is_forum else None
    return thread_id, reply_to


def link_preview(ctx: CallContext) -> tuple[dict[str, Any] | None, bool | None]:
    options = ctx.params.json("link_preview_options")
    disable = ctx.params.text("disable_web_page_preview")
    return (
        options if isinstance(options, dict) else None,
        None if disable is None else ctx.params.flag("disable_web_page_preview"),
    )


async def send_message(ctx: CallContext) -> Any:
    view = sendable_chat(ctx.world, ctx.bot, ctx.params)
    source, formatted = message_text(ctx)
    thread_id, reply_to = thread_and_reply(ctx, view)
    markup = parse_reply_markup(ctx.params)
    require_buttons_allowed(markup, private=view.is_private)
    options, disable_preview = link_preview(ctx)
    ctx.spend_send_quota(view)
    message = build_message(
        view,
        sender=ctx.bot.user.to_user(),
        thread_id=thread_id,
        reply_to=reply_to,
        reply_markup=inline_markup(markup),
        text=formatted.text,
        entities=formatted.entities or None,
    )
    store(
        view,
        message,
        sender_bot_id=ctx.bot.id,
        source_text=source,
        parse_mode=ctx.params.text("parse_mode"),
        markup=markup,
        link_preview_options=options,
        disable_web_page_preview=disable_preview,
    )
    ctx.world.changed()
    return message.to_dict()


def _own_message(ctx: CallContext) -> tuple[ChatView, MessageRecord]:
    if ctx.params.text("inline_message_id") and not ctx.params.text("chat_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    view = resolve_chat(ctx.world, ctx.bot, ctx.params.chat_ref())
    if view.group is not None:
        require_can_send(ctx.bot, view)
    message_id = ctx.params.required_integer(
        "message_id", error="message identifier is not specified"
    )
    record = view.log.get(message_id)
    if record is None:
        raise bad_request("message to edit not found")
    if record.sender_bot_id != ctx.bot.id:
        raise bad_request("message can't be edited")
    return view, record


def _markup_dict(message: Message) -> dict[str, Any] | None:
    return message.reply_markup.to_dict() if message.reply_markup is not None else None


def _apply_edit(record: MessageRecord, **changes: Any) -> Message:
    now = utc_now()
    previous = record.message
    record.edit_history.append(previous.text or previous.caption or "")
    record.message = replace_message(previous, edit_date=int(now.timestamp()), **changes)
    record.edited_at = now
    record.revision += 1
    return record.message


async def edit_message_text(ctx: CallContext) -> Any:
    view, record = _own_message(ctx)
    current = record.message
    if current.text is None:
        raise bad_request("there is no text in the message to edit")
    source, formatted = message_text(ctx)
    markup = parse_reply_markup(ctx.params)
    require_buttons_allowed(markup, private=view.is_private)
    new_markup = inline_markup(markup)
    new_markup_dict = new_markup.to_dict() if new_markup is not None else None
    unchanged = (
        formatted.text == current.text
        and formatted.entity_dicts() == [entity.to_dict() for entity in current.entities]
        and new_markup_dict == _markup_dict(current)
    )
    if unchanged:
        raise bad_request(NOT_MODIFIED)
    ctx.spend_edit_quota(view)
    edited = _apply_edit(
        record,
        text=formatted.text,
        entities=[entity.to_dict() for entity in formatted.entities] or None,
        reply_markup=new_markup_dict,
    )
    record.source_text = source
    record.parse_mode = ctx.params.text("parse_mode")
    record.markup = markup
    record.link_preview_options, record.disable_web_page_preview = link_preview(ctx)
    view.log.touch()
    ctx.world.changed()
    return edited.to_dict()


async def edit_message_reply_markup(ctx: CallContext) -> Any:
    view, record = _own_message(ctx)
    markup = parse_reply_markup(ctx.params)
    require_buttons_allowed(markup, private=view.is_private)
    new_markup = inline_markup(markup)
    new_markup_dict = new_markup.to_dict() if new_markup is not None else None
    if new_markup_dict == _markup_dict(record.message):
        raise bad_request(NOT_MODIFIED)
    ctx.spend_edit_quota(view)
    record.message = replace_message(
        record.message, edit_date=int(utc_now().timestamp()), reply_markup=new_markup_dict
    )
    record.edited_at = utc_now()
    record.revision += 1
    record.markup = markup
    view.log.touch()
    ctx.world.changed()
    return record.message.to_dict()


async def delete_message(ctx: CallContext) -> Any:
    view = resolve_chat(ctx.world, ctx.bot, ctx.params.chat_ref())
    if view.group is not None:
        require_can_send(ctx.bot, view)
    message_id = ctx.params.required_integer(
        "message_id", error="message identifier is not specified"
    )
    record = view.log.get(message_id)
    if record is None:
        raise bad_request("message to delete not found")
    if utc_now() - record.sent_at >= DELETABLE_FOR:
        raise bad_request("message can't be deleted")
    others = view.group is not None and record.sender_bot_id != ctx.bot.id
    if (
        others
        and view.group is not None
        and not view.group.membership(ctx.bot.id).can_delete_others()
    ):
        raise bad_request("message can't be deleted")
    record.deleted = True
    view.log.touch()
    ctx.world.changed()
    return True


#: The actions Telegram accepts in sendChatAction.
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


async def send_chat_action(ctx: CallContext) -> Any:
    """Shows nothing here; refuses what Telegram refuses (chat, rights, topic, action)."""
    view = sendable_chat(ctx.world, ctx.bot, ctx.params)
    if ctx.params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    resolve_thread(view, ctx.params.integer("message_thread_id"))
    return True
