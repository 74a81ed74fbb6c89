"""Several webhook instances on one PostgreSQL database, killed one after another.

One run (`run_fleet`) starts `instances` processes of `python -m bot run` in webhook mode on
one PostgreSQL database (the same token, secret, keys and LEDGER_ANCHOR_DIR; each its own
port). Telegram (the loopback Bot API in this process) delivers the updates to one URL: a
round-robin reverse proxy (`RoundRobinProxy`, also in this process) that forwards each POST
to the next instance and passes its answer back; an instance that is down answers 502 through
it, so Telegram delivers the update again (to the next instance). Reporters file one-message
reports and guided reports (the guided reporter sends its first three answers in one burst
without waiting, so they are handled in order or the report comes out wrong), moderators
decide cases in the review chat, appellants appeal approved cases and another moderator
upholds them, while a killer SIGKILLs one instance after another at seeded points and starts
it again.

Afterwards, once nothing is owed (a dead leader's lease lapses, another instance takes the
jobs over), `check` compares what Telegram saw (the loopback's call log and chats, the
proxy's record of which update belongs to which conversation) with the database and the
instances' logs:
- every receipted report stored once, every answered report stored, one report.filed each;
- every case posted once in the review chat (a second copy only where a kill explains it)
  and showing its current version; every appeal posted once;
- every decision applied once and shown once: exactly one decision audit row per decided
  case, the case message showing the decision; each upheld appeal one audit row, shown;
- a conversation's updates handled in order and one at a time across the instances: each
  update's handling starts (the `update_processing` events, logged at DEBUG with update_id)
  after the previous update of its conversation was released from the journal (its release
  time is taken after its handling ended);
- the review group's per-minute limit: in no 60-second window did Telegram apply more than
  REVIEW_MESSAGES_PER_MINUTE sendMessage and editMessageText calls to the review chat;
- the jobs lease: the leadership intervals (`lease_taken` to `lease_lost`, the instance's
  stop or its kill) never overlap;
- nothing left unreleased in the journal, every process stopping cleanly at the end.

Used by tests/reliability/test_multi_instance.py (a short round) and bench/fleet.py (any
size).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import aiohttp
import asyncpg
from aiohttp import web
from telegram import Update

from bot.update_processor import conversation_key
from loopback import ApiCall, ChatHandle, LoopbackServer, SentMessage, UserHandle
from storage.codec import encode_time
from tests.helpers import free_port
from tests.reliability.harness import (
    BOT_USERNAME,
    CASE,
    CATEGORIES,
    DECIDED,
    MODERATOR_BASE_ID,
    QUERY,
    RECEIPT,
    TOKEN,
    BotProcess,
    Drive,
    SoakConfig,
    World,
    _applied,
    _case_messages,
    _environment,
    _explain_duplicates,
    _file_reports,
    _moderate,
    _next_change,
    taking_updates,
)

SECRET: Final = "fleet-webhook-secret_0123"
WEBHOOK_PATH: Final = "/telegram"
#: Telegram's answer when the proxy cannot reach an instance (it delivers the update again).
BAD_GATEWAY: Final = 502
#: The proxy waits this long for an instance's answer (the loopback gives up after 10 s).
FORWARD_TIMEOUT: Final = 9.0
#: The review group's limit the bot is configured with (Telegram's: about 20 a minute).
REVIEW_PER_MINUTE: Final = 20
WINDOW: Final = timedelta(seconds=60)
APPEAL_RECEIPT = re.compile(r"Appeal #(\d+) received")
APPEAL_TITLE = re.compile(r"Appeal #(\d+) against case #(\d+)")
UPHELD = re.compile(r"Upheld by")
TAG = re.compile(r"<[^>]+>")
#: The category buttons of the guided report, by the category the plan gives.
CATEGORY_LABELS: Final = {
    "drugs": "Illegal drugs",
    "scam": "Scam or fraud",
    "weapons": "Weapons",
    "illegal_goods": "Other illegal goods or services",
}


# --- configuration and results ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """What one run does; the targets are few, as every case costs review-chat messages and
    the group takes about 20 a minute."""

    instances: int = 3
    reports: int = 16
    guided: int = 3
    decisions: int = 3
    appeals: int = 1
    kills: int = 3
    seed: int = 1
    targets: int = 6
    reporters: int = 8
    moderators: int = 3
    #: How long a reporter waits for an answer (a dead instance's claims wait PRESUMED_DEAD).
    answer_timeout: float = 45.0
    #: After the drive, how long everything owed may take to arrive (a killed instance's
    #: claims run out after OUTBOX_CLAIM_SECONDS, a dead leader's lease after
    #: JOBS_LEASE_SECONDS; posts are paced by the review chat's budget).
    settle_timeout: float = 240.0
    concurrency: int = 8
    #: Seconds between one reporter's reports, and between the starts of the guided reports
    #: (0: all at once); a longer round spreads its load with them.
    pace: float = 0.0
    #: Kill every this many seconds while the drive lasts (the instances in turn) instead
    #: of at `kills` seeded points of the drive.
    kill_every: float | None = None
    #: Settle until the reporters' news is sent too (it waits for the undo window, a
    #: minute); without, only news already due must have been sent.
    notifications: bool = False
    #: Keep every instance's DEBUG log (update_processing events) for the order check.
    debug_log: bool = True


@dataclass
class FleetTotals:
    seed: int
    instances: int = 0
    kills: int = 0
    killed: Counter[int] = field(default_factory=Counter)
    reports_sent: int = 0
    attempts: int = 0
    unanswered_attempts: int = 0
    receipts: int = 0
    guided: int = 0
    stored: int = 0
    cases: int = 0
    posts: int = 0
    decisions: int = 0
    appeals: int = 0
    updates: int = 0
    handled: int = 0
    forwarded: Counter[int] = field(default_factory=Counter)
    bad_gateway: int = 0
    review_peak: int = 0
    leaders: int = 0
    duplicates_explained: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    drive_seconds: float = 0.0
    settle_seconds: float = 0.0
    violations: list[str] = field(default_factory=list)

    def flag(self, area: str, text: str) -> None:
        self.violations.append(f"[{area}] {text}")

    def in_area(self, *areas: str) -> list[str]:
        return [v for v in self.violations if any(v.startswith(f"[{a}]") for a in areas)]

    def lines(self) -> list[str]:
        explained = ", ".join(f"{why} {n}" for why, n in sorted(self.duplicates_explained.items()))
        forwarded = ", ".join(f"#{k} {n}" for k, n in sorted(self.forwarded.items()))
        killed = ", ".join(f"#{k} {n}x" for k, n in sorted(self.killed.items()))
        return [
            f"seed {self.seed}: {self.instances} instances, {self.seconds:.0f} s (drive "
            f"{self.drive_seconds:.0f} s, settle {self.settle_seconds:.0f} s), kills "
            f"{self.kills} ({killed or 'none'})",
            f"reports {self.reports_sent} one-message (attempts {self.attempts}, unanswered "
            f"attempts {self.unanswered_attempts}) + {self.guided} guided, receipts "
            f"{self.receipts}, stored {self.stored}",
            f"cases {self.cases}, posts {self.posts}, decisions {self.decisions}, appeals "
            f"{self.appeals}",
            f"updates {self.updates} (handling starts {self.handled}); POSTs forwarded per "
            f"instance: {forwarded}; answered 502 (instance down) {self.bad_gateway}",
            f"review chat: at most {self.review_peak} messages in any 60 s (limit "
            f"{REVIEW_PER_MINUTE}); jobs leadership intervals {self.leaders}",
            "duplicates Telegram applied whose first answer the bot never got: "
            + (explained or "none"),
            f"violations found: {len(self.violations)}",
            *(f"  VIOLATION: {v}" for v in self.violations),
        ]


# --- the proxy -------------------------------------------------------------------------------


class RoundRobinProxy:
    """Telegram's webhook URL: each POST goes to the next instance, its answer comes back;
    an instance that cannot be reached is a 502 (Telegram delivers the update again). Keeps
    each update's conversation, as the bot names it, for the order check."""

    def __init__(self, ports: Sequence[int], relay: int = 0) -> None:
        """`relay` > 0: answer Telegram 200 at once and forward on that many connections at
        a time, each update retried on the next instance until one answers 2xx (Telegram's
        max_connections; a benchmark's delivery, as the loopback POSTs one update at a
        time). Only for senders that wait for each answer: updates may overtake each other."""
        self._ports = list(ports)
        self._relay = asyncio.Semaphore(relay) if relay else None
        self._relayed: set[asyncio.Task[None]] = set()
        self._turn = itertools.cycle(range(len(self._ports)))
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.conversations: dict[int, str] = {}
        self.forwarded: Counter[int] = Counter()  # answered 2xx, by instance number
        self.bad_gateway = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT))
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, self._forward)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        for task in list(self._relayed):
            task.cancel()
        await asyncio.gather(*self._relayed, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        with contextlib.suppress(ValueError, TypeError, KeyError):
            update = Update.de_json(json.loads(body), None)
            if update is not None:
                self.conversations[update.update_id] = conversation_key(update)
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in {"content-type", "x-telegram-bot-api-secret-token"}
        }
        if self._relay is not None:
            task = asyncio.create_task(self._relay_one(body, headers))
            self._relayed.add(task)
            task.add_done_callback(self._relayed.discard)
            return web.Response(status=200, text="relayed")
        status, text = await self._post(body, headers)
        return web.Response(status=status, body=text)

    async def _relay_one(self, body: bytes, headers: dict[str, str]) -> None:
        assert self._relay is not None
        async with self._relay:
            while True:
                status, _ = await self._post(body, headers)
                if 200 <= status < 300:
                    return
                await asyncio.sleep(0.05)

    async def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """The next instance's answer to the POST: its status and body (502: unreachable)."""
        instance = next(self._turn)
        assert self._session is not None
        try:
            async with self._session.post(
                f"http://127.0.0.1:{self._ports[instance]}{WEBHOOK_PATH}",
                data=body,
                headers=headers,
            ) as answer:
                text = await answer.read()
                if 200 <= answer.status < 300:
                    self.forwarded[instance] += 1
                return answer.status, text
        except (aiohttp.ClientError, TimeoutError):
            self.bad_gateway += 1
            return BAD_GATEWAY, b"instance down"


