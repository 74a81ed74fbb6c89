"""The console's API against the real bot on the loopback Bot API: sessions from signed init
data, the access table, the queue, deciding as the buttons do, and what never appears."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.console_server import ConsoleSetupError
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from tests.conftest import ADMIN_ID, ENGINES, MODERATOR_ID, TEST_TOKEN, RunningBot
from tests.console import ConsoleClient, signed_init_data, telegram_user
from tests.e2e.reporting_steps import Reporter, rows
from tests.helpers import FakeClock, free_port

pytestmark = pytest.mark.engines(*ENGINES)


@dataclass
class Console:
    bot: RunningBot
    chat: ChatHandle
    moderator: UserHandle
    clock: FakeClock
    server: LoopbackServer
    base_url: str

    def init_data(self, user_id: int, language: str = "en", **extra: str) -> str:
        return signed_init_data(
            TEST_TOKEN,
            telegram_user(user_id, language_code=language),
            auth_date=int(self.clock.now().timestamp()),
            extra=extra or None,
        )

    def current(self, message: SentMessage) -> SentMessage:
        """The group post as it stands now (edits included)."""
        return next(m for m in self.chat.messages() if m.message_id == message.message_id)

    def client(self) -> ConsoleClient:
        return ConsoleClient(self.base_url)

    def audit(self, action: str) -> list[tuple[Any, ...]]:
        return rows(
            self.bot.settings.database,
            "SELECT actor_id, details FROM audit_log WHERE action = ? ORDER BY id",
            action,
        )


@pytest.fixture
async def console(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> Console:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    port = free_port()
    settings = make_settings(
        review_chat_id=chat.id,
        case_edit_debounce_seconds=0,
        console_url=f"http://127.0.0.1:{port}/console/",
        console_port=port,
    )
    bot: RunningBot = await start_bot(settings, clock=clock)
    return Console(bot, chat, moderator, clock, loopback, f"http://127.0.0.1:{port}")


async def file(server: LoopbackServer, name: str, target: str = "@example_shop") -> Reporter:
    reporter = Reporter(server.add_user(first_name=name, language_code="en"), server)
    receipt = await reporter.say(f"/report {target} drugs cheap pills")
    assert "received" in receipt.text
    return reporter


async def test_a_moderator_opens_a_session_and_the_page_is_served(console: Console) -> None:
    async with console.client() as client:
        page = await client.get("/console/")
        assert page.status == 200
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self' https://telegram.org" in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        opened = await client.open_session(console.init_data(MODERATOR_ID, "ru"))
        assert opened.status == 200, opened
        assert opened.body["user"] == {"id": MODERATOR_ID, "name": "@user900002", "language": "ru"}
        assert opened.body["roles"] == ["moderator"]
        assert opened.body["may"] == {
            "review": True,
            "escalated": False,
            "legal": False,
            "admin": False,
        }
        assert opened.headers["Cache-Control"] == "no-store"
        missing = await client.get("/console/api/cases/999")
        assert missing.status == 404
        assert missing.body["error"] == "not_found"
        assert missing.body["message"] == "Такого дела нет. Обновите очередь."
    stored = rows(console.bot.settings.database, "SELECT token_hash FROM console_sessions")
    assert len(stored) == 1
    assert stored[0][0] != client.token


async def test_forged_expired_replayed_and_non_staff_init_data_open_no_session(
    console: Console,
) -> None:
    good = console.init_data(MODERATOR_ID)
    forged = good.replace("%22id%22%3A900002", "%22id%22%3A900001")  # the admin's id
    old = signed_init_data(
        TEST_TOKEN,
        telegram_user(MODERATOR_ID),
        auth_date=int((console.clock.now() - timedelta(hours=2)).timestamp()),
    )
    async with console.client() as client:
        for raw, code in ((forged, "init_data_invalid"), (old, "init_data_expired")):
            refused = await client.open_session(raw)
            assert (refused.status, refused.body["error"]) == (401, code)
            assert "open it again from the bot" in refused.body["message"]
        assert (await client.open_session(good)).status == 200
        again = await client.open_session(good)
        assert (again.status, again.body["error"]) == (401, "init_data_replayed")
        stranger = await client.open_session(console.init_data(4_000_001, "ru"))
        assert (stranger.status, stranger.body["error"]) == (403, "not_staff")
        assert stranger.body["message"].startswith("Консоль — для модераторов")
        unknown = await client.post("/console/api/session", {"init_data": good, "x": 1})
        assert (unknown.status, unknown.body["error"]) == (400, "bad_request")
    # An administrator of the review chat without a role is let in (asked of Telegram by id).
    chat_admin = console.server.add_user(first_name="Cleo", user_id=4_000_002)
    console.chat.add_member(chat_admin, admin=True)
    async with console.client() as client:
        admitted = await client.open_session(console.init_data(4_000_002))
        assert (admitted.status, admitted.body["roles"]) == (200, ["chat_admin"])
        assert admitted.body["may"]["review"] is True
    whys = [
        (actor, json.loads(details)["why"]) for actor, details in console.audit("console.refused")
    ]
    assert whys == [
        (None, "init_data_invalid"),
        (None, "init_data_expired"),
        (MODERATOR_ID, "init_data_replayed"),
        (4_000_001, "not_staff"),
    ]


async def test_a_session_ends_and_a_call_without_one_is_refused(console: Console) -> None:
    async with console.client() as client:
        nobody = await client.get("/console/api/queue")
        assert (nobody.status, nobody.body["error"]) == (401, "no_session")
        assert (await client.open_session(console.init_data(MODERATOR_ID))).status == 200
        assert (await client.get("/console/api/queue")).status == 200
        console.clock.advance(timedelta(minutes=31))
        ended = await client.get("/console/api/queue")
        assert (ended.status, ended.body["error"]) == (401, "session_expired")
        assert "session has ended" in ended.body["message"]


async def test_a_moderator_decides_from_the_queue_and_the_group_post_and_reporter_follow(
    console: Console,
) -> None:
    alice = await file(console.server, "Alice")
    posted = await console.chat.next_message(timeout=15)
    bob = Reporter(console.server.add_user(first_name="Bob", language_code="en"), console.server)
    receipt = await bob.say(
        "/report @example_shop drugs call me +7 999 123-45-67, from 10.20.30.40"
    )
    assert "received" in receipt.text
    async with console.client() as client:
        assert (await client.open_session(console.init_data(MODERATOR_ID))).status == 200
        listed = await client.get("/console/api/queue?state=pending&kind=channel&limit=10")
        assert listed.status == 200, listed
        assert listed.body["summary"]["count"] == 0  # @example_shop is not known as a channel
        listed = await client.get("/console/api/queue")
        summary = listed.body["summary"]
        assert (summary["count"], summary["inbound_per_hour"], summary["decided_per_hour"]) == (
            1,
            2,
            0,
        )
        (case,) = listed.body["cases"]
        assert case["target"]["key"] == "@example_shop"
        assert (case["reporters"], case["escalated"], case["claimed_by"]) == (2, False, None)
        opened = await client.get(f"/console/api/cases/{case['id']}")
        reports = opened.body["case"]["reports"]
        # what each reporter wrote, masked; never who wrote it
        assert [r["query"] for r in reports] == ["cheap pills", "call me [phone], from [ip]"]
        decided = await client.post(
            f"/console/api/cases/{case['id']}/decide",
            {"decision": "approve", "category": "weapons"},
        )
        assert decided.body["outcome"] == "decided", decided
        assert decided.body["case"]["decided"]["by"] == "@user900002"
        assert decided.body["case"]["undo_until"] is not None
        for answer in (listed, opened, decided):
            text = json.dumps(answer.body, ensure_ascii=False)
            for secret in ("999", "10.20.30.40", "Alice", "Bob", str(alice.user.id)):
                assert secret not in text
        after = await client.get("/console/api/queue")
        assert after.body["summary"]["count"] == 0
        assert after.body["summary"]["decided_per_hour"] == 1
    await console.bot.until_delivered(
        lambda: "Approved by @user900002" in console.current(posted).text,
        "the group post shows the console's decision",
    )
    console.clock.advance(timedelta(minutes=6))
    await console.bot.until_delivered(
        lambda: any("confirmed a violation (Weapons)" in m.text for m in alice.user.messages()),
        "Alice hears the outcome",
    )
    assert [actor for actor, _ in console.audit("case.approved")] == [MODERATOR_ID]


async def test_a_console_decision_racing_a_group_press_makes_one_decision(
    console: Console,
) -> None:
    await file(console.server, "Alice")
    posted = await console.chat.next_message(timeout=15)
    await console.bot.until_delivered(lambda: True)
    menu_press = await console.moderator.press(posted, text="✅ Approve")
    await menu_press.answered(timeout=15)
    await console.server.wait_for(
        lambda: "Weapons" in console.current(posted).button_texts(), timeout=15
    )
    menu = console.current(posted)
    async with console.client() as client:
        assert (await client.open_session(console.init_data(ADMIN_ID))).status == 200
        press = await console.moderator.press(menu, text="Weapons")
        from_console, answer = await asyncio.gather(
            client.post(
                "/console/api/cases/1/decide",
                {"decision": "reject", "reason": "other", "note": "no evidence"},
            ),
            press.answered(timeout=15),
        )
    decisions = rows(
        console.bot.settings.database,
        "SELECT action FROM audit_log WHERE action IN ('case.approved', 'case.rejected')",
    )
    assert len(decisions) == 1
    if decisions == [("case.approved",)]:
        assert from_console.body["outcome"] == "already_decided"
        assert from_console.body["message"].startswith("Already approved by @mona_mod at ")
    else:
        assert from_console.body["outcome"] == "decided"
        assert answer.text is not None
        assert answer.text.startswith("Already rejected by @user900001 at ")


async def test_escalated_cases_are_for_admins_and_a_reporter_gets_nothing(
    console: Console,
) -> None:
    await file(console.server, "Alice")
    async with console.client() as moderator, console.client() as admin:
        assert (await moderator.open_session(console.init_data(MODERATOR_ID))).status == 200
        assert (await admin.open_session(console.init_data(ADMIN_ID))).status == 200
        escalated = await moderator.post(
            "/console/api/cases/1/decide", {"decision": "escalate", "note": "legal view"}
        )
        assert escalated.body["outcome"] == "escalated", escalated
        for refused in (
            await moderator.get("/console/api/cases/1"),
            await moderator.get("/console/api/queue?state=escalated"),
            await moderator.post(
                "/console/api/cases/1/decide", {"decision": "reject", "reason": "duplicate"}
            ),
        ):
            assert (refused.status, refused.body["error"]) == (403, "forbidden")
        assert (await moderator.get("/console/api/queue")).body["cases"] == []
        assert (await moderator.post("/console/api/next", {})).body["case"] is None
        shown = await admin.get("/console/api/queue?state=escalated")
        assert [case["id"] for case in shown.body["cases"]] == [1]
        served = await admin.post("/console/api/next", {"state": "escalated"})
        assert served.body["case"]["id"] == 1
        assert served.body["case"]["escalation"]["note"] == "legal view"
        listed = await admin.get("/console/api/queue")
        assert listed.body["cases"][0]["claimed_by"] == "@user900001"
        bad = await admin.post(
            "/console/api/bulk", {"case_ids": [1], "decision": "approve", "category": "drugs"}
        )
        assert (bad.status, bad.body["error"]) == (400, "bad_request")  # no confirmation
        bulk = await admin.post(
            "/console/api/bulk",
            {"case_ids": [1, 77], "decision": "approve", "category": "drugs", "confirm": True},
        )
        assert [(r["case_id"], r["outcome"]) for r in bulk.body["results"]] == [
            (1, "decided"),
            (77, "unknown"),
        ]
        noted = await admin.post("/console/api/cases/1/notes", {"text": "ring +44 20 7946 0958"})
        assert noted.body["outcome"] == "added"
        assert noted.body["case"]["notes"][-1]["text"] == "ring [phone]"
        empty = await admin.post("/console/api/cases/1/notes", {"text": "  "})
        assert (empty.status, empty.body["error"]) == (400, "bad_request")
        undone = await admin.post("/console/api/cases/1/undo", {})
        assert (undone.body["outcome"], undone.body["case"]["status"]) == ("undone", "escalated")
        again = await admin.post("/console/api/cases/1/undo", {})
        assert again.body == {
            "outcome": "refused",
            "message": "This case is not decided.",
            "case": again.body["case"],
        }
        trail = [line["action"] for line in again.body["case"]["audit"]]
        assert trail == [
            "case.escalated",
            "review.claimed",
            "case.approved",
            "case.note_added",
            "case.undone",
        ]
    refusals = [json.loads(details) for _, details in console.audit("console.refused")]
    assert [(r["endpoint"], r["why"]) for r in refusals] == [("queue.escalated", "role")] * 3


async def test_a_console_port_in_use_stops_start_up_with_one_line_naming_it(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = make_settings(console_url="https://bot.example.org/console/", console_port=port)
        with pytest.raises(ConsoleSetupError) as stopped:
            await start_bot(settings)
    assert str(stopped.value).startswith(f"CONSOLE_PORT: cannot listen on 127.0.0.1:{port}")
    assert "\n" not in str(stopped.value)
