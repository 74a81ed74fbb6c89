"""Fixtures for the loopback server's own tests: a server, a PTB Bot on it, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from loopback import BotHandle, LoopbackServer

TOKEN = "123456:TEST_TOKEN_not_real_abcdefghijklmnop"
BOT_USERNAME = "report_test_bot"


class ManualClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opts in to PTB's timedelta periods: with int periods RetryAfter warns, and warnings fail."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[LoopbackServer]:
    async with LoopbackServer(clock=clock) as running:
        yield running


@pytest.fixture
def bot_account(server: LoopbackServer) -> BotHandle:
    return server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Report Bot")


@pytest.fixture
async def bot(server: LoopbackServer, bot_account: BotHandle) -> AsyncIterator[Bot]:
    async with Bot(
        bot_account.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as ptb_bot:
        yield ptb_bot
