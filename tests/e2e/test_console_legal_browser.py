"""The legal and admin tabs in a real browser (Debian's Chromium, headless, the page's own
browser helpers from tests/e2e/test_console_browser.py): a legal officer sees a request with
its checklist and votes, and the vote's outcome; an admin sees the figures with their chart
and the roles. No phone or IP reaches the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import expect

from loopback import LoopbackServer
from moderation.legal.lifecycle import register, write_analysis
from moderation.legal.officers import Officer
from moderation.legal.types import OrderDocument, Target, TargetKind
from tests.conftest import ADMIN_ID, LEGAL_OFFICER_ID, RunningBot
from tests.e2e.test_console_browser import DESKTOP, PHONE, Browser, Desk, browser
from tests.e2e.test_console_legal import ANALYSIS, order
from tests.e2e.test_legal import IP_IN, NOW, OFFICER_B, PHONE_IN, PHONE_OUT, confirmed_violator
from tests.helpers import FakeClock
from tests.workers import free_port

pytestmark = pytest.mark.xdist_group("console_legal_browser")

__all__ = ["browser"]  # the page's module-scoped Chromium, one for this module too


@pytest.fixture
async def legal_desk(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
    browser: Browser,
) -> Desk:
    port = free_port()
    settings = make_settings(
        legal_officer_ids=frozenset({LEGAL_OFFICER_ID, OFFICER_B}),
        console_url="https://console.example.org/console/",
        console_listen="127.0.0.1",
        console_port=port,
    )
    clock = FakeClock(NOW)
    bot: RunningBot = await start_bot(settings, clock=clock)
    services = bot.application.bot_data.services
    assert services.cipher is not None
    await confirmed_violator(services.store, "pill_shop", services.cipher)
    registrar = Officer(LEGAL_OFFICER_ID, "Alice", is_legal=True)
    policy = services.settings.legal_policy
    document = OrderDocument("order.pdf", "application/pdf", b"%PDF-1.4 test order, not real")
    request = await register(
        services.store,
        services.cipher,
        policy,
        order("AZ 2/26", Target(TargetKind.PHONE, PHONE_IN)),
        document,
        registrar,
        NOW,
    )
    await write_analysis(
        services.store, services.cipher, policy, request.id, ANALYSIS, registrar, NOW
    )
    # The Desk's chat and moderator are not used by the legal and admin tabs.
    chat = loopback.add_supergroup(title="Review", members=[], bot_admin=True)
    moderator = loopback.add_user(first_name="Mona", language_code="en")
    return Desk(bot, loopback, chat, moderator, clock, port, browser)


async def test_a_legal_officer_votes_and_an_admin_sees_figures_and_roles(
    legal_desk: Desk,
) -> None:
    officer = await legal_desk.open(user_id=OFFICER_B, viewport=PHONE)
    await officer.click("#tab-legal")
    await officer.see("#panel-legal", "Request #1")
    await officer.see("#panel-legal", "a phone number (sealed")
    await officer.see("#panel-legal table caption", "Analysis checklist")
    await officer.click("#panel-legal button.primary")
    await officer.see("#panel-legal [role=status]", "Your approval of request #1 is recorded")
    await officer.see("#panel-legal", "Votes (approvals: 1 of 2)")
    shown = await officer.text("#panel-legal")
    for value in (PHONE_IN, PHONE_OUT, IP_IN):
        assert value not in shown
    assert officer.csp_errors == []
    await legal_desk.close(officer)

    admin = await legal_desk.open(user_id=ADMIN_ID, viewport=DESKTOP)
    await admin.click("#tab-admin")
    await admin.see("#panel-admin", "Team figures")
    chart = admin.page.locator("#panel-admin svg[role=img] title")
    await admin.run(expect(chart).to_contain_text("Reports and decisions per day"))
    await admin.see("#panel-admin", "Roles and grants")
    await admin.see("#panel-admin", "legal officer")
    await admin.run(admin.page.select_option("#admin-window", "all"))
    await admin.see("#panel-admin figcaption", "Reports: 1, decisions: 1")
    assert admin.csp_errors == []
    await legal_desk.close(admin)
