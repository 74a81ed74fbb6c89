"""LoopbackServer: a Telegram Bot API over HTTP on 127.0.0.1, for tests, benchmarks, sandbox.

Bots talk to it with their real HTTP client; tests script people and chats through handles
and read back what the bot did. Answers and failures follow the real Bot API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from telegram import BotCommand, BotCommandScope
from telegram.constants import ChatType

from loopback.call_log import describe_calls
from loopback.chat_state import ChatRecord, Membership, MemberStatus, MessageRecord, UserRecord
from loopback.faults import FaultInjector
from loopback.flood_control import FloodControl, FloodLimits
from loopback.handles import BotHandle, ChatHandle
from loopback.http_api import BotApiHttp
from loopback.methods.commands import scope_key
from loopback.records import ApiCall, SentMessage
from loopback.update_queue import UpdateQueue
from loopback.user_actions import change_bot_membership, owner_of, service_message
from loopback.user_handle import UserHandle
from loopback.webhook_delivery import WebhookSender
from loopback.world import BotRecord, World


class LoopbackServer:
    """The loopback Bot API server; use `async with LoopbackServer() as server:`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        callback_query_ttl: float = 15.0,
        flood_limits: FloodLimits | None = None,
        clock: Callable[[], float] | None = None,
        webhook_retry_delay: float = 0.05,
        webhook_max_retry_delay: float = 1.0,
        webhook_timeout: float = 10.0,
    ) -> None:
        """`clock` (monotonic seconds) drives callback expiry and flood control in tests;
        a webhook POST not answered within `webhook_timeout` seconds counts as failed."""
        self._host = host
        self._port = port
        self._callback_query_ttl = callback_query_ttl
        self._world = World(clock or time.monotonic)
        self._flood = FloodControl(flood_limits, self._world.clock) if flood_limits else None
        self._webhooks = WebhookSender(
            self._world, webhook_retry_delay, webhook_max_retry_delay, webhook_timeout
        )
        self._runner: web.AppRunner | None = None
        self.faults = FaultInjector()

    # --- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the loopback server is already running")
        http = BotApiHttp(
            self._world, self.faults, self._flood, self._webhooks, self._callback_query_ttl
        )
        app = http.application()
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        self.faults.release_all()  # no held call keeps the server from stopping
        for bot in self._world.bots.values():
            bot.updates.close()
        await self._webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self._port}/file/bot"

    @property
    def world(self) -> World:
        """The simulated state, for assertions the handles do not cover."""
        return self._world

    # --- scripting the world ---------------------------------------------------------
    def add_bot(
        self,
        *,
        token: str,
        username: str,
        first_name: str = "Test Bot",
        privacy_mode: bool = True,
    ) -> BotHandle:
        """A bot account; its id is the token's numeric prefix, as in Telegram."""
        bot_id_text, _, secret = token.partition(":")
        if not bot_id_text.isdigit() or not secret:
            raise ValueError("a bot token looks like 123456:secret")
        if token in self._world.bots:
            raise ValueError("that token is already served")
        bot_id = int(bot_id_text)
        user = UserRecord(bot_id, first_name, username=username, is_bot=True)
        self._world.users[bot_id] = user
        record = BotRecord(
            token=token,
            user=user,
            updates=UpdateQueue(self._world.changed),
            privacy_mode=privacy_mode,
        )
        self._world.bots[token] = record
        return BotHandle(self._world, record)

    def add_user(
        self,
        *,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool = False,
        user_id: int | None = None,
    ) -> UserHandle:
        the_id = user_id if user_id is not None else self._world.new_user_id()
        if the_id in self._world.users:
            raise ValueError(f"user id {the_id} is taken")
        self._check_username(username)
        record = UserRecord(
            the_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
        )
        self._world.users[the_id] = record
        return UserHandle(self._world, record)

    def _check_username(self, username: str | None) -> None:
        if username is not None and self._world.username_taken(username):
            raise ValueError(f"username @{username} is taken")

    def _add_chat(
        self,
        record: ChatRecord,
        members: Sequence[UserHandle],
        admins: Sequence[UserHandle],
        owner: UserHandle | None,
        bot_member: bool,
        bot_admin: bool,
        bot: BotHandle | None,
    ) -> ChatHandle:
        self._check_username(record.username)
        for user in members:
            record.members[user.id] = Membership(MemberStatus.MEMBER)
        for user in admins:
            record.members[user.id] = Membership(MemberStatus.ADMINISTRATOR)
        if owner is not None:
            record.members[owner.id] = Membership(MemberStatus.CREATOR)
        the_bot = bot.record if bot is not None else self._world.default_bot()
        if bot_admin:
            record.members[the_bot.id] = Membership(MemberStatus.ADMINISTRATOR)
        elif bot_member:
            record.members[the_bot.id] = Membership(MemberStatus.MEMBER)
        else:
            record.members[the_bot.id] = Membership(MemberStatus.LEFT)
        self._world.chats[record.id] = record
        self._world.changed()
        return ChatHandle(self._world, record)

    def add_group(
        self,
        *,
        title: str,
        members: Sequence[UserHandle] = (),
        admins: Sequence[UserHandle] = (),
        owner: UserHandle | None = None,
        bot_member: bool = True,
        bot_admin: bool = False,
        bot: BotHandle | None = None,
    ) -> ChatHandle:
        """A basic group (negative id) the bot is already in unless bot_member=False."""
        record = ChatRecord(self._world.new_group_id(), ChatType.GROUP, title)
        return self._add_chat(record, members, admins, owner, bot_member, bot_admin, bot)

    def add_supergroup(
        self,
        *,
        title: str,
        members: Sequence[UserHandle] = (),
        admins: Sequence[UserHandle] = (),
        owner: UserHandle | None = None,
        forum: bool = False,
        username: str | None = None,
        bot_member: bool = True,
        bot_admin: bool = False,
        bot: BotHandle | None = None,
    ) -> ChatHandle:
        """A supergroup (id -100...), optionally a forum with topics (create_topic)."""
        record = ChatRecord(
            self._world.new_supergroup_id(),
            ChatType.SUPERGROUP,
            title,
            username=username,
            is_forum=forum,
        )
        return self._add_chat(record, members, admins, owner, bot_member, bot_admin, bot)

    def add_channel(
        self,
        *,
        title: str,
        username: str | None = None,
        bot_member: bool = False,
        bot_admin: bool = False,
        bot: BotHandle | None = None,
    ) -> ChatHandle:
        """A channel; public when it has a username. The bot is not in it by default."""
        record = ChatRecord(
            self._world.new_supergroup_id(), ChatType.CHANNEL, title, username=username
        )
        return self._add_chat(record, (), (), None, bot_member, bot_admin, bot)

    def migrate_to_supergroup(self, group: ChatHandle) -> ChatHandle:
        """Upgrades a basic group: members move over, the old id answers "upgraded" 400s."""
        old = group.record
        if old.type != ChatType.GROUP or old.migrated_to is not None:
            raise ValueError(f"{old.title!r} is not a basic group that can be upgraded")
        new = ChatRecord(
            self._world.new_supergroup_id(),
            ChatType.SUPERGROUP,
            old.title,
            members={
                user_id: Membership(m.status, m.can_delete_messages)
                for user_id, m in old.members.items()
            },
            migrated_from=old.id,
        )
        self._world.chats[new.id] = new
        actor = owner_of(self._world, old)
        service_message(self._world, self._world.group_view(old), actor, migrate_to_chat_id=new.id)
        old.migrated_to = new.id
        service_message(
            self._world, self._world.group_view(new), actor, migrate_from_chat_id=old.id
        )
        return ChatHandle(self._world, new)

    def add_bot_to_chat(
        self,
        chat: ChatHandle,
        *,
        admin: bool = False,
        by: UserHandle | None = None,
        bot: BotHandle | None = None,
    ) -> None:
        status = MemberStatus.ADMINISTRATOR if admin else MemberStatus.MEMBER
        the_bot = bot.record if bot is not None else self._world.default_bot()
        change_bot_membership(
            self._world, the_bot, chat.record, Membership(status), by.record if by else None
        )

    def remove_bot_from_chat(
        self,
        chat: ChatHandle,
        *,
        kicked: bool = False,
        by: UserHandle | None = None,
        bot: BotHandle | None = None,
    ) -> None:
        """The bot leaves (or, kicked=True, is banned from) the chat."""
        status = MemberStatus.KICKED if kicked else MemberStatus.LEFT
        the_bot = bot.record if bot is not None else self._world.default_bot()
        change_bot_membership(
            self._world, the_bot, chat.record, Membership(status), by.record if by else None
        )

    # --- reading what happened -------------------------------------------------------
    def messages(self, chat_id: int, thread_id: int | None = None) -> list[SentMessage]:
        """Messages bots sent to the chat, in order, in their current state."""
        chat = self._world.chats.get(chat_id)
        records: list[MessageRecord]
        if chat is not None:
            records = chat.log.sent_by_bots()
        else:
            records = [
                record
                for message_log in self._world.private_logs_of(chat_id)
                for record in message_log.sent_by_bots()
            ]
            records.sort(key=lambda record: record.sent_at)
        return [
            record.snapshot()
            for record in records
            if thread_id is None or record.message.message_thread_id == thread_id
        ]

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every Bot API call so far (long polls in progress show as pending)."""
        if method is None:
            return list(self._world.calls)
        wanted = method.lower()
        return [call for call in self._world.calls if call.method.lower() == wanted]

    def commands(
        self,
        scope: Mapping[str, Any] | BotCommandScope | None = None,
        language_code: str | None = None,
        *,
        bot: BotHandle | None = None,
    ) -> list[BotCommand]:
        """The menu setMyCommands stored for exactly this scope and language."""
        the_bot = bot.record if bot is not None else self._world.default_bot()
        scope_json = scope.to_dict() if isinstance(scope, BotCommandScope) else scope
        key = scope_key(self._world, the_bot, scope_json, language_code)
        return list(the_bot.commands.get(key, ()))

    @property
    def changes(self) -> int:
        """How many Bot API calls, user actions and outside changes so far."""
        return self._world.changes

    def outside_change(self) -> None:
        """Something outside the server changed (the bot wrote to its database, say): waiters
        re-check their conditions, as after a call, instead of polling for it."""
        self._world.changed()

    async def next_change(self, since: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Returns once `changes` has moved past `since` (at once if it already has)."""
        await self.wait_for(lambda: self._world.changes > since, timeout)

    async def wait_for(
        self,
        condition: Callable[[], object],
        timeout: float = 10.0,  # noqa: ASYNC109  (the public API takes a plain timeout)
    ) -> None:
        """Waits until `condition()` holds; re-checked after every call, user action and
        outside change."""
        name = getattr(condition, "__qualname__", repr(condition))
        await self._world.wait_for(
            condition,
            timeout,
            lambda: (
                f"condition {name} still false after {timeout} s; "
                f"{describe_calls(self._world.calls)}"
            ),
        )
