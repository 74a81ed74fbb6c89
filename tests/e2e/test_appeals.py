"""Appeals: /appeal posts its own case to the review chat with Uphold / Overturn; the original
moderator may not decide it; overturning reverses the decision exactly as Undo does."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from loopback import SentMessage, UserHandle
from tests.conftest import ADMIN_ID, ENGINES
from tests.e2e.reporting_steps import Reporter, rows
from tests.e2e.test_review import Review, file, review

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

__all__ = ["review"]  # the fixture, imported so pytest finds it here


async def approved_case(review: Review) -> SentMessage:
    await file(review.server, "Alice")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    return await review.tap(review.moderator, menu, "✓ Illegal drugs")


async def appeal_message(review: Review) -> SentMessage:
    def appeals() -> list[SentMessage]:
        return [m for m in review.chat.messages() if m.text.startswith("⚖️ Appeal")]

    await review.bot.until_delivered(appeals, "an appeal message in the review chat")
    return appeals()[-1]


async def told(review: Review, user: UserHandle, words: str) -> SentMessage:
    """The notification containing `words`, once the delivery worker has sent it."""

    def notes() -> list[SentMessage]:
        return [m for m in user.messages() if words in m.text]

    await review.bot.until_delivered(notes, f"told {words!r}")
    return notes()[-1]


def second_moderator(review: Review) -> UserHandle:
    other = review.server.add_user(
        first_name="Ada", username="ada_admin", language_code="en", user_id=ADMIN_ID
    )
    review.chat.add_member(other)
    return other


async def test_an_appeal_is_posted_and_the_original_moderator_is_refused(review: Review) -> None:
    case_message = await approved_case(review)
    owner = Reporter(review.server.add_user(first_name="Owen", language_code="en"), review.server)
    receipt = await owner.say("/appeal @example_shop We removed every post that was reported.")
    assert "Appeal #1 received" in receipt.text
    posted = await appeal_message(review)
    assert "against case #1" in posted.text
    assert "We removed every post" in posted.text
    assert "Owen" not in posted.text  # who appealed is never shown
    assert posted.button_texts() == ["✅ Uphold", "↩️ Overturn"]
    assert posted.link_preview_options == {"is_disabled": True}

    press = await review.moderator.press(posted, text="↩️ Overturn")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "another moderator must decide" in (answer.text or "")
    database = review.bot.settings.database
    refused = "SELECT count(*) FROM audit_log WHERE action = 'appeal.refused.same_moderator'"
    await review.server.wait_for(lambda: rows(database, refused) == [(1,)], timeout=15)
    assert rows(database, "SELECT status FROM appeals") == [("pending",)]
    assert rows(database, "SELECT status FROM cases") == [("approved",)]
    assert "Approved by @mona_mod" in review.current(case_message).text


async def test_another_moderator_overturns_like_undo_and_the_appellant_is_told(
    review: Review,
) -> None:
    case_message = await approved_case(review)
    review.clock.advance(timedelta(minutes=10))  # past the undo window
    owner = Reporter(review.server.add_user(first_name="Owen", language_code="ru"), review.server)
    await owner.say("/appeal t.me/example_shop Мы удалили все посты, на которые жаловались.")
    posted = await appeal_message(review)
    ada = second_moderator(review)
    decided = await review.tap(ada, posted, "↩️ Overturn")
    assert "Overturned by @ada_admin" in decided.text
    assert decided.button_texts() == []
    database = review.bot.settings.database
    assert rows(database, "SELECT status FROM cases") == [("pending",)]
    assert rows(database, "SELECT count(*) FROM search_blocklist") == [(0,)]
    assert rows(database, "SELECT count(*) FROM violators") == [(0,)]
    actions = [a for (a,) in rows(database, "SELECT action FROM audit_log ORDER BY id")]
    assert "case.overturned" in actions
    assert "appeal.overturned" in actions
    details = rows(database, "SELECT details FROM audit_log WHERE action = 'case.overturned'")
    before_after = [(d["before"], d["after"]) for d in (json.loads(row[0]) for row in details)]
    assert before_after == [("approved", "pending")]
    # The case message goes back to pending with its buttons, for a fresh review.
    await review.flush()
    reopened = review.current(case_message)
    assert reopened.button_texts() == ["✅ Approve", "❌ Reject", "⚠️ Escalate"]
    outcome = await told(review, owner.user, "апелляция №1 принята")
    assert "решение отменено" in outcome.text


async def test_upholding_keeps_the_decision_and_tells_the_appellant(review: Review) -> None:
    await approved_case(review)
    owner = Reporter(review.server.add_user(first_name="Owen", language_code="en"), review.server)
    await owner.say("/appeal @example_shop This channel never sold anything.")
    posted = await appeal_message(review)
    ada = second_moderator(review)
    decided = await review.tap(ada, posted, "✅ Uphold")
    assert "Upheld by @ada_admin" in decided.text
    database = review.bot.settings.database
    assert rows(database, "SELECT status FROM cases") == [("approved",)]
    assert rows(database, "SELECT status FROM appeals") == [("upheld",)]
    outcome = await told(review, owner.user, "decision stands")
    assert "appeal #1" in outcome.text


async def test_appeal_mistakes_get_a_clear_answer(review: Review) -> None:
    owner = Reporter(review.server.add_user(first_name="Owen", language_code="en"), review.server)
    assert "To appeal a decision" in (await owner.say("/appeal")).text
    assert "at least 10 characters" in (await owner.say("/appeal @example_shop why")).text
    answer = await owner.say("/appeal @never_reported_x This is not fair at all.")
    assert "no decision on that target" in answer.text
    await file(review.server, "Alice")
    answer = await owner.say("/appeal @example_shop This is not fair at all.")
    assert "under review right now" in answer.text
    assert rows(review.bot.settings.database, "SELECT count(*) FROM appeals") == [(0,)]


async def test_a_second_appeal_on_the_same_decision_is_not_filed_twice(review: Review) -> None:
    await approved_case(review)
    owner = Reporter(review.server.add_user(first_name="Owen", language_code="en"), review.server)
    await owner.say("/appeal @example_shop We removed every post that was reported.")
    again = await owner.say("/appeal @example_shop Please look again at this channel.")
    assert "already appealed this decision (appeal #1)" in again.text
    assert rows(review.bot.settings.database, "SELECT count(*) FROM appeals") == [(1,)]
