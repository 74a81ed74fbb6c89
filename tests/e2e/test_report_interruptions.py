"""A reporter who turns to something else in the middle of a report (another command, a
sticker, text where a button is expected) is told a report is open, which one and at what
step, and chooses Continue or Cancel; until then nothing they send becomes an answer."""

from __future__ import annotations

import json

import pytest

from loopback import LoopbackServer, SentMessage
from tests.conftest import ADMIN_ID, LEGAL_OFFICER_ID, RunningBot
from tests.e2e.reporting_steps import Reporter, rows

HELD = "📝 You have a report that is not sent yet."
CHOICE = (
    "It is on hold, so nothing you send is added to it. Tap Continue to pick up where you "
    "left off, or Cancel report to discard it."
)
BUTTONS = ["▶️ Continue", "✖️ Cancel report"]
#: Each step, how "step N of 5" names it, and the question Continue asks again.
STEPS = {
    "query": ("It stopped at step 1 of 5: what you searched for.", "What did you search for?"),
    "result": ("It stopped at step 2 of 5: which result was unsafe.", "Which result was unsafe?"),
    "category": ("It stopped at step 3 of 5: what is wrong with it.", "What is wrong with it?"),
    "comment": (
        "It stopped at step 4 of 5: a comment for the moderators.",
        "Anything the moderators should know?",
    ),
    "confirm": ("It stopped at step 5 of 5: check and submit.", "Please check your report"),
    "edit": ("It stopped at step 5 of 5: choose what to change.", "What do you want to change?"),
}


@pytest.fixture
def alice(loopback: LoopbackServer) -> Reporter:
    return Reporter(loopback.add_user(first_name="Alice", language_code="en"), loopback)


async def at_step(reporter: Reporter, step: str) -> SentMessage:
    """Walks a fresh report to `step`; returns the message asking that step's question."""
    prompt = await reporter.say("/report")
    if step == "query":
        return prompt
    prompt = await reporter.say("cheap pills")
    if step == "result":
        return prompt
    prompt = await reporter.say("@example_shop")
    if step == "category":
        return prompt
    prompt = await reporter.tap(prompt, "Illegal drugs")
    if step == "comment":
        return prompt
    prompt = await reporter.tap(prompt, "Skip")
    if step == "confirm":
        return prompt
    return await reporter.tap(prompt, "✏️ Edit")


def draft_row(reporter: Reporter, bot: RunningBot) -> tuple[str, dict[str, object]] | None:
    found = rows(
        bot.settings.database_path,
        "SELECT step, data FROM report_drafts WHERE user_id = ?",
        reporter.user.id,
    )
    return (found[0][0], json.loads(found[0][1])) if found else None


def assert_held_notice(reply: SentMessage, step: str) -> None:
    assert HELD in reply.text
    assert f"{STEPS[step][0]}\n{CHOICE}" in reply.text
    assert reply.button_texts() == BUTTONS


# --- every command at every step ---------------------------------------------------------

