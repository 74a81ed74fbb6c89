"""The review chat's message budget, the posting reserve and when the backlog digest is due."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from handlers.outbound.delivery_worker import posting_reserve
from handlers.runtime.chat_budget import GAP_SLACK_SECONDS, WINDOW_SECONDS, ChatBudget
from moderation.review.delivery import DIGEST_REFRESH, Digest, digest_due
from storage import Store
from storage.location import Location
from tests.conftest import ENGINES

# The account lives in the database: each test runs on both engines.
pytestmark = pytest.mark.engines(*ENGINES)


class Seconds:
    """A clock the test moves by hand, in seconds (the budget reads a float clock)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Seconds:
    return Seconds()


@pytest.fixture
async def store(store_location: Location) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    yield opened
    await opened.close()


@pytest.fixture
def make(store: Store, clock: Seconds) -> Callable[[int], ChatBudget]:
    """A budget of so many messages a minute, kept in `store`, on `clock`, without pacing."""
    return lambda per_minute: ChatBudget(store, per_minute, clock, min_gap=0)


def most_in_any_window(sent: list[float]) -> int:
    """The most messages any 61-second window holds, at the budget's resolution (ms)."""
    stamps = [round(t * 1000) for t in sent]
    window = round(WINDOW_SECONDS * 1000)
    return max(len([t for t in stamps if start <= t < start + window]) for start in stamps)


async def spend_all(budget: ChatBudget, reserve: int = 0) -> int:
    spent = 0
    while await budget.try_spend(reserve):
        spent += 1
    return spent


# --- the budget ---------------------------------------------------------------------------


async def test_a_fresh_budget_allows_its_messages_per_minute_and_no_more(
    make: Callable[[int], ChatBudget],
) -> None:
    budget = make(20)
    assert await budget.available() == 20
    assert await spend_all(budget) == 20
    assert await budget.available() == 0
    assert not await budget.try_spend()


async def test_a_reserve_is_left_free_for_decisions(make: Callable[[int], ChatBudget]) -> None:
    budget = make(20)
    assert await spend_all(budget, reserve=5) == 15
    assert await budget.available() == 5
    # What the reserve kept back is there for a decision (reserve 0).
    assert await spend_all(budget) == 5


async def test_messages_leave_the_window_61_seconds_after_they_were_sent(
    make: Callable[[int], ChatBudget], clock: Seconds
) -> None:
    budget = make(4)
    assert await spend_all(budget) == 4
    clock.advance(WINDOW_SECONDS - 0.5)
    assert await budget.available() == 0
    assert not await budget.try_spend()
    clock.advance(0.5)
    assert await budget.available() == 4


async def test_the_window_slides_message_by_message(
    make: Callable[[int], ChatBudget], clock: Seconds
) -> None:
    budget = make(3)
    for _ in range(3):
        assert await budget.try_spend()
        clock.advance(10)
    assert await budget.available() == 0
    clock.advance(WINDOW_SECONDS - 30)  # the first message is 61 s old now
    assert await budget.available() == 1
    clock.advance(10)
    assert await budget.available() == 2


async def test_seconds_until_free_names_when_the_oldest_message_leaves(
    make: Callable[[int], ChatBudget], clock: Seconds
) -> None:
    budget = make(2)
    assert await budget.seconds_until_free() == 0
    await budget.try_spend()
    clock.advance(20)
    await budget.try_spend()
    assert await budget.seconds_until_free() == pytest.approx(WINDOW_SECONDS - 20)
    clock.advance(WINDOW_SECONDS - 20)
    assert await budget.seconds_until_free() == 0
    assert await budget.try_spend()


async def test_a_message_sent_anyway_counts_even_beyond_the_budget(
    make: Callable[[int], ChatBudget], clock: Seconds
) -> None:
    budget = make(2)
    await spend_all(budget)
    await budget.spend()  # a reply a moderator asked for goes out regardless
    assert await budget.available() == 0
    clock.advance(WINDOW_SECONDS)
    assert await budget.available() == 2


async def test_a_pause_after_a_429_stops_all_spending_until_it_is_over(
    make: Callable[[int], ChatBudget], clock: Seconds
) -> None:
    budget = make(20)
    await budget.pause(30)
    assert await budget.available() == 0
    assert not await budget.try_spend()
    assert await budget.seconds_until_free() == pytest.approx(30)
    clock.advance(29.9)
    assert not await budget.try_spend()
    clock.advance(0.1)
    assert await budget.available() == 20
    assert await budget.try_spend()


async def test_a_shorter_pause_does_not_cut_a_longer_one(
    make: Callable[[int], ChatBudget], clock: Seconds
) -> None:
    budget = make(20)
    await budget.pause(30)
    await budget.pause(5)
    clock.advance(10)
    assert await budget.available() == 0


async def test_no_61_second_window_ever_holds_more_than_the_budget(
    make: Callable[[int], ChatBudget], clock: Seconds
) -> None:
    """Random attempts, with and without reserve, at random moments: the account holds."""
    chance = random.Random(7)
    budget = make(5)
    sent: list[float] = []
    for _ in range(600):
        clock.advance(chance.choice([0.0, 0.3, 1.0, 4.0, 13.0]))
        if await budget.try_spend(chance.choice([0, 0, 1, 2])):
            sent.append(clock.now)
    assert len(sent) > 50
    assert most_in_any_window(sent) <= 5


