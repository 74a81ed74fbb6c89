"""Two bot instances on one PostgreSQL database and one Bot API: a menu a moderator opens
through one of them stays on the case post whatever the other redraws (issue 29, point 1).

Two Applications in this test process, each with its own store, delivery worker and presence,
as two `report-bot run` processes have: instance B starts first and leads (its delivery worker
posts and redraws the case posts); instance A starts second in webhook mode too, and as the
last to call setWebhook receives every update (the reports, the moderator's presses). They
share the test's clock, so the menu's two minutes pass for both at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.settings import Settings
from handlers.outbound.delivery_worker import DeliveryWorker
from loopback import ChatHandle, LoopbackServer, SentMessage
from moderation.instances import HEARTBEAT
from tests.conftest import ENGINES, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter
from tests.helpers import FakeClock
from tests.workers import free_port

pytestmark = pytest.mark.engines("postgresql")

CATEGORY_PROMPT = "👇 Approve as which category?"
MAIN_BUTTONS = ["✅ Approve", "❌ Reject", "⚠️ Escalate"]
#: How long a menu nobody closes stays open (moderation/review/menus.py: MENU_TTL).
MENU_OPEN = timedelta(minutes=2)


def instance_settings(make_settings: Callable[..., Settings], review_chat_id: int) -> Settings:
    port = free_port()
    return make_settings(
        review_chat_id=review_chat_id,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret_token="test-webhook-secret_menus",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        case_edit_debounce_seconds=0,
    )


async def file(server: LoopbackServer, name: str) -> None:
    reporter = Reporter(server.add_user(first_name=name, language_code="en"), server)
    receipt = await reporter.say("/report @two_instances_shop drugs cheap pills")
    assert "received" in receipt.text


def current(chat: ChatHandle, message: SentMessage) -> SentMessage:
    return next(m for m in chat.messages() if m.message_id == message.message_id)


async def test_a_menu_opened_on_one_instance_survives_the_other_instances_redraw(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Settings],
    loopback: LoopbackServer,
) -> None:
    """issue 29, point 1: instance A opens the category menu (a moderator's Approve); instance
    B, the leader, redraws the case post for a new report: the menu and its prompt are still
    there, drawn by B. Left open, the menu is closed two minutes later by B's delivery worker,
    which redraws the post with the main buttons."""
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    leader: RunningBot = await start_bot(instance_settings(make_settings, chat.id), clock=clock)
    receiver: RunningBot = await start_bot(instance_settings(make_settings, chat.id), clock=clock)
    assert await leader.application.bot_data.services.presence.leads()
    assert not await receiver.application.bot_data.services.presence.leads()

    await file(loopback, "Alice")
    posted = await chat.next_message(timeout=15)
    await leader.until_delivered(lambda: True)  # the post is recorded as shown
    opened = clock.now()
    press = await moderator.press(posted, text="✅ Approve")
    await press.answered(timeout=15)
    await loopback.wait_for(lambda: CATEGORY_PROMPT in current(chat, posted).text, 15)
    menu = current(chat, posted)
    assert menu.button_texts()[0] == "✓ Illegal drugs"
    edits = len(loopback.calls("editMessageText"))

    await file(loopback, "Bob")  # the receiver files it; the leader's worker redraws the post
    await leader.until_delivered(
        lambda: "Reports: 2 · reporters: 2" in current(chat, posted).text, "the count update"
    )
    redrawn = current(chat, posted)
    assert CATEGORY_PROMPT in redrawn.text
    assert redrawn.button_texts() == menu.button_texts()
    assert len(loopback.calls("editMessageText")) == edits + 1  # one edit, no extra message
    assert len(chat.messages()) == 1

    # The menu's two minutes, in steps the leader renews its lease between (a step of a lease
    # term would let the receiver's heartbeat take the lead over, and deliver in its place).
    step = HEARTBEAT * 3
    while clock.now() <= opened + MENU_OPEN:
        clock.advance(step)
        await leader.application.bot_data.services.presence.leads()
    await leader.until_delivered(
        lambda: CATEGORY_PROMPT not in current(chat, posted).text, "the menu's expiry"
    )
    closed = current(chat, posted)
    assert "Reports: 2 · reporters: 2" in closed.text
    assert closed.button_texts() == MAIN_BUTTONS
    assert not await receiver.application.bot_data.services.presence.leads()


@pytest.mark.engines(*ENGINES)
async def test_a_menu_stays_open_across_a_restart_of_the_bot(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Settings],
    loopback: LoopbackServer,
) -> None:
    """issue 29, point 1: the open menu is the database's, not the process's: the bot that
    opened it stops, the one started after it redraws the post for a new report with the menu
    and its prompt, and the moderator's choice from it decides the case."""
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    settings = make_settings(review_chat_id=chat.id, case_edit_debounce_seconds=0)
    first: RunningBot = await start_bot(settings, clock=clock)
    await file(loopback, "Alice")
    posted = await chat.next_message(timeout=15)
    await first.until_delivered(lambda: True)
    press = await moderator.press(posted, text="✅ Approve")
    await press.answered(timeout=15)
    await loopback.wait_for(lambda: CATEGORY_PROMPT in current(chat, posted).text, 15)
    menu = current(chat, posted)
    await first.shutdown()

    second: RunningBot = await start_bot(settings, clock=clock)
    await file(loopback, "Bob")
    await second.until_delivered(
        lambda: "Reports: 2 · reporters: 2" in current(chat, posted).text, "the count update"
    )
    redrawn = current(chat, posted)
    assert CATEGORY_PROMPT in redrawn.text
    assert redrawn.button_texts() == menu.button_texts()
    press = await moderator.press(redrawn, text="✓ Illegal drugs")
    await press.answered(timeout=15)
    await loopback.wait_for(lambda: "Approved by @mona_mod" in current(chat, posted).text, 15)
    assert "👇" not in current(chat, posted).text


async def test_a_redraw_that_lands_after_a_menu_opened_elsewhere_is_made_again_with_it(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Settings],
    loopback: LoopbackServer,
) -> None:
    """issue 29, point 1: the leader reads the post's menu (none) and edits it for a new report;
    Telegram holds that edit while the moderator's Approve on the other instance opens the
    menu, then applies it last: the post lost the menu. Recording the leader's redraw notices
    the menu opened meanwhile, and its next pass draws the post again, with the menu."""
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    leader: RunningBot = await start_bot(instance_settings(make_settings, chat.id), clock=clock)
    await start_bot(instance_settings(make_settings, chat.id), clock=clock)  # takes the updates
    await file(loopback, "Alice")
    posted = await chat.next_message(timeout=15)
    await leader.until_delivered(lambda: True)

    held = loopback.faults.inject("editMessageText", kind="hold", chat_id=chat.id, times=1)
    await file(loopback, "Bob")
    delivery = leader.application.bot_data.services.delivery
    assert isinstance(delivery, DeliveryWorker)
    redraw = asyncio.create_task(delivery.run_once())  # reads no menu, then its edit is held
    await loopback.wait_for(
        lambda: any(c.pending for c in loopback.calls("editMessageText")), timeout=15
    )
    edits = loopback.calls("editMessageText")
    held_edit = next(n for n, call in enumerate(edits) if call.pending)
    press = await moderator.press(posted, text="✅ Approve")
    await press.answered(timeout=15)
    await loopback.wait_for(lambda: CATEGORY_PROMPT in current(chat, posted).text, 15)
    held.release()  # the leader's redraw lands last: the main buttons, no prompt
    await redraw
    assert held.hits == 1
    # What Telegram applied last (read from the call itself: the other instance's worker may
    # already be drawing the post again by the time the test could read the chat).
    landed = loopback.calls("editMessageText")[held_edit]
    assert landed.ok
    assert not landed.pending
    assert CATEGORY_PROMPT not in landed.result["text"]

    await leader.until_delivered(
        lambda: CATEGORY_PROMPT in current(chat, posted).text, "the redraw with the menu"
    )
    again = current(chat, posted)
    assert "Reports: 2 · reporters: 2" in again.text
    assert again.button_texts()[0] == "✓ Illegal drugs"
