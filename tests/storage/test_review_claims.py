"""Claims on cases served outside the review chat (migration 0028, moderation/review/claims.py),
on both engines: the queue's order with overdue severe cases first, one case to one moderator,
expiry, Skip, escalated cases, filters, several instances serving at once, and a claim never
blocking a decision made elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from moderation.review.claims import (
    Claimed,
    ClaimRefusal,
    ClaimRefused,
    QueueFilter,
    claim_case,
    claim_holders,
    claimed_by,
    queue,
    release,
    release_all,
    serve_next,
)
from moderation.review.decisions import AlreadyDecided, Decided, Undone, undo
from moderation.review.delivery import backlog_size
from moderation.review.severe_waits import SeverePolicy
from moderation.review.types import CaseView, Decision, Moderator
from storage import Store
from storage.location import Location
from tests.storage.test_review_rules import (
    ADMIN,
    LEGAL,
    MODERATOR,
    OTHER_MODERATOR,
    UNDO,
    Desk,
)

CLAIM = timedelta(minutes=5)
SEVERE = SeverePolicy(frozenset({"csam"}), timedelta(minutes=30))
OFF = SeverePolicy(frozenset(), timedelta(0))


async def serve(
    desk: Desk,
    who: Moderator,
    *,
    via: str = "private",
    skip: int | None = None,
    filters: QueueFilter | None = None,
    store: Store | None = None,
) -> int | None:
    view = await serve_next(
        store or desk.store,
        who,
        now=desk.now,
        claim_for=CLAIM,
        severe=SEVERE,
        via=via,
        skip=skip,
        filters=filters,
    )
    return None if view is None else view.id


async def with_priority(desk: Desk, name: str, priority: int, category: str = "scam") -> int:
    case_id = await desk.new_case(name, [desk.reporter()], category)
    async with desk.store.transaction() as uow:
        await uow.review.set_priority(case_id, priority)
    return case_id


async def test_cases_are_served_overdue_severe_first_then_by_priority_age_and_id(
    store: Store,
) -> None:
    """issue 30, §3: an overdue severe case comes before a higher priority; then priority,
    then the oldest first report; the console's queue lists the same order."""
    desk = Desk(store)
    severe = await with_priority(desk, "severe_shop", 1, "csam")
    desk.tick(timedelta(minutes=40))
    fresh_severe = await with_priority(desk, "fresh_severe", 1, "csam")
    low = await with_priority(desk, "low_shop", 5)
    high = await with_priority(desk, "high_shop", 9)
    low_later = await with_priority(desk, "low_later", 5)
    listed = await queue(store, now=desk.tick(), severe=SEVERE)
    assert [c.case_id for c in listed] == [severe, high, low, low_later, fresh_severe]
    assert [c.overdue for c in listed] == [True, False, False, False, False]
    off = await queue(store, now=desk.now, severe=OFF)
    assert [c.case_id for c in off] == [high, low, low_later, severe, fresh_severe]
    team = [Moderator(700 + n, f"@m{n}") for n in range(6)]
    served = [await serve(desk, who) for who in team]
    assert served == [severe, high, low, low_later, fresh_severe, None]


async def test_a_claimed_case_is_served_to_nobody_else_until_its_claim_expires(
    store: Store,
) -> None:
    desk = Desk(store)
    first = await with_priority(desk, "first_shop", 9)
    second = await with_priority(desk, "second_shop", 5)
    assert await serve(desk, MODERATOR) == first
    assert await serve(desk, MODERATOR) == first  # asked again: the case they hold
    assert await serve(desk, OTHER_MODERATOR) == second
    assert await claimed_by(store, [first, second, 999], desk.now) == {
        first: MODERATOR.user_id,
        second: OTHER_MODERATOR.user_id,
    }
    holders = await claim_holders(store, [first], desk.now)
    assert (holders[first].name, holders[first].via) == (MODERATOR.name, "private")
    desk.tick(CLAIM)
    assert await claimed_by(store, [first, second], desk.now) == {}
    assert await serve(desk, ADMIN) == first


async def test_one_claim_per_way_in_and_stop_gives_it_back(store: Store) -> None:
    """Serving the next case releases the moderator's previous claim through the same way
    in; a claim through the console is a separate one; /review stop releases."""
    desk = Desk(store)
    first = await with_priority(desk, "one_shop", 9)
    second = await with_priority(desk, "two_shop", 5)
    third = await with_priority(desk, "three_shop", 3)
    assert await serve(desk, MODERATOR) == first
    await desk.decide(first, Decision.APPROVED)
    assert await serve(desk, MODERATOR) == second
    assert await serve(desk, MODERATOR, via="console", skip=None, filters=QueueFilter()) == second
    assert await serve(desk, OTHER_MODERATOR) == third
    assert await release_all(store, MODERATOR.user_id, "console", desk.now) == [second]
    assert await claimed_by(store, [second, third], desk.now) == {third: OTHER_MODERATOR.user_id}
    await release(store, third, OTHER_MODERATOR.user_id, desk.now)
    assert await claimed_by(store, [third], desk.now) == {}


