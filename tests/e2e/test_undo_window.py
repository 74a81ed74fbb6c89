"""The Undo button says when its window ends and goes away when it does: after a restart too,
and within the review chat's message budget (a spent budget defers the edit, never drops it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from loopback import LoopbackServer, SentMessage
from tests.conftest import MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import rows
from tests.e2e.test_review import Review, file, undo_button
from tests.helpers import FakeClock

WINDOW = timedelta(minutes=1)


async def start_review(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
    **overrides: Any,
) -> Review:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    settings = make_settings(
        review_chat_id=chat.id, case_edit_debounce_seconds=0, undo_window_minutes=1, **overrides
    )
    bot: RunningBot = await start_bot(settings, clock=clock)
    return Review(bot, chat, moderator, clock, loopback)


async def approve(review: Review) -> SentMessage:
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    decided = await review.tap(review.moderator, menu, "✓ Illegal drugs")
    assert "Approved by @mona_mod" in decided.text
    # The press's handler records what the post shows just after Telegram took the edit.
    shown = "SELECT count(*) FROM case_posts p JOIN cases c ON c.id = p.case_id "
    shown += "WHERE p.shown_version = c.version"
    await review.bot.until_stored(lambda: rows(review.bot.settings.database, shown) == [(1,)])
    return decided


async def test_the_undo_button_shows_its_end_and_is_removed_when_the_window_closes(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await start_review(start_bot, make_settings, loopback)
    decided = await approve(review)
    label = undo_button(review.clock.now(), WINDOW)
    assert label == "↩️ Undo (until 09:01 UTC)"
    assert decided.button_texts() == [label]
    review.clock.advance(WINDOW - timedelta(seconds=1))
    await review.flush()
    assert review.current(decided).button_texts() == [label]  # still open: kept
    review.clock.advance(timedelta(seconds=1))
    await review.flush()
    after = review.current(decided)
    assert after.reply_markup is None  # the stored message: no Undo button left
    assert "Approved by @mona_mod" in after.text  # the rest of the post is unchanged
    assert len(review.chat.messages()) == 1


async def test_a_restart_during_the_window_still_removes_the_undo_button(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await start_review(start_bot, make_settings, loopback)
    decided = await approve(review)
    await review.bot.shutdown()
    review.clock.advance(WINDOW + timedelta(minutes=10))
    review.bot = await start_bot(review.bot.settings, clock=review.clock)
    await review.server.wait_for(lambda: review.current(decided).reply_markup is None, 15)
    assert "Approved by @mona_mod" in review.current(decided).text


async def test_a_spent_message_budget_defers_the_removal_without_losing_it(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    # Three messages a minute: the post, the category menu and the decision spend them all.
    review = await start_review(start_bot, make_settings, loopback, review_messages_per_minute=3)
    decided = await approve(review)
    label = undo_button(review.clock.now(), WINDOW)
    review.clock.advance(WINDOW)  # closed, but the budget's minute (61 s) is not over
    await review.flush()
    assert review.current(decided).button_texts() == [label]
    press = await review.moderator.press(decided, text=label)
    answer = await press.answered(timeout=15)
    assert (answer.text, answer.show_alert) == ("The undo window has passed.", True)
    review.clock.advance(timedelta(seconds=2))
    await review.flush()
    assert review.current(decided).reply_markup is None
    assert "Approved by @mona_mod" in review.current(decided).text
