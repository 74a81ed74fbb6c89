"""Claims on due case posts and notifications (issue 29, point 3), on both engines: every
instance sends from the outbox, and a claim keeps two from sending the same post at once while
a dead claimant's claim runs out by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from moderation.review.delivery import (
    claim_notification,
    claim_post,
    notification_sent,
    release_notification,
    release_post,
)
from storage import Store
from storage.location import Location
from tests.storage.test_review_rules import Desk

CLAIM = timedelta(seconds=20)


@pytest.fixture
async def second(store_location: Location, store: Store) -> AsyncIterator[Store]:
    """Another instance's view of the same database (its own connections)."""
    opened = await Store.open(store_location)
    yield opened
    await opened.close()


async def test_a_claimed_post_is_nobody_elses_until_released_or_its_claim_runs_out(
    store: Store, second: Store
) -> None:
    desk = Desk(store)
    first_case = await desk.new_case("claims_one", [desk.reporter()])
    second_case = await desk.new_case("claims_two", [desk.reporter()])
    now = desk.tick()
    mine = await claim_post(store, now, timedelta(0), now + CLAIM)
    theirs = await claim_post(second, now, timedelta(0), now + CLAIM)
    assert mine is not None
    assert theirs is not None
    assert {mine.case_id, theirs.case_id} == {first_case, second_case}  # one each
    assert await claim_post(second, now, timedelta(0), now + CLAIM) is None

    await release_post(store, mine.case_id, now + CLAIM, now)  # unsent: due again at once
    # A worker's pass takes each case once: one it did already is not claimed again in it.
    assert await claim_post(second, now, timedelta(0), now + CLAIM, {mine.case_id}) is None
    again = await claim_post(second, now, timedelta(0), now + CLAIM)
    assert again is not None
    assert again.case_id == mine.case_id

    # Both claimants died: their posts are due again once their claims ran out.
    later = now + CLAIM
    taken_over = [await claim_post(store, later, timedelta(0), later + CLAIM) for _ in range(2)]
    assert {task.case_id for task in taken_over if task is not None} == {first_case, second_case}


async def test_a_released_claim_keeps_the_retry_time_a_failure_set(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("claims_backoff", [desk.reporter()])
    now = desk.tick()
    task = await claim_post(store, now, timedelta(0), now + CLAIM)
    assert task is not None
    assert task.case_id == case_id
    async with store.transaction() as uow:
        await uow.posts.failed(case_id, now + timedelta(minutes=5), "BadGateway")
    await release_post(store, case_id, now + CLAIM, now)
    assert await claim_post(store, now + CLAIM, timedelta(0), now + 2 * CLAIM) is None


async def test_a_claimed_notification_is_sent_by_one_instance(store: Store, second: Store) -> None:
    desk = Desk(store)
    now = desk.tick()
    async with store.transaction() as uow:
        await uow.outbox.add(
            dedupe_key="claims:1",
            kind="outcome",
            chat_id=5001,
            payload={"report_id": 1},
            at=now,
            not_before=now,
        )
    mine = await claim_notification(store, now, now + CLAIM)
    assert mine is not None
    assert await claim_notification(second, now, now + CLAIM) is None
    await notification_sent(store, mine, now)
    await release_notification(store, mine, now + CLAIM, now)  # sent: stays sent
    assert await claim_notification(second, now + CLAIM, now + 2 * CLAIM) is None
