"""Which bots receive a chat event, honouring group privacy mode, and queueing it for them."""

from __future__ import annotations

from telegram import Message, MessageEntity, TelegramObject

from loopback.chat_state import ChatView, UserRecord
from loopback.world import BotRecord, World


def _addressed_to(bot: BotRecord, message: Message) -> bool:
    """What a bot in privacy mode still gets: commands, replies to it, mentions of it."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
        return True
    username = bot.username.lower()
    for entity, text in message.parse_entities().items():
        if entity.type == MessageEntity.BOT_COMMAND:
            _, _, target = text.partition("@")
            if not target or target.lower() == username:
                return True
        if entity.type == MessageEntity.MENTION and text[1:].lower() == username:
            return True
    return False


def bots_seeing(
    world: World, view: ChatView, message: Message, *, service: bool
) -> list[BotRecord]:
    if view.group is None:
        bot = world.bot_by_id(view.bot_id) if view.bot_id is not None else None
        return [bot] if bot is not None else []
    chat = view.group
    targets = []
    for bot in world.bots.values():
        membership = chat.membership(bot.id)
        if not membership.present:
            continue
        if (
            bot.privacy_mode
            and not service
            and not membership.is_admin
            and not _addressed_to(bot, message)
        ):
            continue
        targets.append(bot)
    return targets


def deliver_message(
    world: World,
    view: ChatView,
    kind: str,
    message: Message,
    sender: UserRecord | None,
    *,
    service: bool = False,
) -> None:
    """Queues a message (or edited_message) update for every bot that sees it."""
    for bot in bots_seeing(world, view, message, service=service):
        if sender is not None and not sender.is_bot:
            bot.known_users.add(sender.id)
        bot.updates.push(kind, message)
    world.changed()


def deliver_to(world: World, bot: BotRecord, kind: str, payload: TelegramObject) -> None:
    bot.updates.push(kind, payload)
    world.changed()
