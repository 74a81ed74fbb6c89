"""The console's API against the real bot on the loopback Bot API: sessions from signed init
data, the access table, the queue, deciding as the buttons do, and what never appears."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from loopback import ChatHandle, LoopbackServer, UserHandle
from tests.conftest import ENGINES, MODERATOR_ID, TEST_TOKEN, RunningBot
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
