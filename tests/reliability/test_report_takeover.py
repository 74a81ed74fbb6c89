"""An instance killed mid-answer: another takes the reporter's update over, and the reporter
can go on from the newest message.

Two webhook instances on one PostgreSQL database behind the round-robin proxy
(tests/reliability/fleet.py). The reporter types the search words; the instance that handled
them sends the next question, which Telegram applies but whose answer is held back
(the loopback's "hold" fault, as in test_case_post_kill.py), and it is SIGKILLed there: the
answer is committed, the reply is in the chat, the journal never released the update. The
reporter presses the question's button at once; that press waits in the journal behind the
update the dead instance held. Once the dead instance is presumed dead, another takes the
update over, finds it handled, and sends the question again (it cannot know the first reply
arrived); then it handles the press. The newest message must be the one that asks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loopback import LoopbackServer, SentMessage
from tests.postgres import PostgresCluster
from tests.reliability.fleet import (
    Member,
    fleet_environment,
    pg_rows,
    settle,
    start_fleet,
    stop_fleet,
)
from tests.reliability.harness import BOT_USERNAME, RECEIPT, TOKEN

WORKTREE = Path(__file__).resolve().parents[2]
ASK_QUERY = "What did you search for"
ASK_RESULT = "Which result was unsafe?"
ASK_CATEGORY = "What is wrong with it?"
ASK_COMMENT = "Anything the moderators should know?"
TERM = "The search term itself is illegal"
#: A dead instance's claims wait PRESUMED_DEAD (15 s) before another instance takes them.
TAKEOVER_WAIT = 60.0


async def holder_of(dsn: str, members: list[Member]) -> Member:
    """The instance that claimed the update still unreleased in the journal."""
    [(pid,)] = await pg_rows(
        dsn,
        "SELECT i.pid FROM update_journal j JOIN instances i ON i.id = j.claimed_by "
        "WHERE j.released_at IS NULL",
    )
    return next(member for member in members if member.process.pid == pid)


@pytest.mark.slow
async def test_after_a_kill_mid_answer_the_newest_message_asks_and_its_buttons_work(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    """issue 29, point 2: after a crash mid-answer, the question another instance sent again
    was left asking a step the reporter's queued press had answered, and its buttons said
    "already answered; please answer the latest message" on the latest message."""
    dsn = await postgres_cluster.create_database()
    try:
        async with LoopbackServer(webhook_max_retry_delay=0.5) as server:
            server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Report Bot")
            mona = server.add_user(first_name="Mona", username="takeover_mona")
            review = server.add_supergroup(title="Review", members=[mona], bot_admin=True)
            rita = server.add_user(first_name="Rita", language_code="en")
            env = fleet_environment(
                server,
                dsn,
                review.id,
                [mona],
                LOG_LEVEL="INFO",
                LEDGER_ANCHOR_DIR=str(tmp_path / "anchors"),
            )
            proxy, members = await start_fleet(server, env, 2, tmp_path, str(WORKTREE))
            try:
                await rita.send("/report")
                await server.wait_for(
                    lambda: any(ASK_QUERY in m.text for m in rita.messages()), timeout=30
                )
                # The next question is applied and its answer held back: the kill lands
                # while the instance waits for it, the update handled and not released.
                server.faults.inject("sendMessage", kind="hold", when="after", chat_id=rita.id)
                await rita.send("cheap pills")

                def asked_and_unanswered() -> bool:
                    asked = any(ASK_RESULT in m.text for m in rita.messages())
                    waiting = any(
                        call.pending and call.params.get("chat_id") == str(rita.id)
                        for call in server.calls("sendMessage")
                    )
                    return asked and waiting

                await server.wait_for(asked_and_unanswered, timeout=30)
                server.faults.clear()  # the other instances' calls are answered at once
                holder = await holder_of(dsn, members)
                [first] = [m for m in rita.messages() if ASK_RESULT in m.text]
                await holder.process.kill_and_restart()

                # The reporter answers on the question they see; the press waits in the
                # journal behind the update the dead instance held.
                press = await rita.press(first, text=TERM)
                answer = await press.answered(timeout=TAKEOVER_WAIT)
                assert not answer.show_alert, answer.text

                def bot_messages() -> list[SentMessage]:
                    return [m for m in rita.messages() if not m.deleted]

                await server.wait_for(lambda: len(bot_messages()) == 3, timeout=30)
                newest = bot_messages()[-1]
                assert newest.message_id != first.message_id  # the question sent again
                assert await settle(server, dsn, 30, notifications=False) == []
                assert ASK_CATEGORY in rita.message(newest).text
                assert rita.message(first).button_texts() == []
                assert ASK_RESULT in rita.message(first).text  # its text stays, not its buttons

                def edited_since(seen: int) -> Callable[[], bool]:
                    return lambda: rita.revision(newest) > seen

                # The newest message's buttons work, to the receipt.
                for label, then in (
                    ("Illegal drugs", ASK_COMMENT),
                    ("Skip", "Please check your report"),
                    ("✅ Submit", "received"),
                ):
                    edited = edited_since(rita.revision(newest))
                    press = await rita.press(rita.message(newest), text=label)
                    answer = await press.answered(timeout=30)
                    assert not answer.show_alert, answer.text
                    await server.wait_for(edited, timeout=30)
                    assert then in rita.message(newest).text
                receipts = [m for m in rita.messages() if RECEIPT.search(m.text)]
                assert len(receipts) == 1
                assert await pg_rows(dsn, "SELECT count(*) FROM reports") == [(1,)]
            finally:
                await stop_fleet(members)
                await proxy.stop()
    finally:
        await postgres_cluster.drop_database(dsn)
