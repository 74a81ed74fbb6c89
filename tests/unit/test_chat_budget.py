"""The review chat's message budget, the posting reserve and when the backlog digest is due."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from handlers.outbound.delivery_worker import posting_reserve
from handlers.runtime.chat_budget import GAP_SLACK_SECONDS, WINDOW_SECONDS, ChatBudget
from moderation.review.delivery import DIGEST_REFRESH, Digest, digest_due


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


def spend_all(budget: ChatBudget, reserve: int = 0) -> int:
    spent = 0
    while budget.try_spend(reserve):
        spent += 1
    return spent


# --- the budget ---------------------------------------------------------------------------


def test_a_fresh_budget_allows_its_messages_per_minute_and_no_more(clock: Seconds) -> None:
    budget = ChatBudget(20, clock)
    assert budget.available() == 20
    assert spend_all(budget) == 20
    assert budget.available() == 0
    assert not budget.try_spend()


def test_a_reserve_is_left_free_for_decisions(clock: Seconds) -> None:
    budget = ChatBudget(20, clock)
    assert spend_all(budget, reserve=5) == 15
    assert budget.available() == 5
    # What the reserve kept back is there for a decision (reserve 0).
    assert spend_all(budget) == 5


def test_messages_leave_the_window_61_seconds_after_they_were_sent(clock: Seconds) -> None:
    budget = ChatBudget(4, clock)
    assert spend_all(budget) == 4
    clock.advance(WINDOW_SECONDS - 0.5)
    assert budget.available() == 0
    assert not budget.try_spend()
    clock.advance(0.5)
    assert budget.available() == 4


def test_the_window_slides_message_by_message(clock: Seconds) -> None:
    budget = ChatBudget(3, clock)
    for _ in range(3):
        assert budget.try_spend()
        clock.advance(10)
    assert budget.available() == 0
    clock.advance(WINDOW_SECONDS - 30)  # the first message is 61 s old now
    assert budget.available() == 1
    clock.advance(10)
    assert budget.available() == 2


def test_seconds_until_free_names_when_the_oldest_message_leaves(clock: Seconds) -> None:
    budget = ChatBudget(2, clock)
    assert budget.seconds_until_free() == 0
    budget.try_spend()
    clock.advance(20)
    budget.try_spend()
    assert budget.seconds_until_free() == pytest.approx(WINDOW_SECONDS - 20)
    clock.advance(WINDOW_SECONDS - 20)
    assert budget.seconds_until_free() == 0
    assert budget.try_spend()


def test_a_message_sent_anyway_counts_even_beyond_the_budget(clock: Seconds) -> None:
    budget = ChatBudget(2, clock)
    spend_all(budget)
    budget.spend()  # a reply a moderator asked for goes out regardless
    assert budget.available() == 0
    clock.advance(WINDOW_SECONDS)
    assert budget.available() == 2


def test_a_pause_after_a_429_stops_all_spending_until_it_is_over(clock: Seconds) -> None:
    budget = ChatBudget(20, clock)
    budget.pause(30)
    assert budget.available() == 0
    assert not budget.try_spend()
    assert budget.seconds_until_free() == pytest.approx(30)
    clock.advance(29.9)
    assert not budget.try_spend()
    clock.advance(0.1)
    assert budget.available() == 20
    assert budget.try_spend()


def test_a_shorter_pause_does_not_cut_a_longer_one(clock: Seconds) -> None:
    budget = ChatBudget(20, clock)
    budget.pause(30)
    budget.pause(5)
    clock.advance(10)
    assert budget.available() == 0


def test_no_61_second_window_ever_holds_more_than_the_budget(clock: Seconds) -> None:
    """Random attempts, with and without reserve, at random moments: the account holds."""
    chance = random.Random(7)
    budget = ChatBudget(5, clock)
    sent: list[float] = []
    for _ in range(2000):
        clock.advance(chance.choice([0.0, 0.3, 1.0, 4.0, 13.0]))
        if budget.try_spend(chance.choice([0, 0, 1, 2])):
            sent.append(clock.now)
    assert len(sent) > 100
    for start in sent:
        in_window = [t for t in sent if start <= t < start + WINDOW_SECONDS]
        assert len(in_window) <= 5, start


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


def test_refund_gives_back_a_message_telegram_refused() -> None:
    budget = ChatBudget(2, clock=lambda: 0.0)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()
    budget.refund()  # that one came back 429: it did not count
    assert budget.try_spend()


async def test_pace_asks_for_the_rest_of_the_gap_since_the_last_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("handlers.runtime.chat_budget.asyncio.sleep", sleep)
    budget = ChatBudget(20, clock=lambda: 0.0, min_gap=30.0)
    await budget.pace()  # nothing sent yet: no wait
    assert waits == []
    assert budget.try_spend()
    await budget.pace()
    assert len(waits) == 1
    assert 29.0 < waits[0] <= 30.0 + GAP_SLACK_SECONDS
