"""Crash and fault soak: the real bot process against the loopback Bot API, killed and faulted.

One run (`run_soak`) starts `python -m bot run` against a loopback server living in this
process, with a review supergroup (the bot an admin, a few moderators in it) and many public
channels to report. Reporters file one-message reports (`/report @channel <category> <query>`),
moderators approve or reject cases in the review chat by pressing the buttons a person would,
and the bot is killed with SIGKILL at seeded points and started again each time (the run waits
for it to poll again). With `faults` > 0 that share of all Bot API calls fails (429 with
retry_after, 500, slow answers and timeouts, connections dropped before and after the call was
applied; seeded); at the end the faults are cleared and everything owed must arrive.

Afterwards `check` compares what Telegram saw (the loopback's call log and chats) with the
database: every receipt's report stored once, every report answered, every case posted once,
every decision applied once with its reporters notified once, the audit log consistent with
the data, `PRAGMA integrity_check` ok, the bot polling after every restart and after the faults.
A message Telegram applied twice counts as a violation unless the first copy's answer never
reached the bot (the connection dropped after applying, the call timed out, or the bot was
killed before it could record it): those are counted separately as explained duplicates.

Used by tests/reliability/test_crash_safety.py and test_fault_storm.py (bounded rounds) and by
bench/soak.py (any size; the figures in bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from loopback import ApiCall, ChatHandle, LoopbackServer, SentMessage, UserHandle
from loopback.faults import FaultRule
from storage.crypto import new_key_text, new_secret_text

TOKEN: Final = "100003:SOAK-loopback-token-not-a-secret-000"
BOT_USERNAME: Final = "soak_report_bot"
MODERATOR_BASE_ID: Final = 7_100_000
CATEGORIES: Final = ("drugs", "scam", "weapons", "illegal_goods")
#: The bot's own read timeout (bot/transport.py): a slower answer is a timeout to the bot.
BOT_READ_TIMEOUT: Final = 5.0
TIMEOUT_DELAY: Final = BOT_READ_TIMEOUT + 0.5

RECEIPT = re.compile(r"Report #(\d+) received")
ALREADY = re.compile(r"already reported this \(report #(\d+)\)")
NOTIFICATION = re.compile(r"Your report #(\d+)")
APOLOGY = "Nothing you sent was lost"
CASE = re.compile(r"Case #(\d+)")
DECIDED = re.compile(r"(Approved|Rejected) by")
QUERY = re.compile(r"soak query (\d+)")


# --- configuration and results ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SoakConfig:
    """What one run does. `reporters` and `targets` default to five reports per reporter and
    enough targets for the decisions (plus a quarter undecided)."""

    reports: int
    decisions: int
    kills: int
    seed: int
    faults: float = 0.0
    reporters: int | None = None
    targets: int | None = None
    moderators: int = 3
    #: How long a reporter waits for an answer before sending the report again.
    answer_timeout: float = 20.0
    #: After the drive, how long everything owed may take to arrive (posts are paced at about
    #: 15 a minute in the review chat, notifications wait for the undo window).
    settle_timeout: float = 600.0
    #: Concurrent reporters (each sends its reports one after another).
    concurrency: int = 25
    #: The bot's CASE_EDIT_RECHECK_SECONDS (its default is 30). A late edit here lands at most
    #: TIMEOUT_DELAY after it was sent, before the edit that lost it ends, so any value above
    #: that catches it; short rounds use less to settle sooner.
    recheck_seconds: int = 30
    #: The bot's CASE_EDIT_DEBOUNCE_SECONDS: a posted case's count edit after its first waits
    #: this long, and settling waits for it. Long rounds keep the review chat's budget for posts
    #: and decisions with 30; bench/soak.py's short round uses less to settle sooner.
    debounce_seconds: int = 30

    @property
    def reporter_count(self) -> int:
        return self.reporters or max(1, -(-self.reports // 5))

    @property
    def target_count(self) -> int:
        return self.targets or max(self.decisions + max(1, self.decisions // 4), 5)


@dataclass
class SoakTotals:
    """Everything counted in one run; `violations` lists what broke a promise."""

    seed: int
    kills: int = 0
    restarts: int = 0
    reports_sent: int = 0
    attempts: int = 0
    unanswered_attempts: int = 0
    apologies: int = 0
    receipts: int = 0
    repeated_receipts: int = 0
    stored: int = 0
    cases: int = 0
    posts: int = 0
    decisions: int = 0
    notifications: int = 0
    faults_injected: int = 0
    faults_by_kind: dict[str, int] = field(default_factory=dict)
    duplicates_explained: dict[str, int] = field(default_factory=dict)
    polls: int = 0
    polls_during_faults: int = 0
    bot_exits: int = 0
    seconds: float = 0.0
    violations: list[str] = field(default_factory=list)

    def flag(self, area: str, text: str) -> None:
        """Records a broken promise under its area (reports, cases, decisions, ...)."""
        self.violations.append(f"[{area}] {text}")

    def in_area(self, *areas: str) -> list[str]:
        return [v for v in self.violations if any(v.startswith(f"[{a}]") for a in areas)]

    def lines(self) -> list[str]:
        """The totals as printed by bench/soak.py and shown when a test fails."""
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults_by_kind.items()))
        explained = ", ".join(f"{why} {n}" for why, n in sorted(self.duplicates_explained.items()))
        return [
            f"seed {self.seed}: {self.seconds:.0f} s, kills {self.kills} "
            f"(restarts {self.restarts}, bot exits on its own {self.bot_exits})",
            f"reports {self.reports_sent} (attempts {self.attempts}, unanswered attempts "
            f"{self.unanswered_attempts}, apologies {self.apologies}), receipts {self.receipts} "
            f"(repeated for one report {self.repeated_receipts}), stored {self.stored}",
            f"cases {self.cases}, posts {self.posts}, decisions {self.decisions}, "
            f"notifications {self.notifications}",
            f"faults injected {self.faults_injected}" + (f" ({faults})" if faults else ""),
            "duplicates Telegram applied whose first answer the bot never got: "
            + (explained or "none"),
            f"getUpdates calls {self.polls} (during faults {self.polls_during_faults})",
            f"violations found: {len(self.violations)}",
            *(f"  VIOLATION: {v}" for v in self.violations),
        ]


# --- the bot process -------------------------------------------------------------------------


def _environment(**variables: str) -> dict[str, str]:
    kept = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    keys = {
        "ENCRYPTION_KEY": new_key_text("soak"),
        "BLIND_INDEX_KEY": new_secret_text(),
        "LEDGER_KEY": new_key_text("soak-ledger"),
    }
    return {**kept, **keys, **variables}


def taking_updates(server: LoopbackServer) -> int:
    """getUpdates calls and accepted setWebhook calls so far: a started bot adds one."""
    webhooks = sum(1 for call in server.calls("setWebhook") if call.ok)
    return len(server.calls("getUpdates")) + webhooks


class BotProcess:
    """`python -m bot run` in its own process; killed, restarted, finally stopped gently."""

    def __init__(
        self,
        server: LoopbackServer,
        env: dict[str, str],
        folder: Path,
        arguments: Sequence[str] = (),
    ) -> None:
        self._server = server
        self._arguments = tuple(arguments)  # after `run`, e.g. --no-rate-limiter
        self._env = env
        self._folder = folder
        self._process: asyncio.subprocess.Process | None = None
        self.generation = 0
        self.exits: list[int] = []  # exit codes of processes that ended on their own
        self._turn = asyncio.Lock()  # one start, kill or restart at a time

    @property
    def pid(self) -> int | None:
        """The running process's id (None before the first start)."""
        return self._process.pid if self._process is not None else None

    @property
    def log_files(self) -> list[Path]:
        return [self._folder / f"bot-{n}.log" for n in range(1, self.generation + 1)]

    async def start(self) -> None:
        """Starts the bot and returns once it takes updates (polls, or has set its webhook)."""
        taking = self._taking_updates()
        await self.launch()
        await self._server.wait_for(lambda: self._taking_updates() > taking, timeout=60)

    async def launch(self) -> None:
        """Starts the process without waiting for it to take updates: the caller waits, for
        several processes at once (tests/reliability/fleet.py: start_fleet)."""
        self.generation += 1
        log_file = self._folder / f"bot-{self.generation}.log"
        with log_file.open("wb") as log:  # a file, not a pipe: a full pipe would stall the bot
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                *self._arguments,
                env=self._env,
                cwd=self._folder,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )

    def _taking_updates(self) -> int:
        return taking_updates(self._server)

    async def ensure_running(self) -> None:
        """Restarts a bot that ended on its own (recorded: that should not happen)."""
        async with self._turn:
            process = self._process
            if process is not None and process.returncode is not None:
                self.exits.append(process.returncode)
                await self.start()

    async def kill_and_restart(self) -> datetime:
        """SIGKILL, then a new process, polling again; returns when the old one was dead."""
        async with self._turn:
            process = self._process
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGKILL)
                await process.wait()
            killed = datetime.now(UTC)
            await self.start()
            return killed

    async def kill(self) -> datetime:
        """SIGKILL and no restart (another instance must take over); when it was dead."""
        async with self._turn:
            process = self._process
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGKILL)
                await process.wait()
            return datetime.now(UTC)

    async def stop(self, grace: float = 60.0) -> int | None:
        """SIGTERM and wait: the bot's graceful stop; its exit code (-9: still running `grace`
        seconds later, so killed)."""
        await self._turn.acquire()  # no restart after this
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                process.kill()
                await process.wait()
        return process.returncode


