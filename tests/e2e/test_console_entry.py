"""Ways into the console from the chats, while it is on (CONSOLE_URL): staff get a `web_app`
button on /start's greeting in a private chat; the review chat, where Telegram refuses
`web_app` buttons, gets a URL button to the Mini App's link on the digest and on /queue's
answer. The loopback server refuses a `web_app` button in a group as Telegram does, so a wrong
button fails here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from loopback import LoopbackServer
from tests.conftest import TEST_BOT_USERNAME
from tests.e2e.reporting_steps import Reporter
from tests.e2e.test_review_workflow import make_review, report, say_in_chat, until
from tests.workers import free_port

CONSOLE_URL = "https://mod.example.org/console/"
APP_LINK = f"https://t.me/{TEST_BOT_USERNAME}/console"
OPEN = "🖥 Open the console"


async def test_staff_open_the_console_from_a_private_chat_and_the_review_chat(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(
        start_bot,
        make_settings,
        loopback,
        console_url=CONSOLE_URL,
        console_app_name="console",
        console_port=free_port(),
        review_messages_per_minute=4,
        backlog_digest_minutes=1,
    )
    # A private chat: staff find a web_app button to the page itself on /start's greeting.
    moderator = Reporter(review.moderator, loopback)
    greeting = await moderator.say("/start")
    assert greeting.buttons()[-1] == {"text": OPEN, "web_app": {"url": CONSOLE_URL}}
    reporter = Reporter(loopback.add_user(first_name="R", language_code="en"), loopback)
    greeting = await reporter.say("/start")
    assert OPEN not in greeting.button_texts()
    # The review chat: a busy minute builds a backlog, and its digest links to the app.
    budget = review.bot.application.bot_data.services.review_budget
    while await budget.try_spend():
        pass
    for n in range(4):
        await report(loopback, f"@linked_shop_{n}x", "scam")
    review.clock.advance(timedelta(seconds=62))
    await review.flush()
    [digest] = [m for m in review.chat.messages() if m.text.startswith("📥")]
    assert digest.buttons() == [{"text": OPEN, "url": APP_LINK}]
    await say_in_chat(review, "/queue")
    await until(lambda: any("Review queue" in m.text for m in review.chat.messages()), review)
    listing = next(m for m in review.chat.messages() if "Review queue" in m.text)
    assert listing.buttons()[-1] == {"text": OPEN, "url": APP_LINK}
    assert "📤 #4" in listing.button_texts()  # the post buttons stay, the link comes last
    assert not [c for c in loopback.calls() if c.error_code and "Message" in c.method]
