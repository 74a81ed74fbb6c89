"""The guided report, end to end through the loopback Bot API with a real database."""

from __future__ import annotations

import json

import pytest

from loopback import LoopbackServer
from tests.conftest import ENGINES, TEST_BOT_USERNAME, RunningBot
from tests.e2e.reporting_steps import Reporter, rows

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)


@pytest.fixture
def alice(loopback: LoopbackServer) -> Reporter:
    return Reporter(loopback.add_user(first_name="Alice", language_code="en"), loopback)


async def test_guided_report_files_a_report_and_sends_the_receipt(
    bot: RunningBot, alice: Reporter
) -> None:
    ask_query = await alice.say("/report")
    assert "What did you search for?" in ask_query.text
    ask_result = await alice.say("cheap pills")
    assert "Which result was unsafe?" in ask_result.text
    ask_category = await alice.say("https://t.me/example_shop")
    assert "What is wrong with it?" in ask_category.text
    assert "Child sexual abuse material" in ask_category.button_texts()
    ask_comment = await alice.tap(ask_category, "Illegal drugs")
    assert "Anything the moderators should know?" in ask_comment.text
    summary = await alice.say("They sell <b>pills</b> openly")
    assert "Please check your report" in summary.text
    assert "cheap pills" in summary.text
    assert "@example_shop" in summary.text
    assert "They sell <b>pills</b> openly" in summary.text  # escaped, shown as typed
    assert summary.button_texts() == ["✅ Submit", "✏️ Edit", "✖️ Cancel"]

    receipt = await alice.tap(summary, "✅ Submit")
    assert receipt.text.startswith("✅ Report #1 received.")
    assert receipt.buttons() == []

    database = bot.settings.database
    stored = rows(
        database,
        "SELECT r.query, r.category, r.comment, r.raw_input, r.language_code, r.source, "
        "t.key, t.kind, c.status FROM reports r JOIN targets t ON t.id = r.target_id "
        "JOIN cases c ON c.id = r.case_id",
    )
    assert stored == [
        (
            "cheap pills",
            "drugs",
            "They sell <b>pills</b> openly",
            "https://t.me/example_shop",
            "en",
            "guided",
            "@example_shop",
            "public",
            "pending",
        )
    ]
    assert rows(database, "SELECT count(*) FROM report_drafts") == [(0,)]


async def test_report_button_under_start_opens_the_guided_report(
    bot: RunningBot, alice: Reporter
) -> None:
    greeting = await alice.say("/start")
    ask = await alice.tap(greeting, "🚩 Report")
    assert "What did you search for?" in ask.text


async def test_deep_link_opens_the_guided_report(bot: RunningBot, alice: Reporter) -> None:
    ask = await alice.say("/start report")
    assert "What did you search for?" in ask.text


@pytest.mark.parametrize(
    ("sent", "key"),
    [
        ("https://t.me/example_shop", "@example_shop"),
        ("t.me/Example_Shop", "@example_shop"),
        ("telegram.me/example_shop", "@example_shop"),
        ("@Example_Shop", "@example_shop"),
        ("https://t.me/example_shop/123", "@example_shop/123"),
        ("t.me/c/1234567890/45", "id:-1001234567890/45"),
        ("https://t.me/+AbCdEf123_-x", "invite:AbCdEf123_-x"),
        ("t.me/joinchat/AbCdEf123", "invite:AbCdEf123"),
        ("tg://resolve?domain=example_shop", "@example_shop"),
    ],
)
async def test_each_link_form_becomes_its_canonical_target(
    bot: RunningBot, alice: Reporter, sent: str, key: str
) -> None:
    receipt = await alice.report(sent)
    assert "received" in receipt.text
    assert rows(bot.settings.database, "SELECT key FROM targets") == [(key,)]


