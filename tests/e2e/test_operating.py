"""Operating the bot: /health for admins, Prometheus metrics, a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.settings import Settings
from handlers.runtime.metrics import package_version
from loopback import BotHandle, ChatHandle, LoopbackServer, SentMessage, UserHandle
from storage.location import SqliteLocation
from tests.conftest import ADMIN_ID, ENGINES, MODERATOR_ID, TEST_TOKEN, RunningBot
from tests.e2e.reporting_steps import rows
from tests.helpers import cli_command, cli_env, database_in, free_port

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

REPORT = "/report @example_shop drugs cheap pills"


async def ask(user: UserHandle, text: str, chat: ChatHandle | None = None) -> SentMessage:
    await user.send(text, chat=chat)
    if chat is None:
        return await user.next_message(timeout=15)
    return await chat.next_message(timeout=15)


# --- /health ---------------------------------------------------------------------------------


async def test_admin_sees_uptime_version_database_queue_outbox_and_last_error(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    """issue 28, point 12: /health names the instances by host and process, not by their id
    ("vm:6579:e5e858"), and says "0 messages", not "0 message(s)"."""
    loopback.add_channel(title="Shop", username="example_shop")  # resolves without an error
    alice = loopback.add_user(first_name="Alice")
    assert "received" in (await ask(alice, REPORT)).text
    admin = loopback.add_user(first_name="Ada", user_id=ADMIN_ID)
    health = await ask(admin, "/health")
    assert "Bot health" in health.text
    assert f"Version: {package_version()}" in health.text
    assert "Up for " in health.text
    if isinstance(bot.settings.database, SqliteLocation):
        assert "Database: SQLite, " in health.text
        assert ", WAL " in health.text
    else:
        assert f"Database: PostgreSQL {bot.settings.database.describe()}, " in health.text
    this = bot.application.bot_data.services.presence.id
    process = f"host {socket.gethostname()}, process {os.getpid()}"
    assert this not in health.text
    assert f"Instances: 1; the scheduled work runs on {process}" in health.text
    assert f"• {process} (polling, {package_version()}), up for " in health.text
    assert "← this one" in health.text
    assert "Review queue: 1 pending (0 escalated), 1 not yet posted" in health.text
    assert "Outbox: 0 messages owed to users, not yet sent" in health.text
    assert "Last Telegram error: " in health.text  # its content: the next test


async def test_health_is_refused_to_someone_who_is_not_an_admin(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    moderator = loopback.add_user(first_name="Mona", user_id=MODERATOR_ID)
    refusal = await ask(moderator, "/health")
    assert "/health is for admins" in refusal.text
    assert "Version" not in refusal.text
    denied = rows(bot.settings.database, "SELECT actor_id, action FROM audit_log")
    assert (MODERATOR_ID, "access.denied") in denied


async def test_health_is_refused_to_an_admin_in_a_group_that_is_not_the_review_chat(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    admin = loopback.add_user(first_name="Ada", user_id=ADMIN_ID)
    group = loopback.add_supergroup(title="Elsewhere", members=[admin])
    refusal = await ask(admin, "/health", chat=group)
    assert "/health is for admins" in refusal.text


async def test_a_failed_telegram_call_shows_as_the_last_error_without_secrets(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    bob = loopback.add_user(first_name="Bob")
    loopback.faults.inject(
        "sendMessage",
        kind="error",
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=bob.id,
        times=1,
    )
    await bob.send("/start")
    await loopback.wait_for(
        lambda: any(call.error_code == 403 for call in loopback.calls("sendMessage")), timeout=15
    )
    admin = loopback.add_user(first_name="Ada", user_id=ADMIN_ID)
    health = await ask(admin, "/health")
    assert "Last Telegram error: forbidden on sendMessage at " in health.text
    assert TEST_TOKEN.split(":")[1] not in health.html
    assert "blocked" not in health.text


# --- metrics ---------------------------------------------------------------------------------


@dataclass
class Scraper:
    port: int

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample as {(name, sorted labels): value}, fetched over HTTP."""
        url = f"http://127.0.0.1:{self.port}/metrics"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.status == 200
            text = await response.text()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


@dataclass
class ReviewedBot:
    bot: RunningBot
    chat: ChatHandle
    moderator: UserHandle
    scraper: Scraper


@pytest.fixture
async def reviewed(
    start_bot: Callable[..., Any], make_settings: Callable[..., Settings], loopback: LoopbackServer
) -> ReviewedBot:
    moderator = loopback.add_user(first_name="Mona", username="mona_mod", user_id=MODERATOR_ID)
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    port = free_port()
    settings = make_settings(
        review_chat_id=chat.id, case_edit_debounce_seconds=0, metrics_port=port
    )
    bot: RunningBot = await start_bot(settings)
    return ReviewedBot(bot, chat, moderator, Scraper(port))


async def tap(server: LoopbackServer, chat: ChatHandle, user: UserHandle, label: str) -> None:
    message = chat.messages()[-1]
    press = await user.press(message, text=label)
    await press.answered(timeout=15)

    def changed() -> bool:
        now = next(m for m in chat.messages() if m.message_id == message.message_id)
        return (now.html, now.reply_markup) != (message.html, message.reply_markup)

    await server.wait_for(changed, timeout=15)


