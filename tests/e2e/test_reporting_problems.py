"""Every mistake a reporter can make gets a specific answer, and the step repeats."""

from __future__ import annotations

import pytest

from loopback import LoopbackServer
from tests.conftest import RunningBot
from tests.e2e.reporting_steps import Reporter, rows


@pytest.fixture
def alice(loopback: LoopbackServer) -> Reporter:
    return Reporter(loopback.add_user(first_name="Alice", language_code="en"), loopback)


async def test_too_long_query_is_refused_and_asked_again(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    reply = await alice.say("x" * 300)
    assert "too long for a search query" in reply.text
    assert "What did you search for?" in reply.text


async def test_query_of_only_invisible_characters_is_refused(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.say("/report")
    reply = await alice.say("\u200b\u200b\u2066")
    assert "I need the words you searched for" in reply.text


async def test_control_characters_are_stripped_from_the_query(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.report("@example_shop", query="bad\u202ewords\u200b here")
    assert rows(bot.settings.database_path, "SELECT query FROM reports") == [("badwords here",)]


async def test_sticker_where_text_is_expected_is_named(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.user.send_sticker()
    reply = await alice.user.next_message(timeout=15)
    assert reply.text.startswith("I can't use a sticker at this step.")
    assert "It stopped at step 1 of 5: what you searched for." in reply.text
    assert reply.button_texts() == ["▶️ Continue", "✖️ Cancel report"]


async def test_photo_where_the_result_is_expected_is_named(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.say("/report")
    await alice.say("words")
    await alice.user.send_photo()
    reply = await alice.user.next_message(timeout=15)
    assert reply.text.startswith("I can't use a photo at this step.")
    assert "It stopped at step 2 of 5: which result was unsafe." in reply.text
    assert reply.button_texts() == ["▶️ Continue", "✖️ Cancel report"]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("https://example.com/shop", "not a Telegram link"),
        ("just some words", "not a Telegram link"),
        ("@ab", "not a valid Telegram username"),
        ("t.me/+10000000000", "link to a phone number"),
        ("https://t.me/addstickers/some_pack", "does not point to a channel"),
        ("t.me.evil.example/shop", "not a Telegram link"),
    ],
)
async def test_bad_result_gets_its_own_explanation(
    bot: RunningBot, alice: Reporter, sent: str, expected: str
) -> None:
    await alice.say("/report")
    await alice.say("words")
    reply = await alice.say(sent)
    assert expected in reply.text
    assert "Which result was unsafe?" in reply.text


async def test_forward_from_a_hidden_user_is_explained(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.say("words")
    await alice.user.forward_from_hidden_user("Someone Hidden")
    reply = await alice.user.next_message(timeout=15)
    assert "hides their account" in reply.text


async def test_unknown_category_text_asks_for_a_button(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.say("words")
    await alice.say("@example_shop")
    reply = await alice.say("something else entirely")
    assert reply.text.startswith("This step is answered with a button")
    assert "It stopped at step 3 of 5: what is wrong with it." in reply.text
    ask = await alice.tap_for_reply(reply, "▶️ Continue")
    assert "What is wrong with it?" in ask.text
    assert "Illegal drugs" in ask.button_texts()


async def test_too_long_comment_is_refused(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.say("words")
    ask = await alice.say("@example_shop")
    await alice.tap(ask, "Illegal drugs")
    reply = await alice.say("y" * 1001)
    assert "comment is too long" in reply.text


async def test_text_at_the_summary_asks_for_the_buttons(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.say("words")
    ask = await alice.say("@example_shop")
    prompt = await alice.tap(ask, "Illegal drugs")
    await alice.tap(prompt, "Skip")
    reply = await alice.say("submit please")
    assert reply.text.startswith("This step is answered with a button")
    assert "It stopped at step 5 of 5: check and submit." in reply.text
    summary = await alice.tap_for_reply(reply, "▶️ Continue")
    assert "✅ Submit" in summary.button_texts()
    assert rows(bot.settings.database_path, "SELECT count(*) FROM reports") == [(0,)]


async def test_skip_outside_the_comment_step_is_explained(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    reply = await alice.say("/skip")
    assert "Only the comment can be skipped" in reply.text


async def test_button_of_an_earlier_step_gets_an_alert(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.say("words")
    ask = await alice.say("@example_shop")
    await alice.tap(ask, "Illegal drugs")
    await alice.say("a comment")  # the summary is a new message; the old one still has buttons
    # the category message was edited into the comment prompt, so use a fresh report's buttons
    answer = await alice.tap_for_alert(ask, "Skip")
    assert answer.show_alert
    assert "already answered" in (answer.text or "")


async def test_submit_pressed_twice_files_one_report(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.say("words")
    ask = await alice.say("@example_shop")
    prompt = await alice.tap(ask, "Illegal drugs")
    summary = await alice.tap(prompt, "Skip")
    first = await alice.user.press(summary, text="✅ Submit")
    second = await alice.user.press(summary, text="✅ Submit")
    await first.answered(timeout=15)
    await second.answered(timeout=15)
    assert rows(bot.settings.database_path, "SELECT count(*) FROM reports") == [(1,)]


async def test_unknown_command_points_to_help(bot: RunningBot, alice: Reporter) -> None:
    reply = await alice.say("/frobnicate")
    assert "/help" in reply.text
