"""editMessageText, editMessageReplyMarkup and deleteMessage, with their refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from loopback import LoopbackServer, UserHandle

NOT_MODIFIED = (
    "Message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Approve", callback_data="v1:a:1")]])


@pytest.fixture
async def alice(server: LoopbackServer, bot: Bot) -> UserHandle:
    user = server.add_user(first_name="Alice")
    await user.send("/start")
    return user


async def test_edit_changes_text_and_keeps_history(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    sent = await bot.send_message(alice.id, "<b>v1</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("v2", chat_id=alice.id, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # no reply_markup in the edit removes the keyboard
    stored = server.messages(alice.id)[-1]
    assert stored.text == "v2"
    assert stored.edit_history == ("v1",)
    assert stored.edited_at is not None
    assert stored.reply_markup is None


async def test_identical_edit_is_not_modified(bot: Bot, alice: UserHandle) -> None:
    sent = await bot.send_message(alice.id, "<b>same</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest) as caught:
        await bot.edit_message_text(
            "<b>same</b>",
            chat_id=alice.id,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=KEYBOARD,
        )
    assert caught.value.message == NOT_MODIFIED
    with pytest.raises(BadRequest) as caught:
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=KEYBOARD)
    assert caught.value.message == NOT_MODIFIED


async def test_markup_edit_replaces_only_the_keyboard(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    sent = await bot.send_message(alice.id, "case", reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=None)
    stored = server.messages(alice.id)[-1]
    assert stored.reply_markup is None
    assert stored.text == "case"


async def test_edit_of_unknown_or_foreign_message_is_refused(bot: Bot, alice: UserHandle) -> None:
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)
    own = await alice.send("mine")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=own.message_id)


async def test_delete_marks_the_message_deleted(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    sent = await bot.send_message(alice.id, "oops")
    assert await bot.delete_message(alice.id, sent.message_id)
    assert server.messages(alice.id)[-1].deleted
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(alice.id, sent.message_id)


async def test_deleting_others_messages_needs_the_right(bot: Bot, server: LoopbackServer) -> None:
    bob = server.add_user(first_name="Bob")
    plain = server.add_supergroup(title="Plain", members=[bob])
    moderated = server.add_supergroup(title="Moderated", members=[bob], bot_admin=True)
    in_plain = await bob.send("/spam", chat=plain)
    in_moderated = await bob.send("/spam", chat=moderated)
    with pytest.raises(BadRequest, match=r"^Message can't be deleted$"):
        await bot.delete_message(plain.id, in_plain.message_id)
    assert await bot.delete_message(moderated.id, in_moderated.message_id)


async def test_a_message_sent_48_hours_ago_cannot_be_deleted_but_can_be_edited(
    bot: Bot, server: LoopbackServer
) -> None:
    group = server.add_supergroup(title="Review", bot_admin=True)
    sent = await bot.send_message(group.id, "old post", reply_markup=KEYBOARD)
    group.backdate(sent.message_id, dt.timedelta(hours=48))
    with pytest.raises(BadRequest, match=r"^Message can't be deleted$"):
        await bot.delete_message(group.id, sent.message_id)
    await bot.edit_message_text("pointer", chat_id=group.id, message_id=sent.message_id)
    [shown] = group.messages()
    assert shown.text == "pointer"
    assert shown.reply_markup is None  # an edit without reply_markup drops the buttons
    assert not shown.deleted
