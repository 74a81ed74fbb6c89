"""/start and /help, through the loopback Bot API, in the user's language."""

from __future__ import annotations

from loopback import LoopbackServer
from tests.conftest import TEST_BOT_USERNAME, RunningBot


async def test_start_greets_in_english(bot: RunningBot, loopback: LoopbackServer) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    reply = await alice.next_message()
    assert reply.text.startswith("👋 Hello, Alice!")
    assert "report it to our moderators" in reply.text


async def test_start_greets_in_russian(bot: RunningBot, loopback: LoopbackServer) -> None:
    ivan = loopback.add_user(first_name="Иван", language_code="ru")
    await ivan.send("/start")
    reply = await ivan.next_message()
    assert reply.text.startswith("👋 Здравствуйте, Иван!")


async def test_regional_russian_tag_uses_russian(bot: RunningBot, loopback: LoopbackServer) -> None:
    olga = loopback.add_user(first_name="Olga", language_code="ru-RU")
    await olga.send("/help")
    reply = await olga.next_message()
    assert reply.text.startswith("Что я умею")


async def test_unknown_language_falls_back_to_english(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    kenji = loopback.add_user(first_name="Kenji", language_code="ja")
    await kenji.send("/help")
    reply = await kenji.next_message()
    assert reply.text.startswith("What I can do")


async def test_missing_language_falls_back_to_english(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    anon = loopback.add_user(first_name="Anon", language_code=None)
    await anon.send("/start")
    reply = await anon.next_message()
    assert reply.text.startswith("👋 Hello, Anon!")


async def test_help_in_english_lists_commands(bot: RunningBot, loopback: LoopbackServer) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/help")
    reply = await alice.next_message()
    assert reply.text.startswith("What I can do")
    assert "/start" in reply.text
    assert any(e["type"] == "bold" for e in reply.entities)


async def test_help_in_a_group_points_to_the_private_chat(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    group = loopback.add_group(title="Friends", members=[alice], admins=[], bot_member=True)
    await alice.send(f"/help@{TEST_BOT_USERNAME}", chat=group)
    reply = await group.next_message()
    assert f"@{TEST_BOT_USERNAME}" in reply.text


async def test_name_with_html_is_shown_literally(bot: RunningBot, loopback: LoopbackServer) -> None:
    eve = loopback.add_user(first_name="<b>Eve</b> & <i>co", language_code="en")
    await eve.send("/start")
    reply = await eve.next_message()
    assert reply.text.startswith("👋 Hello, <b>Eve</b> & <i>co!")
    assert not any(e["type"] in {"bold", "italic"} for e in reply.entities)


async def test_replies_never_unfurl_link_previews(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("/start")
    await alice.next_message()
    sends = loopback.calls("sendMessage")
    assert sends
    for call in sends:
        assert '"is_disabled": true' in str(call.params.get("link_preview_options", "")).lower()


async def test_command_menus_are_registered_per_language(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    english = loopback.commands(scope={"type": "all_private_chats"}, language_code=None)
    russian = loopback.commands(scope={"type": "all_private_chats"}, language_code="ru")
    reporter_menu = ["start", "report", "myreports", "notify", "cancel", "appeal", "help"]
    assert [c.command for c in english] == reporter_menu
    assert [c.command for c in russian] == reporter_menu
    assert russian[-1].description == "Что я умею"
