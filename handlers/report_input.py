"""Turns Telegram messages into the reporting flow's plain inputs, and resolves usernames."""

from __future__ import annotations

import structlog
from telegram import (
    Message,
    MessageEntity,
    MessageOrigin,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ExtBot

from moderation.ports import ResolvedChat
from moderation.reporting.guided_inputs import ForwardInput, Input, MediaInput, Mention, TextInput
from moderation.reporting.targets import ForwardOrigin, TargetKind

log = structlog.get_logger(__name__)

#: Message attributes checked in order to name what was sent instead of text.
_MEDIA = (
    "sticker",
    "photo",
    "video",
    "animation",
    "voice",
    "video_note",
    "audio",
    "document",
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
    "story",
    "game",
)


def message_input(message: Message) -> Input:
    if message.forward_origin is not None:
        return ForwardInput(forward_origin(message.forward_origin), message.text or "")
    if message.text is not None:
        return TextInput(message.text, _first_link(message), _first_mention(message))
    for kind in _MEDIA:
        if getattr(message, kind, None):
            return MediaInput(kind)
    return MediaInput("other")


def forward_origin(origin: MessageOrigin) -> ForwardOrigin:
    if isinstance(origin, MessageOriginChannel):
        return ForwardOrigin(
            type="channel",
            chat_id=origin.chat.id,
            chat_type=origin.chat.type,
            username=origin.chat.username,
            title=origin.chat.title,
            message_id=origin.message_id,
        )
    if isinstance(origin, MessageOriginChat):
        return ForwardOrigin(
            type="chat",
            chat_id=origin.sender_chat.id,
            chat_type=origin.sender_chat.type,
            username=origin.sender_chat.username,
            title=origin.sender_chat.title,
        )
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        return ForwardOrigin(
            type="user",
            chat_id=user.id,
            chat_type=ChatType.PRIVATE,
            username=user.username,
            title=user.full_name,
            is_bot=user.is_bot,
        )
    if isinstance(origin, MessageOriginHiddenUser):
        return ForwardOrigin(type="hidden_user", sender_user_name=origin.sender_user_name)
    return ForwardOrigin(type="hidden_user")


def _first_link(message: Message) -> str | None:
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_LINK and entity.url:
            return entity.url
        if entity.type == MessageEntity.URL:
            return message.parse_entity(entity)
    return None


def _first_mention(message: Message) -> Mention | None:
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            return Mention(entity.user.id, entity.user.is_bot, entity.user.full_name)
    return None


class BotChatResolver:
    """Resolves public usernames with getChat; any failure means "unknown", never an error."""

    def __init__(self, bot: ExtBot[None], timeout: float) -> None:
        self._bot = bot
        self._timeout = timeout

    async def resolve(self, username: str) -> ResolvedChat | None:
        try:
            chat = await self._bot.get_chat(
                f"@{username}", read_timeout=self._timeout, connect_timeout=self._timeout
            )
        except TelegramError as exc:
            log.info("username_not_resolved", error_type=type(exc).__name__)
            return None
        kinds: dict[str, TargetKind] = {
            ChatType.CHANNEL: TargetKind.CHANNEL,
            ChatType.GROUP: TargetKind.GROUP,
            ChatType.SUPERGROUP: TargetKind.GROUP,
        }
        kind = kinds.get(chat.type, TargetKind.USER)
        return ResolvedChat(chat.id, kind, chat.title or chat.full_name)