# --- the database ----------------------------------------------------------------------------


async def pg_rows(dsn: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *params)]
    finally:
        await conn.close()


async def owed(dsn: str, *, notifications: bool = True) -> list[str]:
    """What the fleet still owes according to the database (empty when settled); without
    `notifications`, the reporters' news still in the undo window is not counted (only news
    already due is)."""
    due = "9999" if notifications else encode_time(datetime.now(UTC))
    (counts,) = await pg_rows(
        dsn,
        "SELECT (SELECT count(*) FROM case_posts p JOIN cases c ON c.id = p.case_id "
        "WHERE p.message_id IS NULL OR p.shown_version < c.version OR p.recheck_at IS NOT NULL), "
        "(SELECT count(*) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1), "
        "(SELECT count(*) FROM appeals WHERE message_id IS NULL OR shown_version < version), "
        "(SELECT count(*) FROM update_journal WHERE released_at IS NULL)",
        due,
    )
    names = ("case posts or edits", "notifications", "appeal posts or edits", "updates unhandled")
    return [f"{n} {name}" for n, name in zip(counts, names, strict=True) if n]


async def settle(
    server: LoopbackServer,
    dsn: str,
    timeout: float,  # noqa: ASYNC109
    say: Callable[[str], None] = print,
    *,
    notifications: bool = True,
) -> list[str]:
    """Waits until nothing is owed (saying what is, every ten seconds); what is still owed
    after `timeout`."""
    began = time.monotonic()
    told = began
    while time.monotonic() < began + timeout:
        left = await owed(dsn, notifications=notifications)
        if not left:
            return []
        if time.monotonic() - told >= 10:
            told = time.monotonic()
            say(f"    owed after {told - began:.0f} s of settling: " + ", ".join(left))
        with contextlib.suppress(TimeoutError):
            await server.wait_for(lambda: False, timeout=1.0)
    return await owed(dsn, notifications=notifications)


