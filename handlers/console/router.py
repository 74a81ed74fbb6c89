"""Every console call passes here: the session, the person's roles, the access table, then the
endpoint; errors become {"error", "message"} in the caller's language, never a traceback.

A route names its entry of handlers/runtime/permissions.py `CONSOLE`; the router resolves the
caller (handlers/runtime/access.py resolve_actor, by user id: the console knows no chat) on
every call, so a revoked role stops at once, and refuses with 403 and a `console.refused` audit
row anyone the entry does not serve. An endpoint asks again for a part of its answer with
`Call.require` (e.g. escalated cases), through the same table. The session's token is checked
against its seal on every call (moderation/console/sessions.py); refusals of callers without a
session are counted per minute rather than written one row each (moderation/console/refusals.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import structlog
from aiohttp import web
from telegram import User

from handlers.runtime.access import Actor, resolve_actor
from handlers.runtime.context import BotApplication, Services
from handlers.runtime.permissions import CONSOLE, Where
from moderation.console.refusals import (
    Counted,
    RefusalKind,
    RefusalTally,
    record_counted,
    record_refusal,
    refused_anonymously,
)
from moderation.console.sessions import session_for, session_key
from moderation.console.types import ConsoleSession, SessionRefusal

log = structlog.get_logger(__name__)

API: Final = "/console/api"
#: A console request body is a few hundred bytes (bulk: a hundred ids); more is not one.
MAX_BODY_BYTES: Final = 64 * 1024
#: How often counted refusals of past minutes are written when no new refusal comes.
TALLY_TICK_SECONDS: Final = 30.0


@dataclass
class Guard:
    """What every call is checked with: the key sealing session tokens (derived from the bot
    token, which the database never holds) and this instance's tally of refusals of callers
    without a session."""

    key: bytes
    tally: RefusalTally = field(default_factory=RefusalTally)

    @classmethod
    def for_bot(cls, bot_token: str) -> Guard:
        return cls(session_key(bot_token))


class ApiError(Exception):
    """An answer other than 200: its status, code and text key (rendered in the caller's
    language with `params`)."""

    def __init__(self, status: int, code: str, key: str, **params: object) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.key = key
        self.params = params


def plain(rendered: str) -> str:
    """The catalog's texts are Telegram HTML with escaped parameters; the page shows text."""
    return html.unescape(rendered)


def language_of(request: web.Request, services: Services) -> str:
    """Before a session says it: the browser's first language, when we have it."""
    header = request.headers.get("Accept-Language", "")
    first = header.split(",", 1)[0].split(";", 1)[0].strip()
    return services.texts.language_for(first or None)


def error_response(
    services: Services, language: str, status: int, code: str, key: str, **params: object
) -> web.Response:
    message = plain(services.texts.render(language, key, **params))
    return web.json_response({"error": code, "message": message}, status=status)


@dataclass
class Call:
    """One authenticated call, as an endpoint sees it."""

    request: web.Request
    services: Services
    application: BotApplication
    session: ConsoleSession
    actor: Actor
    endpoint: str
    now: datetime
    _body: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def language(self) -> str:
        return self.session.language

    def t(self, key: str, **params: object) -> str:
        return plain(self.services.texts.render(self.language, key, **params))

    def may(self, endpoint: str) -> bool:
        """Whether the table serves the caller on `endpoint` (no audit: for what to show)."""
        return bool(CONSOLE[endpoint].served & self.actor.who(Where.PRIVATE))

    async def require(self, endpoint: str) -> None:
        """Refuses (403, audited) unless the table serves the caller on `endpoint`."""
        if not self.may(endpoint):
            await refuse(self.services, self.actor.user.id, endpoint, "role", self.now)
            raise ApiError(403, CONSOLE[endpoint].refusal, "console.error.forbidden")

    async def body(
        self, allowed: Collection[str], required: Collection[str] = ()
    ) -> dict[str, Any]:
        """The JSON object sent; unknown or missing fields are a 400."""
        if self._body is None:
            self._body = await read_json(self.request)
        unknown = sorted(set(self._body) - set(allowed))
        if unknown:
            raise ApiError(400, "bad_request", "console.error.unknown_field", field=unknown[0])
        missing = sorted(set(required) - set(self._body))
        if missing:
            raise ApiError(400, "bad_request", "console.error.missing_field", field=missing[0])
        return self._body

    def query(self, allowed: Collection[str]) -> Mapping[str, str]:
        unknown = sorted(set(self.request.query) - set(allowed))
        if unknown:
            raise ApiError(400, "bad_request", "console.error.unknown_field", field=unknown[0])
        return {key: self.request.query[key] for key in self.request.query}


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_request", "console.error.not_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "console.error.not_json")
    return data


