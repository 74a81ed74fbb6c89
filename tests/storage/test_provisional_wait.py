"""Provisional hiding after a wait (PROVISIONAL_HIDE_AFTER_MINUTES, migration 0030): trusted
reporters hide a pending case's target only once the case has also waited that long undecided,
at filing when the wait is already over, else by the leading instance's job when it falls due;
a decision first means no hide. On both engines."""

from __future__ import annotations

from datetime import timedelta

from moderation.review.case_actions import Done, escalate
from moderation.review.case_rules import hide_waited
from storage import Store
from tests.storage.test_review_rules import MODERATOR, Desk, policy

WAIT = timedelta(minutes=30)


async def trusted_desk(store: Store, approved: int = 3) -> tuple[Desk, list[int]]:
    desk = Desk(store, policy(provisional_reporters=2, provisional_wait=WAIT))
    reporters = [desk.reporter(), desk.reporter()]
    await desk.track_record(reporters, approved=approved, rejected=0)
    return desk, reporters


async def test_trusted_reporters_hide_only_once_the_case_has_waited(store: Store) -> None:
    desk, reporters = await trusted_desk(store)
    case_id = await desk.new_case("patient_shop_x", reporters)
    opened = desk.now - timedelta(seconds=1)  # the first of the two reports opened it
    assert await desk.hiding("patient_shop_x") == []
    assert await hide_waited(store, desk.rules, desk.tick(WAIT - timedelta(seconds=5))) == 0
    assert await desk.hiding("patient_shop_x") == []
    assert (await desk.view(case_id)).provisionally_hidden_at is None
    assert await hide_waited(store, desk.rules, desk.tick(timedelta(seconds=5))) == 1
    assert await desk.hiding("patient_shop_x") == [(case_id, 1)]
    view = await desk.view(case_id)
    assert view.provisionally_hidden_at == desk.now
    assert desk.now - opened >= WAIT
    [audit] = await desk.audit("case.provisionally_hidden", case_id)
    assert audit == {
        "before": "visible",
        "after": "hidden",
        "trusted_reporters": 2,
        "waited_minutes": 30,
    }
    assert await hide_waited(store, desk.rules, desk.tick(WAIT)) == 0  # once
    assert len(await desk.audit("case.provisionally_hidden", case_id)) == 1


async def test_a_decision_before_the_wait_is_over_means_no_hide(store: Store) -> None:
    desk, reporters = await trusted_desk(store, approved=5)  # still trusted after one reject
    rejected = await desk.new_case("rejected_first_x", reporters)
    escalated = await desk.new_case("escalated_first_x", reporters)
    await desk.reject(rejected)
    assert isinstance(await escalate(store, escalated, MODERATOR, None, desk.tick()), Done)
    assert await hide_waited(store, desk.rules, desk.tick(WAIT * 2)) == 1
    assert await desk.hiding("rejected_first_x") == []
    assert await desk.hiding("escalated_first_x") == [(escalated, 1)]  # still undecided
    assert [a["trusted_reporters"] for a in await desk.audit("case.provisionally_hidden")] == [2]


async def test_a_report_after_the_wait_hides_at_filing(store: Store) -> None:
    desk, (first, second) = await trusted_desk(store)
    case_id = await desk.new_case("late_second_x", [first])
    desk.tick(WAIT)
    await desk.file("late_second_x", second)
    assert await desk.hiding("late_second_x") == [(case_id, 1)]
    assert await hide_waited(store, desk.rules, desk.tick()) == 0


async def test_reporters_no_longer_trusted_when_due_do_not_hide(store: Store) -> None:
    desk, reporters = await trusted_desk(store)
    case_id = await desk.new_case("doubted_shop_x", reporters)
    for n in range(2):  # two rejections: 3 of 5 approved is short of trusted
        await desk.reject(await desk.new_case(f"doubted_{n}_x", reporters))
    assert await hide_waited(store, desk.rules, desk.tick(WAIT)) == 0
    assert await desk.hiding("doubted_shop_x") == []
    async with store.reading() as uow:
        assert await uow.review.provisional_due(desk.tick(WAIT), 10) == []
    assert (await desk.view(case_id)).provisionally_hidden_at is None