# --- the fleet -------------------------------------------------------------------------------


@dataclass
class Member:
    """One instance: its process (restarted after each kill) and its kills."""

    number: int
    port: int
    process: BotProcess
    kills: list[datetime] = field(default_factory=list)
    stopped_at: datetime | None = None


async def jobs_lease(dsn: str) -> tuple[str, datetime]:
    """Who holds the jobs lease, and until when (as the database has it)."""
    [(holder, expires_at)] = await pg_rows(
        dsn, "SELECT holder, expires_at FROM leases WHERE name = 'jobs'"
    )
    return str(holder), datetime.fromisoformat(str(expires_at))


def member_of(members: Sequence[Member], instance_id: str) -> Member:
    """The member whose process is the instance (its id is host:pid:random)."""
    pid = int(instance_id.rsplit(":", 2)[1])
    return next(m for m in members if m.process.pid == pid)


def logged(member: Member, event: str) -> list[dict[str, object]]:
    """The member's JSON log lines of `event`, every process it ran."""
    found = []
    for path in member.process.log_files:
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("{") and f'"{event}"' in line:
                    entry = json.loads(line)
                    if entry.get("event") == event:
                        found.append(entry)
    return found


def fleet_environment(
    server: LoopbackServer, dsn: str, review_id: int, moderators: Sequence[UserHandle], **extra: str
) -> dict[str, str]:
    """The environment every instance shares (one set of keys), without its port. The
    database starts empty and the instances migrate it as they start, together, as its owner
    (one role for both here: the fleet is about instances, tests/storage/test_pg_roles.py
    about roles)."""
    return _environment(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=server.base_url,
        DATABASE_URL=dsn,
        DATABASE_OWNER_URL=dsn,
        REVIEW_CHAT_ID=str(review_id),
        MODERATOR_IDS=",".join(str(m.id) for m in moderators),
        WEBHOOK_SECRET_TOKEN=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        REVIEW_MESSAGES_PER_MINUTE=str(REVIEW_PER_MINUTE),
        LOG_FORMAT="json",
        **extra,
    )


async def start_fleet(
    server: LoopbackServer,
    env: dict[str, str],
    count: int,
    folder: Path,
    pythonpath: str,
    relay: int = 0,
    arguments: Sequence[str] = (),
    *,
    together: bool = False,
) -> tuple[RoundRobinProxy, list[Member]]:
    """The proxy and `count` instances behind it, each taking updates; `together` starts them
    all at once (bench/scale.py, whose figures exclude start-up) instead of one by one."""
    ports = [free_port() for _ in range(count)]
    proxy = RoundRobinProxy(ports, relay)
    await proxy.start()
    members = []
    for number, port in enumerate(ports):
        own = folder / f"instance-{number}"
        own.mkdir(parents=True, exist_ok=True)
        member_env = {
            **env,
            "WEBHOOK_URL": proxy.url,
            "WEBHOOK_PORT": str(port),
            "PYTHONPATH": pythonpath,
        }
        members.append(Member(number, port, BotProcess(server, member_env, own, arguments)))
    if together:
        # Every process launched, then one accepted setWebhook each.
        taking = taking_updates(server)
        for member in members:
            await member.process.launch()
        await server.wait_for(lambda: taking_updates(server) >= taking + count, timeout=60)
        return proxy, members
    # One after another: each start waits for its own setWebhook.
    for member in members:
        await member.process.start()
    return proxy, members


async def stop_fleet(
    members: Sequence[Member], *, together: bool = False, grace: float = 60.0
) -> list[int | None]:
    """Each instance's graceful stop and exit code: one after another (the multi-instance
    round), or all at once when `together` (bench/scale.py, which checks nothing after); an
    instance still running `grace` seconds after its SIGTERM is killed (-9)."""

    async def stop(member: Member) -> int | None:
        code = await member.process.stop(grace)
        member.stopped_at = datetime.now(UTC)
        return code

    if together:
        return list(await asyncio.gather(*(stop(member) for member in members)))
    return [await stop(member) for member in members]


@dataclass
class ThreeInstances:
    """A round of three webhook instances: the chats and people it runs with."""

    server: LoopbackServer
    review: ChatHandle
    moderator: UserHandle
    reporter: UserHandle
    members: list[Member]


@contextlib.asynccontextmanager
async def three_instances(
    folder: Path,
    dsn: str,
    worktree: str,
    *,
    lease: int,
    claim: int,
    channels: Sequence[str],
) -> AsyncIterator[ThreeInstances]:
    """Three webhook instances on one PostgreSQL database behind the round-robin proxy, with
    the jobs lease and the outbox claim given (the takeover test and bench/fleet.py
    --takeover), a public channel for each of `channels` to report; stopped afterwards."""
    async with LoopbackServer(webhook_max_retry_delay=0.5) as server:
        server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Fleet Report Bot")
        mona = server.add_user(first_name="Mona", username="fleet_mona", language_code="en")
        review = server.add_supergroup(title="Review", members=[mona], bot_admin=True)
        rita = server.add_user(first_name="Rita", language_code="en")
        for n, channel in enumerate(channels):
            server.add_channel(title=f"Shop {n}", username=channel)
        env = fleet_environment(
            server,
            dsn,
            review.id,
            [mona],
            LOG_LEVEL="DEBUG",
            LEDGER_ANCHOR_DIR=str(folder / "anchors"),
            CASE_EDIT_DEBOUNCE_SECONDS="0",
            REVIEW_MESSAGE_GAP_SECONDS="0",
            REPORT_LIMIT_PER_HOUR="50",
            JOBS_LEASE_SECONDS=str(lease),
            OUTBOX_CLAIM_SECONDS=str(claim),
        )
        proxy, members = await start_fleet(server, env, 3, folder, worktree)
        try:
            yield ThreeInstances(server, review, mona, rita, members)
        finally:
            await stop_fleet(members)
            await proxy.stop()


