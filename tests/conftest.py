"""Shared fixtures: the loopback Bot API server and the real bot Application running against it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.logging_setup import configure_logging
from bot.runner import serve
from bot.settings import LogFormat, LogLevel, Settings, load_settings
from handlers.runtime.context import BotApplication
from handlers.runtime.log_pseudonym import log_key_from
from loopback import BotHandle, LoopbackServer
from moderation.clock import Clock
from storage.crypto import new_key_text, new_secret_text
from storage.location import Location, SqliteLocation, parse_location
from tests.postgres import PostgresCluster, start_cluster

# Fake credentials for the loopback server only; the shape matches a real token.
TEST_TOKEN = "123456789:TEST-loopback-token-not-a-secret-0000"
TEST_BOT_USERNAME = "report_test_bot"
ADMIN_ID = 900001
MODERATOR_ID = 900002
LEGAL_OFFICER_ID = 900003


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL for the whole session (tests/postgres.py); started on first use. Its
    files live outside pytest's temporary folders, which a later pytest session on the same
    machine prunes (three are kept) while this one may still be running."""
    base = Path(tempfile.mkdtemp(prefix="report-bot-tests-pg-"))
    try:
        cluster = start_cluster(base)
        yield cluster
        cluster.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
async def postgres_dsn(postgres_cluster: PostgresCluster) -> AsyncIterator[str]:
    """A fresh, empty database of its own for each test."""
    dsn = await postgres_cluster.create_database()
    yield dsn
    await postgres_cluster.drop_database(dsn)


#: The engines a storage test runs on (every test under tests/storage/ that asks for `engine`
#: or `store_location`); elsewhere a test module opts in with
#: `pytestmark = pytest.mark.engines(*ENGINES)`. `@pytest.mark.engines("sqlite")` keeps a
#: storage test that reaches under the store to SQLite.
ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "engines(*names): the database engines a test runs on (storage tests: both; "
        "others: SQLite unless marked)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("engines")
    if marker is not None:
        engines = tuple(marker.args)
    elif Path(str(metafunc.definition.path)).parent.name == "storage":
        engines = ENGINES
    else:
        return  # the `engine` fixture's default: SQLite
    unknown = set(engines) - set(ENGINES)
    if unknown or not engines:
        raise pytest.UsageError(f"engines {sorted(unknown) or '()'}: choose from {ENGINES}")
    metafunc.parametrize("engine", engines)


@pytest.fixture
def engine() -> str:
    """SQLite, unless the test is parametrised over the engines (`pytest_generate_tests`)."""
    return "sqlite"


@pytest.fixture
async def store_location(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Location]:
    """Where a test's database lives: a new SQLite file, or a new PostgreSQL database."""
    if engine == "sqlite":
        yield SqliteLocation(tmp_path / "data" / "db.sqlite3")
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    dsn = await cluster.create_database()
    yield parse_location(dsn)
    await cluster.drop_database(dsn)


@pytest.fixture
async def loopback() -> AsyncIterator[LoopbackServer]:
    async with LoopbackServer() as server:
        server.add_bot(token=TEST_TOKEN, username=TEST_BOT_USERNAME, first_name="Report Bot")
        yield server


@pytest.fixture
def bot_account(loopback: LoopbackServer) -> BotHandle:
    """The test bot's account on the loopback server (pending updates, redelivery)."""
    return BotHandle(loopback.world, loopback.world.default_bot())


@pytest.fixture
def make_settings(
    tmp_path: Path,
    loopback: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    store_location: Location,
) -> Callable[..., Settings]:
    """Settings for a bot talking to the loopback server, from a clean environment."""
    monkeypatch.chdir(tmp_path)  # no developer .env can leak in

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": TEST_TOKEN,
            "telegram_api_base_url": loopback.base_url,
            **_database_settings(store_location, tmp_path),
            "admin_ids": frozenset({ADMIN_ID}),
            "moderator_ids": frozenset({MODERATOR_ID}),
            "legal_officer_ids": frozenset({LEGAL_OFFICER_ID}),
            "poll_timeout_seconds": 10,
            # Telegram's one-message-a-second per chat is real time; tests move a fake clock
            # and the loopback only enforces flood limits when asked (the benchmarks do).
            "review_message_gap_seconds": 0,
            # Fresh random keys per test: nothing real-looking is committed.
            "encryption_key": new_key_text("test"),
            "blind_index_key": new_secret_text(),
            "ledger_key": new_key_text("ledger"),
        }
        values.update(overrides)
        return load_settings(**values)

    return make


def _database_settings(location: Location, tmp_path: Path) -> dict[str, Any]:
    if isinstance(location, SqliteLocation):
        return {"database_path": tmp_path / "data" / "bot.sqlite3"}
    # DATABASE_URL as an operator sets it; the ledger's checkpoint stays in the test's folder.
    return {
        "database_url": location.dsn,
        "ledger_anchor_dir": tmp_path / "data" / "ledger-anchors",
    }


@dataclass
class RunningBot:
    application: BotApplication
    settings: Settings
    server: LoopbackServer
    log: io.StringIO
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, timeout=30)

    def log_text(self) -> str:
        return self.log.getvalue()


@pytest.fixture
async def start_bot(
    loopback: LoopbackServer, make_settings: Callable[..., Settings]
) -> AsyncIterator[Callable[..., Any]]:
    """Starts the real Application (same `serve` as production) and stops it after the test."""
    running: list[RunningBot] = []

    async def start(
        settings: Settings | None = None,
        *,
        log_level: LogLevel = LogLevel.INFO,
        clock: Clock | None = None,
    ) -> RunningBot:
        the_settings = settings or make_settings()
        log = io.StringIO()
        configure_logging(
            level=log_level,
            log_format=LogFormat.JSON,
            secrets=[TEST_TOKEN],
            stream=log,
            pseudonym_key=log_key_from(the_settings),
            unsafe_debug=the_settings.log_unsafe_debug,
        )
        application = build_application(the_settings, clock=clock)
        stop, started = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(application, the_settings, stop, started))
        bot = RunningBot(application, the_settings, loopback, log, stop, task)
        running.append(bot)
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({task, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()  # surfaces the start-up error
            raise RuntimeError("the bot stopped during start-up")
        if not started.is_set():
            raise TimeoutError("the bot did not start within 30 s")
        return bot

    yield start
    for bot in running:
        if not bot.task.done():
            await bot.shutdown()
        else:
            with contextlib.suppress(Exception):
                bot.task.result()


@pytest.fixture
async def bot(start_bot: Callable[..., Any]) -> RunningBot:
    running: RunningBot = await start_bot()
    return running
