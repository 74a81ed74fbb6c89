"""A private review chat at Telegram's pace (issue 30, §1): the loopback server enforces one
message a second per chat (edits counted), and a moderator pressing as fast as the bot answers
gets every edit without a single 429 in their chat (handlers/runtime/chat_pacer.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from loopback import LoopbackServer
from loopback.flood_control import FloodLimits
from tests.conftest import MODERATOR_ID, TEST_BOT_USERNAME, TEST_TOKEN
from tests.e2e.reporting_steps import Reporter
from tests.helpers import FakeClock


@pytest.fixture
async def loopback() -> AsyncIterator[LoopbackServer]:
    """The loopback server with Telegram's flood limits on, edits counted like messages."""
    async with LoopbackServer(flood_limits=FloodLimits(count_edits=True)) as server:
        server.add_bot(token=TEST_TOKEN, username=TEST_BOT_USERNAME, first_name="Report Bot")
        yield server


async def test_a_fast_series_of_presses_in_a_private_chat_gets_no_429(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    mona = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    settings = make_settings(private_message_gap_seconds=1.0)
    await start_bot(settings, clock=FakeClock())
    reporter = Reporter(loopback.add_user(first_name="Alice", language_code="en"), loopback)
    assert "received" in (await reporter.say("/report @paced_shop drugs cheap pills")).text

    await mona.send("/review")
    message = await mona.next_message(timeout=15)
    assert "Case #1" in message.text

    def edited(times: int) -> Callable[[], bool]:
        return lambda: mona.revision(message) >= times

    for n, label in enumerate(("✅ Approve", "⬅️ Back", "✅ Approve"), start=1):  # each an edit
        press = await mona.press(mona.message(message), text=label)
        await press.answered(timeout=15)
        await mona.wait_until(edited(n), timeout=15)
    assert "Approve as which category?" in mona.message(message).text
    refused = [
        call.method
        for call in loopback.calls()
        if call.error_code == 429 and call.params.get("chat_id") == str(mona.id)
    ]
    assert refused == []