# --- the drive -------------------------------------------------------------------------------


def _plan(config: FleetConfig, rng: random.Random) -> list[list[tuple[int, int, str]]]:
    """Per reporter, its (report number, target, category); never one target twice."""
    categories = [rng.choice(CATEGORIES) for _ in range(config.targets)]
    plans: list[list[tuple[int, int, str]]] = [[] for _ in range(config.reporters)]
    for number in range(config.reports):
        reporter = number % config.reporters
        taken = {target for _, target, _ in plans[reporter]}
        free = [t for t in range(config.targets) if t not in taken]
        if not free:
            raise ValueError("more reports per reporter than targets: use more reporters")
        target = rng.choice(free)
        plans[reporter].append((number, target, categories[target]))
    return plans


async def _until(server: LoopbackServer, condition: Callable[[], object], wait: float) -> bool:
    try:
        await server.wait_for(condition, timeout=wait)
    except TimeoutError:
        return False
    return True


def _newest(user: UserHandle, words: str) -> SentMessage | None:
    found = [m for m in user.messages() if words in m.text]
    return found[-1] if found else None


async def _tap(
    server: LoopbackServer, user: UserHandle, message: SentMessage, label: str, wait: float
) -> SentMessage | None:
    """Presses a button and waits for the bot to edit the message; None when it never did
    (a press is never repeated: the check shows what became of it)."""
    revision = user.revision(message)
    await user.press(user.message(message), text=label)
    if not await _until(server, lambda: user.revision(message) > revision, wait):
        return None
    return user.message(message)


@dataclass
class Guided:
    """What a guided reporter asked for and got."""

    user: UserHandle
    query: str
    target: str
    category: str
    receipt: int | None = None
    problem: str | None = None


async def _guided_report(world: World, drive: Drive, guided: Guided, wait: float) -> None:
    """The guided report: /report, the search and the result sent in one burst (their order
    is the bot's to keep), then the category, Skip and Submit."""
    server, user = world.server, guided.user
    for text in ("/report", guided.query, f"https://t.me/{guided.target}"):
        await user.send(text)
        drive.step()
    if not await _until(server, lambda: _newest(user, "What is wrong with it?"), wait):
        guided.problem = "never asked for the category: " + " | ".join(
            m.text[:60] for m in user.messages()
        )
        return
    prompt = _newest(user, "What is wrong with it?")
    assert prompt is not None
    comment = await _tap(server, user, prompt, CATEGORY_LABELS[guided.category], wait)
    # A question sent again after a kill mid-answer is where the report goes on (the press
    # on the first copy took its buttons away).
    comment = _newest(user, "Anything the moderators should know?") or comment
    drive.step()
    if comment is None or "Anything the moderators should know?" not in comment.text:
        guided.problem = f"no comment step after the category: {comment and comment.text[:80]}"
        return
    summary = await _tap(server, user, comment, "Skip", wait)
    drive.step()
    if summary is None or "Please check your report" not in summary.text:
        guided.problem = f"no summary after Skip: {summary and summary.text[:80]}"
        return
    receipt = await _tap(server, user, summary, "✅ Submit", wait)
    drive.step()
    match = RECEIPT.search(receipt.text) if receipt is not None else None
    if match is None:
        guided.problem = f"no receipt after Submit: {receipt and receipt.text[:80]}"
        return
    guided.receipt = int(match.group(1))


@dataclass
class Appeal:
    user: UserHandle
    case_id: int
    target: str
    appeal_id: int | None = None
    upheld: bool = False
    problem: str | None = None


async def _appeal(world: World, drive: Drive, appeal: Appeal, decided_by: str, wait: float) -> None:
    """The target's owner appeals; a moderator other than the deciding one upholds."""
    server, user = world.server, appeal.user
    await user.send(f"/appeal @{appeal.target} We removed every post that was reported.")
    drive.step()
    if not await _until(server, user.messages, wait):
        appeal.problem = "the appeal was never answered"
        return
    answer = user.messages()[0].text
    match = APPEAL_RECEIPT.search(answer)
    if match is None:
        appeal.problem = f"no appeal receipt: {answer[:100]}"
        return
    appeal.appeal_id = int(match.group(1))

    def posted() -> SentMessage | None:
        for message in world.review.messages():
            found = APPEAL_TITLE.search(message.text)
            if found and int(found.group(1)) == appeal.appeal_id and not message.deleted:
                return message
        return None

    if not await _until(server, posted, wait * 3):
        appeal.problem = f"appeal #{appeal.appeal_id} never posted"
        return
    other = next(m for m in world.moderators if f"@{m.username}" not in decided_by)
    deadline = time.monotonic() + wait * 3
    while time.monotonic() < deadline:
        seen = server.changes
        message = posted()
        assert message is not None
        if UPHELD.search(message.text):
            appeal.upheld = True
            return
        if "✅ Uphold" not in message.button_texts():
            await _next_change(server, seen)
            continue
        await other.press(message, text="✅ Uphold")
        drive.step()
        await _until(server, functools.partial(_appeal_changed, posted, message), 15)
    appeal.problem = f"appeal #{appeal.appeal_id} never shown upheld"


