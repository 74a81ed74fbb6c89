"""Shared fixtures: the loopback Bot API server and the real bot Application running against it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.logging_setup import configure_logging
from bot.runner import serve
from bot.settings import LogFormat, LogLevel, Settings, load_settings
from handlers.outbound.delivery_worker import DeliveryWorker
from handlers.runtime.context import BotApplication
from handlers.runtime.log_pseudonym import log_key_from
from loopback import BotHandle, LoopbackServer
from moderation.clock import Clock
from storage.crypto import new_key_text, new_secret_text
from storage.location import Location, SqliteLocation, parse_location
from tests.engines import rows
from tests.postgres import PostgresCluster, start_cluster
from tests.templates import copy_sqlite_template, make_sqlite_template
from tests.workers import worker_name

# Fake credentials for the loopback server only; the shape matches a real token.
TEST_TOKEN = "123456789:TEST-loopback-token-not-a-secret-0000"
TEST_BOT_USERNAME = "report_test_bot"
ADMIN_ID = 900001
MODERATOR_ID = 900002
LEGAL_OFFICER_ID = 900003


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL for the whole session of this test process (tests/postgres.py); started
    on first use. Its files live outside pytest's temporary folders, which a later pytest
    session on the same machine prunes (three are kept) while this one may still be running."""
    base = Path(tempfile.mkdtemp(prefix=f"report-bot-tests-pg-{worker_name()}-"))
    try:
        cluster = start_cluster(base)
        yield cluster
        with ThreadPoolExecutor(max_workers=1) as closing:  # no event loop runs at session end
            closing.submit(asyncio.run, cluster.close()).result()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This test process's migrated SQLite file, copied for each test (tests/templates.py)."""
    return make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


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


#: Test processes per core when pytest-xdist's `-n auto` (pyproject.toml) picks the number:
#: most of a test's time is spent waiting on the loopback server, a subprocess or PostgreSQL,
#: not on the CPU, so three per core keep the cores busy (docs/TESTING.md has the figures).
WORKERS_PER_CORE = 3
MAX_WORKERS = 8


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: PYTEST_XDIST_AUTO_NUM_WORKERS when set, else three per usable core."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if chosen and chosen.isdigit():
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, WORKERS_PER_CORE * (cores or 1)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (several seconds each) run first: handed out last, one of them
    would keep its worker busy after the others ran out of work."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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


@pytest.fixture(autouse=True)
def own_state_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """XDG_STATE_HOME in a temporary folder of the test's own (and kept by `cli_env` for the
    processes it starts): the ledger's default checkpoint folder is under it, so no test
    writes into the real home folder, nor finds another test's checkpoints there."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder


@pytest.fixture
def engine() -> str:
    """SQLite, unless the test is parametrised over the engines (`pytest_generate_tests`)."""
    return "sqlite"


@contextlib.asynccontextmanager
async def _own_location(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest, *, migrated: bool
) -> AsyncIterator[Location]:
    """A test's own database on `engine`: a copy of this process's migrated template, or
    empty (no file yet, a new database); a PostgreSQL one is dropped afterwards. A migrated
    PostgreSQL one is reached as the bot's own role, an empty one as its owner."""
    if engine == "sqlite":
        path = tmp_path / "data" / "db.sqlite3"
        if migrated:
            copy_sqlite_template(request.getfixturevalue("migrated_sqlite"), path)
        yield SqliteLocation(path)
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    if not migrated:  # opened as its owner, who migrates it (the tests' admin role)
        dsn = await cluster.create_database()
        yield parse_location(dsn)
        await cluster.drop_database(dsn)
        return
    # The bot's own role, as in production; the owner stays the insider (tests/postgres.py).
    owner, bot = await cluster.bot_database()
    yield parse_location(bot)
    await cluster.drop_database(owner)


@pytest.fixture
async def store_location(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Location]:
    """Where a test's database lives, at the latest schema version: a SQLite file or a
    PostgreSQL database, each a copy of this process's migrated template (migrated once)."""
    async with _own_location(engine, tmp_path, request, migrated=True) as location:
        yield location


