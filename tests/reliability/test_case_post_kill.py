"""A kill between Telegram accepting a case post and the bot recording it leaves a copy.

The real bot runs as its own process (`python -m bot run`) against the loopback Bot API. The
case's sendMessage is applied by the loopback but its answer is held back; once the post is in
the review chat and the call is still unanswered, the bot is SIGKILLed: Telegram has the post,
the database does not. The Bot API cannot list a chat's messages and sendMessage has no
idempotency key, so the restarted bot posts the case again. What it can and must do: say on
the new post that it is the live one (it wrote down that a send had begun), and retire the
copy as soon as Telegram names it (a moderator presses one of its buttons), counting the press
for the case exactly once.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path

from loopback import LoopbackServer
from tests.reliability.harness import (
    BOT_USERNAME,
    TOKEN,
    BotProcess,
    _environment,
    retire_the_copy_and_approve,
)

CASE = re.compile(r"Case #(\d+)")
MARKER = "may be above"


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql))


async def recorded_post(database: Path) -> int:
    """The case's recorded message, once the restarted bot has written it down."""
    for _ in range(200):
        [(message_id,)] = rows(database, "SELECT message_id FROM case_posts")
        if isinstance(message_id, int):
            return message_id
        await asyncio.sleep(0.05)
    raise AssertionError("the case post was never recorded")


async def test_a_case_post_accepted_just_before_a_kill_is_marked_and_retired_on_a_press(
    tmp_path: Path,
) -> None:
    async with LoopbackServer() as server:
        server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Report Bot")
        mona = server.add_user(first_name="Mona", username="kill_mona", language_code="en")
        review = server.add_supergroup(title="Review", members=[mona], bot_admin=True)
        server.add_channel(title="Pill shop", username="kill_pill_shop")
        rita = server.add_user(first_name="Rita", language_code="en")
        database = tmp_path / "data" / "bot.sqlite3"
        env = _environment(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=server.base_url,
            DATABASE_PATH=str(database),
            REVIEW_CHAT_ID=str(review.id),
            MODERATOR_IDS=str(mona.id),
            POLL_TIMEOUT_SECONDS="2",
            CASE_EDIT_DEBOUNCE_SECONDS="0",
            REVIEW_MESSAGE_GAP_SECONDS="0",
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
        )
        review_id = review.id
        bot = BotProcess(server, env, tmp_path)
        await bot.start()
        try:
            # The post is applied and its answer held back until the server stops: the kill
            # lands while the bot waits for it.
            server.faults.inject("sendMessage", kind="hold", when="after", chat_id=review.id)
            await rita.send("/report @kill_pill_shop drugs pills sold here")

            def posted_but_unanswered() -> bool:
                in_chat = any(CASE.search(m.text) for m in review.messages())
                waiting = any(
                    call.pending and call.params.get("chat_id") == str(review.id)
                    for call in server.calls("sendMessage")
                )
                return in_chat and waiting

            await server.wait_for(posted_but_unanswered, timeout=30)
            server.faults.clear()  # the restarted bot's calls are answered at once
            await bot.kill_and_restart()
            await server.wait_for(lambda: len(review.messages()) == 2, timeout=30)
            live_id = await recorded_post(database)
            orphan, live = review.messages()
            assert live.message_id == live_id  # the copy was never recorded
            # Unavoidable: the copy keeps its buttons until Telegram names it to the bot.
            assert orphan.button_texts() == ["✅ Approve", "❌ Reject", "⚠️ Escalate"]
            assert MARKER not in orphan.text
            assert MARKER in live.text  # moderators see which post is live

            await retire_the_copy_and_approve(server, review, mona, orphan, live)
        finally:
            await bot.stop()
    assert rows(database, "SELECT status FROM cases") == [("approved",)]
    actions = [
        action
        for (action,) in rows(
            database,
            "SELECT action FROM audit_log WHERE subject_type = 'case' AND action IN "
            "('case.posted', 'case.copy_found', 'case.copy_retired', 'case.approved') ORDER BY id",
        )
    ]
    assert actions == ["case.posted", "case.copy_found", "case.copy_retired", "case.approved"]
    [(details,)] = rows(
        database, "SELECT details FROM audit_log WHERE action = 'case.copy_retired'"
    )
    assert json.loads(str(details)) == {
        "before": {"chat_id": review_id, "message_id": orphan.message_id},
        "after": {"how": "deleted"},
    }