async def test_instances_sharing_the_database_spend_from_one_account(
    store_location: Location, store: Store, clock: Seconds
) -> None:
    """Three instances (each its own connections) try to post at once, again and again:
    together they never exceed the group's budget in any window."""
    others = [await Store.open(store_location) for _ in range(2)]
    try:
        budgets = [ChatBudget(each, 5, clock, min_gap=0) for each in (store, *others)]
        sent: list[float] = []
        for _ in range(30):
            taken = await asyncio.gather(*(b.try_spend() for b in budgets for _ in range(3)))
            sent.extend(clock.now for ok in taken if ok)
            clock.advance(7)
        assert len(sent) > 10
        assert most_in_any_window(sent) <= 5
    finally:
        for each in others:
            await each.close()


# --- the reserve the backlog leaves free --------------------------------------------------


@pytest.mark.parametrize(("per_minute", "reserve"), [(20, 5), (8, 2), (4, 1), (3, 0), (1, 0)])
def test_backlog_posting_keeps_a_quarter_of_the_budget_for_decisions(
    per_minute: int, reserve: int
) -> None:
    assert posting_reserve(per_minute) == reserve


# --- the backlog digest -------------------------------------------------------------------

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def digest(backlog: int, at: datetime = NOW) -> Digest:
    return Digest(chat_id=-1001, message_id=7, backlog=backlog, at=at)


def test_a_digest_is_posted_only_when_the_backlog_exceeds_the_threshold() -> None:
    assert digest_due(None, 0, 45, NOW) is None
    assert digest_due(None, 45, 45, NOW) is None
    assert digest_due(None, 46, 45, NOW) == "post"


def test_there_is_never_a_second_digest_while_one_is_shown() -> None:
    assert digest_due(digest(100), 500, 45, NOW + timedelta(hours=1)) != "post"


def test_the_digest_is_cleared_when_the_backlog_is() -> None:
    assert digest_due(digest(100), 0, 45, NOW) == "clear"
    assert digest_due(digest(100), 0, 45, NOW + timedelta(hours=1)) == "clear"


def test_the_digest_count_is_refreshed_at_most_every_few_minutes() -> None:
    shown = digest(100)
    assert digest_due(shown, 60, 45, NOW + DIGEST_REFRESH - timedelta(seconds=1)) is None
    assert digest_due(shown, 60, 45, NOW + DIGEST_REFRESH) == "refresh"
    # A backlog below the threshold but not empty still shows its current size.
    assert digest_due(shown, 3, 45, NOW + DIGEST_REFRESH) == "refresh"
    # Nothing changed: no edit is spent on it.
    assert digest_due(shown, 100, 45, NOW + timedelta(hours=1)) is None


def test_severe_cases_waiting_too_long_keep_a_digest_up_and_show_at_once() -> None:
    assert digest_due(None, 0, 45, NOW, severe=1) == "post"  # no backlog needed
    severe = Digest(chat_id=-1001, message_id=7, backlog=0, at=NOW, severe=2)
    assert digest_due(severe, 0, 45, NOW + timedelta(hours=1), severe=2) is None
    assert digest_due(severe, 0, 45, NOW, severe=5) is None  # a new count waits its turn
    assert digest_due(severe, 0, 45, NOW + DIGEST_REFRESH, severe=5) == "refresh"
    assert digest_due(severe, 0, 45, NOW, severe=0) == "clear"
    assert digest_due(severe, 3, 45, NOW, severe=0) == "refresh"  # the backlog line stays
    assert digest_due(digest(100), 100, 45, NOW, severe=1) == "refresh"  # shown at once


async def test_refund_gives_back_a_message_telegram_refused(
    make: Callable[[int], ChatBudget],
) -> None:
    budget = make(2)
    assert await budget.try_spend()
    assert await budget.try_spend()
    assert not await budget.try_spend()
    await budget.refund()  # that one came back 429: it did not count
    assert await budget.try_spend()


async def test_pace_asks_for_the_rest_of_the_gap_since_the_last_message_of_any_instance(
    store: Store, clock: Seconds, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("handlers.runtime.chat_budget.asyncio.sleep", sleep)
    budget = ChatBudget(store, 20, clock, min_gap=30.0)
    other_instance = ChatBudget(store, 20, clock, min_gap=30.0)
    await budget.pace()  # nothing sent yet: no wait
    assert waits == []
    assert await other_instance.try_spend()
    clock.advance(10)
    await budget.pace()
    assert waits == [pytest.approx(20.0 + GAP_SLACK_SECONDS)]
    clock.advance(30)
    await budget.pace()  # the gap has passed
    assert len(waits) == 1


async def test_takers_at_once_get_moments_a_gap_apart_across_instances(
    store: Store, clock: Seconds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A moderator's press edits the post at once, the worker posts, another instance answers
    a /queue: however they meet, Telegram sees one message to the chat a second at most (the
    bench that found it: bench/review_team.py, 429s for the chat's one-a-second limit)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("handlers.runtime.chat_budget.asyncio.sleep", sleep)
    budget = ChatBudget(store, 20, clock, min_gap=1.0)
    other_instance = ChatBudget(store, 20, clock, min_gap=1.0)
    assert await budget.try_spend()  # nothing sent yet: at once
    assert await other_instance.try_spend()
    await budget.spend()  # a reply sent anyway waits its turn too
    gap = 1.0 + GAP_SLACK_SECONDS
    assert waits == [pytest.approx(gap), pytest.approx(2 * gap)]
    async with store.reading() as uow:
        sent = await uow.sends.sent_since("review", 0)
    assert [(t - sent[0]) / 1000 for t in sent] == [0, pytest.approx(gap), pytest.approx(2 * gap)]
    clock.advance(10)
    assert await budget.try_spend()  # the gap has long passed: at once
    assert len(waits) == 2
