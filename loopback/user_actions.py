"""What simulated people do: post, edit, press buttons, block the bot, change membership.

Each action stores its effect in the chat and queues the update Telegram would send.
"""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, ChatMemberUpdated, Message
from telegram.constants import ChatType

from loopback.chat_state import (
    ChatRecord,
    ChatView,
    Membership,
    MemberStatus,
    MessageRecord,
    UserRecord,
    utc_now,
)
from loopback.delivery import deliver_message, deliver_to
from loopback.message_factory import build_message, replace_message, store
from loopback.message_text import plain_text
from loopback.world import BotRecord, CallbackRecord, World


def text_content(text: str, *, caption: bool = False) -> dict[str, Any]:
    formatted = plain_text(text)
    entities = formatted.entities or None
    if caption:
        return {"caption": formatted.text, "caption_entities": entities}
    return {"text": formatted.text, "entities": entities}


def chat_for(
    world: World, user: UserRecord, chat: ChatRecord | None, bot: BotRecord | None
) -> ChatView:
    """Where a user's message goes: the private chat with the bot, or a group they are in."""
    if chat is None:
        the_bot = bot or world.default_bot()
        if the_bot.id in user.blocked_bots:
            raise RuntimeError(f"{user.first_name} blocked the bot; call unblock_bot() first")
        return world.private_view(the_bot, user)
    if chat.migrated_to is not None:
        raise RuntimeError(f"{chat.title!r} was upgraded to supergroup {chat.migrated_to}")
    if chat.type == ChatType.CHANNEL:
        raise RuntimeError("users cannot post in channels; forward from them instead")
    if not chat.membership(user.id).present:
        raise RuntimeError(f"{user.first_name} is not a member of {chat.title!r}")
    return world.group_view(chat)


