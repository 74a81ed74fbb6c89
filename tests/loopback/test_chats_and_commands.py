"""getChat, getChatMember, getChatAdministrators, membership updates and command menus."""

from __future__ import annotations

import pytest
from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest

from loopback import LoopbackServer


async def test_public_chats_resolve_by_username(bot: Bot, server: LoopbackServer) -> None:
    channel = server.add_channel(title="Shop", username="some_shop")
    info = await bot.get_chat("@some_shop")
    assert (info.id, info.type, info.title, info.username) == (
        channel.id,
        "channel",
        "Shop",
        "some_shop",
    )
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat(channel.id)  # by id only from the inside


async def test_users_resolve_once_they_wrote(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice", last_name="W", username="alice_w")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat(alice.id)
    await alice.send("hi")
    info = await bot.get_chat(alice.id)
    assert (info.type, info.first_name, info.last_name, info.username) == (
        "private",
        "Alice",
        "W",
        "alice_w",
    )


async def test_members_admins_and_strangers(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    bob = server.add_user(first_name="Bob")
    carol = server.add_user(first_name="Carol")
    group = server.add_supergroup(title="Review", members=[alice], admins=[bob], bot_admin=True)
    assert (await bot.get_chat_member(group.id, alice.id)).status == "member"
    assert (await bot.get_chat_member(group.id, bob.id)).status == "administrator"
    with pytest.raises(BadRequest, match=r"^User not found$"):
        await bot.get_chat_member(group.id, 777)
    await carol.send("/start")  # known to the bot, not in the group
    assert (await bot.get_chat_member(group.id, carol.id)).status == "left"
    admins = await bot.get_chat_administrators(group.id)
    assert {admin.user.id for admin in admins} == {bob.id, 123456}
    with pytest.raises(BadRequest) as caught:
        await bot.get_chat_administrators(carol.id)
    assert caught.value.message == "There are no administrators in the private chat"


async def test_adding_and_removing_the_bot_sends_my_chat_member(
    bot: Bot, server: LoopbackServer
) -> None:
    owner = server.add_user(first_name="Owner")
    group = server.add_group(title="New", owner=owner, bot_member=False)
    server.add_bot_to_chat(group, admin=True)
    server.remove_bot_from_chat(group)
    changes = [u.my_chat_member for u in await bot.get_updates() if u.my_chat_member]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in changes] == [
        ("left", "administrator"),
        ("administrator", "left"),
    ]
    assert changes[0].from_user.id == owner.id


async def test_command_menus_are_stored_per_scope_and_language(
    bot: Bot, server: LoopbackServer
) -> None:
    group = server.add_supergroup(title="Review")
    private = [BotCommand("start", "Start"), BotCommand("help", "What I can do")]
    await bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(
        [BotCommand("help", "Что я умею")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="ru",
    )
    await bot.set_my_commands(
        [BotCommand("queue", "Open cases")], scope=BotCommandScopeChat(group.id)
    )
    assert server.commands({"type": "all_private_chats"}) == private
    assert [c.description for c in server.commands(BotCommandScopeAllPrivateChats(), "ru")] == [
        "Что я умею"
    ]
    assert [c.command for c in server.commands({"type": "chat", "chat_id": group.id})] == ["queue"]
    assert server.commands() == []
    assert list(await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())) == private
    await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert server.commands({"type": "all_private_chats"}) == []


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (BotCommand("Start", "x"), "Bot_command_invalid"),
        (BotCommand("a" * 33, "x"), "Bot_command_invalid"),
        (BotCommand("start", ""), "Command description must be non-empty"),
        (BotCommand("start", "x" * 257), "Bot_command_description_invalid"),
    ],
)
async def test_bad_commands_are_refused(bot: Bot, command: BotCommand, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.set_my_commands([command])
    assert caught.value.message == message
