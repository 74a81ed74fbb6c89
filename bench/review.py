"""Benchmark: a wave of reports and the review chat under Telegram's flood limits.

10,000 one-message reports (`/report <@username or t.me link> <category> <query>`) on 2,000
public channels arrive within one minute from 2,000 simulated reporters (five each, twelve
seconds apart, inside the default hourly limit). The real bot runs as `report-bot run` in its
own process with a real SQLite file; the loopback Bot API server enforces Telegram's flood
limits (20 messages a minute per group, one a second per chat, edits counted like posts) and
answers 429 with retry_after beyond them. The review chat is a supergroup with the bot as admin.

Two deliberate departures from production, both options: the bot runs with
`--no-rate-limiter` (python-telegram-bot's AIORateLimiter holds every request that names a chat,
getChat included, to 30 a second, i.e. 15 reports a second, so the review chat's own budget is
what keeps it within the limits here), and the loopback's overall limit is 1,000 messages a
second instead of Telegram's ~30 (10,000 receipts in a minute need 167 a second).

    .venv/bin/python bench/review.py                   # the recorded figures (about 5 minutes)
    .venv/bin/python bench/review.py --quick           # the short round CI runs (QUICK)

Prints receipts, cases, posts and edits per minute in the review chat, the most in any
60-second window (at most 20, or the run fails), the 429 answers, the time from the first report
until every case is posted or queued (queued: the backlog digest is in the chat), a none-lost
check (every receipt's report stored, every case with a case_posts row, no case posted twice; a
failure fails the run), and the ratio of report throughput with review posting to the same load
with REVIEW_CHAT_ID unset, measured in the same run, each scenario in a fresh process.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import dataclasses
import datetime as dtm
import json
import math
import os
import random
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopback import ApiCall, ChatHandle, FloodLimits, LoopbackServer, UserHandle
from moderation.reporting.categories import KNOWN_SEVERITY
from storage.crypto import new_key_text, new_secret_text

TOKEN = "100001:BENCH-loopback-token-not-a-secret-0"
BOT_USERNAME = "bench_review_bot"
GROUP_LIMIT = 20  # Telegram: about 20 messages a minute in one group
WINDOW = 60.0
RESULT_PREFIX = "RESULT "
ANSWER_GRACE = 60.0  # after arrival, how long to wait for the last receipts
#: Categories of the reported channels: a few of the most severe, mostly everyday ones.
CATEGORY_WEIGHTS = {
    "csam": 2,
    "terrorism": 3,
    "weapons": 8,
    "violence": 7,
    "drugs": 25,
    "doxxing": 5,
    "scam": 25,
    "illegal_goods": 15,
    "other": 10,
}
RECEIPT = re.compile(r"Report #(\d+) received")
CASE = re.compile(r"Case #(\d+)")
RETRY_AFTER = re.compile(r"retry after (\d+)")
#: The short CI round: the same arrival rate as the full wave (100 reports a second) for 3 s,
#: on 100 targets (a backlog forms: 100 cases, about 15 posts a minute), the review chat
#: watched 4 s more; every check and figure runs (bench/README.md).
QUICK = {"reports": 300, "targets": 100, "seconds": 3.0, "observe": 4.0}


@dataclass(frozen=True)
class Wave:
    """Who reports what and when: reports evenly spread over `seconds`, reporter k % reporters
    files report k, on a different target each time; every target is reported."""

    reports: int
    targets: int
    reporters: int
    seconds: float
    seed: int

    @property
    def per_reporter(self) -> int:
        return math.ceil(self.reports / self.reporters)

    def plan(self) -> tuple[list[tuple[float, int, int]], list[str]]:
        """(offset, reporter, target) per report, and each target's category."""
        rng = random.Random(self.seed)
        categories = rng.choices(
            list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()), k=self.targets
        )
        order = list(range(self.targets))
        rng.shuffle(order)
        taken: list[set[int]] = [set() for _ in range(self.reporters)]
        plan = []
        for k in range(self.reports):
            reporter = k % self.reporters
            slot = k % self.targets
            while order[slot] in taken[reporter]:  # one report per reporter and target
                slot = (slot + 1) % self.targets
            taken[reporter].add(order[slot])
            plan.append((k * self.seconds / self.reports, reporter, order[slot]))
        return plan, categories