def _appeal_changed(posted: Callable[[], SentMessage | None], before: SentMessage) -> bool:
    now = posted()
    return now is not None and (now.html, now.reply_markup) != (before.html, before.reply_markup)


async def _killer(
    members: Sequence[Member], drive: Drive, points: Sequence[int], rng: random.Random
) -> None:
    """SIGKILLs one instance after another (in turn) at the drive's points, each started
    again at once (its start waits for its setWebhook)."""
    for index, point in enumerate(points):
        while drive.steps < point:
            drive.progressed.clear()
            await drive.progressed.wait()
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        member = members[index % len(members)]
        killed = await member.process.kill_and_restart()
        member.kills.append(killed)
        drive.kill_times.append(killed)


class _Alternating(random.Random):
    """The moderators' choice: approve, reject, approve, ... (an appeal needs an approval)."""

    def __init__(self) -> None:
        super().__init__(0)
        self._next = 0

    def random(self) -> float:
        self._next += 1
        return 0.0 if self._next % 2 else 0.9


async def _kill_every(
    members: Sequence[Member], drive: Drive, over: asyncio.Event, seconds: float
) -> None:
    """SIGKILLs the instances in turn every `seconds` until the drive is `over`."""
    for index in itertools.count():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(over.wait(), seconds)
        if over.is_set():
            return
        member = members[index % len(members)]
        killed = await member.process.kill_and_restart()
        member.kills.append(killed)
        drive.kill_times.append(killed)


# --- the run ---------------------------------------------------------------------------------


async def run_fleet(
    config: FleetConfig,
    folder: Path,
    dsn: str,
    pythonpath: str,
    say: Callable[[str], None] = print,
) -> FleetTotals:
    """One whole run: start, drive, kill, settle, stop, check."""
    rng = random.Random(config.seed)
    totals = FleetTotals(seed=config.seed, instances=config.instances)
    began = time.monotonic()
    say(
        f"seed {config.seed}: {config.instances} webhook instances on PostgreSQL, "
        f"{config.reports} one-message and {config.guided} guided reports on {config.targets} "
        f"targets, {config.decisions} decisions, {config.appeals} appeals, "
        + (
            f"{config.kills} kills"
            if config.kill_every is None
            else f"a kill every {config.kill_every:.0f} s"
        )
    )
    async with LoopbackServer(webhook_max_retry_delay=0.5) as server:
        server.add_bot(token=TOKEN, username=BOT_USERNAME, first_name="Fleet Report Bot")
        moderators = [
            server.add_user(
                first_name=f"Mod{n}",
                username=f"fleet_mod_{n}",
                language_code="en",
                user_id=MODERATOR_BASE_ID + n,
            )
            for n in range(config.moderators)
        ]
        review = server.add_supergroup(title="Review", members=moderators, bot_admin=True)
        names = [f"fleet_target_{n}" for n in range(config.targets)]
        for name in names:
            server.add_channel(title=name, username=name)
        reporters = [
            server.add_user(first_name=f"R{n}", language_code="en") for n in range(config.reporters)
        ]
        guided = [
            Guided(
                server.add_user(first_name=f"G{n}", language_code="en"),
                query=f"fleet guided query {n}",
                target=names[rng.randrange(config.targets)],
                category=rng.choice(CATEGORIES),
            )
            for n in range(config.guided)
        ]
        world = World(server, review, moderators, reporters, names, folder)
        env = fleet_environment(
            server,
            dsn,
            review.id,
            moderators,
            LOG_LEVEL="DEBUG" if config.debug_log else "INFO",
            LEDGER_ANCHOR_DIR=str(folder / "anchors"),
            REPORT_LIMIT_PER_HOUR="50",
            UNDO_WINDOW_MINUTES="1",
            CASE_EDIT_DEBOUNCE_SECONDS="5",
            CASE_EDIT_RECHECK_SECONDS="10",
            REVIEW_MESSAGE_GAP_SECONDS="0",
        )
        proxy, members = await start_fleet(server, env, config.instances, folder, pythonpath)
        say(f"  {config.instances} instances up after {time.monotonic() - began:.0f} s")
        soak = SoakConfig(
            reports=config.reports,
            decisions=config.decisions,
            kills=config.kills,
            seed=config.seed,
            answer_timeout=config.answer_timeout,
            settle_timeout=config.settle_timeout,
        )
        drive = Drive()
        plans = _plan(config, rng)
        total_steps = config.reports + 5 * config.guided + 2 * config.decisions
        points = sorted(
            rng.sample(range(1, max(2, total_steps)), min(config.kills, total_steps - 1))
        )
        over = asyncio.Event()
        killer = asyncio.create_task(
            _killer(members, drive, points, rng)
            if config.kill_every is None
            else _kill_every(members, drive, over, config.kill_every)
        )
        gate = asyncio.Semaphore(config.concurrency)
        appeals: list[Appeal] = []
        stop_from: datetime | None = None
        codes: list[int | None] = []
        drive_began = time.monotonic()

        async def reporter_task(user: UserHandle, plan: list[tuple[int, int, str]]) -> None:
            for index, item in enumerate(plan):
                if index and config.pace:
                    await asyncio.sleep(config.pace)
                async with gate:
                    await _file_reports(world, drive, user, [item], soak)

        async def guided_task(index: int, each: Guided) -> None:
            await asyncio.sleep(index * config.pace)
            async with gate:
                await _guided_report(world, drive, each, config.answer_timeout)

        try:
            moderation = asyncio.create_task(_moderate(world, drive, soak, _Alternating()))
            await asyncio.gather(
                *(reporter_task(u, p) for u, p in zip(reporters, plans, strict=True)),
                *(guided_task(index, each) for index, each in enumerate(guided)),
            )
            say(f"  reports driven after {time.monotonic() - began:.0f} s")
            await moderation
            say(f"  decisions made after {time.monotonic() - began:.0f} s")
            approved = [
                (case_id, message.text)
                for case_id, message in sorted(_case_messages(review).items())
                if drive.decided.get(case_id) == "approved"
            ]
            targets_of = await _case_targets(dsn)
            for n, (case_id, _) in enumerate(approved[: config.appeals]):
                owner = server.add_user(first_name=f"Owner{n}", language_code="en")
                appeals.append(Appeal(owner, case_id, targets_of[case_id]))
            await asyncio.gather(
                *(
                    _appeal(world, drive, each, text, config.answer_timeout)
                    for each, (_, text) in zip(appeals, approved, strict=False)
                )
            )
            drive.steps = total_steps + 10 * config.appeals
            drive.progressed.set()
            over.set()
            await killer
            totals.drive_seconds = time.monotonic() - drive_began
            say(f"  drive over after {time.monotonic() - began:.0f} s")
            settle_began = time.monotonic()
            left = await settle(
                server, dsn, config.settle_timeout, say, notifications=config.notifications
            )
            totals.settle_seconds = time.monotonic() - settle_began
            if left:
                totals.flag("delivery", "still owed after settling: " + ", ".join(left))
            say(f"  settled after {time.monotonic() - began:.0f} s")
        finally:
            killer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await killer
            stop_from = datetime.now(UTC)
            codes = await stop_fleet(members)
            await proxy.stop()
        for member, code in zip(members, codes, strict=True):
            if code != 0:
                totals.flag("process", f"instance #{member.number} stopped with {code}")
            if member.process.exits:
                totals.flag("process", f"instance #{member.number} ended on its own")
        totals.kills = sum(len(m.kills) for m in members)
        totals.killed = Counter({m.number: len(m.kills) for m in members if m.kills})
        totals.forwarded = proxy.forwarded
        totals.bad_gateway = proxy.bad_gateway
        totals.attempts, totals.unanswered_attempts = drive.attempts, drive.unanswered
        totals.reports_sent = config.reports
        await check(world, drive, config, totals, server.calls(), dsn, guided, appeals)
        logs = _log_events(members)
        check_order(totals, logs, proxy.conversations, await _releases(dsn))
        check_leadership(
            totals, logs, members, stop_from if stop_from is not None else datetime.now(UTC)
        )
        if totals.in_area("budget"):
            for line in budget_timeline(server.calls(), str(review.id), logs, members):
                say("  " + line)
        if totals.violations:
            errors = Counter(
                str(e.get("event")) for e in logs if e.get("level") in {"error", "critical"}
            )
            say("  bot logs (errors): " + ", ".join(f"{k} x{n}" for k, n in errors.most_common(8)))
    totals.seconds = time.monotonic() - began
    return totals


