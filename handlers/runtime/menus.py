"""Command menus per audience, registered with setMyCommands in every catalog language.

One table says which commands each audience sees, so a reporter never sees a staff command.
Reporters get the all-private-chats menu; each staff member gets a menu for their own private
chat (BotCommandScopeChat(user_id), which Telegram prefers over the all-private-chats one) with
the reporter commands plus those of every role they hold. Staff menus are registered at
start-up and refreshed when /grant or /revoke changes someone's roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final

import structlog
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError
from telegram.ext import ExtBot

from handlers.i18n import DEFAULT_LANGUAGE, Catalog
from handlers.runtime.log_pseudonym import user_hash
from handlers.runtime.settings import HandlerSettings
from moderation.staff.commands import StaffStore
from moderation.staff.roles import Role
from moderation.staff.team import staff_members

log = structlog.get_logger(__name__)


class Audience(Enum):
    PRIVATE_CHATS = "private_chats"
    REVIEW_CHAT = "review_chat"
    MODERATORS = "moderators"  # their own private chat
    LEGAL_OFFICERS = "legal_officers"  # their own private chat
    ADMINS = "admins"  # their own private chat


#: The staff audience of each role.
ROLE_AUDIENCE: Final[Mapping[Role, Audience]] = {
    Role.MODERATOR: Audience.MODERATORS,
    Role.LEGAL: Audience.LEGAL_OFFICERS,
    Role.ADMIN: Audience.ADMINS,
}


@dataclass(frozen=True, slots=True)
class MenuEntry:
    command: str
    audiences: frozenset[Audience]


def _for(*audiences: Audience) -> frozenset[Audience]:
    return frozenset(audiences)


_PRIVATE, _REVIEW = Audience.PRIVATE_CHATS, Audience.REVIEW_CHAT
_MODS, _LEGAL, _ADMINS = Audience.MODERATORS, Audience.LEGAL_OFFICERS, Audience.ADMINS

#: Every command in every menu, in the order menus show them.
MENU: tuple[MenuEntry, ...] = (
    MenuEntry("start", _for(_PRIVATE)),
    MenuEntry("report", _for(_PRIVATE)),
    MenuEntry("myreports", _for(_PRIVATE)),
    MenuEntry("notify", _for(_PRIVATE)),
    MenuEntry("cancel", _for(_PRIVATE)),
    MenuEntry("appeal", _for(_PRIVATE)),
    MenuEntry("queue", _for(_REVIEW, _MODS, _LEGAL, _ADMINS)),
    MenuEntry("review", _for(_MODS, _LEGAL, _ADMINS)),
    MenuEntry("reject", _for(_REVIEW)),
    MenuEntry("escalate", _for(_REVIEW)),
    MenuEntry("block", _for(_REVIEW, _MODS, _ADMINS)),
    MenuEntry("unblock", _for(_REVIEW, _MODS, _ADMINS)),
    MenuEntry("legal", _for(_LEGAL)),
    MenuEntry("lookup", _for(_LEGAL)),
    MenuEntry("transparency", _for(_LEGAL, _ADMINS)),
    MenuEntry("stats", _for(_ADMINS)),
    MenuEntry("health", _for(_ADMINS)),
    MenuEntry("grant", _for(_ADMINS)),
    MenuEntry("revoke", _for(_ADMINS)),
    MenuEntry("roles", _for(_ADMINS)),
    MenuEntry("help", _for(_PRIVATE, _REVIEW)),
)


def audiences_of(roles: Iterable[Role]) -> frozenset[Audience]:
    """A staff member's private chat: the reporter menu plus each of their roles' menus."""
    return frozenset({Audience.PRIVATE_CHATS, *(ROLE_AUDIENCE[role] for role in roles)})


def commands_for(
    audiences: Audience | Iterable[Audience], texts: Catalog, language: str
) -> list[BotCommand]:
    """The menu of one audience, or the union of several (each command once, table order)."""
    wanted = {audiences} if isinstance(audiences, Audience) else set(audiences)
    return [
        BotCommand(entry.command, texts.render(language, f"command.description.{entry.command}"))
        for entry in MENU
        if wanted & entry.audiences
    ]


def _code(language: str) -> str | None:
    return None if language == DEFAULT_LANGUAGE else language


async def register_menus(bot: ExtBot[None], settings: HandlerSettings, texts: Catalog) -> None:
    """Registers every menu; a failure is logged and never stops the bot from starting."""
    scopes: list[tuple[Audience, BotCommandScope]] = [
        (Audience.PRIVATE_CHATS, BotCommandScopeAllPrivateChats())
    ]
    if settings.review_chat_id is not None:
        scopes.append((Audience.REVIEW_CHAT, BotCommandScopeChat(settings.review_chat_id)))
    for audience, scope in scopes:
        for language in sorted(texts.languages):
            try:
                await bot.set_my_commands(
                    commands_for(audience, texts, language),
                    scope=scope,
                    language_code=_code(language),
                )
            except TelegramError as exc:
                log.warning(
                    "command_menu_not_registered",
                    audience=audience.value,
                    language=language,
                    error=str(exc),
                )


async def register_staff_menus(
    bot: ExtBot[None], store: StaffStore, settings: HandlerSettings, texts: Catalog
) -> None:
    """At start-up: every bootstrap and granted staff member's private-chat menu."""
    members = await staff_members(store, settings.bootstrap_roles)
    for user_id, roles in sorted(members.items()):
        await set_staff_menu(bot, texts, user_id, roles)


async def set_staff_menu(
    bot: ExtBot[None], texts: Catalog, user_id: int, roles: Iterable[Role]
) -> bool:
    """Sets (or, with no roles left, deletes) one person's private-chat menu in every language.

    Telegram refuses a chat the person never opened with the bot; that is logged and the menu
    is set the next time their roles change. Returns whether every language was set.
    """
    held = frozenset(roles)
    scope = BotCommandScopeChat(user_id)
    for language in sorted(texts.languages):
        try:
            if held:
                await bot.set_my_commands(
                    commands_for(audiences_of(held), texts, language),
                    scope=scope,
                    language_code=_code(language),
                )
            else:
                await bot.delete_my_commands(scope=scope, language_code=_code(language))
        except TelegramError as exc:
            log.warning(
                "staff_menu_not_registered",
                user=user_hash(user_id),
                roles=sorted(role.value for role in held),
                language=language,
                error=str(exc),
            )
            return False
    log.info("staff_menu_set", user=user_hash(user_id), roles=sorted(role.value for role in held))
    return True