# --- faults ----------------------------------------------------------------------------------

#: (kind, injector arguments) in the mix; each gets an equal share of the calls.
_STORM: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    ("retry_after", {"kind": "retry_after", "retry_after": 1}),
    ("server_error", {"kind": "server_error"}),
    ("bad_gateway", {"kind": "bad_gateway"}),
    ("drop_before", {"kind": "drop", "when": "before"}),
    ("drop_after", {"kind": "drop", "when": "after"}),
)


def inject_storm(server: LoopbackServer, share: float, seed: int) -> dict[str, FaultRule]:
    """`share` of all calls fail, mixed: 429 with retry_after, 500, 502, dropped connections
    (before and after applying); besides, slow answers and timeouts (a delay past the bot's
    read timeout, after which the call is still applied). Seeded."""
    failing = [kind for kind, _ in _STORM]
    part = share * 5 / 6 / len(failing)  # a sixth of the share goes to slow answers
    rules: dict[str, FaultRule] = {}
    for index, (kind, arguments) in enumerate(_STORM):
        # Rules are tried in order and one failure fires per call: rule i sees only the calls
        # the rules before it let through, so its share is raised to keep each at `part`.
        conditional = min(1.0, part / max(1e-9, 1 - index * part))
        rules[kind] = server.faults.inject("*", share=conditional, seed=seed + index, **arguments)
    rules["slow"] = server.faults.inject(
        "*", kind="delay", delay=1.0, share=share / 12, seed=seed + 100
    )
    rules["timeout"] = server.faults.inject(
        "*", kind="delay", delay=TIMEOUT_DELAY, share=share / 12, seed=seed + 101
    )
    _ = failing
    return rules


