"""setMyCommands, getMyCommands and deleteMyCommands, per scope and language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from telegram import BotCommand

from loopback.api_errors import bad_request
from loopback.chat_access import resolve_chat
from loopback.methods.context import CallContext
from loopback.world import BotRecord, CommandScopeKey, World

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_MAX_DESCRIPTION = 256
_MAX_COMMANDS = 100
_PLAIN_SCOPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
_CHAT_SCOPES = frozenset({"chat", "chat_administrators", "chat_member"})


def scope_key(
    world: World, bot: BotRecord, scope: Mapping[str, Any] | None, language_code: str | None
) -> CommandScopeKey:
    """Normalises a BotCommandScope JSON object and language into the storage key."""
    language = language_code or ""
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request("invalid language code specified")
    if scope is None:
        return ("default", None, None, language)
    kind = scope.get("type")
    if kind in _PLAIN_SCOPES:
        return (str(kind), None, None, language)
    if kind not in _CHAT_SCOPES:
        raise bad_request("can't parse BotCommandScope: unsupported type")
    chat_ref = scope.get("chat_id")
    if not isinstance(chat_ref, int | str) or chat_ref == "":
        raise bad_request("can't parse BotCommandScope: chat_id is empty")
    chat_id = resolve_chat(world, bot, chat_ref).id
    user_id: int | None = None
    if kind == "chat_member":
        user_id = scope.get("user_id")
        if not isinstance(user_id, int) or user_id not in world.users:
            raise bad_request("user not found")
    return (str(kind), chat_id, user_id, language)


def _key(ctx: CallContext) -> CommandScopeKey:
    scope = ctx.params.json("scope")
    if scope is not None and not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    return scope_key(ctx.world, ctx.bot, scope, ctx.params.text("language_code"))


def _commands(ctx: CallContext) -> tuple[BotCommand, ...]:
    raw = ctx.params.json("commands")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > _MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    commands: list[BotCommand] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not isinstance(description, str):
            raise bad_request('can\'t parse BotCommand: Field "command" must be of type String')
        if not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description.strip():
            raise bad_request("command description must be non-empty")
        if len(description) > _MAX_DESCRIPTION:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append(BotCommand(command, description))
    return tuple(commands)


async def set_my_commands(ctx: CallContext) -> Any:
    commands = _commands(ctx)
    key = _key(ctx)
    if commands:
        ctx.bot.commands[key] = commands
    else:
        ctx.bot.commands.pop(key, None)
    ctx.world.changed()
    return True


async def get_my_commands(ctx: CallContext) -> Any:
    return [command.to_dict() for command in ctx.bot.commands.get(_key(ctx), ())]


async def delete_my_commands(ctx: CallContext) -> Any:
    ctx.bot.commands.pop(_key(ctx), None)
    ctx.world.changed()
    return True
