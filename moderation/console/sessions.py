"""Console sessions: opened once per verified init data, short-lived, kept in the database.

Any instance serves any moderator, so a session, the record that an init data already opened
one (replay), and who is viewing a case all live in the database. The token is random and only
its sha256 is stored: a copy of the database opens no session. Each init data (by its hash)
opens at most one session; the record is kept until the init data would be too old anyway.
Every refusal of a call is audited as `console.refused` with the endpoint and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Final

from moderation.console.init_data import InitData, InitDataRefusal
from moderation.console.ports import ConsoleStore
from moderation.console.types import ConsoleSession, SessionRefusal, Viewer

#: How long a case view counts as someone viewing it (the page re-fetches every 15 s).
VIEWER_FOR: Final = timedelta(seconds=60)
REFUSED_ACTION: Final = "console.refused"


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    store: ConsoleStore,
    init: InitData,
    token: str,
    *,
    language: str,
    now: datetime,
    lasts: timedelta,
    max_age: timedelta,
) -> ConsoleSession | InitDataRefusal:
    """A session for the person the init data names, or REPLAYED when that init data opened
    one already (on any instance). The caller has checked their role."""
    session = ConsoleSession(init.user_id, init.name, language, now, now + lasts)
    async with store.transaction() as uow:
        await uow.console.purge(now, now - VIEWER_FOR)
        if not await uow.console.remember_init_data(
            init.hash, init.user_id, now, init.auth_date + max_age
        ):
            await uow.audit.append(
                at=now,
                actor_id=init.user_id,
                action=REFUSED_ACTION,
                details={"endpoint": "session", "why": InitDataRefusal.REPLAYED.value},
            )
            return InitDataRefusal.REPLAYED
        await uow.console.open_session(token_hash(token), session)
        await uow.audit.append(
            at=now,
            actor_id=init.user_id,
            action="console.session_opened",
            details={"expires_at": session.expires_at.isoformat()},
        )
    return session


async def session_for(
    store: ConsoleStore, token: str | None, now: datetime
) -> ConsoleSession | SessionRefusal:
    if not token:
        return SessionRefusal.NO_SESSION
    async with store.reading() as uow:
        session = await uow.console.session(token_hash(token))
    if session is None:
        return SessionRefusal.NO_SESSION
    if session.expires_at <= now:
        return SessionRefusal.EXPIRED
    return session


async def record_refusal(
    store: ConsoleStore, user_id: int | None, endpoint: str, why: str, now: datetime
) -> None:
    """A console call refused: nothing changed, but the attempt is on record."""
    async with store.transaction() as uow:
        await uow.audit.append(
            at=now,
            actor_id=user_id,
            action=REFUSED_ACTION,
            details={"endpoint": endpoint, "why": why},
        )


async def view_case(
    store: ConsoleStore, case_id: int, viewer: Viewer, now: datetime
) -> list[Viewer]:
    """Records `viewer` on the case for VIEWER_FOR; the others viewing it now."""
    async with store.transaction() as uow:
        await uow.console.viewing(case_id, viewer.user_id, viewer.name, now)
        found = await uow.console.viewers([case_id], now - VIEWER_FOR)
    return [other for other in found.get(case_id, []) if other.user_id != viewer.user_id]


async def viewers_of(
    store: ConsoleStore, case_ids: Collection[int], now: datetime
) -> Mapping[int, list[Viewer]]:
    async with store.reading() as uow:
        return await uow.console.viewers(case_ids, now - VIEWER_FOR)
