"""The review queue end to end, through the loopback Bot API: priority order and /queue, the
backlog digest within the review chat's budget, escalation, notes, /reject explanations,
provisional hiding and reopening a decided target."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from loopback.records import ApiCall
from moderation.review.delivery import UNDO_SHOWN_PREFIX as UNDO_SHOWN
from tests.conftest import ADMIN_ID, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter, rows
from tests.e2e.test_review import Review, undo_button
from tests.helpers import FakeClock

MINUTE = timedelta(seconds=62)  # a 61-second budget window and a second to spare
CHAT_MESSAGE_METHODS = {"sendmessage", "editmessagetext", "editmessagereplymarkup"}


@dataclass
class Room:
    """The review chat and its people; starts the bot (again) on one database and one clock."""

    start_bot: Callable[..., Any]
    make_settings: Callable[..., Any]
    server: LoopbackServer
    chat: ChatHandle
    moderator: UserHandle
    clock: FakeClock = field(default_factory=FakeClock)
    running: RunningBot | None = None
    #: (number of Bot API calls so far, the bot's time from then on), one per clock move.
    marks: list[tuple[int, datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.marks.append((0, self.clock.now()))

    async def start(self, *, with_chat: bool = True, **overrides: Any) -> Review:
        if self.running is not None:
            await self.running.shutdown()
        values: dict[str, Any] = {"case_edit_debounce_seconds": 0, **overrides}
        if with_chat:
            values["review_chat_id"] = self.chat.id
        self.running = await self.start_bot(self.make_settings(**values), clock=self.clock)
        assert self.running is not None
        return Review(self.running, self.chat, self.moderator, self.clock, self.server)

    def advance(self, delta: timedelta) -> None:
        """Moves the bot's clock, remembering which Bot API calls came after the move."""
        self.clock.advance(delta)
        self.marks.append((len(self.server.calls()), self.clock.now()))

    def user(self, name: str, user_id: int | None = None, *, member: bool = False) -> UserHandle:
        username = f"{name.lower()}_user" if user_id is not None else None
        person = self.server.add_user(
            first_name=name, username=username, language_code="en", user_id=user_id
        )
        if member:
            self.chat.add_member(person)
        return person

    def chat_messages_sent(self) -> list[tuple[datetime, ApiCall]]:
        """Posts and edits the review chat accepted, each with the bot's time it was made at."""
        found = []
        for index, call in enumerate(self.server.calls()):
            if call.method.lower() not in CHAT_MESSAGE_METHODS or not call.ok:
                continue
            if call.params.get("chat_id") != str(self.chat.id):
                continue
            at = [moment for start, moment in self.marks if start <= index][-1]
            found.append((at, call))
        return found


