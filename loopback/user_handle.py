"""A simulated person: sends, forwards, edits, presses buttons, blocks bots, reads replies."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable

from telegram import (
    Contact,
    Document,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    PhotoSize,
    Sticker,
    User,
)

from loopback.chat_state import ChatView, MessageRecord, UserRecord, utc_now
from loopback.file_store import FileKind
from loopback.handles import (
    BotHandle,
    ChatHandle,
    MessageRef,
    Press,
    next_bot_message,
    wait_in_log,
)
from loopback.images import image_size, tiny_png
from loopback.records import SentMessage
from loopback.user_actions import (
    chat_for,
    edit,
    post,
    press,
    private_block_change,
    text_content,
)
from loopback.world import BotRecord, World


class UserHandle:
    """A person: sends messages, forwards, presses buttons and blocks bots."""

    def __init__(self, world: World, record: UserRecord) -> None:
        self._world = world
        self._record = record
        self._cursors: dict[int, int] = {}

    @property
    def id(self) -> int:
        return self._record.id

    @property
    def first_name(self) -> str:
        return self._record.first_name

    @property
    def username(self) -> str | None:
        return self._record.username

    @property
    def language_code(self) -> str | None:
        return self._record.language_code

    @property
    def user(self) -> User:
        return self._record.to_user()

    @property
    def record(self) -> UserRecord:
        return self._record

    def _bot(self, bot: BotHandle | None) -> BotRecord:
        return bot.record if bot is not None else self._world.default_bot()

    def _view(self, chat: ChatHandle | None, bot: BotHandle | None) -> ChatView:
        return chat_for(self._world, self._record, chat.record if chat else None, self._bot(bot))

    def _post(
        self,
        content: dict[str, object],
        chat: ChatHandle | None,
        thread_id: int | None,
        bot: BotHandle | None,
        reply_to: int | None = None,
    ) -> Message:
        view = self._view(chat, bot)
        return post(
            self._world, self._record, view, content, thread_id=thread_id, reply_to=reply_to
        )

    async def send(
        self,
        text: str,
        *,
        chat: ChatHandle | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        """Sends text (entities detected as Telegram does) to the bot or into `chat`."""
        return self._post(text_content(text), chat, thread_id, bot, reply_to)

    async def forward_from_channel(
        self,
        channel: ChatHandle,
        *,
        message_id: int = 1,
        text: str = "Forwarded post",
        author_signature: str | None = None,
        chat: ChatHandle | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        origin = MessageOriginChannel(
            date=utc_now(),
            chat=channel.chat,
            message_id=message_id,
            author_signature=author_signature,
        )
        return self._post({**text_content(text), "forward_origin": origin}, chat, None, bot)

    async def forward_from_user(
        self,
        sender: UserHandle,
        *,
        text: str = "Forwarded message",
        chat: ChatHandle | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        origin = MessageOriginUser(date=utc_now(), sender_user=sender.user)
        return self._post({**text_content(text), "forward_origin": origin}, chat, None, bot)

    async def forward_from_hidden_user(
        self,
        sender_name: str,
        *,
        text: str = "Forwarded message",
        chat: ChatHandle | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        origin = MessageOriginHiddenUser(date=utc_now(), sender_user_name=sender_name)
        return self._post({**text_content(text), "forward_origin": origin}, chat, None, bot)

    async def forward_from_chat(
        self,
        source: ChatHandle,
        *,
        text: str = "Forwarded message",
        chat: ChatHandle | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        """A message sent on behalf of a chat (anonymous admin, linked channel)."""
        origin = MessageOriginChat(date=utc_now(), sender_chat=source.chat)
        return self._post({**text_content(text), "forward_origin": origin}, chat, None, bot)

    async def send_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
        *,
        chat: ChatHandle | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        contact = Contact(phone_number, first_name, last_name=last_name, user_id=user_id)
        return self._post({"contact": contact}, chat, None, bot)

    async def send_photo(
        self,
        content: bytes | None = None,
        *,
        caption: str | None = None,
        chat: ChatHandle | None = None,
        thread_id: int | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        data = content if content is not None else tiny_png()
        width, height = image_size(data) or (1, 1)
        stored = self._world.files.add(
            FileKind.PHOTO, data, mime_type="image/jpeg", width=width, height=height
        )
        photo = PhotoSize(stored.file_id, stored.file_unique_id, width, height, stored.size)
        extra = text_content(caption, caption=True) if caption else {}
        return self._post({"photo": [photo], **extra}, chat, thread_id, bot)

    async def send_sticker(
        self,
        emoji: str = "👍",
        *,
        chat: ChatHandle | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        stored = self._world.files.add(
            FileKind.STICKER, b"RIFF\x00\x00\x00\x00WEBPVP8 ", mime_type="image/webp"
        )
        sticker = Sticker(
            stored.file_id,
            stored.file_unique_id,
            512,
            512,
            is_animated=False,
            is_video=False,
            type=Sticker.REGULAR,
            emoji=emoji,
        )
        return self._post({"sticker": sticker}, chat, None, bot)

    async def send_document(
        self,
        filename: str = "document.pdf",
        content: bytes = b"%PDF-1.4\n% loopback test document\n",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: ChatHandle | None = None,
        thread_id: int | None = None,
        bot: BotHandle | None = None,
    ) -> Message:
        kind = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._world.files.add(
            FileKind.DOCUMENT, content, filename=filename, mime_type=kind
        )
        document = Document(stored.file_id, stored.file_unique_id, filename, kind, stored.size)
        extra = text_content(caption, caption=True) if caption else {}
        return self._post({"document": document, **extra}, chat, thread_id, bot)

    def _view_of(self, message: MessageRef) -> ChatView:
        if isinstance(message, SentMessage):
            chat_id, bot_id = message.chat_id, message.bot_id
        else:
            chat_id = message.chat.id
            sender = message.from_user
            bot_id = sender.id if sender is not None and sender.is_bot else 0
        group = self._world.chats.get(chat_id)
        if group is not None:
            return self._world.group_view(group)
        if chat_id != self.id:
            raise LookupError(f"chat {chat_id} is neither a group nor {self.first_name}'s chat")
        bot = self._world.bot_by_id(bot_id) or self._world.default_bot()
        return self._world.private_view(bot, self._record)

    async def edit(self, message: Message, text: str, *, bot: BotHandle | None = None) -> Message:
        """Edits one of this user's messages; the bot gets an edited_message update."""
        group = self._world.chats.get(message.chat.id)
        view = (
            self._world.group_view(group)
            if group is not None
            else self._world.private_view(self._bot(bot), self._record)
        )
        return edit(self._world, self._record, view, message.message_id, text)

    async def press(
        self, message: MessageRef, data: str | None = None, *, text: str | None = None
    ) -> Press:
        """Presses an inline button by its callback data or its label."""
        view = self._view_of(message)
        record = press(self._world, self._record, view, message.message_id, data=data, text=text)
        return Press(self._world, record)

    async def press_forged(self, message: MessageRef, data: str) -> Press:
        """Sends callback data no button of the message carries (a modified client can)."""
        view = self._view_of(message)
        record = press(
            self._world, self._record, view, message.message_id, data=data, text=None, forged=True
        )
        return Press(self._world, record)

    async def next_message(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109  (the public API takes a plain timeout)
        *,
        bot: BotHandle | None = None,
    ) -> SentMessage:
        """The next bot message in this user's private chat not yet returned to this handle."""
        the_bot = self._bot(bot)
        cursor = self._cursors.get(the_bot.id, 0)
        log = self._world.private_log(the_bot.id, self.id)
        message = await next_bot_message(
            self._world, log, cursor, timeout, f"{self.first_name}'s private chat"
        )
        self._cursors[the_bot.id] = cursor + 1
        return message

    async def wait_until(
        self,
        condition: Callable[[], object],
        timeout: float = 10.0,  # noqa: ASYNC109  (the public API takes a plain timeout)
        *,
        bot: BotHandle | None = None,
    ) -> None:
        """Waits until `condition()` holds, re-checked whenever this private chat changes
        (a message sent, edited or deleted), e.g. for the edit a button press causes."""
        the_bot = self._bot(bot)
        log = self._world.private_log(the_bot.id, self.id)
        await wait_in_log(
            log,
            condition,
            timeout,
            lambda: f"condition still false in {self.first_name}'s private chat after {timeout} s",
        )

    def message(self, message: MessageRef, *, bot: BotHandle | None = None) -> SentMessage:
        """One bot message in this private chat as it is now (edits applied)."""
        record = self._private_record(message, bot)
        return record.snapshot()

    def revision(self, message: MessageRef, *, bot: BotHandle | None = None) -> int:
        """How often a bot message here has been edited; cheap to poll in `wait_until`."""
        return self._private_record(message, bot).revision

    def _private_record(self, message: MessageRef, bot: BotHandle | None) -> MessageRecord:
        log = self._world.private_log(self._bot(bot).id, self.id)
        record = log.records.get(message.message_id)
        if record is None:
            raise LookupError(f"message {message.message_id} is not in this private chat")
        return record

    def messages(self, *, bot: BotHandle | None = None) -> list[SentMessage]:
        log = self._world.private_log(self._bot(bot).id, self.id)
        return [record.snapshot() for record in log.sent_by_bots()]

    def block_bot(self, bot: BotHandle | None = None) -> None:
        private_block_change(self._world, self._bot(bot), self._record, blocked=True)

    def unblock_bot(self, bot: BotHandle | None = None) -> None:
        private_block_change(self._world, self._bot(bot), self._record, blocked=False)
