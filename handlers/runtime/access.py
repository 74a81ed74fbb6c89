"""Who may review: moderators and admins (from the settings or granted from the bot), legal
officers for escalated cases, and the review chat's administrators.

The chat's administrators are asked with getChatMember and remembered for a short, configurable
time, so a button press costs no Bot API call most of the time and a demoted admin loses access
within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog
from telegram import ChatMember, User
from telegram.error import TelegramError
from telegram.ext import ExtBot

from handlers.runtime.settings import HandlerSettings
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


async def moderator_for(
    bot: ExtBot[None],
    store: Store,
    settings: HandlerSettings,
    cache: ChatAdminCache,
    user: User,
    review_chat_id: int | None,
) -> Moderator | None:
    """The pressing user as a moderator, or None when they may not review.

    Roles are read at every press, so a granted role works at once and a revoked one stops.
    Legal officers come back with `reviews=False`: they act on escalated cases only.
    """
    roles = await staff_roles(store, settings, user.id)
    is_admin, is_legal = roles.is_admin, roles.is_legal
    if is_admin or roles.is_moderator:
        return Moderator(user.id, display_name(user), is_admin=is_admin, is_legal=is_legal)
    if review_chat_id is not None and await cache.is_admin(bot, review_chat_id, user.id):
        return Moderator(user.id, display_name(user), is_legal=is_legal)
    if is_legal:
        return Moderator(user.id, display_name(user), is_legal=True, reviews=False)
    return None


async def staff_roles(store: Store, settings: HandlerSettings, user_id: int) -> Roles:
    """A user's roles: the settings' bootstrap ids plus what admins granted from the bot."""
    async with store.reading() as uow:
        return await roles_of(uow.roles, settings.bootstrap_roles, user_id)
