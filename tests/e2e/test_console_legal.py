"""The console's legal and admin panels over real HTTP against the real bot: legal officers list
their requests (no phone or IP anywhere in the answer, though the subject has both in the
registry), vote with the same sealed votes and four-eyes refusals as in chat, and see the
disclosure's status; a second account an admin granted the legal role is refused in its
cool-off; a moderator is refused the legal list and the figures (audited); admins get the
figures, their chart series and the roles. Both engines."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest

from loopback import LoopbackServer
from moderation.legal.lifecycle import register, write_analysis
from moderation.legal.officers import Officer
from moderation.legal.types import OrderDocument, OrderType, RequestForm, Target, TargetKind
from tests.conftest import ADMIN_ID, ENGINES, LEGAL_OFFICER_ID, MODERATOR_ID, TEST_TOKEN, RunningBot
from tests.console import ConsoleClient, signed_init_data, telegram_user
from tests.e2e.test_legal import (
    IP_IN,
    NOW,
    OFFICER_B,
    OFFICER_C,
    PHONE_IN,
    PHONE_OUT,
    SECOND_ADMIN,
    SOCK,
    confirmed_violator,
    say,
)
from tests.helpers import FakeClock, free_port

pytestmark = pytest.mark.engines(*ENGINES)

PERSONAL = (PHONE_IN, PHONE_OUT, IP_IN, PHONE_IN.lstrip("+"))
ANALYSIS = "Valid German court order about drug sales through the channel, within the period."


def order(reference: str, target: Target) -> RequestForm:
    return RequestForm(
        authority="Amtsgericht Berlin",
        country="DE",
        reference=reference,
        order_type=OrderType.COURT_ORDER,
        issued_on=datetime(2026, 10, 1, tzinfo=UTC).date(),
        offence="drug_trafficking",
        target=target,
        period_start=datetime(2026, 7, 1, tzinfo=UTC).date(),
        period_end=datetime(2026, 7, 31, tzinfo=UTC).date(),
    )


@pytest.fixture
async def console_bot(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any]
) -> RunningBot:
    port = free_port()
    settings = make_settings(
        legal_officer_ids=frozenset({LEGAL_OFFICER_ID, OFFICER_B, OFFICER_C}),
        admin_ids=frozenset({ADMIN_ID, SECOND_ADMIN}),
        console_url=f"http://127.0.0.1:{port}/console/",
        console_port=port,
    )
    bot: RunningBot = await start_bot(settings, clock=FakeClock(NOW))
    services = bot.application.bot_data.services
    assert services.cipher is not None
    await confirmed_violator(services.store, "pill_shop", services.cipher)
    registrar = Officer(LEGAL_OFFICER_ID, "Alice", is_legal=True)
    policy = services.settings.legal_policy
    document = OrderDocument("order.pdf", "application/pdf", b"%PDF-1.4 test order, not real")
    for reference, target in (
        ("AZ 1/26", Target(TargetKind.USERNAME, "pill_shop")),
        ("AZ 2/26", Target(TargetKind.PHONE, PHONE_IN)),
    ):
        request = await register(
            services.store,
            services.cipher,
            policy,
            order(reference, target),
            document,
            registrar,
            NOW,
        )
        await write_analysis(
            services.store, services.cipher, policy, request.id, ANALYSIS, registrar, NOW
        )
    return bot


@pytest.fixture
async def clients() -> AsyncIterator[AsyncExitStack]:
    """Where the test's console clients are closed."""
    async with AsyncExitStack() as stack:
        yield stack


def base_url(bot: RunningBot) -> str:
    return f"http://127.0.0.1:{bot.settings.console_port}"


async def signed_in(
    stack: AsyncExitStack, bot: RunningBot, user_id: int, language: str = "en"
) -> ConsoleClient:
    """A console client with a session opened from init data signed for `user_id`."""
    opened = await stack.enter_async_context(ConsoleClient(base_url(bot)))
    auth_date = int(bot.application.bot_data.services.clock.now().timestamp())
    user = telegram_user(user_id, language_code=language)
    answer = await opened.open_session(signed_init_data(TEST_TOKEN, user, auth_date=auth_date))
    assert answer.status == 200, answer
    return opened


def shows_no_personal_data(body: Any) -> bool:
    text = json.dumps(body, ensure_ascii=False)
    return not any(value in text for value in PERSONAL)


