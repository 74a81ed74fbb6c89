"""Who talks to the bot: remembered so later notifications reach them in their language."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Visitor:
    user_id: int
    language_code: str | None
    username: str | None = None


class UserDirectory(Protocol):
    async def touch(
        self, user_id: int, language_code: str | None, at: datetime, username: str | None = None
    ) -> None: ...


class HasUsers(Protocol):
    @property
    def users(self) -> UserDirectory: ...


class UsersStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[HasUsers]: ...


async def record_visit(store: UsersStore, visitor: Visitor, at: datetime) -> None:
    """Stores the visitor's language (Telegram sends it with every update; we need it later)."""
    async with store.transaction() as uow:
        await uow.users.touch(visitor.user_id, visitor.language_code, at, visitor.username)


@dataclass(frozen=True, slots=True)
class KnownUser:
    """Someone who has talked to the bot; `language_code` as Telegram last reported it."""

    user_id: int
    language_code: str | None
    first_seen_at: datetime
    last_seen_at: datetime
