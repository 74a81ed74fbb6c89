"""What the reporter is shown as the reported result, for every kind of target, through the
real bot: words a reporter understands, no doubled words, no bare Bot API ids, and a warning
when moderators may not be able to open the link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from handlers.outbound.delivery_worker import DeliveryWorker
from loopback import LoopbackServer, SentMessage
from tests.conftest import MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter

PRIVATE_WARNING = (
    "⚠️ This link points into a private chat. Moderators can open it only if they are members "
    "of that chat, so they may not see what you saw: please describe it in your comment "
    "(✏️ Edit → Comment)."
)
FORWARD_HINT = (
    "If you can forward the post itself to me (✏️ Edit → Result), they will also see the "
    "chat's name."
)


@pytest.fixture
def alice(loopback: LoopbackServer) -> Reporter:
    return Reporter(loopback.add_user(first_name="Alice", language_code="en"), loopback)


async def summary_after(reporter: Reporter, ask_category: SentMessage) -> SentMessage:
    prompt = await reporter.tap(ask_category, "Illegal drugs")
    return await reporter.tap(prompt, "Skip")


async def summary_for(reporter: Reporter, result: str) -> SentMessage:
    await reporter.say("/report")
    await reporter.say("cheap pills")
    return await summary_after(reporter, await reporter.say(result))


def result_line(summary: SentMessage) -> str:
    return next(line for line in summary.text.splitlines() if line.startswith("Result: "))


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("@example_shop", "Result: account @example_shop"),
        ("https://t.me/example_shop/45", "Result: post 45 in @example_shop"),
        ("t.me/example_shop/7/45", "Result: post 45 in @example_shop"),  # a topic's post
        ("t.me/c/1234567890/45", "Result: post 45 in a private chat (id 1234567890)"),
        ("t.me/c/1234567890/7/45", "Result: post 45 in a private chat (id 1234567890)"),
        ("t.me/c/1234567890", "Result: private chat (id 1234567890)"),
        ("https://t.me/+AbCdEf123_-x", "Result: private chat (invite link)"),
        ("tg://user?id=4242", "Result: user with id 4242"),
    ],
)
async def test_each_link_form_is_summarised_in_words(
    bot: RunningBot, alice: Reporter, sent: str, shown: str
) -> None:
    summary = await summary_for(alice, sent)
    assert result_line(summary) == shown
    assert (PRIVATE_WARNING in summary.text) == ("/c/" in sent)


async def test_a_private_chat_post_is_summarised_with_a_warning(
    bot: RunningBot, alice: Reporter
) -> None:
    summary = await summary_for(alice, "t.me/c/1234567890/45")
    assert summary.text == (
        "📋 Please check your report\n\n"
        "Searched for: cheap pills\n"
        "Result: post 45 in a private chat (id 1234567890)\n"
        "Category: Illegal drugs\n"
        "Comment: —\n\n"
        f"{PRIVATE_WARNING} {FORWARD_HINT}\n\n"
        "Tap Submit to send it to the moderators."
    )
    link = next(e for e in summary.entities if e["type"] == "text_link")
    assert link["url"] == "https://t.me/c/1234567890/45"


async def test_resolved_channel_and_group_are_named_by_kind(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    loopback.add_channel(title="Shop", username="resolved_shop")
    loopback.add_supergroup(title="Market", username="market_group")
    shown = []
    for username in ("@resolved_shop", "@market_group"):
        shown.append(result_line(await summary_for(alice, username)))
        await alice.say("/cancel")
    assert shown == ["Result: channel @resolved_shop", "Result: group @market_group"]


async def test_forwards_are_summarised_by_name(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    public = loopback.add_channel(title="Bad channel", username="bad_channel_x")
    seller = loopback.add_user(first_name="Seller", username="seller_account")
    shown = []
    for source in (public, seller):
        await alice.say("/report")
        await alice.say("cheap pills")
        if source is public:
            await alice.user.forward_from_channel(public, message_id=77)
        else:
            await alice.user.forward_from_user(seller)
        ask_category = await alice.user.next_message(timeout=15)
        shown.append(result_line(await summary_after(alice, ask_category)))
        await alice.say("/cancel")
    assert shown == ["Result: post 77 in @bad_channel_x", "Result: user @seller_account"]


async def test_a_forwarded_post_of_a_private_channel_is_named_and_warned_about(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    secret = loopback.add_channel(title="Secret room")
    await alice.say("/report")
    await alice.say("cheap pills")
    await alice.user.forward_from_channel(secret, message_id=5)
    summary = await summary_after(alice, await alice.user.next_message(timeout=15))
    assert result_line(summary) == "Result: post 5 in “Secret room”"
    assert PRIVATE_WARNING in summary.text
    assert FORWARD_HINT not in summary.text  # it was forwarded already


async def test_the_search_term_is_summarised_once(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    ask_result = await alice.say("Buy  ILLEGAL thing")
    ask_category = await alice.tap(ask_result, "The search term itself is illegal")
    summary = await summary_after(alice, ask_category)
    assert result_line(summary) == "Result: search term “buy illegal thing”"


async def test_a_private_chat_post_in_russian(bot: RunningBot, loopback: LoopbackServer) -> None:
    ivan = Reporter(loopback.add_user(first_name="Иван", language_code="ru"), loopback)
    await ivan.say("/report")
    await ivan.say("таблетки")
    ask_category = await ivan.say("t.me/c/1234567890/45")
    prompt = await ivan.tap(ask_category, "Наркотики")
    summary = await ivan.tap(prompt, "Пропустить")
    assert "Результат: публикация 45 в закрытом чате (id 1234567890)\n" in summary.text
    assert "⚠️ Это ссылка на закрытый чат." in summary.text


async def test_moderators_are_told_a_case_is_a_private_chat_link(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    moderator = loopback.add_user(first_name="Mona", language_code="en", user_id=MODERATOR_ID)
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    bot: RunningBot = await start_bot(make_settings(review_chat_id=chat.id))
    reporter = Reporter(loopback.add_user(first_name="Alice", language_code="en"), loopback)
    receipt = await reporter.say("/report t.me/c/1234567890/45 drugs cheap pills")
    assert "received" in receipt.text
    services = bot.application.bot_data.services
    assert isinstance(services.delivery, DeliveryWorker)
    await services.delivery.run_once()
    posted = await chat.next_message(timeout=15)
    lines = posted.text.splitlines()
    assert lines[1] == ("Target: post 45 in a private chat (id 1234567890) · id -1001234567890")
    assert lines[2] == (
        "🔒 A link into a private chat: it opens only for members of that chat, so the "
        "reporters' comments may be all there is to go on."
    )
