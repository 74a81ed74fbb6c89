"""A basic group upgraded to a supergroup, end to end through PTB."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated

from loopback import LoopbackServer


async def test_old_id_answers_migrated_and_service_messages_arrive(
    bot: Bot, server: LoopbackServer
) -> None:
    alice = server.add_user(first_name="Alice")
    group = server.add_group(title="Review", members=[alice], owner=alice, bot_admin=True)
    await bot.send_message(group.id, "before")
    supergroup = server.migrate_to_supergroup(group)
    assert supergroup.id < -1_000_000_000_000
    assert supergroup.type == "supergroup"

    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group.id, "after")
    assert caught.value.new_chat_id == supergroup.id
    call = server.calls("sendMessage")[-1]
    assert call.description == "Bad Request: group chat was upgraded to a supergroup chat"

    updates = [u.message for u in await bot.get_updates() if u.message]
    assert [(m.chat.id, m.migrate_to_chat_id, m.migrate_from_chat_id) for m in updates] == [
        (group.id, supergroup.id, None),
        (supergroup.id, None, group.id),
    ]
    await bot.send_message(supergroup.id, "after")
    assert [m.text for m in server.messages(supergroup.id)] == ["after"]
    assert [m.text for m in server.messages(group.id)] == ["before"]
    member = await bot.get_chat_member(supergroup.id, alice.id)
    assert member.status == "creator"


async def test_users_cannot_post_in_the_old_group(server: LoopbackServer, bot: Bot) -> None:
    alice = server.add_user(first_name="Alice")
    group = server.add_group(title="Old", members=[alice])
    server.migrate_to_supergroup(group)
    with pytest.raises(RuntimeError, match="was upgraded"):
        await alice.send("hello?", chat=group)
    with pytest.raises(ChatMigrated):
        await bot.get_chat(group.id)
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat(-999)