# --- the drive -------------------------------------------------------------------------------


@dataclass
class World:
    server: LoopbackServer
    review: ChatHandle
    moderators: list[UserHandle]
    reporters: list[UserHandle]
    targets: list[str]
    database: Path


@dataclass
class Drive:
    """Shared progress of the drive (the killer watches `steps`)."""

    steps: int = 0
    progressed: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: int = 0
    unanswered: int = 0
    apologies: int = 0
    answered_reports: set[int] = field(default_factory=set)  # report numbers
    decided: dict[int, str] = field(default_factory=dict)  # case id -> approved | rejected
    kill_times: list[datetime] = field(default_factory=list)

    def step(self) -> None:
        self.steps += 1
        self.progressed.set()


def _answers(user: UserHandle) -> list[SentMessage]:
    """The bot's answers to a reporter (outcome notifications excluded)."""
    return [m for m in user.messages() if not NOTIFICATION.search(m.text)]


def _answered_more(reporter: UserHandle, seen: int) -> bool:
    return len(_answers(reporter)) > seen


async def _file_reports(
    world: World,
    drive: Drive,
    reporter: UserHandle,
    plan: Sequence[tuple[int, int, str]],
    config: SoakConfig,
) -> None:
    """One reporter's reports, one after another, each sent again (up to three times) while
    it gets no answer or the apology, as a person would."""
    for number, target, category in plan:
        text = f"/report @{world.targets[target]} {category} soak query {number}"
        for _ in range(3):
            seen = len(_answers(reporter))
            drive.attempts += 1
            await reporter.send(text)
            drive.step()
            try:
                await world.server.wait_for(
                    functools.partial(_answered_more, reporter, seen),
                    timeout=config.answer_timeout,
                )
            except TimeoutError:
                drive.unanswered += 1
                continue
            answer = _answers(reporter)[seen].text
            if APOLOGY in answer:
                drive.apologies += 1
                continue
            drive.answered_reports.add(number)
            break


def _case_messages(review: ChatHandle) -> dict[int, SentMessage]:
    """The newest message of each case in the review chat."""
    found: dict[int, SentMessage] = {}
    for message in review.messages():
        match = CASE.search(message.text)
        if match and not message.deleted:
            found[int(match.group(1))] = message
    return found


#: A drive waiting for the bot's next post or edit looks again at least this often (a restart
#: in between makes no call until it polls).
LOOK_AGAIN: Final = 1.0


async def _next_change(server: LoopbackServer, seen: int) -> None:
    """Returns at the server's next change after `seen` (the bot's post or edit, a press), or
    after LOOK_AGAIN seconds."""
    with contextlib.suppress(TimeoutError):
        await server.next_change(seen, timeout=LOOK_AGAIN)