async def _case_targets(dsn: str) -> dict[int, str]:
    """Each case's target as a reporter named it (its username)."""
    found = await pg_rows(dsn, "SELECT case_id, raw_input FROM reports ORDER BY id")
    return {int(case_id): str(raw).rsplit("/", 1)[-1].lstrip("@") for case_id, raw in found}


async def _releases(dsn: str) -> dict[int, datetime]:
    found = await pg_rows(
        dsn, "SELECT update_id, released_at FROM update_journal WHERE released_at IS NOT NULL"
    )
    return {int(update_id): _time(str(at)) for update_id, at in found}


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the checks ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One JSON line of an instance's log, with which instance and process wrote it."""

    member: int
    generation: int
    at: datetime
    fields: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.fields.get(key)


def _log_events(members: Sequence[Member]) -> list[LogEvent]:
    events = []
    for member in members:
        for generation, path in enumerate(member.process.log_files, start=1):
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if isinstance(entry, dict) and "timestamp" in entry:
                        at = _time(str(entry["timestamp"]))
                        events.append(LogEvent(member.number, generation, at, entry))
    return sorted(events, key=lambda e: e.at)


def check_order(
    totals: FleetTotals,
    logs: Sequence[LogEvent],
    conversations: dict[int, str],
    released: dict[int, datetime],
) -> None:
    """Within each conversation, in update_id order: every handling start of an update comes
    after the release of the one before (which is written after its handling ended), so no
    two overlap and none runs ahead of an earlier one."""
    starts: dict[int, list[datetime]] = defaultdict(list)
    for event in logs:
        if event.get("event") == "update_processing" and isinstance(event.get("update_id"), int):
            starts[int(event.get("update_id"))].append(event.at)
    totals.updates = len(conversations)
    totals.handled = sum(len(s) for s in starts.values())
    if not starts:
        totals.flag("order", "no update_processing events in the logs (LOG_LEVEL DEBUG?)")
        return
    never = sorted(set(conversations) - set(starts))
    if never:
        totals.flag("order", f"{len(never)} delivered updates never handled, e.g. {never[:5]}")
    unreleased = sorted(set(conversations) - set(released))
    if unreleased:
        totals.flag("order", f"{len(unreleased)} updates never released, e.g. {unreleased[:5]}")
    by_conversation: dict[str, list[int]] = defaultdict(list)
    for update_id, key in conversations.items():
        by_conversation[key].append(update_id)
    for key, update_ids in by_conversation.items():
        for earlier, later in itertools.pairwise(sorted(update_ids)):
            done = released.get(earlier)
            if done is None:
                continue
            early = [at for at in starts.get(later, []) if at < done]
            if early:
                totals.flag(
                    "order",
                    f"conversation {key}: update {later} started at {early[0].isoformat()}, "
                    f"before update {earlier} was released at {done.isoformat()}",
                )