async def test_public_username_is_resolved_to_its_chat_id(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    channel = loopback.add_channel(title="Shop", username="resolved_shop")
    await alice.report("@resolved_shop")
    assert rows(bot.settings.database, "SELECT key, kind, chat_id, title FROM targets") == [
        (f"id:{channel.id}", "channel", channel.id, "Shop")
    ]


async def test_forward_from_a_channel_reports_the_post(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    channel = loopback.add_channel(title="Bad channel", username="bad_channel_x")
    await alice.say("/report")
    await alice.say("bad channel")
    await alice.user.forward_from_channel(channel, message_id=77)
    ask_category = await alice.user.next_message(timeout=15)
    assert "What is wrong with it?" in ask_category.text
    prompt = await alice.tap(ask_category, "Scam or fraud")
    summary = await alice.tap(prompt, "Skip")
    await alice.tap(summary, "✅ Submit")
    database = bot.settings.database
    assert rows(database, "SELECT key, kind, post_id FROM targets") == [
        (f"id:{channel.id}/77", "post", 77)
    ]
    origin = json.loads(rows(database, "SELECT forward_origin FROM reports")[0][0])
    assert origin["type"] == "channel"
    assert origin["chat_id"] == channel.id


async def test_forward_from_a_user_reports_the_user(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    seller = loopback.add_user(first_name="Seller", username="seller_account")
    await alice.say("/report")
    await alice.say("buy stuff")
    await alice.user.forward_from_user(seller)
    ask = await alice.user.next_message(timeout=15)
    assert "What is wrong with it?" in ask.text
    assert rows(bot.settings.database, "SELECT count(*) FROM targets") == [(0,)]
    prompt = await alice.tap(ask, "Scam or fraud")
    summary = await alice.tap(prompt, "Skip")
    await alice.tap(summary, "✅ Submit")
    assert rows(bot.settings.database, "SELECT key, kind FROM targets") == [
        (f"id:{seller.id}", "user")
    ]


async def test_forward_sent_on_behalf_of_a_group_reports_the_group(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    group = loopback.add_supergroup(title="Market", username="market_group")
    await alice.say("/report")
    await alice.say("market")
    await alice.user.forward_from_chat(group)
    ask = await alice.user.next_message(timeout=15)
    prompt = await alice.tap(ask, "Weapons")
    summary = await alice.tap(prompt, "Skip")
    await alice.tap(summary, "✅ Submit")
    assert rows(bot.settings.database, "SELECT key, kind FROM targets") == [
        (f"id:{group.id}", "group")
    ]


async def test_illegal_search_term_button_reports_the_normalised_query(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.say("/report")
    ask_result = await alice.say("  Buy   ILLEGAL  Thing ")
    ask_category = await alice.tap(ask_result, "The search term itself is illegal")
    prompt = await alice.tap(ask_category, "Other")
    summary = await alice.tap(prompt, "Skip")
    assert "search term" in summary.text
    await alice.tap(summary, "✅ Submit")
    assert rows(bot.settings.database, "SELECT key, kind FROM targets") == [
        ("term:buy illegal thing", "search_term")
    ]


async def test_edit_from_the_summary_changes_one_answer_and_returns(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.say("/report")
    await alice.say("first words")
    ask = await alice.say("@example_shop")
    prompt = await alice.tap(ask, "Illegal drugs")
    summary = await alice.tap(prompt, "Skip")
    menu = await alice.tap(summary, "✏️ Edit")
    assert "What do you want to change?" in menu.text
    ask_category = await alice.tap(menu, "Category")
    summary = await alice.tap(ask_category, "Weapons")
    assert "Please check your report" in summary.text
    assert "Weapons" in summary.text
    menu = await alice.tap(summary, "✏️ Edit")
    await alice.tap(menu, "Search words")
    summary = await alice.say("second words")
    assert "second words" in summary.text
    await alice.tap(summary, "✅ Submit")
    assert rows(bot.settings.database, "SELECT query, category FROM reports") == [
        ("second words", "weapons")
    ]


async def test_typing_a_category_short_name_works_like_the_button(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.say("/report")
    await alice.say("words")
    await alice.say("@example_shop")
    ask_comment = await alice.say("scam")
    assert "Anything the moderators should know?" in ask_comment.text


async def test_link_sent_outside_a_report_starts_one_with_the_result(
    bot: RunningBot, alice: Reporter
) -> None:
    ask_query = await alice.say("https://t.me/example_shop/5")
    assert "Let's report" in ask_query.text
    assert "What did you search for?" in ask_query.text
    ask_category = await alice.say("pills")
    assert "What is wrong with it?" in ask_category.text
    prompt = await alice.tap(ask_category, "Illegal drugs")
    summary = await alice.tap(prompt, "Skip")
    await alice.tap(summary, "✅ Submit")
    assert rows(bot.settings.database, "SELECT source FROM reports") == [("shortcut",)]


async def test_forward_outside_a_report_starts_one(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    channel = loopback.add_channel(title="Spam", username="spam_channel_x")
    await alice.user.forward_from_channel(channel, message_id=3)
    ask_query = await alice.user.next_message(timeout=15)
    assert "What did you search for?" in ask_query.text


async def test_link_given_where_the_query_was_asked_is_kept_as_the_result(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.say("/report")
    noted = await alice.say("@example_shop")
    assert "I'll use that as the unsafe result" in noted.text
    assert "What did you search for?" in noted.text
    ask_category = await alice.say("shop")
    assert "What is wrong with it?" in ask_category.text


async def test_chatter_outside_a_report_gets_a_hint(bot: RunningBot, alice: Reporter) -> None:
    hint = await alice.say("hello, is anyone there?")
    assert "send /report" in hint.text
    assert hint.button_texts() == ["🚩 Report"]


async def test_report_in_a_group_points_to_the_private_chat(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    member = loopback.add_user(first_name="Member", language_code="en")
    group = loopback.add_supergroup(title="Chat", members=[member])
    await member.send(f"/report@{TEST_BOT_USERNAME}", chat=group)
    reply = await group.next_message(timeout=15)
    assert "private chat" in reply.text
    assert reply.buttons()[0]["url"] == f"https://t.me/{TEST_BOT_USERNAME}?start=report"


async def test_russian_reporter_gets_russian_prompts(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    ivan = Reporter(loopback.add_user(first_name="Иван", language_code="ru"), loopback)
    ask_query = await ivan.say("/report")
    assert "Что вы искали?" in ask_query.text
    ask_result = await ivan.say("таблетки")
    assert ask_result.button_texts()[0] != "The search term itself is illegal"
    ask_category = await ivan.say("@example_shop")
    assert "Наркотики" in " ".join(ask_category.button_texts())
