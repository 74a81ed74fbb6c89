"""Copies of case posts against a real SQLite store: what a kill between Telegram accepting a
post and its record leaves, how the next post says so, and how a copy is found and retired."""

from __future__ import annotations

from datetime import timedelta

from moderation.review.case_copies import PostRef, PostRole, copy_retired, lost_race, pressed_post
from moderation.review.decisions import case_view
from moderation.review.delivery import record_post, send_begun, send_refused
from storage import Store
from tests.storage.test_review_rules import Desk

CHAT = -1001


async def posted_after(desk: Desk, case_id: int, message_id: int) -> bool:
    task = (await desk.due(timedelta(0)))[case_id]
    return await record_post(desk.store, task, CHAT, message_id, desk.tick())


async def test_a_send_begun_before_a_kill_makes_the_next_post_say_a_copy_may_be_above(
    store: Store,
) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("copy_shop", [desk.reporter()])
    first_try = desk.tick()
    await send_begun(store, case_id, first_try)  # ... accepted by Telegram, then killed
    view = await case_view(store, case_id)
    assert view is not None
    assert view.copy_since == first_try  # the re-post is rendered with the line
    await send_begun(store, case_id, desk.tick())
    assert await posted_after(desk, case_id, 21)
    view = await case_view(store, case_id)
    assert view is not None
    assert view.copy_since == first_try  # and its later edits keep it

    found = await pressed_post(store, case_id, PostRef(CHAT, 20), "press", desk.tick())
    assert found.role is PostRole.COPY
    assert found.live == PostRef(CHAT, 21)
    view = await case_view(store, case_id)
    assert view is not None
    assert view.copy_since is None  # the one possible copy is found: nothing unknown is left
    again = await pressed_post(store, case_id, PostRef(CHAT, 20), "press", desk.tick())
    assert again.role is PostRole.COPY
    await copy_retired(store, PostRef(CHAT, 20), "deleted", desk.tick())
    await copy_retired(store, PostRef(CHAT, 20), "gone", desk.tick())
    async with store.reading() as uow:
        actions = [e.action for e in await uow.audit.for_subject("case", str(case_id))]
    assert actions.count("case.copy_found") == 1
    assert actions.count("case.copy_retired") == 1


async def test_a_send_telegram_refused_leaves_no_copy_to_mention(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("refused_shop", [desk.reporter()])
    await send_begun(store, case_id, desk.tick())
    await send_refused(store, case_id)  # a 400 or 429: not applied
    await send_begun(store, case_id, desk.tick())
    assert await posted_after(desk, case_id, 30)
    view = await case_view(store, case_id)
    assert view is not None
    assert view.copy_since is None


async def test_a_press_on_an_unrecorded_post_adopts_it_and_a_late_send_becomes_the_copy(
    store: Store,
) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("adopt_shop", [desk.reporter()])
    await send_begun(store, case_id, desk.tick())  # killed after Telegram accepted message 40
    await send_begun(store, case_id, desk.tick())  # the restarted worker's send, in flight
    task = (await desk.due(timedelta(0)))[case_id]
    found = await pressed_post(store, case_id, PostRef(CHAT, 40), "press", desk.tick())
    assert found.role is PostRole.LIVE
    assert found.live == PostRef(CHAT, 40)
    view = await case_view(store, case_id)
    assert view is not None
    assert view.copy_since is not None  # the send in flight may still land
    assert not await record_post(store, task, CHAT, 41, desk.tick())  # it landed: a copy
    await lost_race(store, case_id, PostRef(CHAT, 41), desk.tick())
    async with store.reading() as uow:
        assert await uow.posts.recorded(case_id) == PostRef(CHAT, 40)
        due = await uow.copies.due(desk.tick(), 10)
    assert [(t.copy, t.live) for t in due] == [(PostRef(CHAT, 41), PostRef(CHAT, 40))]
    view = await case_view(store, case_id)
    assert view is not None
    assert view.copy_since is None


async def test_another_cases_post_is_never_taken_for_a_copy(store: Store) -> None:
    desk = Desk(store)
    first = await desk.new_case("first_shop", [desk.reporter()])
    second = await desk.new_case("second_shop", [desk.reporter()])
    await desk.post(first, 50)
    await desk.post(second, 51)
    found = await pressed_post(store, first, PostRef(CHAT, 51), "press", desk.tick())
    assert found.role is PostRole.FOREIGN
    async with store.reading() as uow:
        assert await uow.copies.due(desk.tick(), 10) == []