async def _decide(
    world: World, drive: Drive, moderator: UserHandle, case_id: int, approve: bool, deadline: float
) -> None:
    """Presses through Approve (then the suggested category) or Reject (then a reason) until
    the case message shows the decision; presses lost to a kill are simply made again."""
    while time.monotonic() < deadline:
        seen = world.server.changes
        message = _case_messages(world.review).get(case_id)
        if message is None:
            await _next_change(world.server, seen)
            continue
        if DECIDED.search(message.text):
            drive.decided[case_id] = "approved" if "Approved by" in message.text else "rejected"
            return
        labels = message.button_texts()
        if approve:
            confirm = next((label for label in labels if label.startswith("✓")), None)
            label = confirm or ("✅ Approve" if "✅ Approve" in labels else None)
        else:
            label = (
                "Not a violation"
                if "Not a violation" in labels
                else "❌ Reject"
                if "❌ Reject" in labels
                else None
            )
        if label is None:
            label = "⬅️ Back" if "⬅️ Back" in labels else None
        if label is None:
            await _next_change(world.server, seen)
            continue
        before: tuple[str, Any] = (message.html, message.reply_markup)
        try:
            await moderator.press(message, text=label)
        except (LookupError, ValueError):  # the message changed under the finger
            continue
        drive.step()
        with contextlib.suppress(TimeoutError):
            await world.server.wait_for(
                functools.partial(_changed, world, case_id, before), timeout=10
            )
    raise TimeoutError(f"case {case_id} could not be decided in time")


def _changed(world: World, case_id: int, before: tuple[str, Any]) -> bool:
    message = _case_messages(world.review).get(case_id)
    return message is not None and (message.html, message.reply_markup) != before


async def _moderate(world: World, drive: Drive, config: SoakConfig, rng: random.Random) -> None:
    """Moderators decide the first `decisions` cases as they appear, each moderator one case
    at a time (as a person would: pressing many cases at once only queues the presses)."""
    deadline = time.monotonic() + config.settle_timeout
    queue: asyncio.Queue[tuple[int, bool]] = asyncio.Queue()

    async def moderator_at_work(moderator: UserHandle) -> None:
        while True:
            case_id, approve = await queue.get()
            with contextlib.suppress(TimeoutError):  # the checks report the undecided case
                await _decide(world, drive, moderator, case_id, approve, deadline)
            queue.task_done()

    workers = [asyncio.create_task(moderator_at_work(m)) for m in world.moderators]
    try:
        started: set[int] = set()
        while len(started) < config.decisions:
            await world.server.wait_for(
                lambda: any(c not in started for c in _case_messages(world.review)),
                timeout=config.settle_timeout,
            )
            for case_id in sorted(_case_messages(world.review)):
                if case_id not in started and len(started) < config.decisions:
                    started.add(case_id)
                    queue.put_nowait((case_id, rng.random() < 0.5))
        await queue.join()
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def _killer(
    bot: BotProcess, drive: Drive, points: Sequence[int], rng: random.Random, totals: SoakTotals
) -> None:
    """SIGKILL when the drive reaches each point (plus a random moment, so the kill lands in
    the middle of whatever the bot is doing), then start again and wait for polling."""
    for point in points:
        while drive.steps < point:
            drive.progressed.clear()
            await drive.progressed.wait()
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        drive.kill_times.append(await bot.kill_and_restart())
        totals.kills += 1
        totals.restarts += 1


async def _watch_exits(bot: BotProcess) -> None:
    while True:
        await asyncio.sleep(0.5)
        with contextlib.suppress(TimeoutError):  # a start that failed again: the next turn
            await bot.ensure_running()


def _plan(config: SoakConfig, rng: random.Random) -> list[list[tuple[int, int, str]]]:
    """Per reporter, its (report number, target, category); never one target twice."""
    targets = config.target_count
    categories = [rng.choice(CATEGORIES) for _ in range(targets)]
    plans: list[list[tuple[int, int, str]]] = [[] for _ in range(config.reporter_count)]
    taken: list[set[int]] = [set() for _ in range(config.reporter_count)]
    for number in range(config.reports):
        reporter = number % config.reporter_count
        target = rng.randrange(targets)
        for _ in range(targets):
            if target not in taken[reporter]:
                break
            target = (target + 1) % targets
        else:
            raise ValueError("more reports per reporter than targets: use more reporters")
        taken[reporter].add(target)
        plans[reporter].append((number, target, categories[target]))
    return plans


# --- settling --------------------------------------------------------------------------------


