"""Provisional hiding after a wait, end to end: with PROVISIONAL_HIDE_AFTER_MINUTES a trusted
reporter's report hides nothing at once; the leading instance's job hides the target once the
case has waited undecided, and its post in the review chat says so; a case decided first is
never hidden."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from loopback import LoopbackServer
from tests.e2e.reporting_steps import Reporter, rows
from tests.e2e.test_reporting_lifecycle import run_job
from tests.e2e.test_review_workflow import cases, make_review, report, until


async def test_a_trusted_report_hides_only_after_the_wait_and_not_once_decided(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    review = await make_review(
        start_bot,
        make_settings,
        loopback,
        provisional_hide_reporters=1,
        provisional_hide_after_minutes=30,
    )
    database = review.bot.settings.database
    trusted = Reporter(loopback.add_user(first_name="T", language_code="en"), loopback)
    for n in range(4):  # a track record: four approved reports (still trusted after a reject)
        review.clock.advance(timedelta(seconds=62))  # room in the review chat's budget
        await report(loopback, f"@earlier_{n}_x", reporter=trusted)
        await until(
            lambda: len(cases(review)) == len(rows(database, "SELECT id FROM cases")), review
        )
        menu = await review.tap(review.moderator, cases(review)[-1], "✅ Approve")
        await review.tap(review.moderator, menu, "✓ Illegal drugs")
    review.clock.advance(timedelta(seconds=62))
    await report(loopback, "@patient_shop_x", reporter=trusted)
    await report(loopback, "@decided_first_x", reporter=trusted)
    await until(lambda: len(cases(review)) == 6, review)
    patient, decided_first = cases(review)[-2:]
    hidden = "SELECT target_key, provisional FROM search_blocklist WHERE provisional = 1"
    assert rows(database, hidden) == []
    review.clock.advance(timedelta(minutes=29))
    await run_job(review.bot, "provisional_wait")
    assert rows(database, hidden) == []
    menu = await review.tap(review.moderator, review.current(decided_first), "❌ Reject")
    await review.tap(review.moderator, menu, "Not a violation")
    review.clock.advance(timedelta(minutes=1))
    await run_job(review.bot, "provisional_wait")
    assert rows(database, hidden) == [("@patient_shop_x", 1)]
    await until(lambda: "Hidden from search provisionally" in review.current(patient).text, review)
    assert "Hidden from search provisionally" not in review.current(decided_first).text
    [(details,)] = rows(
        database, "SELECT details FROM audit_log WHERE action = 'case.provisionally_hidden'"
    )
    assert json.loads(details)["waited_minutes"] == 30
