"""/review in a private chat (issue 30, §1) on the loopback server: two moderators are never
served the same case; a decision made there reaches the case's post in the review chat and the
reporter; a decision made in the group first is what a later press in the private chat is told;
people who do not review are refused, answered and audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from handlers.outbound.delivery_worker import DeliveryWorker
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from tests.conftest import ADMIN_ID, ENGINES, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter, rows
from tests.helpers import FakeClock

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

SECOND_MODERATOR_ID = 900004


class Desk:
    def __init__(
        self,
        bot: RunningBot,
        server: LoopbackServer,
        chat: ChatHandle,
        clock: FakeClock,
        mona: UserHandle,
        max_: UserHandle,
    ) -> None:
        self.bot, self.server, self.chat, self.clock = bot, server, chat, clock
        self.mona, self.max = mona, max_

    async def flush(self) -> None:
        services = self.bot.application.bot_data.services
        assert isinstance(services.delivery, DeliveryWorker)
        await services.delivery.run_once()

    async def file(self, name: str, target: str) -> Reporter:
        reporter = Reporter(self.server.add_user(first_name=name, language_code="en"), self.server)
        receipt = await reporter.say(f"/report {target} drugs cheap pills")
        assert "received" in receipt.text, receipt.text
        return reporter

    def current(self, post: SentMessage) -> SentMessage:
        return next(m for m in self.chat.messages() if m.message_id == post.message_id)

    def post_of(self, target: str) -> SentMessage:
        return next(m for m in self.chat.messages() if target in m.text)

    async def review(self, user: UserHandle) -> SentMessage:
        await user.send("/review")
        return await user.next_message(timeout=15)

    async def tap(self, user: UserHandle, message: SentMessage, label: str) -> SentMessage:
        revision = user.revision(message)
        press = await user.press(user.message(message), text=label)
        await press.answered(timeout=15)
        await user.wait_until(lambda: user.revision(message) > revision, timeout=15)
        return user.message(message)


@pytest.fixture
async def desk(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> Desk:
    mona = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    max_ = loopback.add_user(
        first_name="Max", username="max_mod", language_code="en", user_id=SECOND_MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[mona, max_], bot_admin=True)
    clock = FakeClock()
    settings = make_settings(
        review_chat_id=chat.id,
        case_edit_debounce_seconds=0,
        moderator_ids=frozenset({MODERATOR_ID, SECOND_MODERATOR_ID}),
    )
    bot: RunningBot = await start_bot(settings, clock=clock)
    return Desk(bot, loopback, chat, clock, mona, max_)


async def test_two_moderators_get_different_cases_and_a_private_decision_reaches_group_and_reporter(
    desk: Desk,
) -> None:
    alice = await desk.file("Alice", "@first_shop")
    await desk.file("Bob", "@second_shop")
    await desk.flush()
    group_post = desk.post_of("@first_shop")
    posts_before = len(desk.chat.messages())
    database = desk.bot.settings.database
    group_sends = "SELECT max(id) FROM chat_sends WHERE budget = 'review'"
    spent_before = rows(database, group_sends)

    mona_case = await desk.review(desk.mona)
    max_case = await desk.review(desk.max)
    assert "Case #1" in mona_case.text
    assert "Case #2" in max_case.text  # never the case Mona holds
    assert "Yours until" in mona_case.text
    assert "Alice" not in mona_case.text  # never who reported
    assert mona_case.button_texts() == [
        "✅ Approve",
        "❌ Reject",
        "⚠️ Escalate",
        "⏭ Skip",
        "⏹ Stop",
    ]
    again = await desk.review(desk.mona)  # asked again: the case she holds, not another
    assert "Case #1" in again.text

    menu = await desk.tap(desk.mona, again, "✅ Approve")
    assert menu.button_texts()[0] == "✓ Illegal drugs"
    assert menu.text.index("Yours until") < menu.text.index("Approve as which category?")
    assert rows(database, group_sends) == spent_before  # private chats cost the group nothing
    decided = await desk.tap(desk.mona, menu, "✓ Illegal drugs")
    # One edit: what was decided, and the next case at once (case 2 is Max's: none for her),
    # with Undo for the decided one while its window lasts.
    assert "Case #1 approved here" in decided.text
    assert "No case is waiting for you now" in decided.text
    assert decided.button_texts()[1:] == ["➡️ Next", "⏹ Stop"]
    assert decided.button_texts()[0].startswith("↩️ Undo #1 (until")
    assert rows(database, "SELECT status FROM cases ORDER BY id") == [
        ("approved",),
        ("pending",),
    ]

    await desk.flush()  # the group's post shows the decision, edited in place
    assert "Approved by @mona_mod" in desk.current(group_post).text
    assert len(desk.chat.messages()) == posts_before  # nothing new posted in the group

    stopped = await desk.tap(desk.max, max_case, "⏹ Stop")
    assert "Review stopped" in stopped.text
    served = await desk.tap(desk.mona, decided, "➡️ Next")  # given back by Stop
    assert "Case #2" in served.text
    assert "Case #1" not in served.text

    desk.clock.advance(timedelta(minutes=6))  # past the undo window: the reporter is told
    await desk.flush()
    await desk.server.wait_for(lambda: len(alice.user.messages()) >= 2, timeout=15)
    assert "confirmed a violation" in alice.user.messages()[-1].text


async def test_a_group_decision_first_is_what_the_private_press_is_told_and_others_are_refused(
    desk: Desk,
) -> None:
    await desk.file("Alice", "@third_shop")
    await desk.flush()
    greeting = await Reporter(desk.mona, desk.server).say("/start")
    assert greeting.button_texts() == ["🚩 Report", "🗂 Review cases"]
    press = await desk.mona.press(greeting, text="🗂 Review cases")
    await press.answered(timeout=15)
    private = await desk.mona.next_message(timeout=15)  # the greeting stays as it was
    assert "Case #1" in private.text

    post = desk.post_of("@third_shop")
    press = await desk.max.press(post, text="❌ Reject")  # decided in the group meanwhile
    await press.answered(timeout=15)
    await desk.server.wait_for(lambda: "Not a violation" in desk.current(post).button_texts(), 15)
    press = await desk.max.press(desk.current(post), text="Not a violation")
    await press.answered(timeout=15)

    late = await desk.mona.press(desk.mona.message(private), text="✅ Approve")
    answer = await late.answered(timeout=15)
    assert answer.show_alert
    assert answer.text is not None
    assert "Already rejected by @max_mod" in answer.text
    assert rows(desk.bot.settings.database, "SELECT status, decided_by FROM cases") == [
        ("rejected", SECOND_MODERATOR_ID)
    ]

    await desk.file("Bob", "@fourth_shop")  # escalated here: an admin is served it at once
    mona_case = await desk.review(desk.mona)
    assert "Case #2" in mona_case.text
    escalated = await desk.tap(desk.mona, mona_case, "⚠️ Escalate")
    assert "waits for an admin or a legal officer" in escalated.text
    assert escalated.button_texts() == ["➡️ Next", "⏹ Stop"]
    ada = desk.server.add_user(first_name="Ada", username="ada_admin", user_id=ADMIN_ID)
    assert "Case #2" in (await desk.review(ada)).text

    rita = Reporter(desk.server.add_user(first_name="Rita", language_code="en"), desk.server)
    refused = await rita.say("/review")
    assert "Only moderators" in refused.text
    forged = await rita.user.press_forged(refused, "p1:confirm:1:drugs")
    alert = await forged.answered(timeout=15)
    assert alert.show_alert
    database = desk.bot.settings.database

    def refusals() -> list[tuple[Any, ...]]:
        sql = "SELECT action FROM audit_log WHERE actor_id = ? ORDER BY id"
        return rows(database, sql, rita.user.id)

    await desk.bot.until_stored(lambda: len(refusals()) == 2)
    assert refusals() == [("access.denied",), ("case.press_refused",)]


async def test_a_decision_shows_the_next_case_and_undo_there_gives_that_one_back(
    desk: Desk,
) -> None:
    """Two edits a decision, not three: the decision's edit serves the next case (the private
    chat takes one message a second, bench/review_team.py). Undo on it brings the decided case
    back in its place, claimed for its undoer, and the case served below goes back to the
    queue for the others."""
    await desk.file("Alice", "@undo_first_shop")
    await desk.file("Bob", "@undo_second_shop")
    served = await desk.review(desk.mona)
    assert "Case #1" in served.text
    menu = await desk.tap(desk.mona, served, "✅ Approve")
    decided = await desk.tap(desk.mona, menu, "✓ Illegal drugs")
    assert "Case #1 approved here" in decided.text
    assert "Case #2" in decided.text  # served and claimed in the same edit
    assert "Yours until" in decided.text
    assert "✅ Approve" in decided.button_texts()
    undo_label = decided.button_texts()[0]
    assert undo_label.startswith("↩️ Undo #1")
    nothing = await desk.review(desk.max)
    assert "No case is waiting for you now" in nothing.text  # case 2 is Mona's meanwhile
    undone = await desk.tap(desk.mona, decided, undo_label)
    assert "Case #1" in undone.text
    assert "Case #2" not in undone.text
    assert "Yours until" in undone.text  # claimed for its undoer, about to decide it again
    database = desk.bot.settings.database
    assert rows(database, "SELECT status FROM cases ORDER BY id") == [("pending",), ("pending",)]
    again = await desk.review(desk.max)  # not the undone case (Mona's): the one given back
    assert "Case #2" in again.text
    skipped = await desk.tap(desk.max, again, "⏭ Skip")
    assert "No case is waiting for you now" in skipped.text


async def test_an_other_rejection_asks_why_here_and_the_next_message_explains_it(
    desk: Desk,
) -> None:
    """A case decided in a private chat may have no post to reply `/reject <why>` to: after
    "Other" the bot asks there, and the moderator's next text message is the explanation
    (the group's checks: too long is refused and asked again), confirmed with the next case.
    `/cancel` leaves the rejection without one and goes on; any other command abandons it,
    and the text after that is not taken as an explanation."""
    for n, name in enumerate(("Alice", "Bob", "Carol")):
        await desk.file(name, f"@why_{n}_shop")
    database = desk.bot.settings.database
    notes = "SELECT status, reject_reason, reject_note FROM cases ORDER BY id"

    async def reject_as_other(message: SentMessage) -> SentMessage:
        reasons = await desk.tap(desk.mona, message, "❌ Reject")
        return await desk.tap(desk.mona, reasons, "Other")

    asked = await reject_as_other(await desk.review(desk.mona))
    assert "Case #1 rejected here as “other”" in asked.text
    assert "Send the explanation as your next message" in asked.text
    assert asked.button_texts()[0].startswith("↩️ Undo #1")
    await desk.mona.send("x" * 501)
    too_long = await desk.mona.next_message(timeout=15)
    assert "That is too long" in too_long.text
    assert "(yours has 501)" in too_long.text
    await desk.mona.send("Satire account, <b>not</b> a shop")
    confirmed = await desk.mona.next_message(timeout=15)
    assert "Explanation recorded on case #1" in confirmed.text
    assert "Case #2" in confirmed.text
    assert "Yours until" in confirmed.text
    assert confirmed.button_texts()[0].startswith("↩️ Undo #1")
    assert rows(database, notes)[0] == ("rejected", "other", "Satire account, <b>not</b> a shop")
    await desk.mona.wait_until(lambda: desk.mona.message(asked).button_texts() == [], 15)

    asked = await reject_as_other(confirmed)
    assert "Case #2 rejected here" in asked.text
    await desk.mona.send("/cancel")
    cancelled = await desk.mona.next_message(timeout=15)
    assert "Case #2 stays rejected as “other”, without an explanation" in cancelled.text
    assert "Case #3" in cancelled.text

    await reject_as_other(cancelled)
    await desk.mona.send("/review stop")
    assert "Review stopped" in (await desk.mona.next_message(timeout=15)).text
    await desk.mona.send("just chatting")  # no longer an explanation: the reporting flow's
    assert "xplanation" not in (await desk.mona.next_message(timeout=15)).text
    assert rows(database, notes)[1:] == [("rejected", "other", None), ("rejected", "other", None)]
