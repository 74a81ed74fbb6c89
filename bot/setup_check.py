"""`report-bot setup`: what a first real run still needs, checked against Telegram itself.

A new operator needs the review group's id before the bot is useful, and the only place it
shows is Telegram. This reads the settings the way `run` does, asks the Bot API who the bot
is, which groups it was added to and what it may do in REVIEW_CHAT_ID, and ends with the one
next step to take. It never prints a secret and never changes what the bot will receive:

- getUpdates is called without an offset, so nothing is confirmed (Telegram confirms updates
  only through a higher offset) and no allowed_updates, so the bot's own filter stays. The
  updates it reads stay queued for `report-bot run`.
- It is not called while `run` holds this database's instance lock (the running bot takes
  updates as they arrive; a second getUpdates would interrupt its long poll), nor while a
  webhook is set (Telegram refuses it then).
- A forum topic is checked with sendChatAction ("typing" in that topic for a few seconds): the
  Bot API has no way to read a topic, and this posts nothing.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from telegram import (
    Bot,
    Chat,
    ChatFullInfo,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberRestricted,
    Update,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot import env_file as settings_file
from bot.logging_setup import configure_logging
from bot.settings import LogLevel, Settings, SettingsError, known_names, load_settings
from bot.setup_report import SetupReport, print_header, print_report, secrets_of
from bot.transport import AiohttpRequest, NotABotApi
from handlers.runtime.log_pseudonym import log_key_from
from moderation.text import counted
from storage.legal.ledger_anchor import placement
from storage.location import PostgresLocation, SqliteLocation
from storage.pg_roles import login_role

#: getUpdates answers at most this many; more pending updates are not read.
UPDATES_LIMIT = 100
_KEYS = ("ENCRYPTION_KEY", "BLIND_INDEX_KEY", "LEDGER_KEY")
_GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL})
_GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


@dataclass(frozen=True)
class SeenChat:
    """A group the bot's pending updates mention, with the bot's latest status there."""

    chat_id: int
    kind: str
    title: str
    bot_status: str | None  # None: seen in a message only


def run_setup(env_file: Path | None, out: TextIO) -> int:
    """The whole check; prints to `out` (bot/setup_report.py), returns its exit code."""
    report = SetupReport()
    source = env_file if env_file is not None else Path(".env")
    secrets: list[str] = []
    for warning in settings_file.warnings(env_file, known_names()):
        report.warning(warning)
    try:
        settings = load_settings(env_file)
    except SettingsError as exc:
        print_header(out, source)
        for problem in exc.problems:
            report.problem(
                f"configuration: {problem}", f"fix the settings marked TODO above in {source}"
            )
        return print_report(report, out, secrets)
    secrets = secrets_of(settings)
    # Warnings only, redacted (the transport's request lines carry the token in their URL).
    configure_logging(
        level=LogLevel.DEBUG if settings.log_level is LogLevel.DEBUG else LogLevel.WARNING,
        log_format=settings.log_format,
        secrets=secrets,
        pseudonym_key=log_key_from(settings),
    )
    print_header(out, source)
    _check_settings(settings, report)
    if settings.bot_token is not None:
        asyncio.run(_check_telegram(settings, report))
    return print_report(report, out, secrets)


def _check_settings(settings: Settings, report: SetupReport) -> None:
    missing = [
        name
        for name, value in zip(
            _KEYS,
            (settings.encryption_key, settings.blind_index_key, settings.ledger_key),
            strict=True,
        )
        if value is None
    ]
    if missing:
        report.problem(
            f"{', '.join(missing)} not set: personal data is stored only encrypted, and "
            "disclosures are chained under LEDGER_KEY",
            "run `report-bot keys generate >> .env` (it appends the three keys; keep a copy of "
            "them apart from the database), then run `report-bot setup` again",
        )
    else:
        report.ok("ENCRYPTION_KEY, BLIND_INDEX_KEY and LEDGER_KEY are set (not shown)")
    if settings.bot_token is None:
        report.problem(
            "BOT_TOKEN is not set",
            "create the bot with @BotFather (/newbot), put its token in .env as BOT_TOKEN=..., "
            "then run `report-bot setup` again",
        )
    else:
        report.ok("BOT_TOKEN is set (not shown)")
    _check_anchor(settings, report)
    _check_database_roles(settings, report)


def _check_anchor(settings: Settings, report: SetupReport) -> None:
    """Where the ledger's checkpoints go, and whether whoever can write the database could
    cut them too."""
    try:
        anchor_dir = settings.anchor_dir
    except SettingsError as exc:
        report.problem(
            "; ".join(exc.problems),
            "move the ledger's checkpoint file or set LEDGER_ANCHOR_DIR as said above, then "
            "run `report-bot setup` again",
        )
        return
    where = placement(anchor_dir, settings.database)
    if where.warning:
        report.warning(where.warning)
    elif where.note:
        report.note(where.note)
    else:
        report.ok(
            f"the ledger's checkpoint folder {anchor_dir} is on another filesystem than the "
            "database"
        )


def _check_database_roles(settings: Settings, report: SetupReport) -> None:
    """PostgreSQL's two roles, from the settings alone (docs/postgresql.md, "PostgreSQL roles")."""
    database, owner = settings.database, settings.database_owner
    if not isinstance(database, PostgresLocation):
        return
    role = login_role(database)
    if owner is None:
        report.note(
            f"database: PostgreSQL, the bot logs in as {role} (DATABASE_URL); migrations need "
            "the tables' owner: set DATABASE_OWNER_URL for `report-bot migrate` (kept from the "
            f"bot if you like: `run` needs it only to migrate); `report-bot db-check` says "
            f"whether {role} could switch off its own guards"
        )
        return
    if login_role(owner) == role:
        report.problem(
            f"DATABASE_URL and DATABASE_OWNER_URL both log in as {role}: the bot would own its "
            "tables and could switch off their guards (disable a trigger, delete, enable it)",
            "give the bot a role of its own: put a new user and password in DATABASE_URL "
            "(e.g. postgresql://reportbot_app:PASSWORD@host:5432/reportbot), then run "
            "`report-bot db create-role` and `report-bot migrate`",
        )
        return
    report.ok(
        f"database: the bot logs in as {role} (DATABASE_URL), migrations as {login_role(owner)} "
        f"(DATABASE_OWNER_URL); `report-bot db create-role` creates {role} if it is missing, "
        "`report-bot migrate` grants it only the bot's privileges"
    )