def check_leadership(
    totals: FleetTotals, logs: Sequence[LogEvent], members: Sequence[Member], until: datetime
) -> None:
    """The jobs lease's holders, from each process's `lease_taken` to its `lease_lost`, its
    stop or its kill, up to when the fleet was being stopped: never two at once."""
    ends: dict[tuple[int, int], datetime] = {}
    for member in members:
        for generation, killed in enumerate(member.kills, start=1):
            ends[(member.number, generation)] = killed
    intervals: list[tuple[datetime, datetime, str]] = []
    open_at: dict[tuple[int, int], datetime] = {}
    for event in logs:
        process = (event.member, event.generation)
        name = event.get("event")
        if name == "lease_taken" and event.get("lease") == "jobs":
            open_at[process] = event.at
        elif name in {"lease_lost", "instance_stopped", "instance_heartbeat_failed"}:
            if name == "lease_lost" and event.get("lease") != "jobs":
                continue
            began = open_at.pop(process, None)
            if began is not None:
                intervals.append((began, event.at, f"#{process[0]}/{process[1]}"))
    for process, began in open_at.items():
        end = ends.get(process, until)
        intervals.append((began, min(end, until), f"#{process[0]}/{process[1]}"))
    intervals = [(a, min(b, until), who) for a, b, who in intervals if a < until]
    intervals.sort()
    totals.leaders = len(intervals)
    if not intervals:
        totals.flag("leadership", "no instance ever took the jobs lease")
    for (_, first_end, first), (second_start, _, second) in itertools.pairwise(intervals):
        if second_start < first_end:
            totals.flag(
                "leadership",
                f"{second} took the jobs lease at {second_start.isoformat()} while {first} "
                f"held it until {first_end.isoformat()}",
            )


def review_peak(calls: Sequence[ApiCall], review_chat: str) -> tuple[int, datetime | None]:
    """The most messages (sendMessage and editMessageText) Telegram applied to the review
    chat within any 60 seconds, and when that window began."""
    times = sorted(
        _at(call)
        for call in calls
        if call.method in {"sendMessage", "editMessageText"}
        and call.ok
        and not call.pending
        and call.params.get("chat_id") == review_chat
    )
    peak, when, first = 0, None, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - WINDOW:
            first += 1
        if last - first + 1 > peak:
            peak, when = last - first + 1, times[first]
    return peak, when


def budget_timeline(
    calls: Sequence[ApiCall],
    review_chat: str,
    logs: Sequence[LogEvent],
    members: Sequence[Member],
) -> list[str]:
    """The busiest 60 s in the review chat beside the kills and the jobs lease's changes:
    which leader's posts and which presses' edits filled it."""
    peak, began = review_peak(calls, review_chat)
    if began is None:
        return []
    end = began + WINDOW
    lines = [f"the busiest 60 s in the review chat ({peak} messages) and around it:"]
    moments: list[tuple[datetime, str]] = []
    for call in calls:
        at = _at(call)
        if (
            call.method in {"sendMessage", "editMessageText"}
            and call.ok
            and not call.pending
            and call.params.get("chat_id") == review_chat
            and began - WINDOW <= at < end
        ):
            text = TAG.sub("", call.params.get("text", "")).splitlines()[0][:50]
            inside = "*" if at >= began else " "
            moments.append((at, f"{inside} {call.method} {text}"))
    for member in members:
        for killed in member.kills:
            if began - WINDOW <= killed < end:
                moments.append((killed, f"  SIGKILL instance #{member.number}"))
    for event in logs:
        if event.get("event") in {"lease_taken", "lease_lost"} and began - WINDOW <= event.at < end:
            moments.append(
                (event.at, f"  {event.get('event')} {event.get('lease')} by #{event.member}")
            )
    lines.extend(f"{at.time()} {what}" for at, what in sorted(moments))
    return lines


def _at(call: ApiCall) -> datetime:
    return call.at if isinstance(call.at, datetime) else datetime.fromisoformat(str(call.at))


