"""The category or reason menu open on a case's post, kept in the database (migration 0027).

A moderator's Approve or Reject opens a menu on the case post; every redraw of that post (the
delivery worker's count update, a note, an escalation), on whichever instance makes it, shows
the same menu with its prompt instead of closing it under the moderator. Back or a decision
closes it (a decision in its own transaction, by any path); one left open for MENU_TTL is
closed by the delivery worker of the instance that leads, and its post redrawn without it.
A redraw reads the menu before its edit: when a moderator on another instance opened or closed
one in between, recording the redraw puts the post due again (delivery.mark_shown).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from moderation.reporting.types import CaseStatus
from moderation.review.ports import ReviewStore
from moderation.review.types import CaseView, Menu, OpenMenu

#: A menu nobody closes closes by itself after this long (its post is then redrawn).
MENU_TTL: Final = timedelta(seconds=120)

__all__ = [
    "MENU_TTL",
    "Menu",
    "OpenMenu",
    "close_expired_menus",
    "close_menu",
    "menu_shown",
    "open_menu",
    "shown",
]


async def open_menu(store: ReviewStore, case_id: int, menu: Menu, now: datetime) -> None:
    """The case's post shows `menu` from now on (Menu.MAIN closes the one open, if any)."""
    async with store.transaction() as uow:
        if menu is Menu.MAIN:
            await uow.menus.close(case_id)
        else:
            await uow.menus.open(case_id, menu, now, now + MENU_TTL)


async def close_menu(store: ReviewStore, case_id: int) -> None:
    async with store.transaction() as uow:
        await uow.menus.close(case_id)


async def menu_shown(store: ReviewStore, case: CaseView, now: datetime) -> Menu:
    """The menu a redraw of the case's post shows: the open one, unless the case is decided or
    the menu was left open past its time (the delivery worker then closes it)."""
    if case.status is not CaseStatus.PENDING:
        return Menu.MAIN
    async with store.reading() as uow:
        found = await uow.menus.of(case.id)
    return shown(found, now)


def shown(found: OpenMenu | None, now: datetime) -> Menu:
    if found is None or found.open_until < now:
        return Menu.MAIN
    return found.menu


async def close_expired_menus(store: ReviewStore, now: datetime) -> list[int]:
    """Closes the menus left open past their time; the posts of pending cases among them
    become due for the redraw that shows them without the menu (both in one transaction, so
    a restart in between loses neither). The cases whose posts will be redrawn."""
    async with store.reading() as uow:
        expired = await uow.menus.expired(now)
    if not expired:
        return []
    redrawn: list[int] = []
    async with store.transaction() as uow:
        for case_id, pending in expired:
            # Reopened meanwhile (on this or another instance): that menu stays.
            if await uow.menus.close(case_id, expired_before=now) and pending:
                await uow.posts.recheck(case_id, now)
                redrawn.append(case_id)
    return redrawn
