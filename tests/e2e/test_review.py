"""Cases in the review chat: posting, deciding exactly once, undo, notifications, faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from handlers.outbound.delivery_worker import DeliveryWorker
from handlers.review_views import when_text
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from tests.conftest import MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter, rows
from tests.helpers import FakeClock


@dataclass
class Review:
    bot: RunningBot
    chat: ChatHandle
    moderator: UserHandle
    clock: FakeClock
    server: LoopbackServer

    async def flush(self) -> None:
        """Runs the delivery worker now instead of waiting for its next tick."""
        services = self.bot.application.bot_data.services
        assert isinstance(services.delivery, DeliveryWorker)
        await services.delivery.run_once()

    async def settled(self) -> None:
        """Lets pending work (posts, count updates) finish before a moderator taps."""
        await self.flush()

    def current(self, message: SentMessage) -> SentMessage:
        return next(m for m in self.chat.messages() if m.message_id == message.message_id)

    async def tap(self, user: UserHandle, message: SentMessage, label: str) -> SentMessage:
        before = self.current(message)
        press = await user.press(before, text=label)
        await press.answered(timeout=15)

        def changed() -> bool:
            now = self.current(message)
            return (now.html, now.reply_markup) != (before.html, before.reply_markup)

        await self.server.wait_for(changed, timeout=15)
        return self.current(message)


def undo_button(decided_at: datetime, window: timedelta = timedelta(minutes=5)) -> str:
    """The Undo button's label for a decision taken at `decided_at` on the test's clock."""
    return f"↩️ Undo (until {decided_at + window:%H:%M} UTC)"


@pytest.fixture
async def review(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> Review:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    settings = make_settings(review_chat_id=chat.id, case_edit_debounce_seconds=0)
    bot: RunningBot = await start_bot(settings, clock=clock)
    return Review(bot, chat, moderator, clock, loopback)


async def file(server: LoopbackServer, name: str, target: str = "@example_shop") -> Reporter:
    reporter = Reporter(server.add_user(first_name=name, language_code="en"), server)
    receipt = await reporter.say(f"/report {target} drugs cheap pills")
    assert "received" in receipt.text
    return reporter


async def test_a_new_case_is_posted_once_without_reporter_identity_or_preview(
    review: Review,
) -> None:
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    assert "Case #1" in posted.text
    assert "@example_shop" in posted.text
    assert "Illegal drugs" in posted.text
    assert "Reports: 1 · reporters: 1" in posted.text
    assert "Alice" not in posted.text
    assert posted.button_texts() == ["✅ Approve", "❌ Reject", "⚠️ Escalate"]
    assert posted.link_preview_options == {"is_disabled": True}
    await review.flush()
    assert len(review.chat.messages()) == 1


async def test_further_reports_update_the_same_message(review: Review) -> None:
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    await file(review.server, "Bob", "t.me/example_shop")
    await review.flush()
    assert "Reports: 2 · reporters: 2" in review.current(posted).text
    assert len(review.chat.messages()) == 1


async def test_approve_confirms_the_category_hides_the_target_and_notifies_later(
    review: Review,
) -> None:
    alice = await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    assert menu.button_texts()[0] == "✓ Illegal drugs"
    decided = await review.tap(review.moderator, menu, "Weapons")
    assert "Approved by @mona_mod" in decided.text
    assert "Weapons" in decided.text
    assert decided.button_texts() == [undo_button(review.clock.now())]
    database = review.bot.settings.database
    assert rows(database, "SELECT status, decision_category FROM cases") == [
        ("approved", "weapons")
    ]
    assert rows(database, "SELECT target_key FROM search_blocklist") == [("@example_shop",)]
    assert rows(database, "SELECT category FROM violators") == [("weapons",)]
    await review.flush()
    assert len(alice.user.messages()) == 1  # only the receipt: the undo window is still open
    review.clock.advance(timedelta(minutes=6))
    await review.flush()
    told = await alice.user.next_message(timeout=15)
    told = await alice.user.next_message(timeout=15) if "received" in told.text else told
    assert "confirmed a violation (Weapons)" in told.text
    actions = [row[0] for row in rows(database, "SELECT action FROM audit_log")]
    assert "case.approved" in actions


async def test_the_outcome_names_what_the_report_named_as_hidden(review: Review) -> None:
    """issue 28, point 12: "It is now hidden from search" said nothing of what; the outcome
    names the target as the reporter reported it (here a post link)."""
    post = await file(review.server, "Alice", "t.me/example_shop/42")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    await review.tap(review.moderator, menu, "✓ Illegal drugs")
    review.clock.advance(timedelta(minutes=6))
    await review.flush()
    await review.server.wait_for(lambda: len(post.user.messages()) >= 2, timeout=15)
    told = post.user.messages()[-1].text
    assert told.startswith("✅ Your report #1 on post 42 in @example_shop: the moderators")
    assert "Now hidden from search: post 42 in @example_shop." in told


async def test_reject_asks_for_a_reason_and_respects_notify_off(review: Review) -> None:
    alice = await file(review.server, "Alice")
    await alice.say("/notify off")
    bob = await file(review.server, "Bob")
    posted = await review.chat.next_message(timeout=15)
    await review.settled()
    reasons = await review.tap(review.moderator, posted, "❌ Reject")
    assert "Insufficient evidence" in reasons.button_texts()
    decided = await review.tap(review.moderator, reasons, "Not a violation")
    assert "Rejected by @mona_mod" in decided.text
    assert "Not a violation" in decided.text
    review.clock.advance(timedelta(minutes=6))
    await review.flush()
    told = [m.text for m in bob.user.messages() if "was reviewed" in m.text]
    assert len(told) == 1
    assert not [m for m in alice.user.messages() if "was reviewed" in m.text]


CATEGORY_PROMPT = "👇 Approve as which category?"
REASON_PROMPT = "👇 Reject for which reason?"


async def test_a_menu_says_what_its_buttons_are_for_and_closing_it_says_no_more(
    review: Review,
) -> None:
    """issue 28, point 11: Approve shows the prompt and the category buttons in one edit of the
    case post (editMessageText, no second message, nothing more from the chat's budget), Back
    takes the prompt away with the menu, Reject asks for a reason, and the decision's post has
    no prompt."""
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    await review.settled()
    edits_before = len(review.server.calls("editMessageText"))
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    assert menu.text.startswith(posted.text)  # the case, unchanged, and under it the prompt
    assert menu.text.endswith(
        f"{CATEGORY_PROMPT} The reported one is marked ✓. Tapping a category decides the case; "
        "⬅️ Back keeps it pending."
    )
    assert menu.button_texts()[0] == "✓ Illegal drugs"
    assert menu.button_texts()[-1] == "⬅️ Back"
    assert len(review.server.calls("editMessageText")) == edits_before + 1
    assert review.server.calls("editMessageReplyMarkup") == []
    assert len(review.chat.messages()) == 1
    back = await review.tap(review.moderator, menu, "⬅️ Back")
    assert back.text == posted.text
    assert back.button_texts() == ["✅ Approve", "❌ Reject", "⚠️ Escalate"]
    reasons = await review.tap(review.moderator, back, "❌ Reject")
    assert REASON_PROMPT in reasons.text
    assert CATEGORY_PROMPT not in reasons.text
    assert "Insufficient evidence" in reasons.button_texts()
    decided = await review.tap(review.moderator, reasons, "Not a violation")
    assert "Rejected by @mona_mod" in decided.text
    assert "👇" not in decided.text


async def test_a_redraw_while_a_menu_is_open_keeps_its_prompt_with_its_buttons(
    review: Review,
) -> None:
    """issue 28, point 11: the delivery worker's redraw (a new report's counts) and a note's
    redraw keep the open menu and its prompt together; the decision removes both."""
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    await review.settled()
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    await file(review.server, "Bob", "t.me/example_shop")
    await review.flush()
    redrawn = review.current(menu)
    assert "Reports: 2 · reporters: 2" in redrawn.text
    assert CATEGORY_PROMPT in redrawn.text
    assert redrawn.button_texts() == menu.button_texts()
    await review.moderator.send(
        "seen this shop before", chat=review.chat, reply_to=posted.message_id
    )
    await review.server.wait_for(lambda: "seen this shop" in review.current(posted).text, 15)
    noted = review.current(posted)
    assert noted.text.endswith(
        f"{CATEGORY_PROMPT} The reported one is marked ✓. Tapping a category decides the case; "
        "⬅️ Back keeps it pending."
    )
    assert noted.button_texts() == menu.button_texts()
    decided = await review.tap(review.moderator, noted, "✓ Illegal drugs")
    assert "Approved by @mona_mod" in decided.text
    assert "👇" not in decided.text
    await review.flush()
    assert "👇" not in review.current(posted).text


async def test_a_menu_left_open_closes_and_its_post_is_redrawn_without_the_prompt(
    review: Review,
) -> None:
    """issue 28, point 11: a menu nobody closes times out; the delivery worker then redraws
    the post with the main buttons and without the prompt."""
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    await review.settled()
    menu = await review.tap(review.moderator, posted, "❌ Reject")
    assert REASON_PROMPT in menu.text
    review.clock.advance(timedelta(seconds=119))
    await review.flush()
    assert review.current(posted).html == menu.html  # still open: nothing is redrawn
    review.clock.advance(timedelta(seconds=2))
    await review.flush()
    closed = review.current(posted)
    assert closed.text == posted.text
    assert closed.button_texts() == ["✅ Approve", "❌ Reject", "⚠️ Escalate"]


async def test_non_moderator_is_refused_and_the_attempt_is_recorded(review: Review) -> None:
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    stranger = review.server.add_user(first_name="Stranger", language_code="en")
    review.chat.add_member(stranger)
    press = await stranger.press(posted, text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "Only moderators" in (answer.text or "")
    database = review.bot.settings.database
    refused = "SELECT actor_id FROM audit_log WHERE action = 'case.press_refused'"
    # the refusal is written after the answer went out
    await review.bot.until_stored(lambda: rows(database, refused) != [])
    assert rows(database, refused) == [(stranger.id,)]
    assert rows(database, "SELECT status FROM cases") == [("pending",)]


async def test_review_chat_admins_may_decide(review: Review) -> None:
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    admin = review.server.add_user(first_name="Gina", username="gina_admin", language_code="en")
    review.chat.add_member(admin, admin=True)
    menu = await review.tap(admin, posted, "❌ Reject")
    decided = await review.tap(admin, menu, "Duplicate")
    assert "Rejected by @gina_admin" in decided.text


async def test_fifty_concurrent_presses_make_exactly_one_decision(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    moderators = [
        loopback.add_user(first_name=f"M{n}", username=f"mod_{n}_x", user_id=800_000 + n)
        for n in range(50)
    ]
    chat = loopback.add_supergroup(title="Review", members=moderators, bot_admin=True)
    settings = make_settings(
        review_chat_id=chat.id, moderator_ids=frozenset(m.id for m in moderators)
    )
    bot: RunningBot = await start_bot(settings)
    await file(loopback, "Alice")
    posted = await chat.next_message(timeout=15)
    data = next(b["callback_data"] for b in posted.buttons() if b["text"] == "✅ Approve")
    confirm = data.replace("c1:approve:", "c1:confirm:") + "drugs"
    presses = [await moderator.press(posted, data=data) for moderator in moderators[:1]]
    await presses[0].answered(timeout=15)
    # Everyone presses the (now visible) confirm button at the same moment.
    await loopback.wait_for(
        lambda: any(b.get("callback_data") == confirm for m in chat.messages() for b in m.buttons())
    )
    concurrent = await asyncio.gather(
        *(moderator.press(chat.messages()[0], data=confirm) for moderator in moderators)
    )
    answers = await asyncio.gather(*(press.answered(timeout=30) for press in concurrent))
    database = bot.settings.database
    assert rows(database, "SELECT count(*) FROM audit_log WHERE action = 'case.approved'") == [(1,)]
    assert rows(database, "SELECT status FROM cases") == [("approved",)]
    [(winner_id, decided_at)] = rows(database, "SELECT decided_by, decided_at FROM cases")
    when = when_text(datetime.fromisoformat(decided_at))
    told = {m.id: a for m, a in zip(moderators, answers, strict=True)}
    assert told.pop(winner_id).show_alert is False  # the winner sees the decision on the post
    # Every loser, however close, is told who decided what and when, as an alert.
    assert len(told) == 49
    for answer in told.values():
        assert (answer.text, answer.show_alert) == (
            f"Already approved by @mod_{winner_id - 800_000}_x at {when}.",
            True,
        )


async def test_undo_inside_the_window_reverses_everything(review: Review) -> None:
    alice = await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    decided = await review.tap(review.moderator, menu, "✓ Illegal drugs")
    label = undo_button(review.clock.now())
    review.clock.advance(timedelta(minutes=2))
    reopened = await review.tap(review.moderator, decided, label)
    assert reopened.button_texts() == ["✅ Approve", "❌ Reject", "⚠️ Escalate"]
    database = review.bot.settings.database
    assert rows(database, "SELECT status FROM cases") == [("pending",)]
    assert rows(database, "SELECT count(*) FROM search_blocklist") == [(0,)]
    assert rows(database, "SELECT count(*) FROM violators") == [(0,)]
    review.clock.advance(timedelta(minutes=10))
    await review.flush()
    assert not [m for m in alice.user.messages() if "confirmed" in m.text]
    assert rows(database, "SELECT status FROM outbox") == [("cancelled",)]


async def test_undo_after_the_window_is_refused(review: Review) -> None:
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    decided = await review.tap(review.moderator, menu, "✓ Illegal drugs")
    label = undo_button(review.clock.now())
    review.clock.advance(timedelta(minutes=6))
    press = await review.moderator.press(decided, text=label)
    answer = await press.answered(timeout=15)
    assert "undo window has passed" in (answer.text or "")
    assert rows(review.bot.settings.database, "SELECT status FROM cases") == [("approved",)]


async def test_case_committed_while_the_bot_was_down_is_posted_once_after_restart(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    chat = loopback.add_supergroup(title="Review", bot_admin=True)
    loopback.faults.inject("sendMessage", kind="server_error", chat_id=chat.id)
    settings = make_settings(review_chat_id=chat.id)
    first: RunningBot = await start_bot(settings)
    await file(loopback, "Alice")  # the case commits; posting it keeps failing
    await first.shutdown()
    assert chat.messages() == []
    loopback.faults.clear()
    second: RunningBot = await start_bot(settings)
    posted = await chat.next_message(timeout=15)
    assert "Case #1" in posted.text
    delivery = second.application.bot_data.services.delivery
    assert isinstance(delivery, DeliveryWorker)
    for _ in range(2):  # the worker's next passes, run now instead of waiting for its ticks
        await delivery.run_once()
    assert len(chat.messages()) == 1


@pytest.mark.slow
async def test_a_count_edit_telegram_applies_after_the_decision_is_put_right_by_a_recheck(
    review: Review,
) -> None:
    """Telegram may apply an edit whose answer the bot never got (it gave up after its 5 s read
    timeout and retried) at any time later, here after the decision's own edit."""
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    await review.settled()
    late = review.server.faults.inject(
        "editMessageText", kind="hold", chat_id=review.chat.id, times=1
    )
    await file(review.server, "Bob")  # the count edit's first attempt is held: it lands late
    await review.server.wait_for(lambda: "reporters: 2" in review.current(posted).text, 15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    decided = await review.tap(review.moderator, menu, "✓ Illegal drugs")
    assert "Approved by @mona_mod" in decided.text
    late.release()  # Telegram applies the first attempt now, after the decision's edit
    await review.server.wait_for(lambda: "Approved by" not in review.current(posted).text, 20)
    assert late.hits == 1  # the late edit put the pending count back on the message
    database = review.bot.settings.database
    [(recheck_at,)] = rows(database, "SELECT recheck_at FROM case_posts")
    assert recheck_at is not None
    review.clock.advance(timedelta(seconds=review.bot.settings.case_edit_recheck_seconds + 1))
    await review.flush()
    assert "Approved by @mona_mod" in review.current(posted).text
    assert rows(database, "SELECT recheck_at FROM case_posts") == [(None,)]


COPY_MARKER = "may be above"


async def recorded_rows(bot: RunningBot, sql: str, expected: list[tuple[Any, ...]]) -> None:
    """The bot records what Telegram did just after Telegram did it: waits for the record."""
    await bot.until_stored(lambda: rows(bot.settings.database, sql) == expected)


async def posted_twice(review: Review) -> tuple[SentMessage, SentMessage]:
    """A case post Telegram applied whose answer was lost, then its retry: (recorded, extra)."""
    review.server.faults.inject(
        "sendMessage", kind="drop", when="after", chat_id=review.chat.id, times=1
    )
    await file(review.server, "Alice")
    await review.server.wait_for(lambda: len(review.chat.messages()) == 2, 15)
    await review.settled()
    [(recorded_id,)] = rows(review.bot.settings.database, "SELECT message_id FROM case_posts")
    [recorded] = [m for m in review.chat.messages() if m.message_id == recorded_id]
    [extra] = [m for m in review.chat.messages() if m.message_id != recorded_id]
    return recorded, extra


async def test_a_second_post_says_which_is_live_and_a_press_on_the_copy_retires_it(
    review: Review,
) -> None:
    recorded, extra = await posted_twice(review)
    assert COPY_MARKER in review.current(recorded).text  # edited in once the post is recorded
    assert COPY_MARKER not in extra.text
    press = await review.moderator.press(extra, text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "extra copy of case #1" in (answer.text or "")
    await review.server.wait_for(lambda: review.current(extra).deleted, 15)
    # The press counted for the case: the category menu is open on the recorded post.
    menu = review.current(recorded)
    assert "✓ Illegal drugs" in menu.button_texts()
    decided = await review.tap(review.moderator, menu, "✓ Illegal drugs")
    assert "Approved by @mona_mod" in decided.text
    assert COPY_MARKER not in decided.text  # no unknown copy is left
    database = review.bot.settings.database
    query = "SELECT found_by, retired_how FROM case_post_copies"
    await recorded_rows(review.bot, query, [("press", "deleted")])
    assert rows(database, "SELECT count(*) FROM audit_log WHERE action = 'case.approved'") == [(1,)]


async def test_a_press_on_the_copy_of_a_decided_case_retires_the_copy(review: Review) -> None:
    recorded, extra = await posted_twice(review)
    menu = await review.tap(review.moderator, recorded, "✅ Approve")
    await review.tap(review.moderator, menu, "✓ Illegal drugs")
    press = await review.moderator.press(review.current(extra), text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "Already approved by @mona_mod" in (answer.text or "")
    await review.server.wait_for(lambda: review.current(extra).deleted, 15)
    assert "Approved by @mona_mod" in review.current(recorded).text


async def test_a_copy_too_old_to_delete_is_edited_into_a_link_without_buttons(
    review: Review,
) -> None:
    recorded, extra = await posted_twice(review)
    review.chat.backdate(extra.message_id, timedelta(hours=49))
    press = await review.moderator.press(extra, text="❌ Reject")
    await press.answered(timeout=15)
    await review.server.wait_for(lambda: "Extra copy" in review.current(extra).text, 15)
    copy = review.current(extra)
    assert not copy.deleted
    assert copy.button_texts() == []
    assert f"/{recorded.message_id}" in copy.html  # a link to the live post
    assert "Not a violation" in review.current(recorded).button_texts()
    await recorded_rows(review.bot, "SELECT retired_how FROM case_post_copies", [("edited",)])


async def test_a_reply_to_a_copy_is_a_note_on_the_case_and_retires_the_copy(
    review: Review,
) -> None:
    recorded, extra = await posted_twice(review)
    await review.moderator.send(
        "seen this shop before", chat=review.chat, reply_to=extra.message_id
    )
    await review.server.wait_for(lambda: review.current(extra).deleted, 15)
    await review.server.wait_for(lambda: "seen this shop" in review.current(recorded).text, 15)
    query = "SELECT found_by, retired_how FROM case_post_copies"
    await recorded_rows(review.bot, query, [("reply", "deleted")])


async def test_a_press_on_an_unrecorded_post_makes_it_the_case_post_and_none_is_sent_again(
    review: Review,
) -> None:
    # Applied, answer lost; the retry refused: one post in the chat, none recorded.
    chat = review.chat.id
    review.server.faults.inject("sendMessage", kind="drop", when="after", chat_id=chat, times=1)
    review.server.faults.inject("sendMessage", kind="error", chat_id=chat, times=1)
    await file(review.server, "Alice")
    await review.server.wait_for(lambda: review.chat.messages(), 15)
    [orphan] = review.chat.messages()
    database = review.bot.settings.database
    assert rows(database, "SELECT message_id FROM case_posts") == [(None,)]
    menu = await review.tap(review.moderator, orphan, "✅ Approve")
    assert "✓ Illegal drugs" in menu.button_texts()
    assert rows(database, "SELECT message_id FROM case_posts") == [(orphan.message_id,)]
    review.clock.advance(timedelta(minutes=1))
    await review.flush()
    # Adopted: the case is not posted again.
    assert [m.message_id for m in review.chat.messages()] == [orphan.message_id]
    assert rows(database, "SELECT count(*) FROM audit_log WHERE action = 'case.post_adopted'") == [
        (1,)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["retry_after", "server_error"])
async def test_failed_posts_are_delivered_later_once(review: Review, kind: str) -> None:
    review.server.faults.inject("sendMessage", kind=kind, chat_id=review.chat.id, times=8)  # type: ignore[arg-type]
    await file(review.server, "Alice")
    for _ in range(20):  # retries wait on the bot's clock, which this test moves
        review.clock.advance(timedelta(minutes=1))
        await review.flush()
        if review.chat.messages():
            break
    assert [m.text.split("\n")[0] for m in review.chat.messages()] == ["🚩 Case #1 · pending"]
    await review.flush()
    assert len(review.chat.messages()) == 1
