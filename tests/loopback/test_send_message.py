"""sendMessage: what is stored, and every refusal with Telegram's exact wording."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from loopback import LoopbackServer, UserHandle


@pytest.fixture
async def alice(server: LoopbackServer, bot: Bot) -> UserHandle:
    user = server.add_user(first_name="Alice", username="alice")
    await user.send("/start")
    return user


async def test_html_is_parsed_into_text_and_entities(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    sent = await bot.send_message(alice.id, "<b>Case</b> 😀 <i>x</i> &lt;ok&gt;", parse_mode="HTML")
    stored = server.messages(alice.id)[-1]
    assert sent.text == stored.text == "Case 😀 x <ok>"
    assert stored.html == "<b>Case</b> 😀 <i>x</i> &lt;ok&gt;"
    assert stored.entities == (
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 8, "length": 1},  # 😀 is two UTF-16 code units
    )


async def test_links_commands_and_mentions_are_detected_in_bot_text(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    await bot.send_message(alice.id, "Use /report or ask @moderator at https://t.me/help")
    types = [entity["type"] for entity in server.messages(alice.id)[-1].entities]
    assert types == ["bot_command", "mention", "url"]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<foo>x</foo>", 'Can\'t parse entities: unsupported start tag "foo" at byte offset 0'),
        ("1 < 2", 'Can\'t parse entities: unsupported start tag "" at byte offset 2'),
        ("<b>bold", "Can't parse entities: can't find end tag corresponding to start tag \"b\""),
        (
            "<b>x</i>",
            'Can\'t parse entities: unmatched end tag at byte offset 4, expected "</b>", '
            'found "</i>"',
        ),
        ("x</b>", "Can't parse entities: unexpected end tag at byte offset 1"),
        ("Привет <br>", 'Can\'t parse entities: unsupported start tag "br" at byte offset 13'),
    ],
)
async def test_bad_html_is_refused_like_telegram(
    bot: Bot, alice: UserHandle, html: str, message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(alice.id, html, parse_mode=ParseMode.HTML)
    assert caught.value.message == message


async def test_markdown_v2_is_parsed_and_reserved_characters_refused(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    await bot.send_message(
        alice.id, r"*bold* and \. [link](https://example.org)", parse_mode="MarkdownV2"
    )
    stored = server.messages(alice.id)[-1]
    assert stored.text == "bold and . link"
    assert [entity["type"] for entity in stored.entities] == ["bold", "text_link"]
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(alice.id, "Done.", parse_mode="MarkdownV2")
    assert caught.value.message == (
        "Can't parse entities: character '.' is reserved and must be escaped with the "
        "preceding '\\'"
    )


async def test_unknown_chat_is_not_found(bot: Bot, server: LoopbackServer) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(123_456_789, "hi")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message("@nobody_here", "hi")


@pytest.mark.parametrize("text", ["", "   ", "<b></b>"])
async def test_empty_text_is_refused(bot: Bot, alice: UserHandle, text: str) -> None:
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(alice.id, text, parse_mode=ParseMode.HTML)


async def test_length_is_counted_in_utf16_after_parsing(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    await bot.send_message(alice.id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(alice.id, "😀" * 2049)
    assert len(server.messages(alice.id)) == 1


async def test_blocked_user_is_forbidden(bot: Bot, alice: UserHandle) -> None:
    alice.block_bot()
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(alice.id, "hi")
    assert caught.value.message == "Forbidden: bot was blocked by the user"
    alice.unblock_bot()
    await bot.send_message(alice.id, "welcome back")


async def test_bot_cannot_start_a_conversation(bot: Bot, server: LoopbackServer) -> None:
    bob = server.add_user(first_name="Bob")
    group = server.add_group(title="G", members=[bob])
    await bob.send("/help", chat=group)  # the bot knows Bob now, but Bob never wrote to it
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(bob.id, "hi")
    assert caught.value.message == "Forbidden: bot can't initiate conversation with a user"


async def test_a_stranger_is_not_found(bot: Bot, server: LoopbackServer) -> None:
    carol = server.add_user(first_name="Carol")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(carol.id, "hi")


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("group", "Forbidden: bot is not a member of the group chat"),
        ("supergroup", "Forbidden: bot is not a member of the supergroup chat"),
        ("channel", "Forbidden: bot is not a member of the channel chat"),
    ],
)
async def test_bot_outside_the_chat_is_forbidden(
    bot: Bot, server: LoopbackServer, kind: str, message: str
) -> None:
    if kind == "group":
        chat = server.add_group(title="G", bot_member=False)
    elif kind == "supergroup":
        chat = server.add_supergroup(title="S", bot_member=False)
    else:
        chat = server.add_channel(title="Shop", username="some_shop")
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(chat.id, "hi")
    assert caught.value.message == message


@pytest.mark.parametrize("kind", ["group", "supergroup"])
async def test_kicked_bot_is_forbidden(bot: Bot, server: LoopbackServer, kind: str) -> None:
    chat = server.add_group(title="G") if kind == "group" else server.add_supergroup(title="S")
    server.remove_bot_from_chat(chat, kicked=True)
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(chat.id, "hi")
    assert caught.value.message == f"Forbidden: bot was kicked from the {kind} chat"


async def test_topics_must_exist_in_a_forum(bot: Bot, server: LoopbackServer) -> None:
    forum = server.add_supergroup(title="Review", forum=True, bot_admin=True)
    cases = forum.create_topic("Cases")
    sent = await bot.send_message(forum.id, "in topic", message_thread_id=cases)
    assert sent.message_thread_id == cases
    assert sent.is_topic_message
    assert [m.text for m in server.messages(forum.id, thread_id=cases)] == ["in topic"]
    with pytest.raises(BadRequest, match=r"^Message thread not found$"):
        await bot.send_message(forum.id, "lost", message_thread_id=cases + 100)


async def test_replies_need_an_existing_message_unless_allowed(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    question = await alice.send("question?")
    answer = await bot.send_message(
        alice.id, "answer", reply_parameters=ReplyParameters(question.message_id)
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question?"
    with pytest.raises(BadRequest, match=r"^Message to be replied not found$"):
        await bot.send_message(alice.id, "x", reply_parameters=ReplyParameters(9_999))
    sent = await bot.send_message(
        alice.id,
        "anyway",
        reply_parameters=ReplyParameters(9_999, allow_sending_without_reply=True),
    )
    assert sent.reply_to_message is None


@pytest.mark.parametrize(
    ("button", "message"),
    [
        (InlineKeyboardButton("x", callback_data="d" * 65), "Button_data_invalid"),
        (InlineKeyboardButton("x", callback_data=""), "Button_data_invalid"),
        (InlineKeyboardButton("x", url="not a url"), "Button_url_invalid"),
    ],
)
async def test_bad_inline_buttons_are_refused(
    bot: Bot, alice: UserHandle, button: InlineKeyboardButton, message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(alice.id, "pick", reply_markup=InlineKeyboardMarkup([[button]]))
    assert caught.value.message == message


async def test_keyboard_and_preview_options_are_kept_as_sent(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Approve", callback_data="v1:a:1")]])
    await bot.send_message(
        alice.id,
        "case",
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    stored = server.messages(alice.id)[-1]
    assert stored.reply_markup == markup.to_dict()
    assert stored.button_texts() == ["Approve"]
    assert stored.link_preview_options == {"is_disabled": True}


async def test_chat_action_checks_the_chat_the_topic_and_the_action(
    bot: Bot, server: LoopbackServer
) -> None:
    forum = server.add_supergroup(title="Review", forum=True, bot_admin=True)
    cases = forum.create_topic("Cases")
    assert await bot.send_chat_action(forum.id, "typing", message_thread_id=cases)
    assert not server.messages(forum.id)  # nothing is posted
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_chat_action(forum.id, "typing", message_thread_id=cases + 100)
    with pytest.raises(BadRequest, match="Wrong parameter action in request"):
        await bot.send_chat_action(forum.id, "dancing")
    outside = server.add_supergroup(title="Elsewhere", bot_member=False)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_chat_action(outside.id, "typing")
