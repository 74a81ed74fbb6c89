"""The review chat beyond one decision: priority, backlog digest and /queue, escalation, notes,
explanations, provisional hiding, reopening, supergroup migration and link previews."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from loopback import ChatHandle, LoopbackServer, SentMessage
from tests.conftest import ADMIN_ID, ENGINES, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter, rows
from tests.e2e.test_review import Review, undo_button
from tests.helpers import FakeClock

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

MakeReview = Callable[..., Awaitable[Review]]


async def make_review(
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
    settings = make_settings(review_chat_id=chat.id, case_edit_debounce_seconds=0, **overrides)
    bot: RunningBot = await start_bot(settings, clock=clock)
    return Review(bot, chat, moderator, clock, loopback)


async def report(
    server: LoopbackServer, target: str, category: str = "drugs", reporter: Reporter | None = None
) -> Reporter:
    who = reporter or Reporter(server.add_user(first_name="R", language_code="en"), server)
    receipt = await who.say(f"/report {target} {category} some query")
    assert "received" in receipt.text, receipt.text
    return who


def cases(review: Review) -> list[SentMessage]:
    return [m for m in review.chat.messages() if m.text.startswith("🚩 Case")]


def case_numbers(review: Review) -> list[str]:
    return [m.text.split(" · ")[0].removeprefix("🚩 Case ") for m in cases(review)]


async def say_in_chat(
    review: Review, text: str, reply_to: SentMessage | None = None, user: Any = None
) -> None:
    await review.flush()  # the case message is on record before anyone replies to it
    await (user or review.moderator).send(
        text, chat=review.chat, reply_to=reply_to.message_id if reply_to else None
    )


async def until(condition: Callable[[], object], review: Review) -> None:
    """Runs the delivery worker until `condition` holds (30 s at most, on a loaded machine)."""
    await review.bot.until_delivered(condition)


async def test_backlog_gets_one_digest_posts_by_priority_within_the_budget_and_queue_posts_next(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(
        start_bot,
        make_settings,
        loopback,
        review_messages_per_minute=4,
        backlog_digest_minutes=1,
    )
    budget = review.bot.application.bot_data.services.review_budget
    while await budget.try_spend():  # a busy minute: the backlog builds up meanwhile
        pass
    for n in range(6):
        await report(loopback, f"@scam_shop_{n}x", "scam")
    await report(loopback, "@terror_chan_x", "terrorism")
    await report(loopback, "@csam_chan_x", "csam")
    await report(loopback, "@scam_shop_3x", "scam")  # a second reporter: ahead of other scams
    await review.flush()
    assert cases(review) == []
    review.clock.advance(timedelta(seconds=62))
    await review.flush()
    # The digest first (posting all would take longer than BACKLOG_DIGEST_MINUTES), then two
    # posts by priority: one message a minute stays in reserve for decisions.
    digests = [m for m in review.chat.messages() if m.text.startswith("📥")]
    assert len(digests) == 1
    assert "Backlog: 8 cases" in digests[0].text
    assert review.chat.messages()[0].text.startswith("📥")
    assert case_numbers(review) == ["#8", "#7"]
    await say_in_chat(review, "/queue")
    await until(lambda: any("Review queue" in m.text for m in review.chat.messages()), review)
    listing = next(m for m in review.chat.messages() if "Review queue" in m.text)
    order = [line.split(" · ")[0].split(". ")[1] for line in listing.text.splitlines()[1:]]
    assert order[:3] == ["#8", "#7", "#4"]  # the scam shop with two reporters comes next
    assert "📤 #6" in listing.button_texts()
    press = await review.moderator.press(listing, text="📤 #6")
    await press.answered(timeout=15)
    requested = "SELECT count(*) FROM audit_log WHERE action = 'case.post_requested'"
    await until(lambda: rows(review.bot.settings.database, requested) == [(1,)], review)
    review.clock.advance(timedelta(seconds=62))
    await until(lambda: "#6" in case_numbers(review), review)
    assert case_numbers(review)[2] == "#6"  # asked for: ahead of #4 and the rest
    for _ in range(4):
        review.clock.advance(timedelta(seconds=62))
        await review.flush()
    assert sorted(case_numbers(review)) == sorted(f"#{n}" for n in range(1, 9))  # none lost
    assert len(cases(review)) == 8  # none posted twice
    assert "backlog is cleared" in review.current(digests[0]).text
    assert len([m for m in review.chat.messages() if "acklog" in m.text]) == 1
    # The bot kept within its budget, so Telegram never had to answer 429.
    assert not [c for c in loopback.calls() if c.error_code == 429]


async def test_escalated_cases_wait_for_admins_or_legal_with_a_note(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(start_bot, make_settings, loopback)
    legal = loopback.add_user(first_name="Lee", username="lee_legal", user_id=LEGAL_OFFICER_ID)
    admin = loopback.add_user(first_name="Ada", username="ada_admin", user_id=ADMIN_ID)
    review.chat.add_member(legal)
    review.chat.add_member(admin)
    await report(loopback, "@odd_shop_x")
    posted = await review.chat.next_message(timeout=15)
    escalated = await review.tap(review.moderator, posted, "⚠️ Escalate")
    assert "Escalated" in escalated.text
    assert escalated.button_texts() == ["✅ Approve", "❌ Reject"]
    await say_in_chat(review, "/escalate Looks like a front for something worse", escalated)
    await until(lambda: "Looks like a front" in review.current(posted).text, review)
    press = await review.moderator.press(review.current(posted), text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert "only an admin or a legal officer" in (answer.text or "")
    await say_in_chat(review, "/queue escalated")
    refusal = await review.chat.next_message(timeout=15)
    while "escalated queue" not in refusal.text:
        refusal = await review.chat.next_message(timeout=15)
    await say_in_chat(review, "/queue escalated", user=legal)
    listing = await review.chat.next_message(timeout=15)
    while "Escalated cases" not in listing.text:
        listing = await review.chat.next_message(timeout=15)
    assert "#1" in listing.text
    menu = await review.tap(legal, review.current(posted), "❌ Reject")
    decided = await review.tap(legal, menu, "Not a violation")
    assert "Rejected by @lee_legal" in decided.text
    database = review.bot.settings.database
    audit = [
        (action, json.loads(details).get("before"), json.loads(details).get("after"))
        for action, details in rows(
            database,
            "SELECT action, details FROM audit_log "
            "WHERE subject_type = 'case' AND action LIKE 'case.%' ORDER BY id",
        )
    ]
    assert ("case.escalated", "pending", "escalated") in audit
    assert ("case.press_refused", "escalated", "escalated") in audit
    assert ("case.rejected", "escalated", "rejected") in audit


async def test_notes_and_explanations_are_replies_to_the_case_message(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(start_bot, make_settings, loopback)
    stranger = loopback.add_user(first_name="Stan", username="stan_x")
    review.chat.add_member(stranger)
    await report(loopback, "@note_shop_x")
    posted = await review.chat.next_message(timeout=15)
    await say_in_chat(review, "Checked the channel: only memes so far", posted)
    await say_in_chat(review, "lol", posted, user=stranger)
    await until(lambda: "only memes so far" in review.current(posted).text, review)
    assert "lol" not in review.current(posted).text
    assert "Moderators' notes</b> (1)" in review.current(posted).html
    reasons = await review.tap(review.moderator, review.current(posted), "❌ Reject")
    press = await review.moderator.press(reasons, text="Other")
    hint = await press.answered(timeout=15)
    assert "/reject" in (hint.text or "")
    await until(lambda: "Rejected by @mona_mod" in review.current(posted).text, review)
    await say_in_chat(review, "/reject Parody account, see notes", posted)
    await until(lambda: "Parody account" in review.current(posted).text, review)
    database = review.bot.settings.database
    assert rows(database, "SELECT reject_reason, reject_note FROM cases") == [
        ("other", "Parody account, see notes")
    ]
    assert rows(database, "SELECT count(*) FROM case_notes") == [(1,)]
    # /reject with an explanation on a pending case rejects it in one step.
    await report(loopback, "@other_shop_x")
    second = await review.chat.next_message(timeout=15)
    while not second.text.startswith("🚩 Case #2"):
        second = await review.chat.next_message(timeout=15)
    await say_in_chat(review, "/reject Duplicate of a parody", second)
    await until(lambda: "Rejected by @mona_mod" in review.current(second).text, review)


async def test_trusted_reporters_hide_provisionally_and_a_reject_lifts_it(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(start_bot, make_settings, loopback, provisional_hide_reporters=2)
    database = review.bot.settings.database
    trusted = [
        Reporter(loopback.add_user(first_name=f"T{n}", language_code="en"), loopback)
        for n in range(2)
    ]
    # A track record: three earlier reports of each, all approved.
    for n in range(3):
        review.clock.advance(timedelta(seconds=62))  # room in the review chat's budget
        for reporter in trusted:
            await report(loopback, f"@earlier_{n}_x", reporter=reporter)
        await until(
            lambda: len(cases(review)) == len(rows(database, "SELECT id FROM cases")), review
        )
        posted = cases(review)[-1]
        menu = await review.tap(review.moderator, posted, "✅ Approve")
        await review.tap(review.moderator, menu, "✓ Illegal drugs")
    review.clock.advance(timedelta(seconds=62))
    await report(loopback, "@new_shop_x", reporter=trusted[0])
    assert rows(
        database, "SELECT count(*) FROM search_blocklist WHERE target_key = '@new_shop_x'"
    ) == [(0,)]
    await report(loopback, "@new_shop_x", reporter=trusted[1])
    assert rows(
        database,
        "SELECT provisional FROM search_blocklist WHERE target_key = '@new_shop_x'",
    ) == [(1,)]
    await until(lambda: len(cases(review)) == 4, review)
    case = cases(review)[-1]
    await until(lambda: "Hidden from search provisionally" in review.current(case).text, review)
    menu = await review.tap(review.moderator, review.current(case), "❌ Reject")
    decided = await review.tap(review.moderator, menu, "Not a violation")
    assert "Provisional hiding lifted" in decided.text
    assert rows(
        database, "SELECT count(*) FROM search_blocklist WHERE target_key = '@new_shop_x'"
    ) == [(0,)]
    undone = await review.tap(review.moderator, decided, undo_button(review.clock.now()))
    assert "Hidden from search provisionally" in undone.text
    assert rows(
        database, "SELECT provisional FROM search_blocklist WHERE target_key = '@new_shop_x'"
    ) == [(1,)]


async def test_a_rejected_target_reopens_only_with_enough_new_reporters_or_after_cool_off(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(
        start_bot, make_settings, loopback, reopen_after_reporters=2, reopen_cooloff_days=30
    )
    await report(loopback, "@again_shop_x")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "❌ Reject")
    await review.tap(review.moderator, menu, "Not a violation")
    database = review.bot.settings.database
    review.clock.advance(timedelta(minutes=1))
    late = Reporter(loopback.add_user(first_name="Late", language_code="en"), loopback)
    receipt = await late.say("/report @again_shop_x drugs still selling")
    assert "reviewed this target recently" in receipt.text
    await review.flush()
    assert len(cases(review)) == 1
    assert rows(database, "SELECT count(*) FROM cases") == [(1,)]
    again = await late.say("/report @again_shop_x drugs really")
    assert "already reported this" in again.text
    await report(loopback, "@again_shop_x")  # the second new reporter: reopened
    assert rows(database, "SELECT id, status FROM cases ORDER BY id") == [
        (1, "rejected"),
        (2, "pending"),
    ]
    assert rows(database, "SELECT count(*) FROM reports WHERE case_id = 2") == [(2,)]
    await until(lambda: len(cases(review)) == 2, review)
    assert "Reports: 2 · reporters: 2" in cases(review)[-1].text
    menu = await review.tap(review.moderator, cases(review)[-1], "❌ Reject")
    await review.tap(review.moderator, menu, "Duplicate")
    review.clock.advance(timedelta(days=31))
    await report(loopback, "@again_shop_x")  # after the cool-off one report is enough
    assert rows(database, "SELECT count(*) FROM cases WHERE status = 'pending'") == [(1,)]


async def test_the_review_group_upgraded_to_a_supergroup_is_followed(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    group: ChatHandle = loopback.add_group(title="Review", members=[moderator], bot_admin=True)
    settings = make_settings(review_chat_id=group.id, case_edit_debounce_seconds=0)
    first: RunningBot = await start_bot(settings, clock=FakeClock())
    await report(loopback, "@first_shop_x")
    assert (await group.next_message(timeout=15)).text.startswith("🚩 Case #1")
    supergroup = loopback.migrate_to_supergroup(group)
    await report(loopback, "@second_shop_x")
    posted = await supergroup.next_message(timeout=15)
    while not posted.text.startswith("🚩 Case #2"):
        posted = await supergroup.next_message(timeout=15)
    database = settings.database
    assert rows(
        database, "SELECT count(*) FROM audit_log WHERE action = 'review_chat.migrated'"
    ) == [(1,)]
    await first.shutdown()
    await start_bot(settings, clock=FakeClock())
    await report(loopback, "@third_shop_x")
    third = await supergroup.next_message(timeout=15)
    while not third.text.startswith("🚩 Case #3"):
        third = await supergroup.next_message(timeout=15)


async def test_no_review_chat_message_ever_unfurls_a_link_or_carries_media(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(start_bot, make_settings, loopback, provisional_hide_reporters=0)
    reporter = Reporter(loopback.add_user(first_name="R", language_code="en"), loopback)
    await reporter.say("/report t.me/link_shop_x drugs see https://example.org/pills")
    posted = await review.chat.next_message(timeout=15)
    await say_in_chat(review, "note with https://example.org/evidence", posted)
    await until(lambda: "example.org/evidence" in review.current(posted).text, review)
    await say_in_chat(review, "/queue")
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    decided = await review.tap(review.moderator, menu, "✓ Illegal drugs")
    await review.tap(review.moderator, decided, undo_button(review.clock.now()))
    await review.flush()
    to_chat = [
        call for call in loopback.calls() if str(call.params.get("chat_id")) == str(review.chat.id)
    ]
    texts = [c for c in to_chat if c.method in ("sendMessage", "editMessageText")]
    assert len(texts) >= 3
    for call in texts:
        options = call.params.get("link_preview_options", "")
        assert '"is_disabled":true' in options.replace(" ", ""), call
    media = {"sendPhoto", "sendVideo", "sendDocument", "sendAnimation", "forwardMessage",
             "copyMessage", "sendMediaGroup", "forwardMessages", "copyMessages"}  # fmt: skip
    assert not [c for c in to_chat if c.method in media]
    shown = [m for m in review.chat.messages() if m.bot_id == review.bot.application.bot.id]
    assert shown  # the case message and the replies, at least
    assert [m.link_preview_options for m in shown] == [{"is_disabled": True}] * len(shown)


async def test_a_count_update_keeps_the_menu_a_moderator_is_choosing_from(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(start_bot, make_settings, loopback)
    await report(loopback, "@menu_shop_x")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    assert menu.button_texts()[0] == "✓ Illegal drugs"
    await report(loopback, "@menu_shop_x")
    await until(lambda: "reporters:</b> 2" in review.current(posted).html, review)
    assert review.current(posted).button_texts() == menu.button_texts()
    decided = await review.tap(review.moderator, review.current(posted), "✓ Illegal drugs")
    assert "Approved by @mona_mod" in decided.text


async def test_a_deleted_case_message_is_posted_again_once(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(start_bot, make_settings, loopback)
    await report(loopback, "@gone_shop_x")
    posted = await review.chat.next_message(timeout=15)
    # An admin of the chat deletes the case message (here through the same Bot API call).
    await review.bot.application.bot.delete_message(review.chat.id, posted.message_id)
    await report(loopback, "@gone_shop_x")  # the count update finds the message gone
    await until(lambda: len([m for m in cases(review) if not m.deleted]) == 1, review)
    again = next(m for m in cases(review) if not m.deleted)
    assert again.message_id != posted.message_id
    assert "Reports: 2 · reporters: 2" in again.text
    await review.flush()
    assert len([m for m in cases(review) if not m.deleted]) == 1
    reposted = [
        json.loads(row[0])
        for row in rows(
            review.bot.settings.database,
            "SELECT details FROM audit_log WHERE action = 'case.reposted'",
        )
    ]
    assert [(d["before"]["message_id"], d["after"]["message_id"]) for d in reposted] == [
        (posted.message_id, again.message_id)
    ]
    decided = await review.tap(review.moderator, again, "❌ Reject")
    assert "Insufficient evidence" in decided.button_texts()


async def test_a_moderator_who_blocked_the_bot_still_gets_the_alert_in_the_chat(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(start_bot, make_settings, loopback)
    other = loopback.add_user(first_name="Ola", username="ola_mod", user_id=ADMIN_ID + 7)
    review.chat.add_member(other, admin=True)  # a chat admin: may review
    loopback.world.users[other.id].blocked_bots.add(review.bot.application.bot.id)
    await report(loopback, "@blocked_shop_x")
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    decided = await review.tap(review.moderator, menu, "✓ Illegal drugs")
    press = await other.press(decided, text=undo_button(review.clock.now()))
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "Only the moderator who decided" in (answer.text or "")
    assert other.messages() == []  # nothing was (or could be) sent privately
