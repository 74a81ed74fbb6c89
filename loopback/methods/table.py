"""Which Bot API methods the loopback server implements, by canonical name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from loopback.methods import callbacks, chats, commands, media, messages, updates
from loopback.methods.context import Handler

_HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "getMe": updates.get_me,
        "getUpdates": updates.get_updates,
        "setWebhook": updates.set_webhook,
        "deleteWebhook": updates.delete_webhook,
        "getWebhookInfo": updates.get_webhook_info,
        "sendMessage": messages.send_message,
        "sendChatAction": messages.send_chat_action,
        "editMessageText": messages.edit_message_text,
        "editMessageReplyMarkup": messages.edit_message_reply_markup,
        "deleteMessage": messages.delete_message,
        "sendPhoto": media.send_photo,
        "sendDocument": media.send_document,
        "getFile": media.get_file,
        "getChat": chats.get_chat,
        "getChatMember": chats.get_chat_member,
        "getChatAdministrators": chats.get_chat_administrators,
        "getChatMemberCount": chats.get_chat_member_count,
        "leaveChat": chats.leave_chat,
        "setMyCommands": commands.set_my_commands,
        "getMyCommands": commands.get_my_commands,
        "deleteMyCommands": commands.delete_my_commands,
        "answerCallbackQuery": callbacks.answer_callback_query,
    }
)
_BY_LOWER_NAME: Mapping[str, str] = MappingProxyType({name.lower(): name for name in _HANDLERS})


def find_method(name: str) -> tuple[str, Handler] | None:
    """(canonical name, handler); Telegram matches method names case-insensitively."""
    canonical = _BY_LOWER_NAME.get(name.lower())
    return None if canonical is None else (canonical, _HANDLERS[canonical])