def target_text(number: int) -> str:
    """Half the targets as @username, half as t.me links, all public channels."""
    name = f"bench_target_{number}"
    return f"@{name}" if number % 2 == 0 else f"https://t.me/{name}"


@dataclass
class Result:
    """What one scenario measured (JSON between the processes)."""

    name: str
    sent: int
    answered: int
    acknowledged: int
    stored: int
    cases: int
    arrival_seconds: float
    last_answer_seconds: float
    latency_p50: float
    latency_p95: float
    latency_max: float
    bot_cpu_seconds: float
    unstored: int = 0  # acknowledged but not in `reports`
    problems: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Acknowledged reports per second, from the first report to the last answer."""
        return self.acknowledged / self.last_answer_seconds if self.last_answer_seconds else 0.0


# --- the bot process ---------------------------------------------------------------------


def environment(**variables: str) -> dict[str, str]:
    kept = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    # Fresh keys each run: the bot refuses to start without them.
    keys = {"ENCRYPTION_KEY": new_key_text("bench"), "BLIND_INDEX_KEY": new_secret_text()}
    return {**kept, **keys, **variables}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def start_bot(
    server: LoopbackServer, env: dict[str, str], log_file: Path, rate_limiter: bool = True
) -> asyncio.subprocess.Process:
    """`report-bot run` in a process of its own, once it polls the loopback server."""
    polls = len(server.calls("getUpdates"))
    command = os.environ.get("BENCH_BOT_COMMAND", f"{sys.executable} -m bot").split()
    arguments = ["run"] if rate_limiter else ["run", "--no-rate-limiter"]
    with log_file.open("wb") as log:  # a file, not a pipe: a full pipe would stall the bot
        process = await asyncio.create_subprocess_exec(
            *command, *arguments, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log
        )
    await server.wait_for(lambda: len(server.calls("getUpdates")) > polls, timeout=60)
    return process


async def stop_bot(
    process: asyncio.subprocess.Process, log_file: Path, seconds: float = 60.0
) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"the bot did not stop within {seconds:.0f} s of SIGTERM") from None
    if process.returncode not in (0, -signal.SIGTERM):
        tail = log_file.read_bytes()[-2000:].decode(errors="replace")  # noqa: ASYNC240
        raise RuntimeError(f"bot exited with {process.returncode}: {tail}")


def log_events(log_file: Path) -> Counter[str]:
    """Warnings and errors the bot logged, by level and event."""
    events: Counter[str] = Counter()
    for line in log_file.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            events[f"(not JSON) {line[:60]}"] += 1
            continue
        if isinstance(entry, dict):
            events[f"{entry.get('level', '?')} {entry.get('event', '?')}"] += 1
    return events


# --- driving the wave --------------------------------------------------------------------


@dataclass
class Sent:
    reporter: UserHandle
    at: float  # epoch seconds


async def _send_wave(
    users: Sequence[UserHandle], plan: Sequence[tuple[float, int, int]], categories: Sequence[str]
) -> tuple[float, list[Sent], float]:
    """Sends on schedule whatever the bot does (open loop); returns start, sends, worst lag."""
    loop = asyncio.get_running_loop()
    start_mono, start = loop.time(), time.time()
    sent: list[Sent] = []
    worst = 0.0
    for number, (offset, reporter, target) in enumerate(plan):
        delay = start_mono + offset - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        worst = max(worst, -delay)
        user = users[reporter]
        at = time.time()
        await user.send(f"/report {target_text(target)} {categories[target]} bench query {number}")
        sent.append(Sent(user, at))
    return start, sent, worst


def _is_answer(call: ApiCall) -> bool:
    """A message the bot sent in a private chat (a reporter's answer)."""
    return call.method == "sendMessage" and call.ok and int(call.params.get("chat_id", "0")) > 0


def _answers(calls: Sequence[ApiCall]) -> dict[int, list[ApiCall]]:
    """The bot's messages in private chats, per user, in order."""
    by_chat: dict[int, list[ApiCall]] = {}
    for call in calls:
        if _is_answer(call):
            by_chat.setdefault(int(call.params["chat_id"]), []).append(call)
    return by_chat


class _AnswerCount:
    """Answers so far, counted as the calls come in: each call is read once it is complete
    (the loopback logs a call as pending and replaces it when answered), so waiting costs
    the driver nothing per call already counted, even at 10,000 reports."""

    def __init__(self, server: LoopbackServer) -> None:
        self._server = server
        self._next = 0
        self._pending: list[int] = []
        self.count = 0

    def reached(self, expected: int) -> bool:
        calls = self._server.calls()
        pending = []
        for index in [*self._pending, *range(self._next, len(calls))]:
            if calls[index].pending:
                pending.append(index)
            elif _is_answer(calls[index]):
                self.count += 1
        self._pending, self._next = pending, len(calls)
        return self.count >= expected


async def _wait_for_answers(server: LoopbackServer, expected: int, deadline: float) -> None:
    """Returns once every report was answered (woken by each call), or at `deadline`."""
    count = _AnswerCount(server)
    with contextlib.suppress(TimeoutError):
        await server.wait_for(
            lambda: count.reached(expected), timeout=max(0.0, deadline - time.time())
        )


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _epoch(value: str | dtm.datetime) -> float:
    moment = dtm.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.timestamp()


# --- the scenario ------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    wave: Wave
    observe: float
    global_per_second: int
    rate_limiter: bool
    timeline: bool = False


async def measure(scenario: str, options: Options) -> Result:
    wave = options.wave
    limits = FloodLimits(
        per_group_per_minute=GROUP_LIMIT,
        per_chat_per_second=1,
        global_per_second=options.global_per_second,
        count_edits=True,
    )
    async with LoopbackServer(flood_limits=limits) as server:
        server.add_bot(token=TOKEN, username=BOT_USERNAME)
        review = server.add_supergroup(title="Review", bot_admin=True)
        for number in range(wave.targets):
            server.add_channel(title=f"Bench target {number}", username=f"bench_target_{number}")
        users = [
            server.add_user(first_name=f"R{n}", language_code="en") for n in range(wave.reporters)
        ]
        plan, categories = wave.plan()
        with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
            database, log_file = Path(folder) / "bench.sqlite3", Path(folder) / "bot.log"
            limit_hour = max(20, wave.per_reporter)
            env = environment(
                BOT_TOKEN=TOKEN,
                TELEGRAM_API_BASE_URL=server.base_url,
                DATABASE_PATH=str(database),
                REVIEW_CHAT_ID=str(review.id) if scenario == "review" else "",
                POLL_TIMEOUT_SECONDS="1",
                REPORT_LIMIT_PER_HOUR=str(limit_hour),
                REPORT_LIMIT_PER_DAY=str(max(100, limit_hour)),
                LOG_LEVEL="WARNING",
                LOG_FORMAT="json",
            )
            cpu_before = _children_cpu()
            process = await start_bot(server, env, log_file, options.rate_limiter)
            try:
                start, sent, lag = await _send_wave(users, plan, categories)
                arrival = time.time() - start
                print(
                    f"  {len(sent)} reports sent in {arrival:.1f} s "
                    f"(planned {wave.seconds:.0f} s, sender at most {lag:.2f} s late)"
                )
                end = start + wave.seconds + (options.observe if scenario == "review" else 0)
                await _wait_for_answers(server, len(sent), max(end, time.time() + ANSWER_GRACE))
                if scenario == "review":
                    await asyncio.sleep(max(0.0, end - time.time()))
            finally:
                await stop_bot(process, log_file)
            cpu = _children_cpu() - cpu_before
            calls = server.calls()
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
                result = _reporting_figures(scenario, conn, calls, start, sent, arrival, cpu)
                if scenario == "review":
                    _review_figures(conn, calls, review, start, result)
                    if options.timeline:
                        _timeline(calls, review, start)
            events = log_events(log_file)
            if events:
                print(
                    "  bot warnings/errors: "
                    + ", ".join(f"{name} ×{n}" for name, n in events.most_common(8))
                )
    return result


def _reporting_figures(
    scenario: str,
    conn: sqlite3.Connection,
    calls: Sequence[ApiCall],
    start: float,
    sent: Sequence[Sent],
    arrival: float,
    cpu: float,
) -> Result:
    answers = _answers(calls)
    latencies: list[float] = []
    acknowledged: dict[int, int] = {}  # report id -> reporter
    other: Counter[str] = Counter()
    per_reporter: dict[int, list[float]] = {}
    for item in sent:
        per_reporter.setdefault(item.reporter.id, []).append(item.at)
    last = start
    for reporter, times in per_reporter.items():
        # One sender's updates are handled in order: the n-th answer is the n-th report's.
        for at, answer in zip(times, answers.get(reporter, []), strict=False):
            answered = _epoch(answer.at)
            latencies.append(answered - at)
            last = max(last, answered)
            text = answer.params.get("text", "")
            match = RECEIPT.search(text)
            if match:
                acknowledged[int(match.group(1))] = reporter
            else:
                other[re.sub(r"\d+", "N", re.sub(r"<[^>]+>", "", text))[:50]] += 1
    answered_count = len(latencies)
    stored_rows = dict(conn.execute("SELECT id, reporter_id FROM reports").fetchall())
    cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    problems = []
    missing = [rid for rid, who in acknowledged.items() if stored_rows.get(rid) != who]
    if missing:
        problems.append(
            f"{len(missing)} acknowledged reports not in `reports` (e.g. {missing[:5]})"
        )
    if answered_count < len(sent):
        problems.append(f"{len(sent) - answered_count} reports never answered")
    print(
        f"  receipts: {len(acknowledged)} of {len(sent)} reports; stored: {len(stored_rows)}; "
        f"cases: {cases}; bot CPU {cpu:.1f} s"
    )
    too_many = _too_many(calls)
    print(
        f"  429 answers: {sum(too_many.values())}"
        + (" (" + ", ".join(f"{k} ×{n}" for k, n in sorted(too_many.items())) + ")")
        * bool(too_many)
    )
    if other:
        print("  other answers: " + ", ".join(f"{t!r} ×{n}" for t, n in other.most_common(4)))
    print(
        f"  receipt latency p50 {_percentile(latencies, 0.5):.2f} s, "
        f"p95 {_percentile(latencies, 0.95):.2f} s, max {max(latencies, default=0):.2f} s"
    )
    return Result(
        name=scenario,
        sent=len(sent),
        answered=answered_count,
        acknowledged=len(acknowledged),
        stored=len(stored_rows),
        cases=cases,
        arrival_seconds=arrival,
        last_answer_seconds=last - start,
        latency_p50=_percentile(latencies, 0.5),
        latency_p95=_percentile(latencies, 0.95),
        latency_max=max(latencies, default=0.0),
        bot_cpu_seconds=cpu,
        unstored=len(missing),
        problems=problems,
    )


def _too_many(calls: Sequence[ApiCall]) -> Counter[str]:
    """The server's 429 answers by chat kind, method and retry_after (1 s: the per-chat limit)."""
    found: Counter[str] = Counter()
    for call in calls:
        if call.error_code == 429:
            chat = int(call.params.get("chat_id", "0"))
            where = "group" if chat < 0 else "private" if chat > 0 else "no chat"
            match = RETRY_AFTER.search(call.description or "")
            found[f"{where} {call.method} retry_after={match.group(1) if match else '?'}"] += 1
    return found


def _max_in_window(times: Sequence[float]) -> tuple[int, float]:
    """Most events in any window (t - 60 s, t], and where that window ends."""
    ordered = sorted(times)
    best, at = 0, 0.0
    for index, moment in enumerate(ordered):
        first = bisect.bisect_right(ordered, moment - WINDOW)
        if index - first + 1 > best:
            best, at = index - first + 1, moment
    return best, at


def _digest_record(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The backlog digest as the bot recorded it (bot_state 'review_digest'), or, once
    cleared, as the audit log remembers it."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in ("bot_state", "state"):
        if table in tables:
            query = f"SELECT value FROM {table} WHERE key = 'review_digest'"  # noqa: S608
            row = conn.execute(query).fetchone()
            if row is not None:
                value = json.loads(row[0])
                return value if isinstance(value, dict) else None
    row = conn.execute(
        "SELECT details FROM audit_log WHERE action = 'review.digest_posted' ORDER BY id LIMIT 1"
    ).fetchone()
    if row is not None:
        after = json.loads(row[0]).get("after")
        return after if isinstance(after, dict) else None
    return None


def _review_figures(
    conn: sqlite3.Connection,
    calls: Sequence[ApiCall],
    review: ChatHandle,
    start: float,
    result: Result,
) -> None:
    chat = str(review.id)
    posts: list[tuple[float, int, str]] = []  # (time, message id, text)
    edits: list[tuple[float, int]] = []
    refused: Counter[str] = Counter()
    for call in calls:
        if call.params.get("chat_id") != chat:
            continue
        if call.ok and call.method == "sendMessage":
            posts.append((_epoch(call.at), int(call.result["message_id"]), call.params["text"]))
        elif call.ok and call.method in {"editMessageText", "editMessageReplyMarkup"}:
            edits.append((_epoch(call.at), int(call.params.get("message_id", "0"))))
        elif not call.ok and call.error_code != 429:
            refused[f"{call.method} {call.error_code} {call.description}"] += 1

    # Posts and edits per minute, and the busiest 60-second window.
    minutes = max([int((t - start) // 60) for t, *_ in posts + edits] + [0]) + 1
    post_minutes, edit_minutes = [0] * minutes, [0] * minutes
    for t, *_ in posts:
        post_minutes[max(0, int((t - start) // 60))] += 1
    for t, _ in edits:
        edit_minutes[max(0, int((t - start) // 60))] += 1
    print(
        "  review chat per minute from the first report (posts + edits): "
        + ", ".join(f"{p} + {e}" for p, e in zip(post_minutes, edit_minutes, strict=True))
    )
    busiest, ending = _max_in_window([t for t, *_ in posts] + [t for t, _ in edits])
    flag = "ok" if busiest <= GROUP_LIMIT else f"OVER THE LIMIT OF {GROUP_LIMIT}"
    print(
        f"  most posts + edits in any 60 s window: {busiest} (window ending "
        f"{ending - start:.1f} s after the first report) — {flag}"
    )
    if busiest > GROUP_LIMIT:
        result.problems.append(f"{busiest} review-chat messages in one 60 s window")
    if refused:
        print(
            "  refusals other than 429 in the review chat: "
            + ", ".join(f"{k} ×{n}" for k, n in refused.items())
        )

    # The digest.
    digest = _digest_record(conn)
    sent_at = {message_id: t for t, message_id, _ in posts}
    digest_at: float | None = None
    if digest is None:
        print("  backlog digest: MISSING (nothing under 'review_digest' nor in the audit log)")
    else:
        digest_id = int(digest.get("message_id", 0))
        digest_at = sent_at.get(digest_id)
        digest_edits = sum(1 for _, message_id in edits if message_id == digest_id)
        shown = "in the chat" if digest_at is not None else "NOT FOUND in the review chat"
        when = f"{digest_at - start:.1f} s after the first report" if digest_at else "-"
        backlog = digest.get("backlog")
        print(
            f"  backlog digest: message {digest_id} {shown}, {when}, backlog {backlog}, "
            f"edited {digest_edits}×"
        )

    # Cases: posted, queued, none lost, none twice.
    rows = conn.execute(
        "SELECT c.id, c.category, c.opened_at, p.case_id IS NOT NULL, p.message_id, p.chat_id, "
        "p.posted_at FROM cases c LEFT JOIN case_posts p ON p.case_id = c.id"
    ).fetchall()
    posted_by_message = {
        int(message_id): case_id for case_id, *_, message_id, _, _ in rows if message_id
    }
    without_row = [case_id for case_id, _, _, has_row, *_ in rows if not has_row]
    if without_row:
        result.problems.append(f"{len(without_row)} cases without a case_posts row")
    per_case: Counter[int] = Counter()
    strays = []
    digest_message = int(digest.get("message_id", 0)) if digest else None
    for _, message_id, text in posts:
        match = CASE.search(text)
        if match:
            per_case[int(match.group(1))] += 1
            if posted_by_message.get(message_id) != int(match.group(1)):
                strays.append(message_id)
        elif message_id != digest_message:
            strays.append(message_id)
    twice = [case_id for case_id, count in per_case.items() if count > 1]
    audit_twice = conn.execute(
        "SELECT count(*) FROM (SELECT subject_id FROM audit_log "
        "WHERE action IN ('case.posted', 'case.post_adopted') "
        "GROUP BY subject_id HAVING count(*) > 1)"
    ).fetchone()[0]
    if twice or audit_twice:
        result.problems.append(f"cases posted twice: {twice[:10]} (audit log: {audit_twice})")
    if strays:
        result.problems.append(f"{len(strays)} review-chat messages no case_posts row names")
    missing_posts = [mid for mid in posted_by_message if mid not in sent_at]
    if missing_posts:
        result.problems.append(f"{len(missing_posts)} case_posts message ids not in the chat")

    posted = [row for row in rows if row[4]]
    done: list[float] = []
    for _, _, opened, has_row, message_id, _, posted_at in rows:
        finished = _epoch(posted_at) if message_id else math.inf
        if has_row and (digest_at is not None or digest is None):
            # Queued: it waits in case_posts and the chat has been told of the backlog (without
            # a digest, only the case_posts row: the fallback the issue asks for).
            finished = min(finished, max(_epoch(opened), digest_at or 0.0))
        done.append(finished)
    label = "posted or queued" if digest is not None else "posted or in case_posts (no digest)"
    worst = max(done, default=start)
    all_done = "never" if math.isinf(worst) else f"{worst - start:.1f} s"
    print(
        f"  cases: {len(rows)}, posted {len(posted)}, queued {len(rows) - len(posted)}; "
        f"time from the first report until every case was {label}: {all_done}"
    )
    if posted:
        first_post = min(_epoch(row[6]) for row in posted)
        by_category = Counter(row[1] for row in posted)
        print(
            f"  first case posted {first_post - start:.1f} s after the first report; posted by "
            "category: " + ", ".join(f"{k} {n}" for k, n in by_category.most_common())
        )
    _priority_order(rows)
    checks = [
        ("every acknowledged report stored", result.unstored == 0),
        ("every case has a case_posts row", not without_row),
        ("no case posted twice", not (twice or audit_twice or strays or missing_posts)),
    ]
    print("  none lost: " + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks))


def _timeline(calls: Sequence[ApiCall], review: ChatHandle, start: float) -> None:
    """Every call to the review chat: seconds after the first report, method, outcome."""
    chat = str(review.id)
    for call in calls:
        if call.params.get("chat_id") == chat:
            outcome = "ok" if call.ok else f"{call.error_code} {call.description}"
            text = re.sub(r"<[^>]+>", "", call.params.get("text", ""))[:40].replace("\n", " ")
            print(f"    {_epoch(call.at) - start:8.2f} {call.method} {outcome} {text}")


def _priority_order(rows: Sequence[tuple[Any, ...]]) -> None:
    """Posts that went out while a more severe case had been waiting (2 s slack)."""
    cases = [
        (_epoch(opened), KNOWN_SEVERITY.get(category, 0), posted_at)
        for _, category, opened, _, _, _, posted_at in rows
    ]
    inversions = 0
    posts = sorted((_epoch(p), severity) for _, severity, p in cases if p)
    for at, severity in posts:
        if any(
            other > severity and opened < at - 2 and (p is None or _epoch(p) > at)
            for opened, other, p in cases
        ):
            inversions += 1
    print(f"  posts made while a more severe case waited unposted: {inversions} of {len(posts)}")


# --- the two scenarios -------------------------------------------------------------------


def run_scenario(scenario: str, arguments: argparse.Namespace) -> Result:
    """Each scenario in a fresh process: state left by one run must not slow the next."""
    command = [sys.executable, __file__, "--scenario", scenario]
    for name in (
        "reports",
        "targets",
        "reporters",
        "seconds",
        "observe",
        "seed",
        "global_per_second",
    ):
        value = getattr(arguments, name)
        if value is not None:
            command += [f"--{name.replace('_', '-')}", str(value)]
    if arguments.rate_limiter:
        command.append("--rate-limiter")
    if arguments.timeline:
        command.append("--timeline")
    print(f"{scenario}:")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        found: Result | None = None
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                found = Result(**json.loads(line.removeprefix(RESULT_PREFIX)))
            else:
                print(line, end="", flush=True)
    if process.returncode != 0 or found is None:
        raise RuntimeError(f"scenario {scenario} failed with exit code {process.returncode}")
    return found


def main(arguments: argparse.Namespace) -> int:
    wave = _wave(arguments)
    print(
        f"{wave.reports} reports on {wave.targets} targets from {wave.reporters} reporters "
        f"({wave.per_reporter} each) within {wave.seconds:.0f} s; review chat watched "
        f"{arguments.observe:.0f} s more; flood limits: {GROUP_LIMIT}/min per group (edits "
        f"count), 1/s per chat, {arguments.global_per_second}/s overall; bot "
        + ("with PTB's rate limiter" if arguments.rate_limiter else "run --no-rate-limiter")
    )
    baseline = run_scenario("baseline", arguments)
    ours = run_scenario("review", arguments)
    for result in (baseline, ours):
        label = "without review chat" if result.name == "baseline" else "with review chat"
        cpu = result.bot_cpu_seconds * 1000 / max(1, result.sent)
        print(
            f"{label:>20}: {result.acknowledged} receipts, last {result.last_answer_seconds:.1f} s "
            f"after the first report = {result.throughput:.0f} reports/s; receipt p95 "
            f"{result.latency_p95:.2f} s; bot CPU {cpu:.1f} ms per report (start-up included)"
        )
    ratio = ours.throughput / baseline.throughput if baseline.throughput else 0.0
    print(f"ratio of report throughput, with review posting / without: {ratio:.2f}")
    problems = baseline.problems + ours.problems
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def _wave(arguments: argparse.Namespace) -> Wave:
    # Up to five reports each, at least twelve seconds apart (Telegram allows one message a
    # second per chat, and the bot runs without PTB's rate limiter that would retry a 429).
    per_reporter = max(1, min(5, int(arguments.seconds // 12)))
    reporters = arguments.reporters or math.ceil(arguments.reports / per_reporter)
    wave = Wave(arguments.reports, arguments.targets, reporters, arguments.seconds, arguments.seed)
    if wave.per_reporter > wave.targets:
        raise SystemExit("each reporter reports a target once: use more --reporters")
    return wave


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--targets", type=int, default=2_000)
    parser.add_argument(
        "--reporters", type=int, help="default: enough for at most 5 each, 12 s apart"
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="arrival window")
    parser.add_argument(
        "--observe", type=float, default=120.0, help="seconds to watch the review chat after"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--global-per-second",
        type=int,
        default=1000,
        help="the loopback's overall limit (Telegram: ~30/s, 1000/s for paid broadcasts)",
    )
    parser.add_argument(
        "--rate-limiter", action="store_true", help="run the bot with PTB's AIORateLimiter"
    )
    parser.add_argument(
        "--timeline", action="store_true", help="print every call to the review chat"
    )
    parser.add_argument(
        "--quick", action="store_true", help="the short CI round (QUICK; overrides the sizes)"
    )
    parser.add_argument("--scenario", choices=["baseline", "review"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.quick:
        for name, value in QUICK.items():
            setattr(arguments, name, value)
    if arguments.scenario:
        options = Options(
            _wave(arguments),
            arguments.observe,
            arguments.global_per_second,
            arguments.rate_limiter,
            arguments.timeline,
        )
        result = asyncio.run(measure(arguments.scenario, options))
        print(RESULT_PREFIX + json.dumps(dataclasses.asdict(result)), flush=True)
        sys.exit(0)
    sys.exit(main(arguments))
