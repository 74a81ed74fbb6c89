"""Who sent an update, as the access table sees them: roles (from the settings or granted
from the bot), whether they are blocked, and whether they administer the review chat.

Roles are read at every update, so a granted role works at once and a revoked one stops. The
chat's administrators are asked with getChatMember and remembered for a short, configurable
time, so a button press costs no Bot API call most of the time and a demoted admin loses access
within that time; they are asked only when the table needs it (handlers/runtime/gate.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog
from telegram import ChatMember, User
from telegram.error import TelegramError
from telegram.ext import ExtBot

from handlers.runtime.permissions import ROLE_WHO, Where, Who
from handlers.runtime.settings import HandlerSettings
from moderation.legal.officers import Officer
from moderation.review.types import Moderator
from moderation.staff.roles import Roles, roles_of
from storage import Store

log = structlog.get_logger(__name__)


@dataclass
class ChatAdminCache:
    ttl_seconds: float
    _entries: dict[tuple[int, int], tuple[float, bool]] = field(default_factory=dict)

    async def is_admin(self, bot: ExtBot[None], chat_id: int, user_id: int) -> bool:
        now = time.monotonic()
        cached = self._entries.get((chat_id, user_id))
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.warning("chat_member_lookup_failed", error_type=type(exc).__name__)
            return False
        admin = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
        self._entries[(chat_id, user_id)] = (now, admin)
        return admin


def display_name(user: User) -> str:
    return f"@{user.username}" if user.username else user.first_name


@dataclass(frozen=True, slots=True)
class Actor:
    """The sender of one update. `chat_admin` and `blocked` are False unless asked."""

    user: User
    roles: Roles
    chat_admin: bool = False  # an administrator of the review chat
    blocked: bool = False

    def who(self, where: Where | None) -> frozenset[Who]:
        """What the table calls this person in `where` (None: another group)."""
        found = {ROLE_WHO[role] for role in self.roles.all}
        if self.chat_admin:
            found.add(Who.CHAT_ADMIN)
        if not found:
            if where is Where.PRIVATE:
                found.add(Who.BLOCKED if self.blocked else Who.REPORTER)
            else:
                found.add(Who.STRANGER)
        return frozenset(found)

    @property
    def moderator(self) -> Moderator | None:
        """The sender as a reviewer, or None when they may not review. Legal officers come
        back with `reviews=False`: they act on escalated cases only."""
        roles, user = self.roles, self.user
        if roles.is_admin or roles.is_moderator:
            return Moderator(
                user.id, display_name(user), is_admin=roles.is_admin, is_legal=roles.is_legal
            )
        if self.chat_admin:
            return Moderator(user.id, display_name(user), is_legal=roles.is_legal)
        if roles.is_legal:
            return Moderator(user.id, display_name(user), is_legal=True, reviews=False)
        return None

    @property
    def officer(self) -> Officer:
        """The sender on a legal request (the legal flow checks the roles again)."""
        roles = self.roles
        return Officer(
            self.user.id, display_name(self.user), is_legal=roles.is_legal, is_admin=roles.is_admin
        )


async def resolve_actor(
    bot: ExtBot[None],
    store: Store,
    settings: HandlerSettings,
    cache: ChatAdminCache,
    user: User,
    *,
    review_chat_id: int | None = None,
    ask_blocked: bool = False,
) -> Actor:
    """Reads the sender's roles (and block, when asked); asks whether they administer the
    review chat when `review_chat_id` is given and no role makes them a reviewer already."""
    async with store.reading() as uow:
        roles = await roles_of(uow.roles, settings.bootstrap_roles, user.id)
        blocked = ask_blocked and await uow.blocks.is_blocked(user.id)
    chat_admin = False
    if review_chat_id is not None and not (roles.is_admin or roles.is_moderator):
        chat_admin = await cache.is_admin(bot, review_chat_id, user.id)
    return Actor(user, roles, chat_admin=chat_admin, blocked=blocked)