async def _check_telegram(settings: Settings, report: SetupReport) -> None:
    requests = (AiohttpRequest(connection_pool_size=4), AiohttpRequest(connection_pool_size=1))
    bot = Bot(
        settings.token(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.api_file_url,
        request=requests[0],
        get_updates_request=requests[1],
    )
    for request in requests:
        await request.initialize()
    try:
        await _check_with(bot, settings, report)
    finally:
        for request in requests:
            await request.shutdown()


async def _check_with(bot: Bot, settings: Settings, report: SetupReport) -> None:
    api = settings.telegram_api_base_url.removesuffix("/bot")
    try:
        me = await bot.get_me()
    except NotABotApi as exc:  # the URL is wrong: nothing is known of the token yet
        report.problem(
            f"TELEGRAM_API_BASE_URL: the server at {api}/bot<token> is not a Bot API: "
            f"{exc.message} to getMe; BOT_TOKEN was not checked",
            "set TELEGRAM_API_BASE_URL to https://api.telegram.org/bot (Telegram), or to "
            "your telegram-bot-api server's http://host:port/bot, then run `report-bot setup` "
            "again",
        )
        return
    except InvalidToken as exc:  # Telegram's answer: 401 Unauthorized, or 404 Not Found
        report.problem(
            f"Telegram rejected BOT_TOKEN ({exc.message}): it was revoked or mistyped",
            "copy the token again from @BotFather (/mybots -> your bot -> API Token) into "
            ".env as BOT_TOKEN=..., then run `report-bot setup` again",
        )
        return
    except (NetworkError, RetryAfter) as exc:
        report.problem(
            f"could not reach the Bot API at {api} ({_reason(exc)})",
            "check the network (or TELEGRAM_API_BASE_URL), then run `report-bot setup` again",
        )
        return
    report.ok(f"token accepted: the bot is @{me.username} (id {me.id})")
    try:
        chats = await _seen_chats(bot, settings, report)
        if settings.review_chat_id is None:
            _ask_for_review_chat(chats, me.username or str(me.id), report)
        else:
            await _check_review_chat(bot, settings, me.id, report)
    except (NetworkError, RetryAfter) as exc:
        report.problem(
            f"the Bot API at {api} stopped answering ({_reason(exc)})",
            "run `report-bot setup` again in a moment",
        )


async def _seen_chats(bot: Bot, settings: Settings, report: SetupReport) -> list[SeenChat]:
    """The groups pending updates mention, or [] with the reason they cannot be read."""
    webhook = await bot.get_webhook_info()
    if webhook.url:
        report.note(
            f"a webhook is set ({webhook.url}): Telegram refuses getUpdates while it is, so "
            "setup cannot list the chats the bot was added to; the running bot logs each one "
            "as bot_added_to_chat with its chat_id"
        )
        return []
    database = settings.database
    holder = running_instance(database.path) if isinstance(database, SqliteLocation) else None
    if holder is not None:
        report.note(
            f"report-bot is running with this database ({holder}): it takes every update as "
            "it arrives, so setup leaves them to it; its log names each chat it is added to "
            "(bot_added_to_chat, chat_id)"
        )
        return []
    try:
        # No offset: nothing is confirmed, every update stays queued for `report-bot run`.
        updates = await bot.get_updates(timeout=0, limit=UPDATES_LIMIT)
    except Conflict:
        report.problem(
            "another program is polling this bot's updates (409 Conflict: terminated by other "
            "getUpdates request): a report-bot on another machine, or an old copy",
            "stop the other instance (one bot token, one running instance), then run "
            "`report-bot setup` again; its log names each chat (bot_added_to_chat, chat_id)",
        )
        return []
    report.ok(
        f"no webhook set: read {counted(len(updates), 'pending update')} without confirming "
        "any (they stay queued for `report-bot run`)"
    )
    chats = chats_in(updates)
    for chat in chats:
        report.note(f"chat {_describe(chat)}")
    return chats


def chats_in(updates: Sequence[Update]) -> list[SeenChat]:
    """Groups, supergroups and channels the updates mention, latest status last seen."""
    seen: dict[int, SeenChat] = {}
    for update in updates:
        change = update.my_chat_member
        if change is not None:
            _remember(seen, change.chat, change.new_chat_member.status)
            continue
        for message in (update.message, update.edited_message, update.channel_post):
            if message is not None:
                previous = seen.get(message.chat.id)
                _remember(seen, message.chat, previous.bot_status if previous else None)
    return list(seen.values())


def _remember(seen: dict[int, SeenChat], chat: Chat, status: str | None) -> None:
    if chat.type in _GROUP_TYPES:
        seen[chat.id] = SeenChat(chat.id, chat.type, chat.title or "", status)


def _describe(chat: SeenChat) -> str:
    statuses: dict[str | None, str] = {
        None: "the bot is in it",
        ChatMemberStatus.ADMINISTRATOR: "the bot is an administrator",
        ChatMemberStatus.MEMBER: "the bot is a member, not an administrator",
        ChatMemberStatus.LEFT: "the bot left it",
        ChatMemberStatus.BANNED: "the bot was removed",
    }
    status = statuses.get(chat.bot_status, f"the bot is {chat.bot_status}")
    return f'{chat.chat_id}: {chat.kind} "{chat.title}", {status}'


def _ask_for_review_chat(chats: Sequence[SeenChat], username: str, report: SetupReport) -> None:
    present = [chat for chat in chats if chat.bot_status not in _GONE and chat.kind != "channel"]
    if present:
        choice = present[-1].chat_id
        report.problem(
            "REVIEW_CHAT_ID is not set",
            f"put the review group's id in .env as REVIEW_CHAT_ID={choice} (one of the chats "
            "listed above), then run `report-bot setup` again",
        )
        return
    report.problem(
        "REVIEW_CHAT_ID is not set, and no group has added the bot yet (none in its pending "
        "updates)",
        f"create the review group, add @{username} to it as an administrator (group -> Manage "
        "-> Administrators -> Add Admin), then run `report-bot setup` again: it will show the "
        "group's id",
    )


async def _check_review_chat(
    bot: Bot, settings: Settings, bot_id: int, report: SetupReport
) -> None:
    chat_id = settings.review_chat_id
    assert chat_id is not None
    name = f"REVIEW_CHAT_ID={chat_id}"
    try:
        chat = await bot.get_chat(chat_id)
    except ChatMigrated as exc:
        report.problem(
            f"{name}: this group was upgraded to a supergroup with a new id",
            f"set REVIEW_CHAT_ID={exc.new_chat_id} in .env, then run `report-bot setup` again",
        )
        return
    except (BadRequest, Forbidden) as exc:
        report.problem(
            f"{name}: Telegram answers '{exc.message}': the bot is not in that chat, or the id "
            "is mistyped",
            "add the bot to the review group as an administrator and check the id (setup lists "
            "the groups it was added to while REVIEW_CHAT_ID is empty), then run "
            "`report-bot setup` again",
        )
        return
    title = f'{chat.type} "{chat.title or ""}"'
    if chat.type not in {ChatType.GROUP, ChatType.SUPERGROUP}:
        report.problem(
            f"{name} is a {title}, not a group: moderators decide cases in a group",
            "create a group for the review team, add the bot as an administrator and put its "
            "id in REVIEW_CHAT_ID",
        )
        return
    report.ok(f"review chat: {title}")
    member = await bot.get_chat_member(chat_id, bot_id)
    if not _review_rights(member, report):
        return
    if settings.review_thread_id is not None:
        await _check_topic(bot, chat, settings.review_thread_id, report)


def _review_rights(member: ChatMember, report: SetupReport) -> bool:
    """Whether the bot may work in the review chat; reports each right it relies on."""
    status = member.status
    admin_steps = (
        "in the review group: Manage -> Administrators -> Add Admin -> the bot, then run "
        "`report-bot setup` again"
    )
    if status in _GONE:
        report.problem("the bot is not in the review chat (it left or was removed)", admin_steps)
        return False
    if isinstance(member, ChatMemberRestricted) and not member.can_send_messages:
        report.problem("the bot is restricted in the review chat: it may not post", admin_steps)
        return False
    if status not in {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}:
        report.problem(
            "the bot is a member of the review chat but not an administrator: it needs to be one "
            "to see moderators' replies and notes",
            admin_steps,
        )
        return False
    report.ok("the bot is an administrator of the review chat")
    report.ok("posting cases: allowed (administrators may always post in a group)")
    report.ok("editing its case messages: allowed (anyone may edit their own messages)")
    # The bot deletes only its own messages (an extra copy of a case post, sent twice around a
    # restart: handlers/outbound/case_copies.py), which Telegram allows any bot in a group for
    # 48 hours without the right to delete messages.
    report.ok(
        "deleting its own extra copies of case posts: allowed (Telegram lets a bot delete its "
        "own messages for 48 hours; an older copy is edited into a pointer to the live post)"
    )
    deletes = not isinstance(member, ChatMemberAdministrator) or member.can_delete_messages
    report.note(
        f"deleting other people's messages: {'allowed' if deletes else 'not allowed'} (the bot "
        "never does, so it does not need this right)"
    )
    return True


async def _check_topic(bot: Bot, chat: ChatFullInfo, thread_id: int, report: SetupReport) -> None:
    if not chat.is_forum:
        report.problem(
            f"REVIEW_THREAD_ID={thread_id} is set but the review chat has no topics",
            "enable Topics in the group's settings, or leave REVIEW_THREAD_ID empty to post in "
            "the group itself",
        )
        return
    try:
        await bot.send_chat_action(chat.id, ChatAction.TYPING, message_thread_id=thread_id)
    except BadRequest as exc:
        report.problem(
            f"REVIEW_THREAD_ID={thread_id}: Telegram answers '{exc.message}'",
            "put the topic's id in REVIEW_THREAD_ID: the number after the group's in a link to "
            "a message in that topic (https://t.me/c/<group>/<topic>/<message>)",
        )
        return
    report.ok(f"forum topic {thread_id} exists and the bot may post there")


def running_instance(database_path: Path) -> str | None:
    """Who holds `run`'s instance lock on this database ("process N"), or None.

    Only looks: a missing lock file is not created, and a free lock is let go at once.
    """
    lock_path = database_path.with_name(database_path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.read(fd, 32).decode(errors="replace").strip()
            return f"process {raw}" if raw.isdigit() else "another process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _reason(exc: TelegramError) -> str:
    if isinstance(exc, RetryAfter):
        return f"flood control: retry after {exc.retry_after}"
    return f"{type(exc).__name__}: {exc.message}"
