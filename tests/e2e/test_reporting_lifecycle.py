"""Cancel, time-out, restart, limits, duplicates, redelivery, the one-message form, follow-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from loopback import BotHandle, LoopbackServer
from storage import Store
from tests.conftest import RunningBot
from tests.e2e.reporting_steps import Reporter, rows
from tests.helpers import FakeClock


@pytest.fixture
def alice(loopback: LoopbackServer) -> Reporter:
    return Reporter(loopback.add_user(first_name="Alice", language_code="en"), loopback)


async def run_job(bot: RunningBot, name: str) -> None:
    queue = bot.application.job_queue
    assert queue is not None
    for job in queue.get_jobs_by_name(name):
        await job.run(bot.application)


# --- cancel ---------------------------------------------------------------------------------


@pytest.mark.parametrize("answers", [[], ["words"], ["words", "@example_shop"]])
async def test_cancel_works_at_every_step(
    bot: RunningBot, alice: Reporter, answers: list[str]
) -> None:
    await alice.say("/report")
    for answer in answers:
        await alice.say(answer)
    reply = await alice.say("/cancel")
    assert "Report cancelled" in reply.text
    assert rows(bot.settings.database, "SELECT count(*) FROM report_drafts") == [(0,)]
    again = await alice.say("/cancel")
    assert "no report in progress" in again.text


async def test_cancel_button_at_the_summary(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report")
    await alice.say("words")
    ask = await alice.say("@example_shop")
    prompt = await alice.tap(ask, "Illegal drugs")
    summary = await alice.tap(prompt, "Skip")
    cancelled = await alice.tap(summary, "✖️ Cancel")
    assert "Report cancelled" in cancelled.text
    assert rows(bot.settings.database, "SELECT count(*) FROM reports") == [(0,)]


# --- timeout and restart ----------------------------------------------------------------------


@pytest.fixture
async def clocked_bot(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any]
) -> tuple[RunningBot, FakeClock]:
    clock = FakeClock()
    running: RunningBot = await start_bot(make_settings(), clock=clock)
    return running, clock


async def test_idle_report_times_out_with_a_message(
    clocked_bot: tuple[RunningBot, FakeClock], alice: Reporter
) -> None:
    bot, clock = clocked_bot
    await alice.say("/report")
    await alice.say("words")
    clock.advance(timedelta(minutes=14))
    await run_job(bot, "drafts")
    assert rows(bot.settings.database, "SELECT count(*) FROM report_drafts") == [(1,)]
    clock.advance(timedelta(minutes=2))
    await run_job(bot, "drafts")
    notice = await alice.user.next_message(timeout=15)
    assert "not finished within 15 minutes" in notice.text
    assert rows(bot.settings.database, "SELECT count(*) FROM report_drafts") == [(0,)]


async def test_answer_after_the_timeout_says_so_and_starts_over(
    clocked_bot: tuple[RunningBot, FakeClock], alice: Reporter
) -> None:
    _, clock = clocked_bot
    await alice.say("/report")
    clock.advance(timedelta(minutes=20))
    reply = await alice.say("/report")
    assert "previous report was not finished in time" in reply.text
    assert "What did you search for?" in reply.text


async def test_report_in_progress_survives_a_restart(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], alice: Reporter
) -> None:
    settings = make_settings()
    first: RunningBot = await start_bot(settings)
    await alice.say("/report")
    await alice.say("words before restart")
    await first.shutdown()
    await start_bot(settings)
    ask_category = await alice.say("@example_shop")
    assert "What is wrong with it?" in ask_category.text
    prompt = await alice.tap(ask_category, "Illegal drugs")
    summary = await alice.tap(prompt, "Skip")
    receipt = await alice.tap(summary, "✅ Submit")
    assert "received" in receipt.text
    assert rows(settings.database, "SELECT query FROM reports") == [("words before restart",)]


# --- limits, duplicates, blocks ------------------------------------------------------------


async def test_hourly_limit_says_when_reporting_is_possible_again(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], alice: Reporter
) -> None:
    clock = FakeClock()
    bot: RunningBot = await start_bot(
        make_settings(report_limit_per_hour=2, report_limit_per_day=5), clock=clock
    )
    await alice.report("@shop_one")
    clock.advance(timedelta(minutes=10))
    await alice.report("@shop_two")
    refused = await alice.say("/report")
    assert "2 reports in the last hour" in refused.text
    assert "2026-11-02 10:00 UTC" in refused.text  # the first report's hour is up then
    clock.advance(timedelta(minutes=51))
    assert "What did you search for?" in (await alice.say("/report")).text
    assert rows(bot.settings.database, "SELECT count(*) FROM reports") == [(2,)]


async def test_same_reporter_same_open_target_is_told_it_is_under_review(
    bot: RunningBot, alice: Reporter
) -> None:
    await alice.report("@example_shop")
    await alice.say("/report")
    await alice.say("other words")
    reply = await alice.say("https://t.me/Example_Shop")
    assert "already reported this (report #1)" in reply.text
    assert rows(bot.settings.database, "SELECT count(*) FROM reports") == [(1,)]
    assert rows(bot.settings.database, "SELECT count(*) FROM report_drafts") == [(0,)]


async def test_reports_from_different_people_join_one_case(
    bot: RunningBot, alice: Reporter, loopback: LoopbackServer
) -> None:
    bob = Reporter(loopback.add_user(first_name="Bob", language_code="en"), loopback)
    await alice.report("@example_shop")
    await bob.report("t.me/example_shop", category="Scam or fraud")
    database = bot.settings.database
    assert rows(database, "SELECT count(*) FROM cases") == [(1,)]
    assert rows(database, "SELECT count(DISTINCT case_id), count(*) FROM reports") == [(1, 2)]


async def test_blocked_reporter_gets_a_polite_refusal(bot: RunningBot, alice: Reporter) -> None:
    store = await Store.open(bot.settings.database)
    try:
        async with store.transaction() as uow:
            await uow.blocks.block(alice.user.id, by=None, at=FakeClock().now())
    finally:
        await store.close()
    reply = await alice.say("/report")
    assert "you cannot file reports" in reply.text
    one = await alice.say("/report @example_shop drugs pills")
    assert "you cannot file reports" in one.text


# --- redelivery -------------------------------------------------------------------------------


async def test_redelivered_report_message_files_nothing_twice(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    alice: Reporter,
    bot_account: BotHandle,
) -> None:
    settings = make_settings()
    first: RunningBot = await start_bot(settings)
    sent = await alice.user.send("/report @example_shop drugs cheap pills")
    receipt = await alice.user.next_message(timeout=15)
    assert "Report #1 received" in receipt.text
    await first.shutdown()
    # As if the bot died after handling the update but before the journal recorded that
    # (bot/update_journal.py): Telegram's redelivery then reaches the handlers again.
    rows(
        settings.database,
        "DELETE FROM update_journal WHERE update_id = ?",
        bot_account.update_id_of(sent),
    )
    bot_account.redeliver(bot_account.update_id_of(sent))
    await start_bot(settings)
    again = await alice.user.next_message(timeout=15)
    assert "Report #1 received" in again.text  # the receipt again, not a second report
    assert rows(settings.database, "SELECT count(*) FROM reports") == [(1,)]


async def test_redelivered_answer_does_not_advance_the_report_twice(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    alice: Reporter,
    bot_account: BotHandle,
) -> None:
    settings = make_settings()
    first: RunningBot = await start_bot(settings)
    await alice.say("/report")
    sent = await alice.user.send("my query")
    await alice.user.next_message(timeout=15)
    await first.shutdown()
    # As if the bot died after handling the update but before the journal recorded that
    # (bot/update_journal.py): Telegram's redelivery then reaches the handlers again.
    rows(
        settings.database,
        "DELETE FROM update_journal WHERE update_id = ?",
        bot_account.update_id_of(sent),
    )
    bot_account.redeliver(bot_account.update_id_of(sent))
    await start_bot(settings)
    again = await alice.user.next_message(timeout=15)
    assert "Which result was unsafe?" in again.text  # the same step, not "not a link"
    assert rows(settings.database, "SELECT step FROM report_drafts") == [("result",)]


# --- the one-message form ----------------------------------------------------------------


async def test_one_message_report_is_filed_directly(bot: RunningBot, alice: Reporter) -> None:
    receipt = await alice.say("/report https://t.me/example_shop drugs cheap pills here")
    assert receipt.text.startswith("✅ Report #1 received.")
    assert rows(bot.settings.database, "SELECT query, category, source FROM reports") == [
        ("cheap pills here", "drugs", "one_message")
    ]


async def test_one_message_search_term_report(bot: RunningBot, alice: Reporter) -> None:
    await alice.say("/report term terrorism how to join")
    assert rows(bot.settings.database, "SELECT key FROM targets") == [("term:how to join",)]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/report @example_shop", "The category is missing."),
        ("/report @example_shop gambling words", "I don't know the category “gambling”."),
        ("/report @example_shop drugs", "The search words are missing."),
        ("/report https://example.com drugs words", "not a Telegram link"),
    ],
)
async def test_one_message_report_explains_what_is_missing(
    bot: RunningBot, alice: Reporter, command: str, expected: str
) -> None:
    reply = await alice.say(command)
    assert expected in reply.text
    assert "/report &lt;link" not in reply.text  # rendered as HTML, not shown escaped
    assert "<link or @username>" in reply.text
    assert "drugs — Illegal drugs" in reply.text
    assert rows(bot.settings.database, "SELECT count(*) FROM reports") == [(0,)]


# --- follow-up -----------------------------------------------------------------------------


async def test_myreports_lists_reports_with_status(bot: RunningBot, alice: Reporter) -> None:
    empty = await alice.say("/myreports")
    assert "not filed any reports" in empty.text
    await alice.report("@example_shop")
    await alice.say("/report term scam free money")
    listing = await alice.say("/myreports")
    assert "#2" in listing.text
    assert "#1" in listing.text
    assert listing.text.count("· pending") == 2
    assert listing.text.index("#2") < listing.text.index("#1")


async def test_notify_off_and_on_is_stored(bot: RunningBot, alice: Reporter) -> None:
    status = await alice.say("/notify")
    assert "I will tell you the outcome" in status.text
    off = await alice.say("/notify off")
    assert "I will not tell you" in off.text
    database = bot.settings.database
    assert rows(database, "SELECT notify_outcomes FROM users") == [(0,)]
    await alice.say("/notify on")
    assert rows(database, "SELECT notify_outcomes FROM users") == [(1,)]