def post(
    world: World,
    user: UserRecord,
    view: ChatView,
    content: dict[str, Any],
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> Message:
    group = view.group
    in_forum = group is not None and group.is_forum
    if thread_id is not None and group is not None and in_forum and thread_id not in group.topics:
        raise ValueError(f"{group.title!r} has no topic {thread_id}")
    replied = view.log.get(reply_to) if reply_to is not None else None
    if reply_to is not None and replied is None:
        raise LookupError(f"no message {reply_to} in chat {view.id} to reply to")
    message = build_message(
        view, sender=user.to_user(), thread_id=thread_id, reply_to=replied, **content
    )
    store(view, message)
    if view.group is None and view.bot_id is not None:
        bot = world.bot_by_id(view.bot_id)
        if bot is not None:
            bot.started_users.add(user.id)
    deliver_message(world, view, "message", message, user)
    return message


def find_record(view: ChatView, message_id: int) -> MessageRecord:
    record = view.log.get(message_id)
    if record is None:
        raise LookupError(f"no message {message_id} in chat {view.id} (deleted or never sent)")
    return record


def edit(world: World, user: UserRecord, view: ChatView, message_id: int, text: str) -> Message:
    record = find_record(view, message_id)
    sender = record.message.from_user
    if sender is None or sender.id != user.id:
        raise PermissionError(f"{user.first_name} can only edit their own messages")
    now = utc_now()
    content = text_content(text)
    entities = content["entities"]
    record.edit_history.append(record.message.text or "")
    record.message = replace_message(
        record.message,
        text=content["text"],
        entities=[entity.to_dict() for entity in entities] if entities else None,
        edit_date=int(now.timestamp()),
    )
    record.edited_at = now
    deliver_message(world, view, "edited_message", record.message, user)
    return record.message


def press(
    world: World,
    user: UserRecord,
    view: ChatView,
    message_id: int,
    *,
    data: str | None,
    text: str | None,
    forged: bool = False,
) -> CallbackRecord:
    """Presses a callback button, found by its data or by its label. `forged` sends `data`
    whatever the message's buttons are, as a modified client can (1-64 bytes, like Telegram)."""
    if (data is None) == (text is None):
        raise ValueError("press(message, data=...) or press(message, text=...), exactly one")
    record = find_record(view, message_id)
    if forged:
        if data is None or not 1 <= len(data.encode()) <= 64:
            raise ValueError("forged callback data must be 1-64 bytes")
        return _deliver_press(world, user, view, record, data)
    markup = record.message.reply_markup
    buttons = [button for row in markup.inline_keyboard for button in row] if markup else []
    wanted = next(
        (
            button
            for button in buttons
            if (data is not None and button.callback_data == data)
            or (text is not None and button.text == text)
        ),
        None,
    )
    labels = [f"{button.text!r}={button.callback_data!r}" for button in buttons]
    if wanted is None:
        raise LookupError(
            f"message {message_id} has no button {data or text!r}; buttons: {labels or 'none'}"
        )
    if wanted.callback_data is None or not isinstance(wanted.callback_data, str):
        raise LookupError(f"button {wanted.text!r} is not a callback button")
    return _deliver_press(world, user, view, record, wanted.callback_data)


def _deliver_press(
    world: World, user: UserRecord, view: ChatView, record: MessageRecord, data: str
) -> CallbackRecord:
    message_id = record.message.message_id
    bot = world.bot_by_id(record.sender_bot_id) if record.sender_bot_id is not None else None
    if bot is None:
        raise LookupError(f"message {message_id} was not sent by a bot; nothing to press")
    query = CallbackQuery(
        id=world.new_query_id(),
        from_user=user.to_user(),
        chat_instance=str((abs(view.id) * 2_654_435_761) % 10**19),
        message=record.message,
        data=data,
    )
    callback = CallbackRecord(query.id, user.id, data, world.clock())
    bot.callbacks[query.id] = callback
    bot.known_users.add(user.id)
    deliver_to(world, bot, "callback_query", query)
    return callback


def change_bot_membership(
    world: World,
    bot: BotRecord,
    chat: ChatRecord,
    new: Membership,
    by: UserRecord | None,
) -> None:
    """Sets the bot's membership and sends it my_chat_member, as Telegram does."""
    old = chat.membership(bot.id)
    chat.members[bot.id] = new
    me = bot.user.to_user()
    actor = by or _chat_owner(world, chat)
    change = ChatMemberUpdated(
        chat=chat.to_chat(),
        from_user=actor.to_user() if actor is not None else me,
        date=utc_now(),
        old_chat_member=old.to_chat_member(me, chat.type),
        new_chat_member=new.to_chat_member(me, chat.type),
    )
    if actor is not None:
        bot.known_users.add(actor.id)
    deliver_to(world, bot, "my_chat_member", change)


def private_block_change(world: World, bot: BotRecord, user: UserRecord, blocked: bool) -> None:
    """Blocking (or unblocking) a bot sends it my_chat_member: member <-> kicked."""
    if blocked:
        user.blocked_bots.add(bot.id)
    else:
        user.blocked_bots.discard(bot.id)
    if user.id not in bot.started_users:
        world.changed()
        return
    me = bot.user.to_user()
    member, kicked = Membership(MemberStatus.MEMBER), Membership(MemberStatus.KICKED)
    old, new = (member, kicked) if blocked else (kicked, member)
    change = ChatMemberUpdated(
        chat=user.private_chat(),
        from_user=user.to_user(),
        date=utc_now(),
        old_chat_member=old.to_chat_member(me, ChatType.PRIVATE),
        new_chat_member=new.to_chat_member(me, ChatType.PRIVATE),
    )
    deliver_to(world, bot, "my_chat_member", change)


def _chat_owner(world: World, chat: ChatRecord) -> UserRecord | None:
    ranked = sorted(
        (user_id for user_id, m in chat.members.items() if m.is_admin),
        key=lambda user_id: chat.members[user_id].status != MemberStatus.CREATOR,
    )
    for user_id in ranked:
        user = world.users.get(user_id)
        if user is not None and not user.is_bot:
            return user
    return None


def service_message(
    world: World, view: ChatView, actor: UserRecord | None, **content: Any
) -> Message:
    """A service message (topic created, migration) delivered to every bot in the chat."""
    message = build_message(view, sender=actor.to_user() if actor else None, **content)
    store(view, message)
    deliver_message(world, view, "message", message, actor, service=True)
    return message


def owner_of(world: World, chat: ChatRecord) -> UserRecord | None:
    return _chat_owner(world, chat)