@pytest.fixture
def room(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> Room:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    return Room(start_bot, make_settings, loopback, chat, moderator)


# --- small steps --------------------------------------------------------------------------


async def report(
    room: Room, target: str, category: str = "scam", reporter: Reporter | None = None
) -> tuple[Reporter, str]:
    """Files a one-message report; returns the reporter and the receipt's text."""
    who = reporter or Reporter(room.user("Reporter"), room.server)
    receipt = await answer_to(who, f"/report {target} {category} something they searched")
    assert "received" in receipt, receipt
    return who, receipt


async def answer_to(reporter: Reporter, text: str) -> str:
    """The bot's answer to `text` (outcome notifications may arrive in between)."""
    user = reporter.user
    before = len(user.messages())
    await user.send(text)

    def answers() -> list[str]:
        return [
            m.text
            for m in user.messages()[before:]
            if "received" in m.text or "already reported" in m.text
        ]

    await user.wait_until(answers, timeout=15)
    return answers()[0]


def case_messages(chat: ChatHandle) -> list[SentMessage]:
    return [m for m in chat.messages() if m.text.startswith("🚩 Case #")]


def case_number(message: SentMessage) -> int:
    return int(message.text.split(" · ")[0].removeprefix("🚩 Case #"))


def posted_numbers(chat: ChatHandle) -> list[int]:
    return [case_number(m) for m in case_messages(chat)]


async def until(review: Review, condition: Callable[[], object], what: str) -> None:
    """Runs the delivery worker until `condition` holds (generous, for a loaded machine)."""
    await review.bot.until_delivered(condition, what)


async def case_message(review: Review, case_id: int) -> SentMessage:
    def posted() -> bool:
        return case_id in posted_numbers(review.chat)

    await until(review, posted, f"case #{case_id} posted")
    return next(m for m in case_messages(review.chat) if case_number(m) == case_id)


async def reply_in_chat(
    review: Review, text: str, to: SentMessage | None = None, user: UserHandle | None = None
) -> None:
    await (user or review.moderator).send(
        text, chat=review.chat, reply_to=to.message_id if to else None
    )


async def bot_reply(review: Review, needle: str) -> SentMessage:
    """The bot's message in the review chat containing `needle` (waits for it)."""

    def found() -> bool:
        return any(needle in m.text for m in review.chat.messages())

    await until(review, found, f"a review-chat message with {needle!r}")
    return [m for m in review.chat.messages() if needle in m.text][-1]


async def approve(review: Review, message: SentMessage, who: UserHandle | None = None) -> str:
    person = who or review.moderator
    menu = await review.tap(person, review.current(message), "✅ Approve")
    confirm = next(label for label in menu.button_texts() if label.startswith("✓ "))
    return (await review.tap(person, menu, confirm)).text


async def reject(
    review: Review,
    message: SentMessage,
    reason: str = "Not a violation",
    who: UserHandle | None = None,
) -> str:
    person = who or review.moderator
    reasons = await review.tap(person, review.current(message), "❌ Reject")
    return (await review.tap(person, reasons, reason)).text


def audit(review: Review, action: str, case_id: int | None = None) -> list[dict[str, Any]]:
    found = rows(
        review.bot.settings.database,
        "SELECT subject_id, details FROM audit_log WHERE action = ? ORDER BY id",
        action,
    )
    return [
        json.loads(details)
        for subject, details in found
        if case_id is None or str(subject) == str(case_id)
    ]


async def audited(
    review: Review, action: str, case_id: int | None = None, count: int = 1
) -> list[dict[str, Any]]:
    """Waits for an audit entry written after the button's answer went out."""
    await until(review, lambda: len(audit(review, action, case_id)) >= count, action)
    return audit(review, action, case_id)


async def track_record(
    room: Room,
    review: Review,
    reporters: list[Reporter],
    *,
    approved: int,
    rejected: int,
    tag: str,
) -> None:
    """Earlier reports by `reporters` on targets of their own, decided by the moderator."""
    database = review.bot.settings.database
    for n in range(approved + rejected):
        target = f"@{tag}_earlier_{n}_x"
        for reporter in reporters:
            await report(room, target, "drugs", reporter)
        [(case_id,)] = rows(
            database,
            "SELECT c.id FROM cases c JOIN targets t ON t.id = c.target_id WHERE t.key = ?",
            target,
        )
        message = await case_message(review, case_id)
        counted = f"reporters:</b> {len(reporters)}"

        def all_counted(message: SentMessage = message, counted: str = counted) -> bool:
            return counted in review.current(message).html

        await until(review, all_counted, "the count update")
        if n < approved:
            assert "Approved by" in await approve(review, message)
        else:
            assert "Rejected by" in await reject(review, message)
        room.advance(MINUTE)  # room in the review chat's budget again


def review_chat_owed(review: Review) -> int:
    """Posts and edits the bot still owes the review chat: cases not shown in their last
    version, and Undo buttons whose window has ended but which are still shown."""
    database = review.bot.settings.database
    [(stale,)] = rows(
        database,
        "SELECT count(*) FROM case_posts p JOIN cases c ON c.id = p.case_id "
        "WHERE p.message_id IS NULL OR p.shown_version < c.version OR p.recheck_at IS NOT NULL",
    )
    now = review.clock.now()
    undo_shown = rows(database, "SELECT value FROM bot_state WHERE key LIKE ?", UNDO_SHOWN + "%")
    ended = sum(1 for (until,) in undo_shown if datetime.fromisoformat(str(until)) <= now)
    return int(stale) + ended


def window_overflows(room: Room, budget: int) -> list[tuple[datetime, int]]:
    """Every 61-second window of the bot's clock that held more review-chat messages than
    the budget allows (posts and edits alike)."""
    times = [at for at, _ in room.chat_messages_sent()]
    overflows = []
    for start in times:
        inside = sum(1 for t in times if start <= t < start + timedelta(seconds=61))
        if inside > budget:
            overflows.append((start, inside))
    return overflows


# --- priority and /queue ------------------------------------------------------------------


@pytest.mark.slow
async def test_queue_lists_cases_by_severity_reporters_and_track_record_and_posts_on_request(
    room: Room,
) -> None:
    review = await room.start()
    database = review.bot.settings.database
    good = Reporter(room.user("Good"), room.server)
    bad = Reporter(room.user("Bad"), room.server)
    await track_record(room, review, [good], approved=3, rejected=0, tag="good")
    await track_record(room, review, [bad], approved=0, rejected=3, tag="bad")
    # The track records' own edits (each Undo button goes when its window ends) are all made
    # now, not in the budget of the posts below, however slowly this machine runs.
    room.advance(timedelta(minutes=review.bot.settings.undo_window_minutes) + MINUTE)
    await until(review, lambda: review_chat_owed(review) == 0, "the track records' edits")
    room.advance(MINUTE)  # room in the review chat's budget again
    # New reports while the review chat is not set up: they wait in the backlog. Filed from
    # the lowest expected priority up, so case numbers cannot explain the order.
    await room.start(with_chat=False)
    plan: list[tuple[str, str, list[Reporter | None]]] = [
        ("@by_bad_shop_x", "scam", [bad]),
        ("@by_fresh_shop_x", "scam", [None]),
        ("@by_good_shop_x", "scam", [good]),
        ("@two_fresh_shop_x", "scam", [None, None]),
        ("@three_fresh_shop_x", "scam", [None, None, None]),
        ("@terror_chan_x", "terrorism", [None]),
        ("@csam_chan_x", "csam", [None]),
    ]
    ids: dict[str, int] = {}
    for target, category, reporters in plan:
        for reporter in reporters:
            await report(room, target, category, reporter)
        [(case_id,)] = rows(
            database,
            "SELECT c.id FROM cases c JOIN targets t ON t.id = c.target_id WHERE t.key = ?",
            target,
        )
        ids[target] = case_id
    expected = [ids[target] for target, _, _ in reversed(plan)]
    earlier = len(case_messages(room.chat))  # the track records' cases
    review = await room.start(review_messages_per_minute=4)
    # Three posts a minute for the backlog (one message stays in reserve): the top three.
    await until(review, lambda: len(case_messages(room.chat)) >= earlier + 3, "the first posts")
    await review.flush()
    assert posted_numbers(room.chat)[-3:] == expected[:3]
    await reply_in_chat(review, "/queue")
    listing = await bot_reply(review, "Review queue")
    entries = [line.split(" · ")[0].split(". #")[1] for line in listing.text.splitlines()[1:]]
    assert [int(entry) for entry in entries] == expected
    assert "pending 7, not yet posted 4" in listing.text
    assert listing.button_texts() == [f"📤 #{case_id}" for case_id in expected[3:]]
    # The lowest-priority case is asked for: it is posted next, ahead of the backlog.
    lowest = expected[-1]
    press = await review.moderator.press(listing, text=f"📤 #{lowest}")
    answer = await press.answered(timeout=15)
    assert f"Case #{lowest} goes to the review chat next" in (answer.text or "")
    [requested] = await audited(review, "case.post_requested", lowest)
    assert (requested["before"], requested["after"]) == ("queued", "requested")
    before = len(case_messages(room.chat))
    room.advance(MINUTE)
    await until(review, lambda: len(case_messages(room.chat)) > before, "posting resumes")
    assert posted_numbers(room.chat)[before] == lowest
    for _ in range(3):
        room.advance(MINUTE)
        await review.flush()
    assert posted_numbers(room.chat)[-7:] == [*expected[:3], lowest, *expected[3:-1]]
    assert rows(database, "SELECT count(*) FROM case_posts WHERE message_id IS NULL") == [(0,)]


async def test_the_post_button_of_a_case_posted_since_the_listing_says_it_is_there(
    room: Room,
) -> None:
    await room.start(with_chat=False)
    for n in range(4):
        await report(room, f"@listed_shop_{n}_x")
    review = await room.start(review_messages_per_minute=4)
    await until(review, lambda: len(case_messages(room.chat)) == 3, "three posts")
    await reply_in_chat(review, "/queue")
    listing = await bot_reply(review, "Review queue")
    assert listing.button_texts() == ["📤 #4"]
    room.advance(MINUTE)
    await until(review, lambda: len(case_messages(room.chat)) == 4, "the backlog posted")
    press = await review.moderator.press(listing, text="📤 #4")
    answer = await press.answered(timeout=15)
    assert "already in the review chat" in (answer.text or ""), answer.text
    assert audit(review, "case.post_requested") == []


async def test_queue_is_for_moderators_only(room: Room) -> None:
    review = await room.start()
    stranger = room.user("Stan", member=True)
    await report(room, "@queued_shop_x")
    await case_message(review, 1)
    await reply_in_chat(review, "/queue", user=stranger)
    refusal = await bot_reply(review, "Only moderators can see the review queue")
    assert "#1" not in refusal.text


# --- the backlog digest within the budget -------------------------------------------------


async def test_a_backlog_gets_one_digest_and_is_posted_by_priority_within_the_budget(
    room: Room,
) -> None:
    await room.start(with_chat=False)
    plan = [  # (target, category, reporters), from the lowest expected priority up
        ("@scam_one_x", "scam", 1),
        ("@scam_two_x", "scam", 2),
        ("@drugs_one_x", "drugs", 1),
        ("@drugs_two_x", "drugs", 2),
        ("@weapons_one_x", "weapons", 1),
        ("@scam_three_x", "scam", 3),
        ("@terror_one_x", "terrorism", 1),
        ("@csam_one_x", "csam", 1),
        ("@terror_two_x", "terrorism", 2),
    ]
    for target, category, reporters in plan:
        for _ in range(reporters):
            await report(room, target, category)
    by_target = {target: n for n, (target, _, _) in enumerate(plan, start=1)}
    expected = [
        by_target[t]
        for t in (
            "@csam_one_x",
            "@terror_two_x",
            "@terror_one_x",
            "@weapons_one_x",
            "@drugs_two_x",
            "@drugs_one_x",
            "@scam_three_x",
            "@scam_two_x",
            "@scam_one_x",
        )
    ]
    budget = 4
    review = await room.start(review_messages_per_minute=budget, backlog_digest_minutes=1)
    await until(review, lambda: case_messages(room.chat), "the first post")
    await review.flush()
    # A moderator decides meanwhile: the reserve the backlog left free shows the menu ...
    top = case_messages(room.chat)[0]
    reasons = await review.tap(review.moderator, top, "❌ Reject")
    press = await review.moderator.press(reasons, text="Not a violation")
    await press.answered(timeout=15)
    await audited(review, "case.rejected", case_number(top))
    # ... and now the minute's budget is spent: a press is told to wait, nothing is sent.
    second = case_messages(room.chat)[1]
    press = await review.moderator.press(second, text="❌ Reject")
    busy = await press.answered(timeout=15)
    assert busy.show_alert
    assert "message limit for this chat is used up" in (busy.text or "")
    progress = [len(case_messages(room.chat))]
    for _ in range(10):  # nine cases at a few a minute
        if len(case_messages(room.chat)) == len(plan):
            break
        room.advance(MINUTE)
        await review.flush()
        progress.append(len(case_messages(room.chat)))
    assert progress == sorted(set(progress)), progress  # every minute posted more
    # The decision went out first once there was room again.
    assert "Rejected by @mona_mod" in review.current(top).text
    assert posted_numbers(room.chat) == expected  # highest priority first, none twice
    digests = [m for m in room.chat.messages() if "acklog" in m.text]
    assert len(digests) == 1
    digest = digests[0]
    first_text = (digest.edit_history or (digest.text,))[0]
    assert "Backlog: 9 cases" in first_text
    await until(
        review,
        lambda: "backlog is cleared" in review.current(digest).text,
        "the digest cleared",
    )
    database = review.bot.settings.database
    assert rows(database, "SELECT count(*) FROM case_posts WHERE message_id IS NULL") == [(0,)]
    assert rows(database, "SELECT count(*) FROM cases") == [(len(plan),)]
    sends = [c for _, c in room.chat_messages_sent() if c.method.lower() == "sendmessage"]
    assert len(sends) == len(plan) + 1  # each case once, and the one digest
    assert window_overflows(room, budget) == []
    assert not [c for c in room.server.calls() if c.error_code == 429]
    assert len(audit(review, "review.digest_posted")) == 1
    assert len(audit(review, "review.digest_cleared")) == 1


# --- escalation ---------------------------------------------------------------------------


async def test_an_escalated_case_refuses_a_moderator_and_an_admin_decides_it(room: Room) -> None:
    review = await room.start()
    admin = room.user("Ada", ADMIN_ID, member=True)
    await report(room, "@escalate_shop_x")
    posted = await case_message(review, 1)
    escalated = await review.tap(review.moderator, posted, "⚠️ Escalate")
    assert "Escalated to admins and legal officers by @mona_mod" in escalated.text
    assert escalated.button_texts() == ["✅ Approve", "❌ Reject"]
    [record] = await audited(review, "case.escalated", 1)
    assert (record["before"], record["after"]) == ("pending", "escalated")
    press = await review.moderator.press(escalated, text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "only an admin or a legal officer" in (answer.text or "")
    [refused] = await audited(review, "case.press_refused", 1)
    assert (refused["before"], refused["after"], refused["why"]) == (
        "escalated",
        "escalated",
        "escalated",
    )
    assert review.current(posted).text == escalated.text  # nothing changed
    database = review.bot.settings.database
    assert rows(database, "SELECT status FROM cases") == [("pending",)]
    # /reject from a plain moderator is refused the same way.
    await reply_in_chat(review, "/reject looks fine", posted)
    await bot_reply(review, "only an admin or a legal officer can decide it")
    assert rows(database, "SELECT status FROM cases") == [("pending",)]
    decided = await approve(review, posted, admin)
    assert "Approved by @ada_user" in decided
    [approved] = audit(review, "case.approved", 1)
    assert (approved["before"], approved["after"]) == ("escalated", "approved")


async def test_escalate_with_a_note_and_the_escalated_queue_for_legal_officers(
    room: Room,
) -> None:
    review = await room.start()
    legal = room.user("Lee", LEGAL_OFFICER_ID, member=True)
    admin = room.user("Ada", ADMIN_ID, member=True)
    await report(room, "@plain_shop_x")
    await report(room, "@noted_shop_x")
    plain = await case_message(review, 1)
    noted = await case_message(review, 2)
    await reply_in_chat(review, "/escalate Looks like a front for something worse", noted)
    await until(
        review,
        lambda: "Looks like a front for something worse" in review.current(noted).text,
        "the escalation note shown",
    )
    assert "Escalated to admins and legal officers" in review.current(noted).text
    database = review.bot.settings.database
    assert rows(database, "SELECT id, escalation_note FROM cases ORDER BY id") == [
        (1, None),
        (2, "Looks like a front for something worse"),
    ]
    [record] = audit(review, "case.escalated", 2)
    assert (record["before"], record["after"], record["note"]) == (
        "pending",
        "escalated",
        "Looks like a front for something worse",
    )
    await reply_in_chat(review, "/queue escalated")
    await bot_reply(review, "Only admins and legal officers can see the escalated queue")
    for person in (legal, admin):
        before = len([m for m in room.chat.messages() if "Escalated cases" in m.text])
        await reply_in_chat(review, "/queue escalated", user=person)

        def answered(before: int = before) -> bool:
            return len([m for m in room.chat.messages() if "Escalated cases" in m.text]) > before

        await until(review, answered, "the escalated queue")
        listing = [m for m in room.chat.messages() if "Escalated cases" in m.text][-1]
        assert "#2" in listing.text
        assert "#1" not in listing.text
    # The everyday queue does not show it; the legal officer decides it.
    await reply_in_chat(review, "/queue")
    everyday = await bot_reply(review, "Review queue")
    assert "#1" in everyday.text
    assert "#2 " not in everyday.text
    decided = await reject(review, noted, "Insufficient evidence", legal)
    assert "Rejected by @lee_user" in decided
    [rejected] = audit(review, "case.rejected", 2)
    assert (rejected["before"], rejected["after"]) == ("escalated", "rejected")
    # A legal officer does not take the everyday queue.
    press = await legal.press(review.current(plain), text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert rows(database, "SELECT status FROM cases WHERE id = 1") == [("pending",)]


# --- notes --------------------------------------------------------------------------------


async def test_a_moderators_reply_is_a_private_note_and_a_strangers_reply_is_ignored(
    room: Room,
) -> None:
    review = await room.start()
    stranger = room.user("Stan", member=True)
    reporter, _ = await report(room, "@note_shop_x")
    posted = await case_message(review, 1)
    await reply_in_chat(review, "lol what a shop", posted, user=stranger)
    await until(
        review,
        lambda: "review_reply_ignored" in review.bot.log_text(),
        "the stranger's reply handled",
    )
    await reply_in_chat(review, "Checked the channel: only memes so far", posted)
    await until(
        review,
        lambda: "only memes so far" in review.current(posted).text,
        "the note shown on the case",
    )
    shown = review.current(posted)
    assert "Moderators' notes (1)" in shown.text
    assert "@mona_mod: Checked the channel: only memes so far" in shown.text
    assert "lol what a shop" not in shown.text
    database = review.bot.settings.database
    assert rows(database, "SELECT case_id, author_id, text FROM case_notes") == [
        (1, MODERATOR_ID, "Checked the channel: only memes so far")
    ]
    [record] = audit(review, "case.note_added", 1)
    assert (record["before"], record["after"]) == ({"notes": 0}, {"notes": 1})
    # Notes are private: the reporter hears nothing of them.
    assert not [m for m in reporter.user.messages() if "memes" in m.text]


# --- rejecting as "other" with an explanation ---------------------------------------------


async def test_reject_other_then_explain_with_a_reply_and_undo(room: Room) -> None:
    review = await room.start()
    await report(room, "@parody_shop_x")
    posted = await case_message(review, 1)
    reasons = await review.tap(review.moderator, posted, "❌ Reject")
    press = await review.moderator.press(reasons, text="Other")
    hint = await press.answered(timeout=15)
    assert "/reject" in (hint.text or "")
    await until(
        review, lambda: "Rejected by @mona_mod" in review.current(posted).text, "the decision"
    )
    await reply_in_chat(review, "/reject Parody account, see the bio", posted)
    await until(
        review,
        lambda: "Other: Parody account, see the bio" in review.current(posted).text,
        "the explanation shown",
    )
    database = review.bot.settings.database
    assert rows(database, "SELECT status, reject_reason, reject_note FROM cases") == [
        ("rejected", "other", "Parody account, see the bio")
    ]
    [explained] = audit(review, "case.reject_explained", 1)
    assert (explained["before"], explained["after"]) == (None, "Parody account, see the bio")
    [decision] = audit(review, "case.rejected", 1)
    assert (decision["before"], decision["after"]) == ("pending", "rejected")
    undone = await review.tap(
        review.moderator, review.current(posted), undo_button(review.clock.now())
    )
    assert "pending" in undone.text.splitlines()[0]
    [record] = audit(review, "case.undone", 1)
    assert (record["before"], record["after"]) == ("rejected", "pending")
    assert rows(database, "SELECT status, reject_note FROM cases") == [("pending", None)]


async def test_reject_with_text_rejects_a_pending_case_as_other_and_expires_with_undo(
    room: Room,
) -> None:
    review = await room.start()
    await report(room, "@duplicate_shop_x")
    posted = await case_message(review, 1)
    await reply_in_chat(review, "/reject Same owner as case 40, already checked", posted)
    await until(
        review,
        lambda: "Rejected by @mona_mod" in review.current(posted).text,
        "the rejection shown",
    )
    assert "Other: Same owner as case 40, already checked" in review.current(posted).text
    database = review.bot.settings.database
    assert rows(database, "SELECT status, reject_reason, reject_note FROM cases") == [
        ("rejected", "other", "Same owner as case 40, already checked")
    ]
    [decision] = audit(review, "case.rejected", 1)
    assert (decision["before"], decision["after"], decision["reason"]) == (
        "pending",
        "rejected",
        "other",
    )
    room.advance(timedelta(minutes=6))
    await reply_in_chat(review, "/reject An afterthought", posted)
    await bot_reply(review, "The undo window has passed")
    assert rows(database, "SELECT reject_note FROM cases") == [
        ("Same owner as case 40, already checked",)
    ]


# --- provisional hiding -------------------------------------------------------------------


def hiding(review: Review, target: str) -> list[tuple[Any, ...]]:
    return rows(
        review.bot.settings.database,
        "SELECT provisional FROM search_blocklist WHERE target_key = ?",
        target,
    )


async def test_trusted_reporters_hide_provisionally_until_a_moderator_decides(
    room: Room,
) -> None:
    review = await room.start(provisional_hide_reporters=2)
    trusted = [Reporter(room.user(f"Trusted{n}"), room.server) for n in range(2)]
    await track_record(room, review, trusted, approved=3, rejected=0, tag="trusted")
    await report(room, "@new_shop_x", "scam", trusted[0])
    assert hiding(review, "@new_shop_x") == []
    await report(room, "@new_shop_x", "scam", trusted[1])
    assert hiding(review, "@new_shop_x") == [(1,)]
    [(case_id,)] = rows(
        review.bot.settings.database, "SELECT id FROM cases WHERE status = 'pending'"
    )
    posted = await case_message(review, case_id)
    await until(
        review,
        lambda: "Hidden from search provisionally" in review.current(posted).text,
        "the case says it is hidden",
    )
    [hidden] = audit(review, "case.provisionally_hidden", case_id)
    assert (hidden["before"], hidden["after"]) == ("visible", "hidden")
    # A reject lifts it ...
    rejected = await reject(review, posted)
    assert "Provisional hiding lifted" in rejected
    assert hiding(review, "@new_shop_x") == []
    [decision] = audit(review, "case.rejected", case_id)
    assert decision["provisional_hiding_lifted"] is True
    # ... undoing the reject brings it back ...
    undone = await review.tap(
        review.moderator, review.current(posted), undo_button(review.clock.now())
    )
    assert "Hidden from search provisionally" in undone.text
    assert hiding(review, "@new_shop_x") == [(1,)]
    # ... and an approve makes it confirmed.
    room.advance(MINUTE)
    approved = await approve(review, posted)
    assert "hidden from search" in approved
    assert "provisionally" not in approved
    assert hiding(review, "@new_shop_x") == [(0,)]


async def test_without_the_setting_trusted_reporters_never_hide_provisionally(
    room: Room,
) -> None:
    review = await room.start()  # PROVISIONAL_HIDE_REPORTERS defaults to 0
    trusted = [Reporter(room.user(f"Trusted{n}"), room.server) for n in range(2)]
    await track_record(room, review, trusted, approved=3, rejected=0, tag="trusted")
    for reporter in trusted:
        await report(room, "@new_shop_x", "scam", reporter)
    [(case_id,)] = rows(
        review.bot.settings.database, "SELECT id FROM cases WHERE status = 'pending'"
    )
    posted = await case_message(review, case_id)
    await until(
        review, lambda: "reporters:</b> 2" in review.current(posted).html, "the count update"
    )
    assert "provisionally" not in review.current(posted).text
    assert hiding(review, "@new_shop_x") == []
    assert audit(review, "case.provisionally_hidden") == []


# --- reopening a decided target -----------------------------------------------------------


async def test_a_rejected_target_reopens_with_enough_new_reporters_or_after_the_cool_off(
    room: Room,
) -> None:
    review = await room.start()  # REOPEN_AFTER_REPORTERS=3, REOPEN_COOLOFF_DAYS=30
    database = review.bot.settings.database
    first, _ = await report(room, "@again_shop_x")
    await reject(review, await case_message(review, 1))
    room.advance(timedelta(minutes=1))
    for _ in range(2):
        _, receipt = await report(room, "@again_shop_x")
        assert "Moderators reviewed this target recently" in receipt
    again = await answer_to(first, "/report @again_shop_x scam still there")
    assert "moderators have reviewed it since" in again
    await review.flush()
    assert posted_numbers(room.chat) == [1]
    assert rows(database, "SELECT id, status FROM cases") == [(1, "rejected")]
    assert rows(database, "SELECT count(*) FROM reports WHERE case_id = 1") == [(3,)]
    # The third new reporter reopens it: a new case with the three new reports.
    _, receipt = await report(room, "@again_shop_x")
    assert "recently" not in receipt
    assert rows(database, "SELECT id, status FROM cases ORDER BY id") == [
        (1, "rejected"),
        (2, "pending"),
    ]
    reopened = await case_message(review, 2)
    assert "Reports: 3 · reporters: 3" in reopened.text
    assert rows(database, "SELECT count(*) FROM reports WHERE case_id = 1") == [(1,)]
    [record] = audit(review, "case.reopened", 2)
    assert (record["before"], record["after"], record["rejected_case"]) == (
        "rejected",
        "pending",
        1,
    )
    await reject(review, reopened, "Duplicate")
    # Past the cool-off one report is enough.
    room.advance(timedelta(days=31))
    _, receipt = await report(room, "@again_shop_x")
    assert "recently" not in receipt
    third = await case_message(review, 3)
    assert "Reports: 1 · reporters: 1" in third.text
    assert posted_numbers(room.chat) == [1, 2, 3]


async def test_a_report_on_an_approved_target_stays_on_its_case(room: Room) -> None:
    review = await room.start()
    database = review.bot.settings.database
    await report(room, "@hidden_shop_x")
    await approve(review, await case_message(review, 1))
    room.advance(timedelta(minutes=1))
    late, receipt = await report(room, "@hidden_shop_x")
    assert "already confirmed as violating and hidden from search" in receipt
    await review.flush()
    assert posted_numbers(room.chat) == [1]
    assert rows(database, "SELECT id, status FROM cases") == [(1, "approved")]
    by_late = "SELECT case_id FROM reports WHERE reporter_id = ?"
    assert rows(database, by_late, late.user.id) == [(1,)]
    assert hiding(review, "@hidden_shop_x") == [(0,)]
