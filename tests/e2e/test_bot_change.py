"""A database moved to another bot (a new token) handles that bot's updates, whose ids the old
bot already used: update ids are numbered per bot, and the journal and the redelivery marks
are keyed by the bot as well (migration 0026)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from loopback import LoopbackServer
from tests.conftest import ENGINES, TEST_TOKEN, RunningBot
from tests.engines import rows

pytestmark = pytest.mark.engines(*ENGINES)

#: The new bot; the loopback numbers each bot's updates from 1, as Telegram does per bot.
NEW_TOKEN = "987654321:TEST-second-loopback-token-not-a-secret"
MESSAGES = 3
REPORT = "/report @example_shop drugs cheap pills"


async def test_a_new_bot_on_the_old_bots_database_handles_its_colliding_updates(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
) -> None:
    """issue 28, point 6: a database that moves to another bot within a day silently dropped
    that bot's first updates, whose ids collide with the old bot's."""
    alice = loopback.add_user(first_name="Alice", language_code="en")
    bob = loopback.add_user(first_name="Bob", language_code="en")
    old: RunningBot = await start_bot(make_settings())
    await alice.send(REPORT)  # update 1 of the old bot files report #1
    assert "Report #1 received" in (await alice.next_message()).text
    for _ in range(MESSAGES - 1):
        await alice.send("/help")
        assert (await alice.next_message()).text.startswith("What I can do")
    await old.until_handled(MESSAGES)
    await old.shutdown()

    new_bot = loopback.add_bot(token=NEW_TOKEN, username="report_second_bot")
    new: RunningBot = await start_bot(make_settings(bot_token=NEW_TOKEN))
    await bob.send(REPORT, bot=new_bot)  # update 1 of the new bot: a report of its own
    assert "Report #2 received" in (await bob.next_message(bot=new_bot)).text
    for _ in range(MESSAGES - 1):
        await bob.send("/help", bot=new_bot)
        reply = await bob.next_message(bot=new_bot)
        assert reply.text.startswith("What I can do")
    await new.until_handled(MESSAGES)
    assert rows(new.settings.database, "SELECT id, reporter_id FROM reports ORDER BY id") == [
        (1, alice.id),
        (2, bob.id),
    ]

    old_id, new_id = (int(token.partition(":")[0]) for token in (TEST_TOKEN, NEW_TOKEN))
    kept = rows(
        new.settings.database,
        "SELECT bot_id, update_id FROM update_journal ORDER BY bot_id, update_id",
    )
    ids = list(range(1, MESSAGES + 1))
    assert kept == [(old_id, n) for n in ids] + [(new_id, n) for n in ids]
    assert "update_duplicate_skipped" not in new.log_text()
