"""Handles tests hold for a bot, a group or channel, and a pressed button."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
from collections.abc import Callable
from typing import TYPE_CHECKING

from telegram import Chat, ForumTopicCreated, Message, User

from loopback.call_log import describe_calls
from loopback.chat_state import ChatRecord, Membership, MemberStatus, MessageLog
from loopback.records import CallbackAnswer, SentMessage
from loopback.user_actions import service_message
from loopback.world import BotRecord, CallbackRecord, World

if TYPE_CHECKING:
    from loopback.user_handle import UserHandle

#: A message the bot sent, as a test holds it: its snapshot or the PTB Message.
MessageRef = SentMessage | Message


class BotHandle:
    """A bot account served by the loopback server."""

    def __init__(self, world: World, record: BotRecord) -> None:
        self._world = world
        self._record = record

    @property
    def id(self) -> int:
        return self._record.id

    @property
    def token(self) -> str:
        return self._record.token

    @property
    def username(self) -> str:
        return self._record.username

    @property
    def first_name(self) -> str:
        return self._record.user.first_name

    @property
    def user(self) -> User:
        return self._record.user.to_user()

    @property
    def pending_update_count(self) -> int:
        return self._record.updates.pending_count

    @property
    def record(self) -> BotRecord:
        return self._record

    @property
    def last_update_id(self) -> int | None:
        """The id of the newest update queued for this bot (None before the first)."""
        history = self._record.updates.history()
        return int(history[-1]["update_id"]) if history else None

    def update_id_of(self, message: Message) -> int:
        """The id of the update that delivered one of a user's messages to this bot."""
        for update in reversed(self._record.updates.history()):
            sent = update.get("message")
            if (
                sent
                and sent["message_id"] == message.message_id
                and (sent["chat"]["id"] == message.chat.id)
            ):
                return int(update["update_id"])
        raise LookupError(f"message {message.message_id} was never delivered to this bot")

    def redeliver(self, update_id: int) -> None:
        """Queues an already delivered update again (a crash before its offset was confirmed);
        a bot started afterwards receives it a second time."""
        self._record.updates.redeliver(update_id)


class Press:
    """A pressed callback button; `answered()` waits for the bot's answerCallbackQuery."""

    def __init__(self, world: World, record: CallbackRecord) -> None:
        self._world = world
        self._record = record

    @property
    def data(self) -> str:
        return self._record.data

    @property
    def query_id(self) -> str:
        return self._record.query_id

    @property
    def answer(self) -> CallbackAnswer | None:
        return self._record.answer

    async def answered(self, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        try:
            await asyncio.wait_for(self._record.answered.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"callback query {self.query_id} ({self.data!r}) was not answered within "
                f"{timeout} s; {describe_calls(self._world.calls)}"
            ) from None
        assert self._record.answer is not None
        return self._record.answer


async def wait_in_log(
    log: MessageLog, condition: Callable[[], object], limit: float, describe: Callable[[], str]
) -> None:
    """Waits until `condition()` holds, re-checked only when this chat's messages change
    (a thousand simulated users then cost nothing while others' chats change)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(describe())
        with contextlib.suppress(TimeoutError):
            await log.wait_change(remaining)


async def next_bot_message(
    world: World, log: MessageLog, cursor: int, limit: float, where: str
) -> SentMessage:
    await wait_in_log(
        log,
        lambda: len(log.sent_by_bots()) > cursor,
        limit,
        lambda: f"no new bot message in {where} within {limit} s; {describe_calls(world.calls)}",
    )
    return log.sent_by_bots()[cursor].snapshot()


class ChatHandle:
    """A group, supergroup or channel; reads what bots sent there with its own cursor."""

    def __init__(self, world: World, record: ChatRecord) -> None:
        self._world = world
        self._record = record
        self._cursor = 0

    @property
    def id(self) -> int:
        return self._record.id

    @property
    def title(self) -> str:
        return self._record.title

    @property
    def type(self) -> str:
        return str(self._record.type)

    @property
    def username(self) -> str | None:
        return self._record.username

    @property
    def is_forum(self) -> bool:
        return self._record.is_forum

    @property
    def chat(self) -> Chat:
        return self._record.to_chat()

    @property
    def record(self) -> ChatRecord:
        return self._record

    def create_topic(self, name: str, *, by: UserHandle | None = None) -> int:
        """Creates a forum topic; its id is the id of the forum_topic_created message."""
        if not self._record.is_forum:
            raise ValueError(f"{self.title!r} is not a forum; add_supergroup(..., forum=True)")
        view = self._world.group_view(self._record)
        thread_id = view.log.peek_next_id()  # a topic's id is its service message's id
        self._record.topics[thread_id] = name
        message = service_message(
            self._world,
            view,
            by.record if by is not None else None,
            thread_id=thread_id,
            forum_topic_created=ForumTopicCreated(name=name, icon_color=0x6FB9F0),
        )
        assert message.message_id == thread_id
        return thread_id

    def add_member(self, user: UserHandle, *, admin: bool = False) -> None:
        status = MemberStatus.ADMINISTRATOR if admin else MemberStatus.MEMBER
        self._record.members[user.id] = Membership(status)
        self._world.changed()

    def remove_member(self, user: UserHandle, *, banned: bool = False) -> None:
        status = MemberStatus.KICKED if banned else MemberStatus.LEFT
        self._record.members[user.id] = Membership(status)
        self._world.changed()

    def messages(self, thread_id: int | None = None) -> list[SentMessage]:
        return [
            record.snapshot()
            for record in self._record.log.sent_by_bots()
            if thread_id is None or record.message.message_thread_id == thread_id
        ]

    def backdate(self, message_id: int, by: dtm.timedelta) -> None:
        """Makes a message older, as if sent `by` earlier (deleteMessage refuses after 48 h)."""
        record = self._record.log.records[message_id]
        record.sent_at -= by

    async def next_message(self, timeout: float = 10.0) -> SentMessage:  # noqa: ASYNC109
        """The next bot message here this handle has not returned yet."""
        message = await next_bot_message(
            self._world, self._record.log, self._cursor, timeout, f"chat {self.title!r}"
        )
        self._cursor += 1
        return message
