"""Severe cases waiting too long: each admin (bootstrap and granted) is told once per breach in
private, the review chat's digest shows the count, and a restart repeats nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from handlers.outbound.delivery_worker import DeliveryWorker
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from tests.conftest import ADMIN_ID, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter
from tests.helpers import FakeClock

NOTICE = "Severe cases are waiting too long"
THRESHOLD = timedelta(minutes=10)


@dataclass
class Desk:
    server: LoopbackServer
    chat: ChatHandle
    admins: list[UserHandle]
    moderator: UserHandle
    clock: FakeClock
    start_bot: Callable[..., Any]
    settings: Any
    bot: RunningBot | None = None

    async def start(self) -> None:
        self.bot = await self.start_bot(self.settings, clock=self.clock)

    async def tick(self, minutes: float = 1) -> None:
        """Moves the bot's clock and runs one pass of the delivery worker."""
        self.clock.advance(timedelta(minutes=minutes))
        assert self.bot is not None
        worker = self.bot.application.bot_data.services.delivery
        assert isinstance(worker, DeliveryWorker)
        await worker.run_once()

    async def report(self, target: str, category: str) -> None:
        reporter = Reporter(
            self.server.add_user(first_name="Rita", language_code="en"), self.server
        )
        receipt = await reporter.say(f"/report {target} {category} cheap stuff")
        assert "received" in receipt.text

    def notices(self, admin: UserHandle) -> list[str]:
        return [m.text for m in admin.messages() if NOTICE in m.text]

    def case(self, number: int) -> SentMessage:
        [case] = [m for m in self.chat.messages() if m.text.startswith(f"🚩 Case #{number} ")]
        return case

    def digest(self) -> str:
        """The review chat's one digest message, as it reads now."""
        [digest] = [m.text for m in self.chat.messages() if "⏰" in m.text]
        return digest

    def digest_or_cleared(self) -> str:
        [digest] = [m for m in self.chat.messages() if "⏰" in (m.edit_history or (m.text,))[0]]
        return digest.text


@pytest.fixture
async def desk(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> Desk:
    ada = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    bea = loopback.add_user(first_name="Bea", language_code="en", user_id=ADMIN_ID + 10)
    gus = loopback.add_user(first_name="Gus", language_code="en")  # an admin by /grant
    moderator = loopback.add_user(first_name="Mona", username="mona_mod", user_id=MODERATOR_ID)
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    settings = make_settings(
        review_chat_id=chat.id,
        admin_ids=frozenset({ada.id, bea.id}),
        sla_severe_pending_minutes=10,
    )
    desk = Desk(loopback, chat, [ada, bea, gus], moderator, FakeClock(), start_bot, settings)
    await desk.start()
    for admin in desk.admins:  # each opened a private chat with the bot
        await admin.send("/start")
        await admin.next_message(timeout=15)
    # An admin role from the bot: proposed by one admin, confirmed by a second.
    await ada.send(f"/grant {gus.id} admin")
    proposed = await ada.next_message(timeout=15)
    assert "proposed" in proposed.text
    await bea.send(f"/grant {gus.id} admin")
    granted = await bea.next_message(timeout=15)
    assert "is now admin" in granted.text
    return desk


async def test_each_admin_is_told_once_however_many_cases_and_checks(desk: Desk) -> None:
    await desk.report("@first_bad_x", "csam")
    await desk.tick(minutes=2)
    for n in range(3):
        await desk.report(f"@more_bad_{n}_x", "terrorism")
    await desk.tick(minutes=8)  # the first case has waited exactly the threshold, not longer
    assert [desk.notices(admin) for admin in desk.admins] == [[], [], []]
    for _ in range(8):  # every case breaches, one after another, over eight checks
        await desk.tick(minutes=1)
    for admin in desk.admins:  # two bootstrap admins and a granted one
        [notice] = desk.notices(admin)
        assert (
            "1 pending case of a severe category has waited longer than 10 min for review: "
            "case #1, waiting since 2026-11-02 09:00 UTC."
        ) in notice
    assert desk.digest().startswith(
        "⏰ 4 severe cases waiting longer than 10 min (the oldest, #1, since 2026-11-02 09:00 UTC)"
    )


async def test_nothing_is_said_while_no_severe_case_waits_longer_than_the_threshold(
    desk: Desk,
) -> None:
    await desk.report("@pills_x", "drugs")
    await desk.tick(minutes=30)  # a long wait, but not a severe category
    await desk.report("@bad_channel_x", "csam")
    for _ in range(10):
        await desk.tick(minutes=1)  # ten minutes: the threshold, not longer
    assert [desk.notices(admin) for admin in desk.admins] == [[], [], []]
    assert not [m for m in desk.chat.messages() if "⏰" in m.text]


async def test_a_restart_does_not_tell_the_admins_again(desk: Desk) -> None:
    await desk.report("@bad_channel_x", "terrorism")
    await desk.tick(minutes=11)
    assert [len(desk.notices(admin)) for admin in desk.admins] == [1, 1, 1]
    assert desk.bot is not None
    await desk.bot.shutdown()
    await desk.start()
    for _ in range(3):
        await desk.tick(minutes=1)
    assert [len(desk.notices(admin)) for admin in desk.admins] == [1, 1, 1]
    assert "1 severe case waiting longer than 10 min" in desk.digest()  # one digest, still


async def test_a_new_breach_after_the_last_one_cleared_is_told_again(desk: Desk) -> None:
    await desk.report("@bad_channel_x", "csam")
    await desk.tick(minutes=11)
    press = await desk.moderator.press(desk.case(1), text="❌ Reject")
    await press.answered(timeout=15)
    await desk.server.wait_for(lambda: "Not a violation" in desk.case(1).button_texts(), 15)
    press = await desk.moderator.press(desk.case(1), text="Not a violation")
    await press.answered(timeout=15)
    await desk.server.wait_for(lambda: "Rejected by @mona_mod" in desk.case(1).text, 15)
    await desk.tick(minutes=1)  # the breach is over: nothing overdue is left
    assert "The backlog is cleared" in desk.digest_or_cleared()
    await desk.report("@other_channel_x", "terrorism")
    await desk.tick(minutes=5)
    assert [len(desk.notices(admin)) for admin in desk.admins] == [1, 1, 1]
    await desk.tick(minutes=6)
    for admin in desk.admins:
        first, second = desk.notices(admin)
        assert "for review: case #1," in first
        assert "for review: case #2," in second
