"""An answer handled just before a crash is handled again on the next start (the journal had
not released it): the question sent again is the one that asks from then on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from loopback import BotHandle, LoopbackServer
from tests.conftest import ENGINES, RunningBot
from tests.e2e.reporting_steps import Reporter, rows

pytestmark = pytest.mark.engines(*ENGINES)

ASK_RESULT = "Which result was unsafe?"
ASK_CATEGORY = "What is wrong with it?"
ASK_COMMENT = "Anything the moderators should know?"
TERM = "The search term itself is illegal"


@pytest.fixture
def rita(loopback: LoopbackServer) -> Reporter:
    return Reporter(loopback.add_user(first_name="Rita", language_code="en"), loopback)


async def test_a_press_on_the_first_question_moves_the_report_on_in_the_one_sent_again(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    rita: Reporter,
    bot_account: BotHandle,
) -> None:
    """issue 29, point 2: the question sent again after a crash mid-answer was left asking a
    step the reporter's press on the first question had answered; its buttons then said
    "already answered; please answer the latest message" on the latest message."""
    settings = make_settings()
    first_run: RunningBot = await start_bot(settings)
    await rita.say("/report")
    sent = await rita.user.send("cheap pills")
    first = await rita.user.next_message(timeout=15)
    assert ASK_RESULT in first.text
    await first_run.shutdown()
    # As if the bot died after answering but before the journal released the update.
    update_id = bot_account.update_id_of(sent)
    rows(settings.database, "DELETE FROM update_journal WHERE update_id = ?", update_id)
    bot_account.redeliver(update_id)
    await start_bot(settings)
    second = await rita.user.next_message(timeout=15)
    assert ASK_RESULT in second.text  # asked again: the first reply may never have arrived

    # The reporter answers on the first question; the report moves on in the newest one.
    revision = rita.user.revision(first)
    press = await rita.user.press(first, text=TERM)
    answer = await press.answered(timeout=15)
    assert not answer.show_alert
    await rita.user.wait_until(lambda: rita.user.revision(first) > revision, timeout=15)
    assert rita.current(first).button_texts() == []
    newest = rita.current(second)
    assert ASK_CATEGORY in newest.text
    comment = await rita.tap(newest, "Illegal drugs")
    assert ASK_COMMENT in comment.text
    summary = await rita.tap(comment, "Skip")
    receipt = await rita.tap(summary, "✅ Submit")
    assert "Report #1 received" in receipt.text
    assert rows(settings.database, "SELECT count(*) FROM reports") == [(1,)]


async def test_a_submit_on_the_first_summary_files_once_with_one_receipt_in_the_newest(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    rita: Reporter,
    bot_account: BotHandle,
) -> None:
    """issue 29, point 2: the summary sent again after a crash kept its Submit button once the
    report was filed from the first summary; the receipt shows in the newest message."""
    settings = make_settings()
    first_run: RunningBot = await start_bot(settings)
    await rita.say("/report")
    asked = await rita.say("cheap pills")
    category = await rita.tap(asked, TERM)
    await rita.tap(category, "Illegal drugs")
    sent = await rita.user.send("seen in the search today")
    first = await rita.user.next_message(timeout=15)
    assert "Please check your report" in first.text
    await first_run.shutdown()
    update_id = bot_account.update_id_of(sent)
    rows(settings.database, "DELETE FROM update_journal WHERE update_id = ?", update_id)
    bot_account.redeliver(update_id)
    await start_bot(settings)
    second = await rita.user.next_message(timeout=15)
    assert "Please check your report" in second.text

    revision = rita.user.revision(first)
    press = await rita.user.press(first, text="✅ Submit")
    await press.answered(timeout=15)
    await rita.user.wait_until(lambda: rita.user.revision(first) > revision, timeout=15)
    assert rita.current(first).button_texts() == []
    assert "Report #1 received" in rita.current(second).text
    assert [m for m in rita.user.messages() if "received" in m.text] == [rita.current(second)]
    assert rows(settings.database, "SELECT count(*) FROM reports") == [(1,)]
