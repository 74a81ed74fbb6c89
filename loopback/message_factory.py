"""Builds and stores PTB Message objects for both sides: users' and bots' messages."""

from __future__ import annotations

import datetime as dtm
import json
from typing import Any

from telegram import InlineKeyboardMarkup, Message, User
from telegram.constants import ChatType

from loopback.chat_state import ChatView, MessageRecord, utc_now


def shallow(message: Message) -> Message:
    """The message as embedded in another (reply_to_message is never nested twice)."""
    data = json.loads(message.to_json())
    data.pop("reply_to_message", None)
    return Message.de_json(data, None)


def build_message(
    view: ChatView,
    *,
    sender: User | None,
    thread_id: int | None = None,
    reply_to: MessageRecord | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    date: dtm.datetime | None = None,
    **content: Any,
) -> Message:
    """A new message in the chat's log, with the next message id."""
    chat = view.chat
    is_channel = chat.type == ChatType.CHANNEL
    forum = view.group is not None and view.group.is_forum
    return Message(
        message_id=view.log.allocate_id(),
        date=date or utc_now(),
        chat=chat,
        from_user=None if is_channel else sender,
        sender_chat=chat if is_channel else None,
        message_thread_id=thread_id,
        is_topic_message=True if forum and thread_id is not None else None,
        reply_to_message=shallow(reply_to.message) if reply_to is not None else None,
        reply_markup=reply_markup,
        **content,
    )


def replace_message(message: Message, **changes: Any) -> Message:
    """A copy with JSON-level changes; a None value removes the field."""
    data = json.loads(message.to_json())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return Message.de_json(data, None)


def store(view: ChatView, message: Message, **record_fields: Any) -> MessageRecord:
    record = MessageRecord(message=message, sent_at=message.date, **record_fields)
    view.log.add(record)
    return record