@pytest.fixture
async def empty_store_location(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Location]:
    """Where a test's database lives, empty (no file yet, or a new database): for tests of
    what opening or migrating an empty database does."""
    async with _own_location(engine, tmp_path, request, migrated=False) as location:
        yield location


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
            # The next long poll at once: production waits 0.05 s between polls to save calls
            # under load; a test waiting on each answer would wait that long for every update.
            "poll_interval_seconds": 0,
            # Telegram's one-message-a-second per chat is real time; tests move a fake clock
            # and the loopback only enforces flood limits when asked (the benchmarks do).
            "review_message_gap_seconds": 0,
            "private_message_gap_seconds": 0,
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


async def no_pause(seconds: float) -> None:
    """A retry's pause in the tests: the loopback Bot API is never busy, and a test is about
    which attempts are made, not how far apart (the pauses' lengths: bot/transport.py)."""
    await asyncio.sleep(0)


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

    async def until_stored(
        self,
        condition: Callable[[], object],
        timeout: float = 30,  # noqa: ASYNC109 - a bound on waiting for the bot, not a poll
    ) -> None:
        """Returns once `condition` (a look at the database) holds: checked now and again after
        each commit of the bot's store (and each Bot API call), never on a timer. The bot
        records what Telegram did just after Telegram did it: a test that saw Telegram's side
        waits here for the bot's record of it."""
        await self.server.wait_for(condition, timeout)

    async def until_delivered(
        self,
        condition: Callable[[], object],
        what: str = "the condition",
        timeout: float = 30,  # noqa: ASYNC109 - a bound on waiting for the bot, not a poll
        *,
        before_each: Callable[[], None] | None = None,
    ) -> None:
        """Runs the delivery worker's pass now, instead of waiting for its tick, until
        `condition` holds; between passes it waits for the next change made elsewhere (a
        commit, a Bot API call, a user action: the pass's own changes do not count, or a pass
        that only writes its bookkeeping would run again at once), never on a timer.
        `before_each` runs before each pass (a test moving its clock, say)."""
        delivery = self.application.bot_data.services.delivery
        assert isinstance(delivery, DeliveryWorker)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if before_each is not None:
                before_each()
            await delivery.run_once()
            seen = self.server.changes
            if condition():
                return
            left = deadline - loop.time()
            try:
                if left <= 0:
                    raise TimeoutError
                await self.server.next_change(seen, left)
            except TimeoutError:
                raise AssertionError(f"{what}: never happened within {timeout:g} s") from None

    async def until_handled(self, update_id: int, timeout: float = 30) -> None:  # noqa: ASYNC109
        """Returns once the bot has handled update `update_id` (the journal releases an update
        when its handling has ended, the handler's last write and reply included)."""
        released = (
            "SELECT count(*) FROM update_journal WHERE bot_id = ? AND update_id = ? "
            "AND released_at IS NOT NULL"
        )
        bot_id = self.settings.bot_id()
        await self.until_stored(
            lambda: rows(self.settings.database, released, bot_id, update_id) == [(1,)], timeout
        )


@pytest.fixture
async def start_bot(
    loopback: LoopbackServer, make_settings: Callable[..., Settings], migrated_sqlite: Path
) -> AsyncIterator[Callable[..., Any]]:
    """Starts the real Application (same `serve` as production) and stops it after the test.
    A SQLite file that does not exist yet starts as a copy of the migrated template (what the
    bot's first start would make of it); a file the test prepared is used as it is."""
    running: list[RunningBot] = []

    async def start(
        settings: Settings | None = None,
        *,
        log_level: LogLevel = LogLevel.INFO,
        clock: Clock | None = None,
    ) -> RunningBot:
        the_settings = settings or make_settings()
        database = the_settings.database
        if isinstance(database, SqliteLocation) and not database.path.exists():
            copy_sqlite_template(migrated_sqlite, database.path)
        log = io.StringIO()
        configure_logging(
            level=log_level,
            log_format=LogFormat.JSON,
            secrets=[TEST_TOKEN],
            stream=log,
            pseudonym_key=log_key_from(the_settings),
            unsafe_debug=the_settings.log_unsafe_debug,
        )
        application = build_application(the_settings, clock=clock, pause=no_pause)
        stop, started = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(application, the_settings, stop, started, pause=no_pause))
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
        # Every commit wakes the loopback's waiters, so a test waits for what the bot stored
        # as it waits for what the bot sent (RunningBot.until_stored), without polling.
        application.bot_data.services.store.on_commit(loopback.outside_change)
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
