"""Command menus per audience, registered with setMyCommands in every catalog language.

One table says which commands each audience sees, so a reporter never sees a staff command.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import structlog
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.settings import Settings
from handlers.i18n import DEFAULT_LANGUAGE, Catalog

log = structlog.get_logger(__name__)


class Audience(Enum):
    PRIVATE_CHATS = "private_chats"
    REVIEW_CHAT = "review_chat"


@dataclass(frozen=True, slots=True)
class MenuEntry:
    command: str
    audiences: frozenset[Audience]


MENU: tuple[MenuEntry, ...] = (
    MenuEntry("start", frozenset({Audience.PRIVATE_CHATS})),
    MenuEntry("report", frozenset({Audience.PRIVATE_CHATS})),
    MenuEntry("myreports", frozenset({Audience.PRIVATE_CHATS})),
    MenuEntry("notify", frozenset({Audience.PRIVATE_CHATS})),
    MenuEntry("cancel", frozenset({Audience.PRIVATE_CHATS})),
    MenuEntry("appeal", frozenset({Audience.PRIVATE_CHATS})),
    MenuEntry("queue", frozenset({Audience.REVIEW_CHAT})),
    MenuEntry("reject", frozenset({Audience.REVIEW_CHAT})),
    MenuEntry("escalate", frozenset({Audience.REVIEW_CHAT})),
    MenuEntry("help", frozenset({Audience.PRIVATE_CHATS, Audience.REVIEW_CHAT})),
)


def commands_for(audience: Audience, texts: Catalog, language: str) -> list[BotCommand]:
    return [
        BotCommand(entry.command, texts.render(language, f"command.description.{entry.command}"))
        for entry in MENU
        if audience in entry.audiences
    ]


async def register_menus(bot: ExtBot[None], settings: Settings, texts: Catalog) -> None:
    """Registers every menu; a failure is logged and never stops the bot from starting."""
    scopes: list[tuple[Audience, BotCommandScope]] = [
        (Audience.PRIVATE_CHATS, BotCommandScopeAllPrivateChats())
    ]
    if settings.review_chat_id is not None:
        scopes.append((Audience.REVIEW_CHAT, BotCommandScopeChat(settings.review_chat_id)))
    for audience, scope in scopes:
        for language in sorted(texts.languages):
            code = None if language == DEFAULT_LANGUAGE else language
            try:
                await bot.set_my_commands(
                    commands_for(audience, texts, language), scope=scope, language_code=code
                )
            except TelegramError as exc:
                log.warning(
                    "command_menu_not_registered",
                    audience=audience.value,
                    language=language,
                    error=str(exc),
                )
