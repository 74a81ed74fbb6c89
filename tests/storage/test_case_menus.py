"""The menu open on a case's post, kept in the database (migration 0027): every instance sharing
the database sees it, Back or a decision on any of them closes it, and one left open closes by
itself once, its post then due for a redraw."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from moderation.review.decisions import Undone, case_view, undo
from moderation.review.delivery import mark_shown
from moderation.review.menus import (
    MENU_TTL,
    Menu,
    close_expired_menus,
    menu_shown,
    open_menu,
)
from storage import Store
from storage.location import Location
from tests.storage.test_review_rules import MODERATOR, POSTED_MESSAGE, UNDO, Desk


@pytest.fixture
async def other_instance(store_location: Location) -> AsyncIterator[Store]:
    """A second Store on the same database: what another bot instance reads and writes."""
    opened = await Store.open(store_location)
    yield opened
    await opened.close()


async def shown_by(store: Store, case_id: int, desk: Desk) -> Menu:
    case = await case_view(store, case_id)
    assert case is not None
    return await menu_shown(store, case, desk.now)


async def test_a_menu_one_instance_opens_is_the_menu_every_instance_draws(
    store: Store, other_instance: Store
) -> None:
    """issue 29, point 1: an open menu lives in the database, not in one process's memory:
    opened through one store, another store on the same database draws it, and Back through
    that other store closes it for the first."""
    desk = Desk(store)
    case_id = await desk.new_case("menu_shop", [desk.reporter()])
    await desk.post(case_id)
    assert await shown_by(other_instance, case_id, desk) is Menu.MAIN
    await open_menu(store, case_id, Menu.CATEGORIES, desk.tick())
    assert await shown_by(other_instance, case_id, desk) is Menu.CATEGORIES
    await open_menu(other_instance, case_id, Menu.REASONS, desk.tick())  # Reject after Back
    assert await shown_by(store, case_id, desk) is Menu.REASONS
    await open_menu(other_instance, case_id, Menu.MAIN, desk.tick())  # Back
    assert await shown_by(store, case_id, desk) is Menu.MAIN
    async with store.reading() as uow:
        assert await uow.menus.of(case_id) is None


async def test_a_decision_closes_the_menu_and_an_undo_does_not_bring_it_back(
    store: Store, other_instance: Store
) -> None:
    """issue 29, point 1: the decision closes the menu in its own transaction, whichever
    instance (or path: a button, a reply's /reject) made it; reopened by Undo within the
    menu's two minutes, the case's post shows the main buttons, not the old menu."""
    desk = Desk(store)
    case_id = await desk.new_case("decided_shop", [desk.reporter()])
    await desk.post(case_id)
    await open_menu(store, case_id, Menu.CATEGORIES, desk.tick())
    await desk.approve(case_id)
    async with other_instance.reading() as uow:
        assert await uow.menus.of(case_id) is None
    assert await shown_by(other_instance, case_id, desk) is Menu.MAIN
    outcome = await undo(
        other_instance, case_id, MODERATOR, undo_window=UNDO, now=desk.tick(), policy=desk.rules
    )
    assert isinstance(outcome, Undone)
    assert await shown_by(other_instance, case_id, desk) is Menu.MAIN
    assert await close_expired_menus(store, desk.tick(MENU_TTL * 2)) == []


async def test_a_menu_left_open_closes_once_and_its_post_is_due_for_a_redraw(
    store: Store, other_instance: Store
) -> None:
    """issue 29, point 1: expiry works across instances: a menu opened through one store is
    closed by another's delivery pass once its time is up (not before), the post becomes due
    for the redraw that drops it, and a second pass finds nothing more."""
    desk = Desk(store)
    case_id = await desk.new_case("idle_shop", [desk.reporter()])
    await desk.post(case_id)
    assert case_id not in await desk.due(timedelta(0))
    opened_at = desk.tick()
    await open_menu(store, case_id, Menu.REASONS, opened_at)
    desk.now = opened_at + MENU_TTL
    assert await close_expired_menus(other_instance, desk.now) == []
    assert await shown_by(other_instance, case_id, desk) is Menu.REASONS
    desk.now = opened_at + MENU_TTL + timedelta(seconds=1)
    assert await shown_by(other_instance, case_id, desk) is Menu.MAIN  # past its time
    assert await close_expired_menus(other_instance, desk.now) == [case_id]
    assert case_id in await desk.due(timedelta(0))  # the redraw without the menu
    assert await close_expired_menus(store, desk.tick()) == []


async def test_a_menu_reopened_after_it_was_seen_expired_stays_open(store: Store) -> None:
    """issue 29, point 1: a pass that read a menu as expired does not close the menu a
    moderator opened again meanwhile (on another instance)."""
    desk = Desk(store)
    case_id = await desk.new_case("again_shop", [desk.reporter()])
    await desk.post(case_id)
    opened_at = desk.tick()
    await open_menu(store, case_id, Menu.CATEGORIES, opened_at)
    late = opened_at + MENU_TTL + timedelta(seconds=1)
    async with store.reading() as uow:
        assert await uow.menus.expired(late) == [(case_id, True)]
    await open_menu(store, case_id, Menu.CATEGORIES, late)  # opened again in between
    async with store.transaction() as uow:
        assert not await uow.menus.close(case_id, expired_before=late)
    desk.now = late
    assert await shown_by(store, case_id, desk) is Menu.CATEGORIES


async def test_a_redraw_that_crossed_a_menu_opened_or_closed_elsewhere_is_made_again(
    store: Store, other_instance: Store
) -> None:
    """issue 29, point 1: a redraw reads the menu, then edits the post; a moderator who opens
    (or closes) the menu on another instance in between may see that edit land after theirs
    and take the menu away (or put it back). Recording the redraw notices the difference and
    makes the post due again, to be drawn with the menu open now; a redraw that drew it
    leaves nothing due."""
    desk = Desk(store)
    case_id = await desk.new_case("crossed_shop", [desk.reporter()])
    await desk.post(case_id)
    case = await case_view(store, case_id)
    assert case is not None

    async def redrawn(drawn: Menu) -> bool:
        """The leader's redraw drew `drawn` and is recorded: is the post due again?"""
        started = desk.tick()
        await mark_shown(store, case_id, POSTED_MESSAGE, case.version, started, menu=drawn)
        return case_id in await desk.due(timedelta(0))

    drawn = await menu_shown(store, case, desk.tick())  # the leader reads: no menu
    await open_menu(other_instance, case_id, Menu.CATEGORIES, desk.tick())  # Approve elsewhere
    assert await redrawn(drawn)
    assert not await redrawn(await menu_shown(store, case, desk.now))  # drawn with the menu

    drawn = await menu_shown(store, case, desk.tick())  # the leader reads: the menu
    await open_menu(other_instance, case_id, Menu.MAIN, desk.tick())  # Back elsewhere
    assert await redrawn(drawn)
    assert not await redrawn(await menu_shown(store, case, desk.now))
