"""Resolving a chat_id the way Telegram does for a bot, with Telegram's refusals."""

from __future__ import annotations

from telegram.constants import ChatType

from loopback.api_errors import bad_request, forbidden
from loopback.chat_state import ChatRecord, ChatView, MemberStatus, MessageRecord, UserRecord
from loopback.request_params import Params
from loopback.world import BotRecord, World


def chat_not_found() -> Exception:
    return bad_request("chat not found")


def migrated(chat: ChatRecord) -> Exception:
    assert chat.migrated_to is not None
    return bad_request(
        "group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": chat.migrated_to}
    )


def resolve_chat(world: World, bot: BotRecord, ref: int | str) -> ChatView:
    """The chat behind a numeric id or @username, if this bot can address it at all."""
    if isinstance(ref, str):
        owner = world.by_username(ref) if ref.startswith("@") else None
        if isinstance(owner, ChatRecord):
            return world.group_view(owner)
        if isinstance(owner, UserRecord) and owner.id in bot.known_users:
            return world.private_view(bot, owner)
        raise chat_not_found()
    chat = world.chats.get(ref)
    if chat is not None:
        if chat.migrated_to is not None:
            raise migrated(chat)
        return world.group_view(chat)
    user = world.users.get(ref)
    if user is not None and ref in bot.known_users:
        return world.private_view(bot, user)
    raise chat_not_found()


def resolve_visible_chat(world: World, bot: BotRecord, ref: int | str) -> ChatView:
    """getChat and friends: public chats by @username, others only from the inside."""
    view = resolve_chat(world, bot, ref)
    by_id = not isinstance(ref, str)
    if view.group is not None and by_id and not view.group.membership(bot.id).present:
        raise chat_not_found()
    return view


def require_can_send(bot: BotRecord, view: ChatView) -> None:
    if view.user is not None:
        user = view.user
        if user.is_bot:
            raise forbidden("bot can't send messages to bots")
        if bot.id in user.blocked_bots:
            raise forbidden("bot was blocked by the user")
        if user.id not in bot.started_users:
            raise forbidden("bot can't initiate conversation with a user")
        return
    chat = view.group
    assert chat is not None
    membership = chat.membership(bot.id)
    if membership.status == MemberStatus.KICKED:
        raise forbidden(f"bot was kicked from the {chat.kind_label}")
    if not membership.present:
        raise forbidden(f"bot is not a member of the {chat.kind_label}")
    if chat.type == ChatType.CHANNEL and not membership.is_admin:
        raise bad_request("need administrator rights in the channel chat")


def sendable_chat(world: World, bot: BotRecord, params: Params) -> ChatView:
    view = resolve_chat(world, bot, params.chat_ref())
    require_can_send(bot, view)
    return view


def resolve_thread(view: ChatView, thread_id: int | None) -> int | None:
    if thread_id is None or thread_id == 0:
        return None
    chat = view.group
    if chat is not None and chat.is_forum:
        if thread_id not in chat.topics:
            raise bad_request("message thread not found")
        return thread_id
    if view.log.get(thread_id) is None:
        raise bad_request("message thread not found")
    return thread_id


def resolve_reply(view: ChatView, params: Params) -> MessageRecord | None:
    """reply_parameters (or the legacy reply_to_message_id) to a message in this chat."""
    allow_missing = params.flag("allow_sending_without_reply")
    reply = params.json("reply_parameters")
    message_id: object = None
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        other_chat = reply.get("chat_id")
        if other_chat is not None and other_chat not in {view.id, view.chat.username}:
            message_id = None if allow_missing else -1
    elif reply is not None:
        raise bad_request("can't parse reply parameters JSON object")
    else:
        message_id = params.integer("reply_to_message_id")
    if message_id is None:
        return None
    record = view.log.get(message_id) if isinstance(message_id, int) else None
    if record is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return record