async def test_officers_list_vote_with_four_eyes_and_see_the_disclosure_status(
    console_bot: RunningBot, loopback: LoopbackServer, clients: AsyncExitStack
) -> None:
    alice, bob = (
        await signed_in(clients, console_bot, LEGAL_OFFICER_ID),
        await signed_in(clients, console_bot, OFFICER_B),
    )
    carol = await signed_in(clients, console_bot, OFFICER_C, "ru")
    listed = await alice.get("/console/api/legal")
    assert listed.status == 200, listed
    assert [r["id"] for r in listed.body["requests"]] == [1, 2]
    assert shows_no_personal_data(listed.body)
    first, second = listed.body["requests"]
    assert second["target"].startswith("a phone number (sealed")
    assert first["status"] == "under_analysis"
    assert all(check["ok"] for check in first["checklist"])
    assert first["disclosure"] is None

    own = await alice.post("/console/api/legal/1/vote", {"vote": "approve"})
    assert own.body["outcome"] == "refused"
    assert "you registered this request" in own.body["message"]
    recorded = await bob.post("/console/api/legal/1/vote", {"vote": "approve"})
    assert recorded.body["outcome"] == "recorded"
    assert "(1/2)" in recorded.body["message"]
    again = await bob.post("/console/api/legal/1/vote", {"vote": "approve"})
    assert again.body["outcome"] == "refused"
    assert "already decided" in again.body["message"]
    done = await carol.post("/console/api/legal/1/vote", {"vote": "approve"})
    assert done.body["outcome"] == "approved"
    assert "/legal disclose 1" in done.body["message"]
    assert done.body["message"].startswith("Запрос #1 одобрен")
    assert shows_no_personal_data(done.body)

    after = (await bob.get("/console/api/legal")).body["requests"][0]
    assert after["status"] == "approved"
    assert after["disclosure"] == {"status": "due", "at": None}
    assert [(v["by"], v["vote"]) for v in after["approvals"]] == [
        (str(OFFICER_B), "approve"),
        (str(OFFICER_C), "approve"),
    ]
    async with console_bot.application.bot_data.services.store.reading() as uow:
        stored = await uow.legal.request(1)
    assert stored is not None
    assert all(vote.seal is not None and vote.seal_key_id for vote in stored.votes)
    bad = await bob.post("/console/api/legal/2/vote", {"vote": "reject", "why": "x"})
    assert bad.status == 400
    assert bad.body["error"] == "bad_request"
    short = await bob.post("/console/api/legal/2/vote", {"vote": "reject", "reason": "no"})
    assert short.body["outcome"] == "refused"
    assert "in at least 10 characters" in short.body["message"]
    rejected = await bob.post(
        "/console/api/legal/2/vote", {"vote": "reject", "reason": "The order names no offence."}
    )
    assert rejected.body["outcome"] == "rejected"
    assert [r["id"] for r in (await bob.get("/console/api/legal")).body["requests"]] == [1]

    # The disclosure goes through its existing path only: the officer's private chat.
    officer_chat = loopback.add_user(first_name="Carol", language_code="en", user_id=OFFICER_C)
    disclosed = await say(officer_chat, "/legal disclose 1")
    assert "disclosed: 1 phone number, 1 IP address" in disclosed.text
    status = (await alice.get("/console/api/legal")).body["requests"][0]["disclosure"]
    assert status["status"] == "disclosed"
    assert status["at"] is not None
    refusals = await audit_rows(console_bot, "legal.refused")
    assert [(actor, details["step"]) for actor, details in refusals] == [
        (LEGAL_OFFICER_ID, "approve"),
        (OFFICER_B, "approve"),
        (OFFICER_B, "reject"),
    ]


async def audit_rows(bot: RunningBot, action: str) -> list[tuple[int | None, dict[str, Any]]]:
    """(actor, details) of the audit rows of `action`, oldest first."""
    async with bot.application.bot_data.services.store.reading() as uow:
        entries = await uow.audit.recent(1000)
    return [
        (e.actor_id, e.details) for e in sorted(entries, key=lambda e: e.id) if e.action == action
    ]


async def test_a_second_account_an_admin_made_legal_is_refused_and_the_roles_show_it(
    console_bot: RunningBot, loopback: LoopbackServer, clients: AsyncExitStack
) -> None:
    ada = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    abe = loopback.add_user(first_name="Abe", language_code="en", user_id=SECOND_ADMIN)
    await say(ada, f"/grant {SOCK} legal")
    assert "is now legal officer" in (await say(abe, f"/grant {SOCK} legal")).text
    sock = await signed_in(clients, console_bot, SOCK)
    early = await sock.post("/console/api/legal/1/vote", {"vote": "approve"})
    assert early.body["outcome"] == "refused"
    assert "you may approve from 2026-11-21 12:00 UTC" in early.body["message"]

    admin = await signed_in(clients, console_bot, ADMIN_ID)
    read = await admin.get("/console/api/legal")
    assert read.status == 200
    assert read.body["may_vote"] is False
    assert shows_no_personal_data(read.body)
    voted = await admin.post("/console/api/legal/1/vote", {"vote": "approve"})
    assert voted.status == 403
    roles = (await admin.get("/console/api/roles")).body["roles"]
    granted = [r for r in roles if r["user"]["id"] == SOCK]
    assert [(r["role"], r["source"], r["confirmed_by"]["id"]) for r in granted] == [
        ("legal", "granted", SECOND_ADMIN)
    ]
    stats = await admin.get("/console/api/stats?window=30d")
    assert stats.status == 200
    assert stats.body["window"] == "30d"
    series = stats.body["series"]
    assert len(series["days"]) == len(series["reports"]) == len(series["decisions"]) == 31
    assert stats.body["legal"]["open_now"] == 2
    bad = await admin.get("/console/api/stats?window=24x")
    assert bad.status == 400

    moderator = await signed_in(clients, console_bot, MODERATOR_ID)
    for path in ("/console/api/legal", "/console/api/stats", "/console/api/roles"):
        refused = await moderator.get(path)
        assert refused.status == 403, path
        assert refused.body["error"] == "forbidden"
    refused_rows = await audit_rows(console_bot, "console.refused")
    assert [(actor, details["endpoint"]) for actor, details in refused_rows] == [
        (ADMIN_ID, "legal.vote"),
        (MODERATOR_ID, "legal"),
        (MODERATOR_ID, "stats"),
        (MODERATOR_ID, "roles"),
    ]