async def test_skip_releases_the_case_and_keeps_it_from_that_moderator_for_the_claim_time(
    store: Store,
) -> None:
    desk = Desk(store)
    first = await with_priority(desk, "skip_first", 9)
    second = await with_priority(desk, "skip_second", 5)
    assert await serve(desk, MODERATOR) == first
    assert await serve(desk, MODERATOR, skip=first) == second
    assert await serve(desk, OTHER_MODERATOR) == first  # released for everyone else
    assert await serve(desk, OTHER_MODERATOR, skip=first) is None  # mine holds second
    assert await serve(desk, MODERATOR, skip=second) is None  # first skipped, second skipped
    desk.tick(CLAIM)
    assert await serve(desk, MODERATOR) == first
    audit = await desk_audit(store, "review.claimed")
    assert {("via", "private"), ("skipped", first)} <= set(audit[1].items())


async def desk_audit(store: Store, action: str) -> list[dict[str, object]]:
    async with store.reading() as uow:
        entries = await uow.audit.recent(200)
    return [dict(e.details) for e in reversed(entries) if e.action == action]


async def test_escalated_cases_go_to_admins_and_legal_officers_only(store: Store) -> None:
    desk = Desk(store)
    escalated = await with_priority(desk, "esc_shop", 9)
    everyday = await with_priority(desk, "day_shop", 1)
    async with store.transaction() as uow:
        await uow.review.escalate(escalated, MODERATOR.user_id, MODERATOR.name, None, desk.now)
    assert await serve(desk, MODERATOR) == everyday
    assert await serve(desk, LEGAL) == escalated  # LEGAL does not take everyday cases
    assert await serve(desk, LEGAL, skip=escalated) is None
    assert await serve(desk, ADMIN) == escalated  # skipped by LEGAL, not by the admin


async def test_filters_choose_by_category_state_age_and_kind(store: Store) -> None:
    desk = Desk(store)
    old = await with_priority(desk, "old_drugs", 1, "drugs")
    desk.tick(timedelta(hours=2))
    new = await with_priority(desk, "new_scam", 9)
    escalated = await with_priority(desk, "esc_scam", 5)
    async with store.transaction() as uow:
        await uow.review.escalate(escalated, ADMIN.user_id, ADMIN.name, None, desk.now)
        await uow.review.mark_provisionally_hidden(new, desk.now)

    async def ids(filters: QueueFilter) -> list[int]:
        return [c.case_id for c in await queue(store, now=desk.now, severe=OFF, filters=filters)]

    assert await ids(QueueFilter(category="drugs")) == [old]
    assert await ids(QueueFilter(state="escalated")) == [escalated]
    assert await ids(QueueFilter(state="pending")) == [new, old]
    assert await ids(QueueFilter(state="provisional")) == [new]
    assert await ids(QueueFilter(min_age=timedelta(hours=1))) == [old]
    assert await ids(QueueFilter(max_age=timedelta(hours=1))) == [new, escalated]
    assert await ids(QueueFilter(kind="public")) == [new, escalated, old]
    assert await ids(QueueFilter(kind="channel")) == []
    assert await serve(desk, ADMIN, filters=QueueFilter(category="drugs")) == old
    with pytest.raises(ValueError, match="kind"):
        await queue(store, now=desk.now, severe=OFF, filters=QueueFilter(kind="planet"))


async def test_a_claim_never_blocks_a_decision_made_elsewhere(store: Store) -> None:
    """Claimed in a private chat, decided from the group: the group's press wins, the
    private chat's later press is told who decided, and the next serve moves on."""
    desk = Desk(store)
    claimed = await with_priority(desk, "claimed_shop", 9)
    other = await with_priority(desk, "other_shop", 1)
    assert await serve(desk, MODERATOR) == claimed
    assert isinstance(await desk.decide(claimed, Decision.REJECTED, OTHER_MODERATOR), Decided)
    late = await desk.decide(claimed, Decision.APPROVED, MODERATOR)
    assert isinstance(late, AlreadyDecided)
    assert late.view.decided_by_name == OTHER_MODERATOR.name
    assert await serve(desk, MODERATOR) == other


