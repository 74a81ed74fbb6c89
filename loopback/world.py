"""The whole simulated Telegram: bots, users, chats, files and the call log, plus waiting.

Every mutation ends in `changed()`, which wakes `wait_for` so tests re-check their
condition after each API call and each user action, never by polling a clock.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import BotCommand, User

from loopback.chat_state import ChatRecord, ChatView, MessageLog, UserRecord
from loopback.file_store import FileStore
from loopback.records import ApiCall, CallbackAnswer
from loopback.update_queue import UpdateQueue

#: (scope type, chat id, user id, language code or "") as setMyCommands stores menus.
CommandScopeKey = tuple[str, int | None, int | None, str]

_FIRST_USER_ID = 1_000_001
_FIRST_GROUP_ID = 4_000_000_001
_SUPERGROUP_BASE = 1_000_000_000_000


@dataclass(eq=False)
class CallbackRecord:
    query_id: str
    user_id: int
    data: str
    pressed_at: float
    answer: CallbackAnswer | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class BotRecord:
    token: str
    user: UserRecord
    updates: UpdateQueue
    privacy_mode: bool
    commands: dict[CommandScopeKey, tuple[BotCommand, ...]] = field(default_factory=dict)
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)
    known_users: set[int] = field(default_factory=set)
    started_users: set[int] = field(default_factory=set)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username or ""


class World:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.bots: dict[str, BotRecord] = {}
        self.files = FileStore()
        self.calls: list[ApiCall] = []
        self._private_logs: dict[tuple[int, int], MessageLog] = {}
        self._user_ids = itertools.count(_FIRST_USER_ID)
        self._group_ids = itertools.count(_FIRST_GROUP_ID)
        self._supergroup_ids = itertools.count(1_000_000_001)
        self._query_ids = itertools.count(4_242_000_001)
        self._changed = asyncio.Event()
        #: How many changes so far: a waiter notes it, then waits for it to move.
        self.changes = 0

    # --- ids -------------------------------------------------------------------------
    def new_user_id(self) -> int:
        while (candidate := next(self._user_ids)) in self.users:
            pass
        return candidate

    def new_group_id(self) -> int:
        while (candidate := -next(self._group_ids)) in self.chats:
            pass
        return candidate

    def new_supergroup_id(self) -> int:
        while (candidate := -(_SUPERGROUP_BASE + next(self._supergroup_ids))) in self.chats:
            pass
        return candidate

    def new_query_id(self) -> str:
        return str(next(self._query_ids) * 1_000_003)

    # --- lookups ---------------------------------------------------------------------
    def bot_by_id(self, bot_id: int) -> BotRecord | None:
        return next((bot for bot in self.bots.values() if bot.id == bot_id), None)

    def default_bot(self) -> BotRecord:
        if not self.bots:
            raise RuntimeError("add a bot first: server.add_bot(token=..., username=...)")
        return next(iter(self.bots.values()))

    def username_taken(self, username: str) -> bool:
        return self.by_username(username) is not None

    def by_username(self, username: str) -> ChatRecord | UserRecord | None:
        wanted = username.removeprefix("@").lower()
        for chat in self.chats.values():
            if chat.username and chat.username.lower() == wanted and chat.migrated_to is None:
                return chat
        for user in self.users.values():
            if user.username and user.username.lower() == wanted:
                return user
        return None

    def user_lookup(self, bot: BotRecord) -> Callable[[int], User | None]:
        """Resolves tg://user?id=N links to users the bot knows, as text mentions need."""

        def lookup(user_id: int) -> User | None:
            user = self.users.get(user_id)
            if user is None or (user_id not in bot.known_users and not user.is_bot):
                return None
            return user.to_user()

        return lookup

    def private_log(self, bot_id: int, user_id: int) -> MessageLog:
        return self._private_logs.setdefault((bot_id, user_id), MessageLog())

    def private_logs_of(self, user_id: int) -> list[MessageLog]:
        return [log for (_, user), log in self._private_logs.items() if user == user_id]

    def private_view(self, bot: BotRecord, user: UserRecord) -> ChatView:
        return ChatView(
            chat=user.private_chat(),
            log=self.private_log(bot.id, user.id),
            user=user,
            bot_id=bot.id,
        )

    @staticmethod
    def group_view(chat: ChatRecord) -> ChatView:
        return ChatView(chat=chat.to_chat(), log=chat.log, group=chat)

    # --- change notification ---------------------------------------------------------
    def changed(self) -> None:
        self.changes += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self, condition: Callable[[], object], limit: float, describe: Callable[[], str]
    ) -> None:
        """Returns once `condition()` is truthy; re-checked after every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe())
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue
