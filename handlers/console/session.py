"""POST /console/api/session: signed init data in, a short-lived session out.

The init data is checked as Telegram documents it (moderation/console/init_data.py), the person
must be staff by the access table's `session` entry (roles by user id, through resolve_actor),
and each init data opens one session at most (the record is in the database, so a copy replayed
to another instance is refused as well). The token is random and sealed with a key derived
from the bot token (moderation/console/sessions.py); only its hash is stored. Refusals here are
counted per minute (anyone can cause them: handlers/console/router.py refuse_anonymously).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from telegram import User

from handlers.console.router import (
    ApiError,
    Guard,
    actor_of,
    error_response,
    language_of,
    read_json,
    refuse_anonymously,
)
from handlers.runtime.access import Actor
from handlers.runtime.context import BotApplication
from handlers.runtime.permissions import CONSOLE, Where
from moderation.console.init_data import InitData, InitDataRefusal, check_init_data
from moderation.console.sessions import open_session

ENDPOINT = "session"


def roles_of(actor: Actor) -> list[str]:
    roles = sorted(role.value for role in actor.roles.all)
    return [*roles, "chat_admin"] if actor.chat_admin else roles


def may_of(actor: Actor) -> dict[str, bool]:
    """What the page offers; every call is checked again by the table."""
    who = actor.who(Where.PRIVATE)
    moderator = actor.moderator

    def served(endpoint: str) -> bool:
        return bool(CONSOLE[endpoint].served & who)

    return {
        "review": moderator is not None and moderator.reviews and served("queue"),
        "escalated": served("queue.escalated"),
        "legal": served("legal.vote"),
        "admin": served("stats"),
    }


def session_handler(
    application: BotApplication, bot_token: str, guard: Guard
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def open_console_session(request: web.Request) -> web.Response:
        services = application.bot_data.services
        settings = services.settings.console
        now = services.clock.now()
        language = language_of(request, services)
        try:
            body = await read_json(request)
            unknown = sorted(set(body) - {"init_data"})
            if unknown:
                raise ApiError(400, "bad_request", "console.error.unknown_field", field=unknown[0])
            raw = body.get("init_data")
            if not isinstance(raw, str):
                raise ApiError(400, "bad_request", "console.error.missing_field", field="init_data")
        except ApiError as error:
            return error_response(
                services, language, error.status, error.code, error.key, **error.params
            )
        assert settings is not None  # the server runs only with the console configured
        max_age = timedelta(seconds=settings.init_data_max_age_seconds)
        checked = check_init_data(raw, bot_token, now=now, max_age=max_age)
        if isinstance(checked, InitDataRefusal):
            await refuse_anonymously(services, guard, ENDPOINT, checked.value, now)
            return error_response(
                services, language, 401, checked.value, f"console.error.{checked.value}"
            )
        language = services.texts.language_for(checked.language_code)
        actor = await actor_of(application, services, _user(checked))
        if not CONSOLE[ENDPOINT].served & actor.who(Where.PRIVATE):
            # Counted: the same init data can be posted again and again until it opens a session.
            await refuse_anonymously(services, guard, ENDPOINT, "not_staff", now, checked.user_id)
            return error_response(services, language, 403, "not_staff", "console.error.not_staff")
        opened = await open_session(
            services.store,
            checked,
            guard.key,
            language=language,
            now=now,
            lasts=timedelta(minutes=settings.session_minutes),
            max_age=max_age,
        )
        if isinstance(opened, InitDataRefusal):
            await refuse_anonymously(services, guard, ENDPOINT, opened.value, now, checked.user_id)
            return error_response(
                services, language, 401, opened.value, f"console.error.{opened.value}"
            )
        return web.json_response(
            {
                "token": opened.token,
                "expires_at": opened.session.expires_at.isoformat(),
                "user": {"id": checked.user_id, "name": checked.name, "language": language},
                "roles": roles_of(actor),
                "may": may_of(actor),
            }
        )

    return open_console_session


def _user(init: InitData) -> User:
    return User(
        init.user_id,
        init.first_name,
        is_bot=False,
        username=init.username,
        language_code=init.language_code,
    )