async def test_metrics_show_reports_cases_decisions_queue_and_handler_latency(
    reviewed: ReviewedBot, loopback: LoopbackServer, bot_account: BotHandle
) -> None:
    alice = loopback.add_user(first_name="Alice")
    assert "received" in (await ask(alice, REPORT)).text
    await reviewed.chat.next_message(timeout=15)  # the case is posted
    before = await reviewed.scraper.metrics()
    assert before[("reportbot_queue_cases", (("state", "pending"),))] == 1
    await tap(loopback, reviewed.chat, reviewed.moderator, "✅ Approve")
    await tap(loopback, reviewed.chat, reviewed.moderator, "✓ Illegal drugs")

    latency = "reportbot_handler_duration_seconds_count"
    pressed = (latency, (("handler", "review.review_button"),))
    # The press's handler finishes (and is timed) after its edit shows: once its update is
    # released from the journal, the handler has returned and its time is counted.
    last = bot_account.last_update_id
    assert last is not None
    await reviewed.bot.until_handled(last)
    after = await reviewed.scraper.metrics()
    assert after.get(pressed) == 2
    assert after[("reportbot_reports_total", (("category", "drugs"),))] == 1
    assert after[("reportbot_decisions_total", (("decision", "approved"),))] == 1
    assert after[("reportbot_decisions_total", (("decision", "rejected"),))] == 0
    assert after[("reportbot_cases", (("status", "approved"),))] == 1
    assert after[("reportbot_cases", (("status", "pending"),))] == 0
    assert after[("reportbot_queue_cases", (("state", "pending"),))] == 0
    assert after[("reportbot_review_unposted", ())] == 0
    assert after[(latency, (("handler", "report.report_command"),))] == 1
    assert after[pressed] == 2
    assert after[("reportbot_build_info", (("version", package_version()),))] == 1


async def test_metrics_count_telegram_api_errors_by_kind(
    reviewed: ReviewedBot, loopback: LoopbackServer
) -> None:
    bob = loopback.add_user(first_name="Bob")
    loopback.faults.inject("sendMessage", kind="server_error", chat_id=bob.id, times=1)
    await bob.send("/start")
    await bob.next_message(timeout=15)  # the apology after the failed reply
    metrics = await reviewed.scraper.metrics()
    errors = "reportbot_telegram_api_errors_total"
    assert metrics[(errors, (("kind", "server_error"),))] == 1
    assert metrics[(errors, (("kind", "forbidden"),))] == 0


async def test_scrapes_do_not_count_the_same_reports_twice(
    reviewed: ReviewedBot, loopback: LoopbackServer
) -> None:
    for name in ("Alice", "Bob"):
        reporter = loopback.add_user(first_name=name)
        assert "received" in (await ask(reporter, REPORT)).text
    scrapes = await asyncio.gather(*(reviewed.scraper.metrics() for _ in range(3)))
    again = await reviewed.scraper.metrics()
    for metrics in (*scrapes, again):
        assert metrics[("reportbot_reports_total", (("category", "drugs"),))] == 2


# --- graceful SIGTERM ------------------------------------------------------------------------


def bot_env(loopback: LoopbackServer, tmp_path: Path) -> dict[str, str]:
    return cli_env(
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=loopback.base_url,
        DATABASE_PATH=str(database_in(tmp_path)),
        LOG_FORMAT="json",
        POLL_TIMEOUT_SECONDS="5",
    )


@pytest.fixture
async def start_process(
    loopback: LoopbackServer, tmp_path: Path
) -> AsyncIterator[Callable[[], Any]]:
    env = bot_env(loopback, tmp_path)  # the same keys for every start
    started: list[asyncio.subprocess.Process] = []

    async def start() -> asyncio.subprocess.Process:
        polls = len(loopback.calls("getUpdates"))
        process = await asyncio.create_subprocess_exec(
            *cli_command("run"),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        started.append(process)
        await loopback.wait_for(lambda: len(loopback.calls("getUpdates")) > polls, timeout=30)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.communicate()


async def test_sigterm_with_a_report_in_flight_loses_nothing(
    start_process: Callable[[], Any], loopback: LoopbackServer, tmp_path: Path
) -> None:
    first: asyncio.subprocess.Process = await start_process()
    alice = loopback.add_user(first_name="Alice")
    # The receipt is held in Telegram: SIGTERM arrives while the handler waits for it.
    held = loopback.faults.inject("sendMessage", kind="hold", chat_id=alice.id, times=1)
    await alice.send(REPORT)
    await loopback.wait_for(
        lambda: any(
            call.pending and call.params.get("chat_id") == str(alice.id)
            for call in loopback.calls("sendMessage")
        ),
        timeout=15,
    )
    polls = len(loopback.calls("getUpdates"))
    first.send_signal(signal.SIGTERM)
    # The stop has begun (polling ends with one last getUpdates that does not wait) while
    # the handler still waits: now Telegram answers it, and the stop must let it finish.
    await loopback.wait_for(
        lambda: any(c.params.get("timeout") == "0" for c in loopback.calls("getUpdates")[polls:]),
        timeout=15,
    )
    held.release()
    _, err = await asyncio.wait_for(first.communicate(), timeout=30)
    log = err.decode()
    assert first.returncode == 0, log
    for event in ("shutdown_requested", "delivery_stopped", "database_closed", "bot_stopped"):
        assert f'"event": "{event}"' in log
    assert [m.text for m in alice.messages() if "received" in m.text] != []

    second: asyncio.subprocess.Process = await start_process()
    await alice.send("/myreports")  # any redelivered report would be handled before this
    await alice.wait_until(lambda: len(alice.messages()) >= 2, timeout=15)
    second.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(second.communicate(), timeout=30)
    assert second.returncode == 0, err.decode()
    receipts = [m for m in alice.messages() if "received" in m.text]
    assert len(receipts) == 1
    database = database_in(tmp_path)
    assert rows(database, "SELECT count(*) FROM reports") == [(1,)]
