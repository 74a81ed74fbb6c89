"""getUpdates: updates round-trip through PTB, long polls, offsets, filters and conflicts."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, Update
from telegram.error import Conflict

from loopback import BotHandle, LoopbackServer

TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


async def test_user_messages_arrive_as_ptb_updates(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice", username="alice_w", language_code="de")
    sent = await alice.send("/start@report_test_bot report")
    updates = await bot.get_updates()
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.message_id == sent.message_id
    assert message.text == "/start@report_test_bot report"
    assert message.chat.id == alice.id
    assert message.from_user is not None
    assert message.from_user.language_code == "de"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 22)]
    assert Update.de_json(updates[0].to_dict(), bot) == updates[0]


async def test_offset_confirms_earlier_updates(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    for text in ("one", "two", "three"):
        await alice.send(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["three"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_long_poll_returns_as_soon_as_a_user_writes(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await server.wait_for(lambda: any(c.pending for c in server.calls("getUpdates")))
    await alice.send("wake up")
    updates = await asyncio.wait_for(poll, timeout=10)
    assert [u.message.text for u in updates if u.message] == ["wake up"]


async def test_second_poll_ends_the_first_with_conflict(
    bot: Bot, server: LoopbackServer, bot_account: BotHandle
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await server.wait_for(lambda: any(c.pending for c in server.calls("getUpdates")))
    async with Bot(bot_account.token, base_url=server.base_url) as second_instance:
        with pytest.raises(Conflict) as caught:
            await asyncio.gather(first, second_instance.get_updates(timeout=0))
    assert caught.value.message == TERMINATED
    assert [call.error_code for call in server.calls("getUpdates")] == [409, None]


async def test_allowed_updates_filter_what_is_queued(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    await bot.get_updates(allowed_updates=["callback_query"])
    await alice.send("filtered out")
    assert await bot.get_updates() == ()
    await bot.get_updates(allowed_updates=[])  # back to Telegram's default
    await alice.send("delivered")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["delivered"]


async def test_edits_arrive_as_edited_message(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    original = await alice.send("typo")
    await alice.edit(original, "fixed")
    updates = await bot.get_updates()
    edited = updates[-1].edited_message
    assert edited is not None
    assert edited.text == "fixed"
    assert edited.edit_date is not None


async def test_forwards_contacts_and_media_are_schema_valid(
    bot: Bot, server: LoopbackServer
) -> None:
    alice = server.add_user(first_name="Alice")
    bob = server.add_user(first_name="Bob")
    channel = server.add_channel(title="Shop", username="some_shop")
    group = server.add_group(title="Friends", members=[alice])
    await alice.forward_from_channel(channel, message_id=5, text="buy now t.me/some_shop")
    await alice.forward_from_user(bob, text="from bob")
    await alice.forward_from_hidden_user("Sender Name", text="hidden")
    await alice.forward_from_chat(group, text="anonymous admin")
    await alice.send_contact(phone_number="+10000000000", first_name="X")
    await alice.send_photo(caption="look")
    await alice.send_sticker()
    await alice.send_document(filename="a.pdf", content=b"%PDF-1.4 x")
    messages = [u.message for u in await bot.get_updates() if u.message]
    origins = [m.forward_origin.type for m in messages[:4] if m.forward_origin]
    assert origins == ["channel", "user", "hidden_user", "chat"]
    channel_origin = messages[0].forward_origin
    assert channel_origin is not None
    assert channel_origin.to_dict()["chat"]["username"] == "some_shop"
    assert messages[0].entities[0].type == "url"
    assert messages[4].contact is not None
    assert messages[4].contact.phone_number == "+10000000000"
    assert messages[5].photo
    assert messages[5].caption == "look"
    assert messages[6].sticker is not None
    assert messages[7].document is not None
    assert messages[7].document.file_name == "a.pdf"


async def test_blocking_sends_my_chat_member(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    await alice.send("/start")
    alice.block_bot()
    updates = await bot.get_updates()
    change = updates[-1].my_chat_member
    assert change is not None
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", "kicked")


async def test_group_privacy_mode_hides_chatter_from_a_plain_member(
    bot: Bot, server: LoopbackServer
) -> None:
    alice = server.add_user(first_name="Alice")
    plain = server.add_group(title="Plain", members=[alice])
    admin = server.add_group(title="Admin", members=[alice], bot_admin=True)
    await alice.send("chatter", chat=plain)
    await alice.send("/report", chat=plain)
    await alice.send("/report@other_bot", chat=plain)
    await alice.send("chatter", chat=admin)
    seen = [(u.message.chat.title, u.message.text) for u in await bot.get_updates() if u.message]
    assert seen == [("Plain", "/report"), ("Admin", "chatter")]
