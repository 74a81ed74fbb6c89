"""Benchmark: a team of five moderators working a backlog, through the review group alone,
through private chats and through the console, in the same run.

A backlog of 2,000 pending cases (one report each, on 2,000 public channels, categories seeded
as in bench/review.py) is filed into a fresh SQLite database through the domain's own filing,
then the real bot runs as `report-bot run` in its own process (python-telegram-bot's rate
limiter on, as in production) against the loopback Bot API server, which enforces Telegram's
flood limits: 20 messages a minute per group (edits counted like posts), one a second per chat,
30 a second in all, answering 429 with retry_after beyond them. Five moderators, as fast as the
bot answers them, decide (approve, in the reported category) for the same time in each of three
scenarios, each with a fresh database and bot:

- **group**: the review chat alone. The bot posts cases within its budget for the chat; the
  moderators share out the posts showing ✅ Approve (no two on one post), press it, then the
  category. Posting, the menu and the decision all spend the chat's 20 messages a minute.
- **private**: each moderator sends /review in a private chat with the bot and decides the case
  it serves (Approve, the category: the decision's edit shows the next case; claims keep two
  moderators off one case). The review chat still gets its posts and the decisions' edits,
  within its budget.
- **console**: each moderator opens a console session (init data signed with the bot's token,
  as Telegram signs it) and calls POST /console/api/next, then /decide, over HTTP.

A round ends after its time, or once the moderators find no case left (the rate is then the
backlog over the time it took). Printed: decisions per minute in each scenario, measured from
the bot's own record (cases decided in the round, `decided_at`), and each against the group's,
measured in the same run; the review chat's messages in the busiest 60 seconds; the 429
answers elsewhere (private chats: the bot does not pace them). Checked (exit 1 otherwise): the
review chat never got more than 20 messages in any 60 seconds nor a 429 for that limit, in any
scenario; every decision in the round is one of the five moderators'. Counted, not failed: a
429 for the chat's one message a second (the budget gives each message its moment a second
after the last, but one that leaves late, on a loaded machine or while the bot stops, can reach
the chat less than a second before the next), told from the group's limit by the messages the
loopback accepted in the minute before it.

    .venv/bin/python bench/review_team.py              # the recorded figures (about 5 minutes)
    .venv/bin/python bench/review_team.py --quick      # the short CI round (QUICK, ~30 s)
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import datetime as dtm
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

import aiohttp

from bench.review import CATEGORY_WEIGHTS, environment, log_events, start_bot, stop_bot
from loopback import ApiCall, ChatHandle, FloodLimits, LoopbackServer, SentMessage, UserHandle
from moderation.reporting.filing import file_report
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.reporting.types import Filed, NewReport, ReportLimits, ReportSource
from storage import Store
from storage.location import SqliteLocation
from tests.console import signed_init_data, telegram_user

TOKEN = "100002:BENCH-team-loopback-token-not-secret-0"
BOT_USERNAME = "bench_team_bot"
GROUP_LIMIT = 20  # Telegram: about 20 messages a minute in one group
WINDOW = 60.0
MODERATORS = [(7_000_001 + n, f"Mod{n}", f"team_mod_{n}") for n in range(5)]
SCENARIOS = ("group", "private", "console")
TARGET = 20.0  # private and console against group-only: the target
APPROVE = "✅ Approve"
#: The short CI round: 200 cases, the group worked for 5 s, the others 4 s (the group's figure is
#: its opening burst, not its steady rate: bench/README.md).
QUICK = {"cases": 200, "seconds": 4.0, "group_seconds": 5.0}
FULL = {"cases": 2000, "seconds": 60.0, "group_seconds": 180.0}
MESSAGES_TO_CHAT = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)


@dataclass
class Result:
    name: str
    decisions: int  # decided in the window, from the bot's database
    seconds: float
    by_team: int  # of those, decided by the five moderators
    busiest_minute: int  # the review chat's messages in its busiest 60 s
    group_429: int  # refused for the group's 20 a minute: must never happen
    chat_429: int  # refused for the chat's one a second (the 20 a minute were not reached)
    other_429: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def per_minute(self) -> float:
        return self.decisions * 60.0 / self.seconds if self.seconds else 0.0


# --- the backlog and the bot process -----------------------------------------------------


async def seed_backlog(database: Path, cases: int, seed: int) -> None:
    """`cases` pending cases, one report each, filed as the bot files them (each case also
    gets its case_posts row: the bot posts them to the review chat from there)."""
    rng = random.Random(seed)
    categories = rng.choices(
        list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()), k=cases
    )
    limits = ReportLimits(per_hour=1_000_000, per_day=1_000_000)
    store = await Store.open(SqliteLocation(database))
    try:
        now = dtm.datetime.now(dtm.UTC) - dtm.timedelta(minutes=30)
        for number, category in enumerate(categories):
            name = f"team_target_{number}"
            outcome = await file_report(
                store,
                NewReport(
                    reporter_id=8_000_000 + number,
                    language_code="en",
                    query=f"bench query {number}",
                    target=TargetRef(TargetKind.PUBLIC, username=name),
                    category=category,
                    comment=None,
                    raw_input=f"@{name}",
                    source=ReportSource.ONE_MESSAGE,
                ),
                limits,
                now + dtm.timedelta(milliseconds=number),
            )
            assert isinstance(outcome, Filed), outcome
    finally:
        await store.close()


# --- the moderators ----------------------------------------------------------------------


Work = Callable[[int, UserHandle, float], Awaitable[int]]


@dataclass
class Team:
    """What every scenario's moderators share: the loopback server, the review chat, the bot's
    console address, and who works on which group post (colleagues split the chat's posts)."""

    server: LoopbackServer
    chat: ChatHandle
    console_base: str
    taken: set[int] = field(default_factory=set)

    def current(self, message_id: int) -> SentMessage | None:
        return next((m for m in self.chat.messages() if m.message_id == message_id), None)

    def free_post(self) -> SentMessage | None:
        for message in self.chat.messages():
            if message.message_id not in self.taken and APPROVE in message.button_texts():
                return message
        return None

    async def until(self, condition: Callable[[], object], stop_at: float) -> bool:
        """Waits for `condition` (woken by every call at the server) until `stop_at`."""
        try:
            await self.server.wait_for(condition, timeout=max(0.01, stop_at - time.monotonic()))
        except TimeoutError:
            return False
        return True


async def group_work(team: Team, index: int, moderator: UserHandle, stop_at: float) -> int:
    """Takes a post nobody else is on, presses Approve, then the reported category."""
    decided = 0
    while time.monotonic() < stop_at:
        post = team.free_post()
        if post is None:
            await team.until(lambda: team.free_post() is not None, stop_at)
            continue
        team.taken.add(post.message_id)
        done = False
        try:
            done = await _approve_in_group(team, moderator, post, stop_at)
        finally:
            if not done:
                team.taken.discard(post.message_id)
        decided += done
    return decided


async def _approve_in_group(
    team: Team, moderator: UserHandle, post: SentMessage, stop_at: float
) -> bool:
    press = await moderator.press(post, text=APPROVE)
    answer = await press.answered(timeout=60)
    if answer.text:  # an alert: the chat's budget is spent, or someone decided first
        await asyncio.sleep(1.0)
        return False

    def menu() -> SentMessage | None:
        shown = team.current(post.message_id)
        if shown is not None and any(text.startswith("✓ ") for text in shown.button_texts()):
            return shown
        return None

    if not await team.until(lambda: menu() is not None, stop_at):
        return False
    shown = menu()
    assert shown is not None
    choice = next(text for text in shown.button_texts() if text.startswith("✓ "))
    press = await moderator.press(shown, text=choice)
    answer = await press.answered(timeout=60)
    if answer.text and "limit" in answer.text:
        await asyncio.sleep(1.0)
        return False

    def decided() -> bool:
        now = team.current(post.message_id)
        return now is not None and not any(
            text == APPROVE or text.startswith("✓ ") for text in now.button_texts()
        )

    return await team.until(decided, stop_at)


async def private_work(team: Team, index: int, moderator: UserHandle, stop_at: float) -> int:
    """/review, then Approve, the reported category (and Next, when the decision does not show
    the next case itself), for as long as the round lasts or until no case is left for this
    moderator."""
    decided = 0
    await moderator.send("/review")
    if not await _private_wait(moderator, stop_at, lambda m: bool(m.buttons())):
        return 0
    served = moderator.messages()[-1]
    while time.monotonic() < stop_at:
        shown = moderator.message(served)
        labels = shown.button_texts()
        if APPROVE not in labels:  # the backlog is worked through: this moderator is done
            break
        await _private_press(moderator, shown, APPROVE)
        if not await _private_wait(moderator, stop_at, _has_category, served):
            break
        menu = moderator.message(served)
        choice = next(text for text in menu.button_texts() if text.startswith("✓ "))
        await _private_press(moderator, menu, choice)
        if not await _private_wait(moderator, stop_at, lambda m: not _has_category(m), served):
            break
        decided += 1
        if NEXT in moderator.message(served).button_texts():  # else the next case is shown
            await _private_press(moderator, moderator.message(served), NEXT)
            await _private_wait(moderator, stop_at, lambda m: NEXT not in m.button_texts(), served)
    return decided


NEXT = "➡️ Next"


def _has_category(message: SentMessage) -> bool:
    return any(text.startswith("✓ ") for text in message.button_texts())


async def _private_press(moderator: UserHandle, message: SentMessage, label: str) -> None:
    press = await moderator.press(message, text=label)
    await press.answered(timeout=60)


async def _private_wait(
    moderator: UserHandle,
    stop_at: float,
    condition: Callable[[SentMessage], bool],
    served: SentMessage | None = None,
) -> bool:
    """Waits until the served message (or, before there is one, the chat's latest message)
    meets `condition`; False when the round ends first."""

    def met() -> bool:
        if served is not None:
            return condition(moderator.message(served))
        messages = moderator.messages()
        return bool(messages) and condition(messages[-1])

    try:
        await moderator.wait_until(met, timeout=max(0.01, stop_at - time.monotonic()))
    except TimeoutError:
        return False
    return True


async def console_work(team: Team, index: int, moderator: UserHandle, stop_at: float) -> int:
    """A console session from signed init data, then POST next and decide, over HTTP, for as
    long as the round lasts or until no case is left for this moderator."""
    uid, name, _ = MODERATORS[index]
    init_data = signed_init_data(TOKEN, telegram_user(uid, name), auth_date=int(time.time()))
    decided = 0
    async with aiohttp.ClientSession(base_url=team.console_base) as http:
        async with http.post("/console/api/session", json={"init_data": init_data}) as answer:
            session = await answer.json()
            if answer.status != 200:
                raise RuntimeError(f"no console session for {name}: {session}")
        headers = {"Authorization": f"Bearer {session['token']}"}
        while time.monotonic() < stop_at:
            async with http.post("/console/api/next", json={"skip": None}, headers=headers) as a:
                served = (await a.json())["case"]
            if served is None:  # the backlog is worked through: this moderator is done
                break
            case = served.get("case", served)
            decision = {"decision": "approve", "category": case["category"]}
            path = f"/console/api/cases/{case['id']}/decide"
            async with http.post(path, json=decision, headers=headers) as a:
                outcome = (await a.json())["outcome"]
            decided += outcome == "decided"
    return decided


# --- one scenario ------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    cases: int
    seconds: float
    group_seconds: float
    seed: int


async def measure(scenario: str, options: Options) -> Result:
    limits = FloodLimits(
        per_group_per_minute=GROUP_LIMIT,
        per_chat_per_second=1,
        global_per_second=30,
        count_edits=True,
    )
    seconds = options.group_seconds if scenario == "group" else options.seconds
    async with LoopbackServer(flood_limits=limits) as server:
        server.add_bot(token=TOKEN, username=BOT_USERNAME)
        moderators = [
            server.add_user(first_name=name, username=username, language_code="en", user_id=uid)
            for uid, name, username in MODERATORS
        ]
        chat = server.add_supergroup(title="Review", members=moderators, bot_admin=True)
        with tempfile.TemporaryDirectory(prefix="bench-team-") as folder:
            database, log_file = Path(folder) / "bench.sqlite3", Path(folder) / "bot.log"
            began = time.monotonic()
            await seed_backlog(database, options.cases, options.seed)
            print(f"  {options.cases} cases filed in {time.monotonic() - began:.1f} s")
            port = _free_port()
            env = environment(
                BOT_TOKEN=TOKEN,
                TELEGRAM_API_BASE_URL=server.base_url,
                DATABASE_PATH=str(database),
                REVIEW_CHAT_ID=str(chat.id),
                MODERATOR_IDS=",".join(str(uid) for uid, _, _ in MODERATORS),
                POLL_TIMEOUT_SECONDS="1",
                LOG_LEVEL="WARNING",
                LOG_FORMAT="json",
                CONSOLE_URL="https://console.bench.example/console/",
                CONSOLE_LISTEN="127.0.0.1",
                CONSOLE_PORT=str(port),
            )
            process = await start_bot(server, env, log_file)
            team = Team(server, chat, f"http://127.0.0.1:{port}")
            work = WORK[scenario]
            start_wall = time.time()
            stop_at = time.monotonic() + seconds
            try:
                counts = await asyncio.gather(
                    *(work(team, n, user, stop_at) for n, user in enumerate(moderators))
                )
            finally:
                end_wall = time.time()
                await stop_bot(process, log_file, seconds=30)
            calls = server.calls()
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
                result = _figures(scenario, conn, calls, chat, start_wall, end_wall)
            if sum(counts) > result.decisions:
                result.problems.append(
                    f"the moderators counted {sum(counts)} decisions, the database "
                    f"{result.decisions}"
                )
            events = log_events(log_file)
            if events:
                print(
                    "  bot warnings/errors: "
                    + ", ".join(f"{name} ×{n}" for name, n in events.most_common(6))
                )
    return result


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _figures(
    scenario: str,
    conn: sqlite3.Connection,
    calls: Sequence[ApiCall],
    chat: ChatHandle,
    start: float,
    end: float,
) -> Result:
    decided = [
        (dtm.datetime.fromisoformat(at).timestamp(), by)
        for at, by in conn.execute(
            "SELECT decided_at, decided_by FROM cases WHERE decided_at IS NOT NULL"
        )
    ]
    window = [(at, by) for at, by in decided if start <= at <= end]
    team = {uid for uid, _, _ in MODERATORS}
    to_chat = [
        call
        for call in calls
        if call.method in MESSAGES_TO_CHAT and call.params.get("chat_id") == str(chat.id)
    ]
    sent = [call.at.timestamp() for call in to_chat if call.ok]
    busiest = _max_in_window(sent)
    refused = [call.at.timestamp() for call in to_chat if call.error_code == 429]
    # Which limit refused: the loopback counts what it accepted, so a 429 met the group's 20 a
    # minute only if 20 went through in the minute before it; otherwise the chat's one a second.
    ordered = sorted(sent)
    group_429 = sum(
        1
        for moment in refused
        if bisect.bisect_right(ordered, moment) - bisect.bisect_right(ordered, moment - WINDOW)
        >= GROUP_LIMIT
    )
    other_429: Counter[str] = Counter(
        call.method for call in calls if call.error_code == 429 and call not in to_chat
    )
    result = Result(
        name=scenario,
        decisions=len(window),
        seconds=end - start,
        by_team=sum(1 for _, by in window if by in team),
        busiest_minute=busiest,
        group_429=group_429,
        chat_429=len(refused) - group_429,
        other_429=other_429,
    )
    if group_429:
        result.problems.append(f"the review chat got {group_429} answers 429 for its 20 a minute")
    if busiest > GROUP_LIMIT:
        result.problems.append(
            f"the review chat got {busiest} messages in one minute (limit {GROUP_LIMIT})"
        )
    if result.by_team != result.decisions:
        result.problems.append(
            f"{result.decisions - result.by_team} decisions in the window by someone else"
        )
    return result


def _max_in_window(times: Sequence[float]) -> int:
    """Most events in any window (t - 60 s, t]."""
    ordered = sorted(times)
    best = 0
    for index, moment in enumerate(ordered):
        first = bisect.bisect_right(ordered, moment - WINDOW)
        best = max(best, index - first + 1)
    return best


WORK: dict[str, Callable[[Team, int, UserHandle, float], Awaitable[int]]] = {
    "group": group_work,
    "private": private_work,
    "console": console_work,
}


# --- the run -----------------------------------------------------------------------------


def main(arguments: argparse.Namespace) -> int:
    sizes = QUICK if arguments.quick else FULL
    options = Options(
        cases=arguments.cases or int(sizes["cases"]),
        seconds=arguments.seconds or float(sizes["seconds"]),
        group_seconds=arguments.group_seconds or float(sizes["group_seconds"]),
        seed=arguments.seed,
    )
    scenarios = [name for name in SCENARIOS if name in WORK]
    print(
        f"A team of {len(MODERATORS)} moderators, a backlog of {options.cases} cases; "
        f"group {options.group_seconds:.0f} s, the others {options.seconds:.0f} s each"
    )
    results: dict[str, Result] = {}
    for scenario in scenarios:
        print(f"{scenario}:")
        result = asyncio.run(measure(scenario, options))
        results[scenario] = result
        print(
            f"  {result.decisions} decisions in {result.seconds:.1f} s: "
            f"{result.per_minute:.1f} a minute; the review chat's busiest minute "
            f"{result.busiest_minute} messages (limit {GROUP_LIMIT}), 429 in it: "
            f"{result.group_429} for the group's limit, {result.chat_429} for one a second"
            + (f"; 429 elsewhere: {dict(result.other_429)}" if result.other_429 else "")
        )
    baseline = results["group"].per_minute
    print("Decisions per minute against the group alone, same run:")
    for name, result in results.items():
        ratio = result.per_minute / baseline if baseline else float("inf")
        mark = ""
        if name != "group" and not arguments.quick:
            mark = "  (target ≥ 20x: met)" if ratio >= TARGET else "  (target ≥ 20x: NOT met)"
        print(f"  {name:8s} {result.per_minute:8.1f} a minute  {ratio:6.1f}x{mark}")
    if arguments.quick:
        print("  (the short round: the group's figure is its opening burst, no steady rate;")
        print("  the 20x target is judged on the full run, bench/README.md)")
    problems = [f"{name}: {p}" for name, result in results.items() for p in result.problems]
    for problem in problems:
        print(f"FAILED {problem}")
    return 1 if problems else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the short CI round (QUICK)")
    parser.add_argument("--cases", type=int, default=0, help="backlog size")
    parser.add_argument("--seconds", type=float, default=0, help="private and console window")
    parser.add_argument("--group-seconds", type=float, default=0, help="group-only window")
    parser.add_argument("--seed", type=int, default=7)
    return parser


if __name__ == "__main__":
    sys.exit(main(_parser().parse_args()))
