"""Users, chats, memberships and message logs: the loopback's model of Telegram's state."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from telegram import (
    AcceptedGiftTypes,
    Chat,
    ChatFullInfo,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    Message,
    User,
)
from telegram.constants import ChatType

from loopback.file_store import FileKind, StoredFile
from loopback.records import SentFile, SentMessage


def utc_now() -> dtm.datetime:
    """Telegram dates have whole seconds."""
    return dtm.datetime.now(dtm.UTC).replace(microsecond=0)


@dataclass(eq=False)
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False
    is_bot: bool = False
    blocked_bots: set[int] = field(default_factory=set)

    def to_user(self) -> User:
        return User(
            id=self.id,
            first_name=self.first_name,
            is_bot=self.is_bot,
            last_name=self.last_name,
            username=self.username,
            language_code=None if self.is_bot else self.language_code,
            is_premium=True if self.is_premium else None,
        )

    def private_chat(self) -> Chat:
        return Chat(
            id=self.id,
            type=ChatType.PRIVATE,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
        )

    def full_info(self) -> ChatFullInfo:
        return ChatFullInfo(
            id=self.id,
            type=ChatType.PRIVATE,
            accent_color_id=self.id % 7,
            max_reaction_count=11,
            accepted_gift_types=_NO_GIFTS,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
        )


_NO_GIFTS = AcceptedGiftTypes(
    unlimited_gifts=False,
    limited_gifts=False,
    unique_gifts=False,
    premium_subscription=False,
    gifts_from_channels=False,
)


class MemberStatus(StrEnum):
    CREATOR = "creator"
    ADMINISTRATOR = "administrator"
    MEMBER = "member"
    LEFT = "left"
    KICKED = "kicked"


@dataclass(slots=True)
class Membership:
    status: MemberStatus
    can_delete_messages: bool = True  # meaningful for administrators only

    @property
    def present(self) -> bool:
        return self.status in {
            MemberStatus.CREATOR,
            MemberStatus.ADMINISTRATOR,
            MemberStatus.MEMBER,
        }

    @property
    def is_admin(self) -> bool:
        return self.status in {MemberStatus.CREATOR, MemberStatus.ADMINISTRATOR}

    def can_delete_others(self) -> bool:
        return self.status == MemberStatus.CREATOR or (
            self.status == MemberStatus.ADMINISTRATOR and self.can_delete_messages
        )

    def to_chat_member(self, user: User, chat_type: str) -> ChatMember:
        if self.status == MemberStatus.CREATOR:
            return ChatMemberOwner(user=user, is_anonymous=False)
        if self.status == MemberStatus.ADMINISTRATOR:
            is_channel = chat_type == ChatType.CHANNEL
            is_supergroup = chat_type == ChatType.SUPERGROUP
            return ChatMemberAdministrator(
                user=user,
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=self.can_delete_messages,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=True,
                can_edit_stories=True,
                can_delete_stories=True,
                can_post_messages=True if is_channel else None,
                can_edit_messages=True if is_channel else None,
                can_pin_messages=None if is_channel else True,
                can_manage_topics=True if is_supergroup else None,
            )
        if self.status == MemberStatus.MEMBER:
            return ChatMemberMember(user=user)
        if self.status == MemberStatus.KICKED:
            return ChatMemberBanned(user=user, until_date=dtm.datetime.fromtimestamp(0, dtm.UTC))
        return ChatMemberLeft(user=user)


@dataclass(eq=False)
class MessageRecord:
    """A message in a chat; `message` is its current state as Telegram would send it."""

    message: Message
    sent_at: dtm.datetime
    sender_bot_id: int | None = None
    source_text: str = ""
    parse_mode: str | None = None
    markup: dict[str, Any] | None = None
    link_preview_options: dict[str, Any] | None = None
    disable_web_page_preview: bool | None = None
    file: StoredFile | None = None
    edit_history: list[str] = field(default_factory=list)
    edited_at: dtm.datetime | None = None
    deleted: bool = False
    revision: int = 0  # bumped by every edit (text, caption or keyboard)
    #: The message's JSON as last read, and the (immutable) Message it was read from: a test
    #: that looks at a chat after every change would otherwise serialise every message again.
    _json: tuple[Message, dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def message_id(self) -> int:
        return self.message.message_id

    def _message_json(self) -> dict[str, Any]:
        message = self.message
        if self._json is None or self._json[0] is not message:
            self._json = (message, json.loads(message.to_json()))
        return self._json[1]

    def snapshot(self) -> SentMessage:
        message = self.message
        data = self._message_json()
        sent_file = None
        if self.file is not None:
            sent_file = SentFile(
                self.file.file_id, self.file.filename, self.file.mime_type, self.file.data
            )
        is_photo = self.file is not None and self.file.kind == FileKind.PHOTO
        reply = message.reply_to_message
        return SentMessage(
            message_id=message.message_id,
            chat_id=message.chat.id,
            thread_id=message.message_thread_id,
            bot_id=self.sender_bot_id or 0,
            text=message.text or "",
            html=self.source_text,
            parse_mode=self.parse_mode,
            entities=tuple(data.get("entities", [])),
            reply_markup=self.markup,
            link_preview_options=self.link_preview_options,
            disable_web_page_preview=self.disable_web_page_preview,
            caption=message.caption,
            caption_entities=tuple(data.get("caption_entities", [])),
            document=None if is_photo else sent_file,
            photo=sent_file if is_photo else None,
            reply_to_message_id=reply.message_id if reply is not None else None,
            edit_history=tuple(self.edit_history),
            deleted=self.deleted,
            sent_at=self.sent_at,
            edited_at=self.edited_at,
        )


class MessageLog:
    """One chat's messages as one bot sees them (message ids are per chat)."""

    def __init__(self) -> None:
        self.records: dict[int, MessageRecord] = {}
        self._last_id = 0
        self._changed: asyncio.Event | None = None

    def touch(self) -> None:
        """A message here was added, edited or deleted: wakes only this chat's waiters."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_change(self, timeout: float) -> None:  # noqa: ASYNC109
        """Waits for the next `touch` (TimeoutError after `timeout` seconds)."""
        if self._changed is None:
            self._changed = asyncio.Event()
        await asyncio.wait_for(self._changed.wait(), timeout)

    def peek_next_id(self) -> int:
        return self._last_id + 1

    def allocate_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def add(self, record: MessageRecord) -> None:
        self.records[record.message_id] = record
        self.touch()

    def get(self, message_id: int) -> MessageRecord | None:
        record = self.records.get(message_id)
        return None if record is None or record.deleted else record

    def sent_by_bots(self) -> list[MessageRecord]:
        return [record for record in self.records.values() if record.sender_bot_id is not None]


@dataclass(eq=False)
class ChatRecord:
    """A group, supergroup or channel."""

    id: int
    type: ChatType
    title: str
    username: str | None = None
    is_forum: bool = False
    members: dict[int, Membership] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    log: MessageLog = field(default_factory=MessageLog)
    migrated_to: int | None = None
    migrated_from: int | None = None

    @property
    def kind_label(self) -> str:
        """How Telegram's error texts name the chat: "group chat", "supergroup chat"..."""
        return f"{self.type} chat"

    def membership(self, user_id: int) -> Membership:
        return self.members.get(user_id, Membership(MemberStatus.LEFT))

    def to_chat(self) -> Chat:
        return Chat(
            id=self.id,
            type=self.type,
            title=self.title,
            username=self.username,
            is_forum=True if self.is_forum else None,
        )

    def full_info(self) -> ChatFullInfo:
        return ChatFullInfo(
            id=self.id,
            type=self.type,
            accent_color_id=abs(self.id) % 7,
            max_reaction_count=11,
            accepted_gift_types=_NO_GIFTS,
            title=self.title,
            username=self.username,
            is_forum=True if self.is_forum else None,
        )


@dataclass(frozen=True, eq=False)
class ChatView:
    """A chat as one bot addresses it: its PTB Chat, its message log and what backs it."""

    chat: Chat
    log: MessageLog
    group: ChatRecord | None = None
    user: UserRecord | None = None
    bot_id: int | None = None

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def is_private(self) -> bool:
        return self.group is None
