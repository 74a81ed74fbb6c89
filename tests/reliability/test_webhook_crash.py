"""Webhook mode loses no update to a kill, as polling does not: an update is journaled before
Telegram's POST is answered 200.

The real bot runs as its own process (`python -m bot run` with WEBHOOK_URL set) against the
loopback Bot API, which POSTs updates to it as Telegram does. A reporter's one-message report
is delivered and answered 200; the report is stored and the receipt is on its way when the bot
is SIGKILLed: the receipt's sendMessage hangs in the loopback (then fails, unapplied), and the
kill is sent once the loopback holds that call, so it lands inside the handler every time.
Telegram forgot the update when it was answered; only the journal can bring it back.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from loopback import LoopbackServer
from tests.helpers import free_port
from tests.reliability.harness import BOT_USERNAME, TOKEN, BotProcess, _environment

SECRET = "webhook-kill-secret_0123"
RECEIPT = re.compile(r"Report #(\d+) received")


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql))


async def test_an_update_answered_200_then_killed_mid_handler_is_handled_after_restart(
    tmp_path: Path,
) -> None:
    async with LoopbackServer() as server:
        account = server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Report Bot")
        review = server.add_supergroup(title="Review", bot_admin=True)
        server.add_channel(title="Pill shop", username="kill_pill_shop")
        rita = server.add_user(first_name="Rita", language_code="en")
        port = free_port()
        database = tmp_path / "data" / "bot.sqlite3"
        env = _environment(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=server.base_url,
            DATABASE_PATH=str(database),
            REVIEW_CHAT_ID=str(review.id),
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            WEBHOOK_SECRET_TOKEN=SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
        )
        bot = BotProcess(server, env, tmp_path)
        await bot.start()
        try:
            # The receipt is held (then dropped, never applied) until the server stops: the
            # kill lands while the handler waits for it.
            server.faults.inject("sendMessage", kind="hold", chat_id=rita.id, times=1)
            server.faults.inject("sendMessage", kind="drop", chat_id=rita.id, times=1)
            await rita.send("/report @kill_pill_shop drugs pills sold here")

            def receipt_on_its_way() -> bool:
                return any(
                    call.pending and call.params.get("chat_id") == str(rita.id)
                    for call in server.calls("sendMessage")
                )

            await server.wait_for(receipt_on_its_way, timeout=30)
            # Telegram was answered 200: it confirmed the update and will not send it again.
            await server.wait_for(lambda: account.pending_update_count == 0, timeout=30)
            assert receipt_on_its_way()  # the handler is still waiting: kill it now
            await bot.kill_and_restart()
            receipt = await rita.next_message(timeout=30)
        finally:
            code = await bot.stop()
    match = RECEIPT.search(receipt.text)
    assert match is not None, receipt.text
    assert len(rita.messages()) == 1  # the killed run's receipt never went out
    to_rita = [c for c in server.calls("sendMessage") if c.params.get("chat_id") == str(rita.id)]
    assert [call.ok for call in to_rita] == [False, True]
    assert rows(database, "SELECT id, reporter_id FROM reports") == [(int(match.group(1)), rita.id)]
    assert rows(database, "SELECT count(*) FROM update_journal WHERE released_at IS NULL") == [(0,)]
    first_run, second_run = (path.read_text() for path in bot.log_files)
    assert '"journal_reclaimed"' not in first_run
    # The receipt came from the journal: the new process claimed what the killed one held.
    assert '"journal_reclaimed"' in second_run
    assert code == 0  # SIGTERM stops the webhook bot gracefully
    assert '"bot_stopped"' in second_run