COMMANDS = {
    "/start": "👋 Hello, Alice!",
    "/help": "What I can do",
    "/myreports": "You have not filed any reports yet.",
    "/report": "You already have a report open: finish or cancel it before you start another.",
    "/start report": "You already have a report open",
    "/frobnicate": "I don't know that command.",
    "/notify": "I will tell you the outcome of your reports.",
    "/appeal": "To appeal a decision",
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("command", list(COMMANDS))
async def test_a_command_during_a_report_answers_and_says_the_report_is_open(
    bot: RunningBot, alice: Reporter, command: str, step: str
) -> None:
    await at_step(alice, step)
    before = draft_row(alice, bot)
    reply = await alice.say(command)
    assert COMMANDS[command] in reply.text.split("\n\n📝")[0]
    assert_held_notice(reply, step)
    after = draft_row(alice, bot)
    assert before is not None
    assert after is not None
    assert after[0] == before[0]
    assert after[1] == {**before[1], "on_hold": True}  # nothing else changed


async def test_the_notice_says_which_report_is_open(bot: RunningBot, alice: Reporter) -> None:
    await at_step(alice, "comment")
    reply = await alice.say("/help")
    notice = reply.text.split("\n\n")[-1]
    assert notice == (
        f"{HELD}\nSearched for: cheap pills\nResult: account @example_shop\n"
        f"Category: Illegal drugs\n{STEPS['comment'][0]}\n{CHOICE}"
    )


# --- staff commands: answered, then the notice ------------------------------------------

STAFF_COMMANDS = {
    (ADMIN_ID, "/stats"): "",
    (ADMIN_ID, "/health"): "🩺 Bot health",
    (ADMIN_ID, "/roles"): "",
    (LEGAL_OFFICER_ID, "/legal"): "",
}


@pytest.mark.parametrize(("who", "command"), list(STAFF_COMMANDS))
async def test_a_staff_command_during_a_report_is_answered_and_the_report_held(
    bot: RunningBot, loopback: LoopbackServer, who: int, command: str
) -> None:
    staff = Reporter(loopback.add_user(first_name="Sam", user_id=who), loopback)
    await at_step(staff, "comment")
    answer = await staff.say(command)
    assert not answer.text.startswith(HELD)  # the command's own answer comes first
    assert STAFF_COMMANDS[(who, command)] in answer.text
    notice = await staff.user.next_message(timeout=15)
    if command == "/stats":  # its chart comes before the notice
        assert notice.photo
        notice = await staff.user.next_message(timeout=15)
    assert_held_notice(notice, "comment")
    assert notice.text.startswith(HELD)
    again = await staff.say("ok")  # not the comment: the report is on hold
    assert again.text.startswith(HELD)
    row = draft_row(staff, bot)
    assert row is not None
    assert row[0] == "comment"
    assert row[1]["comment"] is None
    assert row[1]["on_hold"] is True


async def test_a_staff_command_without_a_report_open_says_nothing_more(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    staff = Reporter(loopback.add_user(first_name="Sam", user_id=ADMIN_ID), loopback)
    await staff.say("/health")
    await staff.user.send("/myreports")  # the next answer is this one's, not a notice
    following = await staff.user.next_message(timeout=15)
    assert following.text.startswith("You have not filed any reports yet.")


# --- messages that answer nothing --------------------------------------------------------


@pytest.mark.parametrize("step", list(STEPS))
async def test_a_sticker_during_a_report_is_named_and_the_report_held(
    bot: RunningBot, alice: Reporter, step: str
) -> None:
    await at_step(alice, step)
    await alice.user.send_sticker()
    reply = await alice.user.next_message(timeout=15)
    assert reply.text.startswith("I can't use a sticker at this step.\n\n")
    assert_held_notice(reply, step)


@pytest.mark.parametrize("step", ["category", "confirm", "edit"])
async def test_text_at_a_button_step_is_not_taken_and_the_report_held(
    bot: RunningBot, alice: Reporter, step: str
) -> None:
    await at_step(alice, step)
    reply = await alice.say("ok")
    assert reply.text.startswith(
        "This step is answered with a button, so I did not use that message.\n\n"
    )
    assert_held_notice(reply, step)


# --- Continue and Cancel -----------------------------------------------------------------


@pytest.mark.parametrize("step", list(STEPS))
async def test_continue_asks_the_current_question_again(
    bot: RunningBot, alice: Reporter, step: str
) -> None:
    await at_step(alice, step)
    notice = await alice.say("/help")
    question = await alice.tap_for_reply(notice, "▶️ Continue")
    assert STEPS[step][1] in question.text
    assert HELD not in question.text
    kept = alice.current(notice)
    assert kept.text.startswith("What I can do")  # the help stays readable
    assert kept.buttons() == []
    row = draft_row(alice, bot)
    assert row is not None
    assert row[0] == step
    assert row[1]["on_hold"] is False


async def test_cancel_discards_the_report_with_a_confirmation(
    bot: RunningBot, alice: Reporter
) -> None:
    await at_step(alice, "category")
    notice = await alice.say("/myreports")
    cancelled = await alice.tap_for_reply(notice, "✖️ Cancel report")
    assert cancelled.text == "Report cancelled. Nothing was sent. Send /report to start again."
    assert draft_row(alice, bot) is None
    assert alice.current(notice).text.startswith("You have not filed any reports yet.")
    again = await alice.say("/help")
    assert HELD not in again.text
    assert again.button_texts() == []


async def test_cancel_command_still_works_while_held(bot: RunningBot, alice: Reporter) -> None:
    await at_step(alice, "comment")
    assert_held_notice(await alice.say("/start"), "comment")
    reply = await alice.say("/cancel")
    assert "Report cancelled" in reply.text
    assert draft_row(alice, bot) is None


# --- the reported case: "ok" after /start ------------------------------------------------


async def test_text_after_start_is_not_taken_as_the_comment(
    bot: RunningBot, alice: Reporter
) -> None:
    await at_step(alice, "comment")
    greeting = await alice.say("/start")
    assert greeting.text.startswith("👋 Hello, Alice!")
    assert_held_notice(greeting, "comment")
    reply = await alice.say("ok")
    assert reply.text.startswith(HELD)  # said again; "ok" went nowhere
    assert reply.button_texts() == BUTTONS
    row = draft_row(alice, bot)
    assert row is not None
    assert row[0] == "comment"
    assert row[1]["comment"] is None
    link = await alice.say("@other_shop")  # nor does a link start another report
    assert link.text.startswith(HELD)
    ask = await alice.tap_for_reply(reply, "▶️ Continue")
    assert "Anything the moderators should know?" in ask.text
    summary = await alice.say("They sell pills in the open")
    assert "Comment: They sell pills in the open" in summary.text
    receipt = await alice.tap(summary, "✅ Submit")
    assert receipt.text.startswith("✅ Report #1 received.")
    assert rows(
        bot.settings.database_path,
        "SELECT t.key, r.comment FROM reports r JOIN targets t ON t.id = r.target_id",
    ) == [("@example_shop", "They sell pills in the open")]


# --- a submitted report is never affected ------------------------------------------------


async def test_a_submitted_report_is_not_touched_by_an_old_notice(
    bot: RunningBot, alice: Reporter
) -> None:
    await at_step(alice, "confirm")
    notice = await alice.say("/help")
    summary = await alice.tap_for_reply(notice, "▶️ Continue")
    receipt = await alice.tap(summary, "✅ Submit")
    assert receipt.text.startswith("✅ Report #1 received.")
    # the notice's buttons were removed on Continue; a client that kept them sends them anyway
    answer = await alice.user.press_forged(notice, _cancel_data(notice, summary))
    alert = await answer.answered(timeout=15)
    assert "finished or expired" in (alert.text or "")
    database = bot.settings.database_path
    assert rows(
        database, "SELECT count(*), min(status) FROM reports r JOIN cases c ON c.id = r.case_id"
    ) == [(1, "pending")]
    after = await alice.say("/help")
    assert HELD not in after.text
    assert (await alice.say("/cancel")).text.startswith("There is no report in progress.")


def _cancel_data(notice: SentMessage, summary: SentMessage) -> str:
    """The notice's Cancel button as it was (same draft as the summary's Submit)."""
    submit = next(b for b in summary.buttons() if b.get("text") == "✅ Submit")
    draft36 = str(submit["callback_data"]).split(":")[2]
    return f"r1:cancel:{draft36}:held"


# --- other languages ---------------------------------------------------------------------


async def test_the_notice_is_in_the_reporters_language(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    ivan = Reporter(loopback.add_user(first_name="Иван", language_code="ru"), loopback)
    await ivan.say("/report")
    reply = await ivan.say("/help")
    assert reply.text.startswith("Что я умею")
    assert (
        "📝 У вас есть неотправленная жалоба.\nОна остановилась на шаге 1 из 5: что вы искали."
        in reply.text
    )
    assert reply.button_texts() == ["▶️ Продолжить", "✖️ Отменить жалобу"]
