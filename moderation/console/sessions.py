"""Console sessions: opened once per verified init data, short-lived, kept in the database.

Any instance serves any moderator, so a session, the record that an init data already opened
one (replay), and who is viewing a case all live in the database. The token is
`<random id>.<seal>` and only its sha256 is stored: a copy of the database opens no session.
The seal is an HMAC, under a key derived from the bot token (which the database never holds),
over the id and the row's user, name, language and expiry: a row a database writer inserted or
altered (another user, a later expiry) matches no token the bot issued, so it is refused and
audited (`session_forged`) instead of acting as, say, a legal officer casting a sealed vote.
Each init data (by its hash) opens at most one session; the record is kept until the init data
would be too old anyway. Every refusal of a call is audited as `console.refused` with the
endpoint and why.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Final

from moderation.console.init_data import InitData, InitDataRefusal
from moderation.console.ports import ConsoleStore
from moderation.console.types import ConsoleSession, OpenedSession, SessionRefusal, Viewer

#: How long a case view counts as someone viewing it (the page re-fetches every 15 s).
VIEWER_FOR: Final = timedelta(seconds=60)
REFUSED_ACTION: Final = "console.refused"
#: What the session key is derived for (HMAC-SHA256 of this under the bot token).
SESSION_KEY_PURPOSE: Final = b"console-session"


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(bot_token: str) -> bytes:
    """The key sealing session tokens: HMAC-SHA256(bot token, "console-session"). Every
    instance holds the bot token and the database does not; whoever holds the token could sign
    init data anyway, so this key is no weaker link than the sign-in itself."""
    return hmac.new(bot_token.encode(), SESSION_KEY_PURPOSE, hashlib.sha256).digest()


def _seal(key: bytes, session_id: str, session: ConsoleSession) -> str:
    signed = "\n".join(
        (
            session_id,
            str(session.user_id),
            session.name,
            session.language,
            str(int(session.expires_at.timestamp())),
        )
    )
    digest = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_token(key: bytes, session: ConsoleSession) -> str:
    """A new token for `session`: a random id and the seal over it and the session's terms."""
    session_id = secrets.token_urlsafe(32)
    return f"{session_id}.{_seal(key, session_id, session)}"


def sealed_by(key: bytes, token: str, session: ConsoleSession) -> bool:
    """Whether `token` was issued for exactly this session (constant-time comparison)."""
    session_id, dot, seal = token.partition(".")
    if not dot or not session_id or not seal:
        return False
    return hmac.compare_digest(seal.encode(), _seal(key, session_id, session).encode())


async def open_session(
    store: ConsoleStore,
    init: InitData,
    key: bytes,
    *,
    language: str,
    now: datetime,
    lasts: timedelta,
    max_age: timedelta,
) -> OpenedSession | InitDataRefusal:
    """A session for the person the init data names and its token (sealed with `key`), or
    REPLAYED when that init data opened one already (on any instance). The caller has checked
    their role. The expiry is in whole seconds, as the seal covers it."""
    expires_at = (now + lasts).replace(microsecond=0)
    session = ConsoleSession(init.user_id, init.name, language, now, expires_at)
    token = issue_token(key, session)
    async with store.transaction() as uow:
        await uow.console.purge(now, now - VIEWER_FOR)
        if not await uow.console.remember_init_data(
            init.hash, init.user_id, now, init.auth_date + max_age
        ):
            # Audited by the caller, counted: a captured init data can be replayed at will.
            return InitDataRefusal.REPLAYED
        await uow.console.open_session(token_hash(token), session)
        await uow.audit.append(
            at=now,
            actor_id=init.user_id,
            action="console.session_opened",
            details={"expires_at": session.expires_at.isoformat()},
        )
    return OpenedSession(session, token)


async def session_for(
    store: ConsoleStore, key: bytes, token: str | None, now: datetime, endpoint: str
) -> ConsoleSession | SessionRefusal:
    """The session `token` opens, checked against its seal on every call. A row whose seal
    does not match (inserted or altered in the database) is FORGED, audited here, one row
    each, under the user it claims: only a database writer can cause one."""
    if not token or "." not in token:
        return SessionRefusal.NO_SESSION
    async with store.reading() as uow:
        session = await uow.console.session(token_hash(token))
    if session is None:
        return SessionRefusal.NO_SESSION
    if not sealed_by(key, token, session):
        async with store.transaction() as uow:
            await uow.audit.append(
                at=now,
                actor_id=session.user_id,
                action=REFUSED_ACTION,
                details={"endpoint": endpoint, "why": SessionRefusal.FORGED.value, "count": 1},
            )
        return SessionRefusal.FORGED
    if session.expires_at <= now:
        return SessionRefusal.EXPIRED
    return session


async def purge_expired(store: ConsoleStore, now: datetime) -> None:
    """Drops expired sessions, init data too old to open one anyway, and stale views: opening
    a session does it too, but the retention job makes sure nothing waits for the next one."""
    async with store.transaction() as uow:
        await uow.console.purge(now, now - VIEWER_FOR)


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