async def check(
    world: World,
    drive: Drive,
    config: FleetConfig,
    totals: FleetTotals,
    calls: Sequence[ApiCall],
    dsn: str,
    guided: Sequence[Guided],
    appeals: Sequence[Appeal],
) -> None:
    kills = drive.kill_times
    explained: Counter[str] = Counter()

    def duplicates(what: str, groups: dict[Any, list[ApiCall]]) -> None:
        for key, copies in groups.items():
            if len(copies) > 1:
                why, unexplained = _explain_duplicates(copies, kills, False)
                explained.update(why)
                if unexplained:
                    totals.flag(what + "s", f"{what} {key} sent {len(copies)}x without a reason")

    # Reports: one-message receipts, guided receipts, storage.
    stored = {
        int(report_id): (int(reporter), str(query), str(raw), str(category), str(source))
        for report_id, reporter, query, raw, category, source in await pg_rows(
            dsn, "SELECT id, reporter_id, query, raw_input, category, source FROM reports"
        )
    }
    totals.stored = len(stored)
    per_query = Counter((s[0], s[1]) for s in stored.values())
    twice = [key for key, n in per_query.items() if n > 1]
    if twice:
        totals.flag("reports", f"{len(twice)} reports stored more than once, e.g. {twice[:3]}")
    reporter_ids = {user.id for user in world.reporters}
    receipts: dict[tuple[int, int], list[ApiCall]] = defaultdict(list)
    for call in _applied(calls, "sendMessage"):
        chat = int(call.params.get("chat_id", "0"))
        match = RECEIPT.search(call.params.get("text", ""))
        if chat in reporter_ids and match:
            receipts[(chat, int(match.group(1)))].append(call)
    totals.receipts = len(receipts)
    for reporter, report_id in receipts:
        if stored.get(report_id, (None,))[0] != reporter:
            totals.flag("reports", f"receipt for report #{report_id} but no such report stored")
    unanswered = config.reports - len(drive.answered_reports)
    if unanswered:
        totals.flag("reports", f"{unanswered} one-message reports never answered after 3 tries")
    if drive.unanswered:
        totals.flag("reports", f"{drive.unanswered} report messages got no answer in time")
    answered_stored = {int(m.group(1)) for s in stored.values() if (m := QUERY.search(s[1]))}
    lost = drive.answered_reports - answered_stored
    if lost:
        totals.flag("reports", f"{len(lost)} answered reports not stored, e.g. {sorted(lost)[:5]}")
    for each in guided:
        if each.problem is not None:
            totals.flag("guided", f"{each.query}: {each.problem}")
            continue
        totals.guided += 1
        totals.receipts += 1
        found = stored.get(each.receipt or -1)
        wanted = (
            each.user.id,
            each.query,
            f"https://t.me/{each.target}",
            each.category,
            "guided",
        )
        if found != wanted:
            totals.flag("guided", f"report #{each.receipt} stored as {found}, asked {wanted}")
    filed = Counter(
        json.loads(str(details)).get("report_id")
        for (details,) in await pg_rows(
            dsn, "SELECT details FROM audit_log WHERE action = 'report.filed'"
        )
    )
    if set(filed) != set(stored) or any(n != 1 for n in filed.values()):
        totals.flag("audit", f"report.filed entries {dict(filed)} for reports {sorted(stored)}")

    # Cases: each posted once, showing its current version.
    cases = {
        int(case_id): (str(status), version, message_id, shown)
        for case_id, status, version, message_id, shown in await pg_rows(
            dsn,
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
    in_chat = {m.message_id: m for m in world.review.messages()}
    showing = _case_messages(world.review)
    for case_id, (_, version, message_id, shown) in cases.items():
        if message_id is None:
            totals.flag("cases", f"case {case_id} never posted")
            continue
        message = in_chat.get(int(message_id))
        if message is None or message.deleted or CASE.search(message.text) is None:
            totals.flag("cases", f"case {case_id}: message {message_id} is not in the chat")
        if shown is None or shown < version:
            totals.flag("cases", f"case {case_id}: its message shows version {shown} of {version}")
        live = [
            m
            for m in world.review.messages()
            if not m.deleted and (f := CASE.search(m.text)) and int(f.group(1)) == case_id
        ]
        if len(live) != 1:
            totals.flag("cases", f"case {case_id} has {len(live)} messages in the review chat")

    # Decisions: applied once (one audit row), shown on the case message.
    for case_id, message in showing.items():
        if case_id not in drive.decided and DECIDED.search(message.text):
            drive.decided[case_id] = "approved" if "Approved by" in message.text else "rejected"
    decided = {case_id: status for case_id, (status, *_) in cases.items() if status != "pending"}
    totals.decisions = len(decided)
    if len(decided) != config.decisions or set(decided) != set(drive.decided):
        totals.flag(
            "decisions",
            f"{len(decided)} decided in the database, {len(drive.decided)} seen decided, "
            f"{config.decisions} asked for",
        )
    for case_id, seen in drive.decided.items():
        if decided.get(case_id) != seen:
            totals.flag("decisions", f"case {case_id} shows {seen} but is {decided.get(case_id)}")
        message_id = cases[case_id][2] if case_id in cases else None
        shown_msg = in_chat.get(int(message_id)) if message_id is not None else None
        if shown_msg is None or DECIDED.search(shown_msg.text) is None:
            totals.flag("decisions", f"case {case_id}: the decision is not on its message")
    decisions_audit = Counter(
        int(subject)
        for (subject,) in await pg_rows(
            dsn,
            "SELECT subject_id FROM audit_log WHERE action IN ('case.approved', 'case.rejected')",
        )
    )
    for case_id in decided:
        if decisions_audit.get(case_id) != 1:
            totals.flag(
                "audit", f"case {case_id} has {decisions_audit.get(case_id, 0)} decision entries"
            )
    if set(decisions_audit) - set(decided):
        totals.flag("audit", "decision audit entries for undecided cases")

    # Appeals: each posted once, upheld once, shown.
    appeal_posts: dict[int, list[ApiCall]] = defaultdict(list)
    for call in _applied(calls, "sendMessage"):
        match = APPEAL_TITLE.search(TAG.sub("", call.params.get("text", "")))
        if call.params.get("chat_id") == review_chat and match:
            appeal_posts[int(match.group(1))].append(call)
    duplicates("appeal", appeal_posts)
    upheld_audit = Counter(
        int(subject)
        for (subject,) in await pg_rows(
            dsn, "SELECT subject_id FROM audit_log WHERE action = 'appeal.upheld'"
        )
    )
    statuses = dict(await pg_rows(dsn, "SELECT id, status FROM appeals"))
    for appeal in appeals:
        if appeal.problem is not None:
            totals.flag("appeals", f"appeal on case {appeal.case_id}: {appeal.problem}")
            continue
        totals.appeals += 1
        assert appeal.appeal_id is not None
        if statuses.get(appeal.appeal_id) != "upheld" or upheld_audit.get(appeal.appeal_id) != 1:
            totals.flag(
                "appeals",
                f"appeal #{appeal.appeal_id} is {statuses.get(appeal.appeal_id)} with "
                f"{upheld_audit.get(appeal.appeal_id, 0)} appeal.upheld entries",
            )
        if not appeal_posts.get(appeal.appeal_id):
            totals.flag("appeals", f"appeal #{appeal.appeal_id} never posted")
    if config.appeals and not appeals:
        totals.flag("appeals", "no approved case to appeal (another seed?)")

    # The review group's per-minute limit, as Telegram counted the bot's messages there.
    peak, when = review_peak(calls, review_chat)
    totals.review_peak = peak
    if peak > REVIEW_PER_MINUTE:
        totals.flag(
            "budget",
            f"{peak} messages to the review chat within 60 s from {when and when.isoformat()} "
            f"(limit {REVIEW_PER_MINUTE})",
        )
    totals.duplicates_explained = dict(explained)