def _rows(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return list(conn.execute(sql, params))


def owed(database: Path) -> list[str]:
    """What the bot still owes Telegram according to its database (empty when settled)."""
    if not database.exists():
        return ["no database yet"]
    unposted = _rows(
        database,
        "SELECT count(*) FROM case_posts p JOIN cases c ON c.id = p.case_id "
        "WHERE p.message_id IS NULL OR p.shown_version < c.version OR p.recheck_at IS NOT NULL",
    )[0][0]
    outbox = _rows(database, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0]
    missing = []
    if unposted:
        missing.append(f"{unposted} case posts or edits")
    if outbox:
        missing.append(f"{outbox} notifications")
    return missing


#: While settling, the database is read again at least this often: the bot records a post or
#: an edit just after Telegram answered it, so the call alone cannot say the debt is paid.
SETTLE_RECHECK: Final = 0.2


async def settle(server: LoopbackServer, database: Path, timeout: float) -> list[str]:  # noqa: ASYNC109
    """Waits until nothing is owed; returns what is still owed after `timeout`. Reads the
    database again after each change at the server (what is owed is paid by Bot API calls)
    and every SETTLE_RECHECK seconds, so it returns within a fraction of a second of the
    last payment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = owed(database)
        if not left:
            return []
        with contextlib.suppress(TimeoutError):
            await server.next_change(server.changes, timeout=SETTLE_RECHECK)
    return owed(database)


# --- the run ---------------------------------------------------------------------------------


async def run_soak(
    config: SoakConfig, folder: Path, say: Callable[[str], None] = print
) -> SoakTotals:
    """One whole run: drive, kill, fault, settle, stop, check. Prints progress through `say`."""
    rng = random.Random(config.seed)
    totals = SoakTotals(seed=config.seed)
    began = time.monotonic()
    say(
        f"seed {config.seed}: {config.reports} reports by {config.reporter_count} reporters on "
        f"{config.target_count} targets, {config.decisions} decisions, {config.kills} kills, "
        f"faults {config.faults:.0%}"
    )
    async with LoopbackServer() as server:
        server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Soak Report Bot")
        moderators = [
            server.add_user(
                first_name=f"Mod{n}",
                username=f"soak_mod_{n}",
                language_code="en",
                user_id=MODERATOR_BASE_ID + n,
            )
            for n in range(config.moderators)
        ]
        review = server.add_supergroup(title="Review", members=moderators, bot_admin=True)
        names = [f"soak_target_{n}" for n in range(config.target_count)]
        for name in names:
            server.add_channel(title=name, username=name)
        reporters = [
            server.add_user(first_name=f"R{n}", language_code="en")
            for n in range(config.reporter_count)
        ]
        database = folder / "data" / "soak.sqlite3"
        world = World(server, review, moderators, reporters, names, database)
        per_reporter = max(len(p) for p in _plan(config, random.Random(config.seed)))
        env = _environment(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=server.base_url,
            DATABASE_PATH=str(database),
            REVIEW_CHAT_ID=str(review.id),
            MODERATOR_IDS=",".join(str(m.id) for m in moderators),
            POLL_TIMEOUT_SECONDS="2",
            REPORT_LIMIT_PER_HOUR=str(max(20, per_reporter)),
            REPORT_LIMIT_PER_DAY=str(max(100, per_reporter)),
            UNDO_WINDOW_MINUTES="1",
            CASE_EDIT_DEBOUNCE_SECONDS=str(config.debounce_seconds),
            CASE_EDIT_RECHECK_SECONDS=str(config.recheck_seconds),
            REVIEW_MESSAGE_GAP_SECONDS="0",
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
        )
        bot = BotProcess(server, env, folder)
        await bot.start()
        rules = inject_storm(server, config.faults, config.seed) if config.faults else {}
        faults_from = len(server.calls())
        drive = Drive()
        plans = _plan(config, rng)
        total_steps = config.reports + 2 * config.decisions
        points = sorted(
            rng.sample(range(1, max(2, total_steps)), min(config.kills, total_steps - 1))
        )
        killer = asyncio.create_task(_killer(bot, drive, points, rng, totals))
        watcher = asyncio.create_task(_watch_exits(bot))
        gate = asyncio.Semaphore(config.concurrency)

        async def reporter_task(user: UserHandle, plan: list[tuple[int, int, str]]) -> None:
            async with gate:
                await _file_reports(world, drive, user, plan, config)

        try:
            moderation = asyncio.create_task(_moderate(world, drive, config, rng))
            await asyncio.gather(
                *(reporter_task(user, plan) for user, plan in zip(reporters, plans, strict=True))
            )
            elapsed = time.monotonic() - began
            say(f"  reports driven ({drive.attempts} attempts) after {elapsed:.0f} s")
            await moderation
            say(f"  decisions made after {time.monotonic() - began:.0f} s")
            # Kills not reached yet (fewer steps than planned) happen now.
            drive.steps = total_steps
            drive.progressed.set()
            await killer
            if rules:
                faulted_calls = server.calls()[faults_from:]
                totals.polls_during_faults = sum(
                    1 for c in faulted_calls if c.method == "getUpdates"
                )
                for kind, rule in rules.items():
                    totals.faults_by_kind[kind] = rule.hits
                totals.faults_injected = sum(rule.hits for rule in rules.values())
                server.faults.clear()
                say("  faults cleared")
            polls_before = len(server.calls("getUpdates"))
            left = await settle(server, database, config.settle_timeout)
            if left:
                totals.flag("delivery", "still owed after settling: " + ", ".join(left))
            with contextlib.suppress(TimeoutError):
                await server.wait_for(
                    lambda: len(server.calls("getUpdates")) > polls_before + 1, timeout=30
                )
            if len(server.calls("getUpdates")) <= polls_before:
                totals.flag("polling", "the bot stopped polling")
        finally:
            watcher.cancel()
            killer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            with contextlib.suppress(asyncio.CancelledError):
                await killer
            code = await bot.stop()
        if code != 0:
            totals.flag("process", f"the bot's graceful stop exited with {code}")
        totals.bot_exits = len(bot.exits)
        if bot.exits:
            totals.flag("process", f"the bot ended on its own {len(bot.exits)}x: {bot.exits}")
        totals.attempts = drive.attempts
        totals.unanswered_attempts = drive.unanswered
        totals.apologies = drive.apologies
        totals.reports_sent = config.reports
        totals.polls = len(server.calls("getUpdates"))
        check(world, drive, config, totals, server.calls())
        if totals.violations:
            tail = _log_tail(bot.log_files)
            if tail:
                say("  bot log (errors): " + tail)
    totals.seconds = time.monotonic() - began
    return totals


def _log_tail(files: Sequence[Path]) -> str:
    events: Counter[str] = Counter()
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                entry = json.loads(line)
                if isinstance(entry, dict) and entry.get("level") in {"error", "critical"}:
                    events[str(entry.get("event"))] += 1
    return ", ".join(f"{event} x{n}" for event, n in events.most_common(8))


# --- the checks ------------------------------------------------------------------------------


def _at(call: ApiCall) -> datetime:
    return call.at if isinstance(call.at, datetime) else datetime.fromisoformat(str(call.at))


def _applied(calls: Sequence[ApiCall], method: str) -> Iterator[ApiCall]:
    """Calls Telegram applied (answered, or applied before the connection dropped)."""
    for call in calls:
        if call.method == method and call.ok and not call.pending:
            yield call


def _explain_duplicates(
    copies: Sequence[ApiCall], kills: Sequence[datetime], timeouts_possible: bool
) -> tuple[Counter[str], int]:
    """For one message Telegram applied more than once: why each extra copy was sent (the
    bot never learnt the earlier one arrived), and how many have no such reason."""
    why: Counter[str] = Counter()
    unexplained = 0
    ordered = sorted(copies, key=_at)
    for first, again in itertools.pairwise(ordered):
        if first.dropped:
            why["dropped after applying"] += 1
        elif any(_at(first) <= kill <= _at(again) for kill in kills):
            why["killed before recording"] += 1
        elif timeouts_possible and (_at(again) - _at(first)).total_seconds() >= BOT_READ_TIMEOUT:
            why["timed out"] += 1
        else:
            unexplained += 1
    return why, unexplained


def check(
    world: World, drive: Drive, config: SoakConfig, totals: SoakTotals, calls: Sequence[ApiCall]
) -> None:
    """Every promise of the issue, from the loopback's record and the database."""
    database = world.database
    kills = drive.kill_times
    timeouts = config.faults > 0
    explained: Counter[str] = Counter()

    def duplicates(what: str, groups: dict[Any, list[ApiCall]]) -> None:
        for key, copies in groups.items():
            if len(copies) > 1:
                why, unexplained = _explain_duplicates(copies, kills, timeouts)
                explained.update(why)
                if unexplained:
                    totals.flag(what + "s", f"{what} {key} sent {len(copies)}x without a reason")

    # Integrity first: nothing else is worth reading from a damaged file.
    integrity = _rows(database, "PRAGMA integrity_check")
    if integrity != [("ok",)]:
        totals.flag("database", f"integrity_check: {integrity[:3]}")
    foreign = _rows(database, "PRAGMA foreign_key_check")
    if foreign:
        totals.flag("database", f"foreign_key_check: {foreign[:3]}")

    # Reports: receipts, storage, answers.
    reporter_ids = {user.id for user in world.reporters}
    stored = {
        report_id: (reporter, query)
        for report_id, reporter, query in _rows(
            database, "SELECT id, reporter_id, query FROM reports"
        )
    }
    totals.stored = len(stored)
    per_query = Counter(query for _, query in stored.values())
    twice = [query for query, n in per_query.items() if n > 1]
    if twice:
        totals.flag("reports", f"{len(twice)} reports stored more than once, e.g. {twice[:3]}")
    receipts: dict[tuple[int, int], list[ApiCall]] = defaultdict(list)
    for call in _applied(calls, "sendMessage"):
        chat = int(call.params.get("chat_id", "0"))
        match = RECEIPT.search(call.params.get("text", ""))
        if chat in reporter_ids and match:
            receipts[(chat, int(match.group(1)))].append(call)
    totals.receipts = len(receipts)
    totals.repeated_receipts = sum(len(c) - 1 for c in receipts.values())
    for reporter, report_id in receipts:
        if stored.get(report_id, (None, ""))[0] != reporter:
            totals.flag("reports", f"receipt for report #{report_id} but no such report stored")
    unanswered = config.reports - len(drive.answered_reports)
    if unanswered:
        totals.flag("reports", f"{unanswered} reports never answered after three tries")
    if drive.unanswered and not config.faults:
        # Without faults every update the bot took must be handled, kill or not.
        totals.flag("reports", f"{drive.unanswered} report messages lost (no answer at all)")
    answered_stored = {
        int(m.group(1)) for _, query in stored.values() if (m := QUERY.search(query))
    }
    lost = drive.answered_reports - answered_stored
    if lost:
        totals.flag("reports", f"{len(lost)} answered reports not stored, e.g. {sorted(lost)[:5]}")
    filed = Counter(
        json.loads(details).get("report_id")
        for (details,) in _rows(
            database, "SELECT details FROM audit_log WHERE action = 'report.filed'"
        )
    )
    if set(filed) != set(stored) or any(n != 1 for n in filed.values()):
        totals.flag(
            "audit",
            f"report.filed audit entries do not match reports: {len(filed)} entries for "
            f"{len(stored)} reports, {sum(1 for n in filed.values() if n > 1)} repeated",
        )

    # Cases: each posted once, the message in the chat showing its current state.
    cases = {
        case_id: (status, version, message_id, shown)
        for case_id, status, version, message_id, shown in _rows(
            database,
            "SELECT c.id, c.status, c.version, p.message_id, p.shown_version FROM cases c "
            "LEFT JOIN case_posts p ON p.case_id = c.id",
        )
    }
    totals.cases = len(cases)
    review_chat = str(world.review.id)
    posts: dict[int, list[ApiCall]] = defaultdict(list)
    for call in _applied(calls, "sendMessage"):
        match = CASE.search(call.params.get("text", ""))
        if call.params.get("chat_id") == review_chat and match:
            posts[int(match.group(1))].append(call)
    totals.posts = sum(len(p) for p in posts.values())
    duplicates("case", posts)
    posted_audit = Counter(
        subject
        for (subject,) in _rows(
            database,
            # A post a moderator pressed before it was recorded is adopted instead (0019).
            "SELECT CAST(subject_id AS INTEGER) FROM audit_log "
            "WHERE action IN ('case.posted', 'case.post_adopted')",
        )
    )
    in_chat = {m.message_id: m for m in world.review.messages()}
    for case_id, (_, version, message_id, shown) in cases.items():
        if message_id is None:
            totals.flag("cases", f"case {case_id} never posted")
            continue
        if posted_audit.get(case_id) != 1:
            totals.flag(
                "cases",
                f"case {case_id} has {posted_audit.get(case_id, 0)} case.posted or "
                "case.post_adopted entries",
            )
        message = in_chat.get(message_id)
        if message is None or CASE.search(message.text) is None:
            totals.flag("cases", f"case {case_id}: message {message_id} is not in the review chat")
        if shown is None or shown < version:
            totals.flag("cases", f"case {case_id}: its message shows version {shown} of {version}")

    # Decisions: each applied once, shown, its reporters notified once. A decision whose edit
    # showed only after the moderator stopped watching (the review chat's budget under load)
    # counts as seen when the settled chat shows it.
    for case_id, message in _case_messages(world.review).items():
        if case_id not in drive.decided and DECIDED.search(message.text):
            drive.decided[case_id] = "approved" if "Approved by" in message.text else "rejected"
    decided = {case_id: status for case_id, (status, *_) in cases.items() if status != "pending"}
    totals.decisions = len(decided)
    if len(decided) != config.decisions or set(decided) != set(drive.decided):
        totals.flag(
            "decisions",
            f"{len(decided)} cases decided in the database, {len(drive.decided)} seen decided "
            f"in the chat, {config.decisions} asked for",
        )
    for case_id, seen in drive.decided.items():
        if decided.get(case_id) != seen:
            totals.flag("decisions", f"case {case_id} shows {seen} but is {decided.get(case_id)}")
        message_id = cases[case_id][2] if case_id in cases else None
        shown_msg = in_chat.get(message_id) if message_id is not None else None
        if shown_msg is None or DECIDED.search(shown_msg.text) is None:
            totals.flag("decisions", f"case {case_id}: the decision is not on its message")
    decisions_audit = Counter(
        subject
        for (subject,) in _rows(
            database,
            "SELECT CAST(subject_id AS INTEGER) FROM audit_log "
            "WHERE action IN ('case.approved', 'case.rejected')",
        )
    )
    for case_id in decided:
        if decisions_audit.get(case_id) != 1:
            totals.flag(
                "audit",
                f"case {case_id} has {decisions_audit.get(case_id, 0)} decision audit entries",
            )
    if set(decisions_audit) - set(decided):
        totals.flag("audit", "decision audit entries for undecided cases")
    outcomes = _rows(
        database,
        "SELECT chat_id, payload, status FROM outbox WHERE kind = 'case_outcome' "
        "AND status <> 'cancelled'",
    )
    owed_notes = {
        (chat_id, int(json.loads(payload)["report_id"])): status
        for chat_id, payload, status in outcomes
    }
    told: dict[tuple[int, int], list[ApiCall]] = defaultdict(list)
    for call in _applied(calls, "sendMessage"):
        match = NOTIFICATION.search(call.params.get("text", ""))
        if match:
            told[(int(call.params["chat_id"]), int(match.group(1)))].append(call)
    totals.notifications = len(told)
    for key, status in owed_notes.items():
        if status != "sent":
            totals.flag("notifications", f"notification for report #{key[1]} is {status}")
        if key not in told:
            totals.flag("notifications", f"notification for report #{key[1]} never arrived")
    strays = set(told) - set(owed_notes)
    if strays:
        totals.flag("notifications", f"{len(strays)} notifications nobody was owed")
    duplicates("notification", told)
    # Writers commit one at a time and each appends its audit row inside its transaction, so
    # the audit ids give the commit order: a report whose filing committed before the case's
    # last decision was among the reporters that decision read, and must be owed news. (Its
    # created_at cannot tell: it is taken before the write waits for the lock.)
    owed_reports = {report_id for _, report_id in owed_notes}
    for (report_id,) in _rows(
        database,
        "SELECT r.id FROM reports r JOIN cases c ON c.id = r.case_id "
        "LEFT JOIN users u ON u.user_id = r.reporter_id "
        "JOIN audit_log f ON f.action = 'report.filed' "
        "AND json_extract(f.details, '$.report_id') = r.id "
        "WHERE c.status IN ('approved', 'rejected') AND coalesce(u.notify_outcomes, 1) = 1 "
        "AND f.id < (SELECT max(d.id) FROM audit_log d WHERE d.subject_type = 'case' "
        "AND d.subject_id = CAST(c.id AS TEXT) AND d.action IN ('case.approved', 'case.rejected'))",
    ):
        if report_id not in owed_reports:
            totals.flag(
                "notifications",
                f"report #{report_id} was decided but its reporter is not owed news",
            )
    totals.duplicates_explained = dict(explained)


async def retire_the_copy_and_approve(
    server: LoopbackServer,
    review: ChatHandle,
    moderator: UserHandle,
    orphan: SentMessage,
    live: SentMessage,
) -> None:
    """A moderator presses Approve on a case post's copy (one the bot never recorded): the
    answer says it is a copy, the copy is deleted, and the press counts for the case once (the
    category menu opens on the live post); confirming there approves the case."""
    press = await moderator.press(orphan, text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "copy" in (answer.text or "")

    def current(message: SentMessage) -> SentMessage:
        return next(m for m in review.messages() if m.message_id == message.message_id)

    await server.wait_for(lambda: current(orphan).deleted, timeout=15)
    await server.wait_for(
        lambda: any(t.startswith("✓") for t in current(live).button_texts()), timeout=15
    )
    menu = current(live)
    confirm = next(t for t in menu.button_texts() if t.startswith("✓"))
    press = await moderator.press(menu, text=confirm)
    await press.answered(timeout=15)
    await server.wait_for(lambda: "Approved by" in current(live).text, timeout=15)