async def test_claim_case_takes_a_named_case_unless_someone_else_holds_it(store: Store) -> None:
    """Undo in a private chat claims the undone case for its undoer (their other claim there
    given back); refused while someone else holds it, or when it is decided or not theirs."""
    desk = Desk(store)
    first = await with_priority(desk, "named_first", 9)
    second = await with_priority(desk, "named_second", 5)
    assert await serve(desk, MODERATOR) == first
    assert await serve(desk, OTHER_MODERATOR) == second

    async def claim(who: Moderator, case_id: int) -> Claimed | ClaimRefused:
        return await claim_case(store, case_id, who, desk.now, CLAIM, "private")

    taken = await claim(MODERATOR, second)
    assert isinstance(taken, ClaimRefused)
    assert taken.reason is ClaimRefusal.HELD
    assert taken.holder is not None
    assert taken.holder.user_id == OTHER_MODERATOR.user_id
    await desk.decide(first, Decision.APPROVED, MODERATOR)
    assert await claim(MODERATOR, first) == ClaimRefused(ClaimRefusal.DECIDED)
    assert await serve(desk, MODERATOR) is None  # second is held, first decided
    assert isinstance(await desk.undo(first), Undone)
    claimed = await claim(MODERATOR, first)
    assert isinstance(claimed, Claimed)
    assert (claimed.view.id, claimed.until) == (first, desk.now + CLAIM)
    assert await claimed_by(store, [first, second], desk.now) == {
        first: MODERATOR.user_id,
        second: OTHER_MODERATOR.user_id,
    }
    assert await serve(desk, ADMIN) is None  # nobody else is served it meanwhile
    assert await claim(OTHER_MODERATOR, first) == ClaimRefused(
        ClaimRefusal.HELD, (await claim_holders(store, [first], desk.now))[first]
    )
    desk.tick(CLAIM)  # expired: anyone may take it
    assert isinstance(await claim(OTHER_MODERATOR, first), Claimed)
    assert await claimed_by(store, [first, second], desk.now) == {first: OTHER_MODERATOR.user_id}
    async with store.transaction() as uow:
        await uow.review.escalate(second, ADMIN.user_id, ADMIN.name, None, desk.now)
    assert await claim(MODERATOR, second) == ClaimRefused(ClaimRefusal.NOT_ALLOWED)
    assert await claim(MODERATOR, 999) == ClaimRefused(ClaimRefusal.UNKNOWN)


async def test_a_case_decided_before_it_was_posted_is_not_posted_to_the_review_chat(
    store: Store,
) -> None:
    """Decided in a private chat while still in the review chat's backlog: the chat's budget
    goes to open cases; the post of a decided case is edited only if it exists. Undone, it is
    pending again and posted."""
    desk = Desk(store)
    posted = await with_priority(desk, "posted_shop", 1)
    await desk.post(posted)
    unposted = await with_priority(desk, "unposted_shop", 9)
    assert await backlog_size(store) == 1
    assert await serve(desk, MODERATOR) == unposted
    assert isinstance(await desk.decide(unposted, Decision.APPROVED), Decided)
    assert isinstance(await desk.decide(posted, Decision.REJECTED), Decided)
    due = await desk.due()
    assert set(due) == {posted}  # the decision edit of the posted case, nothing else
    assert due[posted].decided
    assert await backlog_size(store) == 0
    await undo(store, unposted, MODERATOR, undo_window=UNDO, now=desk.tick(), policy=desk.rules)
    assert unposted in await desk.due()
    assert await backlog_size(store) == 1


@pytest.fixture
async def other_instance(store_location: Location) -> AsyncIterator[Store]:
    """A second Store on the same database: another bot instance."""
    opened = await Store.open(store_location)
    yield opened
    await opened.close()


async def test_many_serves_at_once_on_two_instances_never_hand_out_a_case_twice(
    store: Store, other_instance: Store
) -> None:
    desk = Desk(store)
    cases = [await with_priority(desk, f"race_{n}", n % 3) for n in range(12)]
    team = [Moderator(800 + n, f"@r{n}") for n in range(16)]
    served: list[CaseView | None] = await asyncio.gather(
        *(
            serve_next(
                store if n % 2 else other_instance,
                who,
                now=desk.now,
                claim_for=CLAIM,
                severe=SEVERE,
                via="console" if n % 3 else "private",
            )
            for n, who in enumerate(team)
        )
    )
    ids = [view.id for view in served if view is not None]
    assert sorted(ids) == sorted(cases)
    assert served.count(None) == len(team) - len(cases)
    assert len(await claimed_by(store, cases, desk.now)) == len(cases)