async def refuse(
    services: Services, user_id: int | None, endpoint: str, why: str, now: datetime
) -> None:
    """A refusal of someone signed in (a role the table does not serve): one audit row each."""
    await record_refusal(services.store, user_id, endpoint, why, now)
    log.info("console_refused", endpoint=endpoint, why=why)


async def refuse_anonymously(
    services: Services,
    guard: Guard,
    endpoint: str,
    why: str,
    now: datetime,
    user_id: int | None = None,
) -> None:
    """A refusal anyone can cause (no session, bad init data, a replay): counted per minute."""
    await refused_anonymously(services.store, guard.tally, RefusalKind(endpoint, why, user_id), now)


def tally_ticking(
    application: BotApplication, guard: Guard
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The console app's cleanup context: writes past minutes' counts every TALLY_TICK_SECONDS
    and every count on the way down."""

    async def flush(take: Callable[[], list[Counted]]) -> None:
        services = application.bot_data.services
        await record_counted(services.store, take(), services.clock.now())

    async def tick() -> None:
        while True:
            await asyncio.sleep(TALLY_TICK_SECONDS)
            try:
                await flush(lambda: guard.tally.due(application.bot_data.services.clock.now()))
            except Exception:
                log.exception("console_refusals_unwritten")

    async def ticking(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(tick())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await flush(guard.tally.drain)
        except Exception:
            log.exception("console_refusals_unwritten")

    return ticking


Handler = Callable[[Call], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: `path` under /console/api, its entry in CONSOLE, and what answers it."""

    method: str
    path: str
    endpoint: str
    handler: Handler


class UnknownConsoleAccess(RuntimeError):
    """A console route names an endpoint the access table does not know."""


async def actor_of(application: BotApplication, services: Services, user: User) -> Actor:
    settings = services.settings
    return await resolve_actor(
        application.bot,
        services.store,
        settings,
        services.admins,
        user,
        review_chat_id=settings.review_chat_id,
    )


def bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def routed(
    application: BotApplication, route: Route, guard: Guard
) -> Callable[[web.Request], Awaitable[web.Response]]:
    if route.endpoint not in CONSOLE:
        raise UnknownConsoleAccess(f"console endpoint not in the access table: {route.endpoint}")

    async def answer(request: web.Request) -> web.Response:
        services = application.bot_data.services
        now = services.clock.now()
        session = await session_for(services.store, guard.key, bearer(request), now, route.endpoint)
        if isinstance(session, SessionRefusal):
            if session is SessionRefusal.FORGED:  # audited, one row each, by session_for
                log.warning("console_session_forged", endpoint=route.endpoint)
            else:
                await refuse_anonymously(services, guard, route.endpoint, session.value, now)
            key = f"console.error.{session.value}"
            return error_response(services, language_of(request, services), 401, session.value, key)
        # The name as the review chat shows it (@username or first name): decisions carry it.
        user = User(session.user_id, session.name, is_bot=False)
        actor = await actor_of(application, services, user)
        call = Call(request, services, application, session, actor, route.endpoint, now)
        try:
            await call.require(route.endpoint)
            body = await route.handler(call)
        except ApiError as error:
            return error_response(
                services, session.language, error.status, error.code, error.key, **error.params
            )
        return web.json_response(dict(body))

    return answer


def add_routes(
    app: web.Application, application: BotApplication, routes: Sequence[Route], guard: Guard
) -> None:
    for route in routes:
        app.router.add_route(route.method, API + route.path, routed(application, route, guard))
