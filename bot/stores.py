"""Opening the database for a command: migrated, and with the registry keys at hand, every
value sealed before the row binding (migration 0018) re-sealed bound to its row first.

On PostgreSQL the migrations run only as DATABASE_OWNER_URL's role when it is set (which then
grants the bot's role its privileges); without it a database behind this code is refused with
what to run, since the bot's own role may not change the schema. `migrate` alone, without an
owner URL, migrates as DATABASE_URL's role (one role for both, which db-check names)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from bot.settings import Settings
from moderation.sealing import Upgrade, upgrade_seals
from storage import Store
from storage.location import PostgresLocation

log = structlog.get_logger(__name__)

T = TypeVar("T")


async def opened_store(
    settings: Settings, *, bind_seals: bool = True, migrate: bool = False
) -> Store:
    database, owner = settings.database, settings.database_owner
    if owner is None and migrate and isinstance(database, PostgresLocation):
        owner = database
    store = await Store.open(database, owner=owner)
    if bind_seals:
        try:
            await upgraded_seals(store, settings)
        except BaseException:
            await store.close()
            raise
    return store


def run_with_store(
    settings: Settings,
    work: Callable[[Store], Awaitable[T]],
    *,
    bind_seals: bool = True,
    migrate: bool = False,
) -> T:
    """What every CLI command does with the database: open it as `run` does, run `work` in
    its own event loop, close it whatever happens. Errors reach the command, which names them.
    `bind_seals=False` leaves the seals to `work` (`migrate` reports how many it bound);
    `migrate=True` migrates PostgreSQL as DATABASE_URL's role when no owner URL is set."""

    async def main() -> T:
        store = await opened_store(settings, bind_seals=bind_seals, migrate=migrate)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


async def upgraded_seals(store: Store, settings: Settings) -> Upgrade | None:
    """None without the registry keys (nothing can be opened) or when nothing was waiting
    (the usual case: one count)."""
    if settings.encryption_key is None or settings.blind_index_key is None:
        return None
    async with store.reading() as uow:
        waiting = await uow.seals.pending()
    if not waiting:
        return None
    upgrade = await upgrade_seals(store, settings.cipher())
    log.info("seals_bound_to_rows", values=upgrade.resealed, unopenable=len(upgrade.unopenable))
    if upgrade.unopenable:
        # Named by table and row, never by value: these stay sealed and are never disclosed.
        log.warning("seals_unopenable", rows=list(upgrade.unopenable))
    return upgrade
