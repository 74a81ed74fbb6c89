"""`web_app` buttons: Telegram takes them only in a private chat with the bot; a group, a
supergroup or a channel answers 400 BUTTON_TYPE_INVALID on a send and on an edit alike, while a
URL button to the bot's Mini App link is fine there."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.error import BadRequest

from loopback import ChatHandle, LoopbackServer

CONSOLE = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Open console", web_app=WebAppInfo("https://example.org/console/"))]]
)
LINK = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Open console", url="https://t.me/report_test_bot/console")]]
)


async def test_a_web_app_button_is_sent_in_a_private_chat(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    await alice.send("/start")
    await bot.send_message(alice.id, "Staff menu", reply_markup=CONSOLE)
    [shown] = server.messages(alice.id)
    assert shown.reply_markup == CONSOLE.to_dict()


@pytest.mark.parametrize("kind", ["group", "supergroup", "channel"])
async def test_a_web_app_button_outside_a_private_chat_is_refused_and_a_link_is_not(
    bot: Bot, server: LoopbackServer, kind: str
) -> None:
    chat: ChatHandle
    if kind == "group":
        chat = server.add_group(title="Review")
    elif kind == "supergroup":
        chat = server.add_supergroup(title="Review")
    else:
        chat = server.add_channel(title="News", bot_member=True, bot_admin=True)
    with pytest.raises(BadRequest, match=r"^Button_type_invalid$"):
        await bot.send_message(chat.id, "Digest", reply_markup=CONSOLE)
    assert server.messages(chat.id) == []
    sent = await bot.send_message(chat.id, "Digest", reply_markup=LINK)
    with pytest.raises(BadRequest, match=r"^Button_type_invalid$"):
        await bot.edit_message_reply_markup(chat.id, sent.message_id, reply_markup=CONSOLE)
    with pytest.raises(BadRequest, match=r"^Button_type_invalid$"):
        await bot.edit_message_text(
            "Digest, again", chat_id=chat.id, message_id=sent.message_id, reply_markup=CONSOLE
        )
    [shown] = server.messages(chat.id)
    assert shown.text == "Digest"
    assert shown.reply_markup == LINK.to_dict()
