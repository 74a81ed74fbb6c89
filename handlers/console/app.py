"""The console's aiohttp application: the page, its files, the API and the headers on all.

No third-party resource is allowed but Telegram's own telegram-web-app.js; no inline script or
style; nothing may be framed in the page (Telegram Web frames the page itself, so its origins
may); answers of the API are never cached. An unexpected error is logged and answered with a
generic message: no traceback reaches the page.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Final

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from handlers.console import admin_api, legal_api, queue, review
from handlers.console.router import (
    API,
    MAX_BODY_BYTES,
    Guard,
    Route,
    add_routes,
    error_response,
    language_of,
    tally_ticking,
)
from handlers.console.session import session_handler
from handlers.runtime.context import BotApplication

log = structlog.get_logger(__name__)

STATIC: Final = Path(__file__).parent / "static"
CSP: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' https://telegram.org",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
    )
)
_FILE_NAME: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}\.(html|css|js|json|svg|png|ico)$")
_TYPES: Final = {
    "html": "text/html",
    "css": "text/css",
    "js": "text/javascript",
    "json": "application/json",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}

#: Every API route but the session's; the legal, admin and team parts add theirs here.
ROUTES: Final[tuple[Route, ...]] = (
    *queue.ROUTES,
    *review.ROUTES,
    *legal_api.ROUTES,
    *admin_api.ROUTES,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_console_app(
    application: BotApplication, bot_token: str, routes: Sequence[Route] = ROUTES
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_headers(application)])
    guard = Guard.for_bot(bot_token)
    app.cleanup_ctx.append(tally_ticking(application, guard))
    app.router.add_get("/console/health", _health)
    app.router.add_get("/console", _to_page)
    app.router.add_get("/console/", _page)
    app.router.add_get("/console/static/{name}", _static)
    app.router.add_post(API + "/session", session_handler(application, bot_token, guard))
    add_routes(app, application, routes, guard)
    return app


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="serving")


async def _to_page(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/console/")


async def _page(request: web.Request) -> web.FileResponse:
    return _file("index.html")


async def _static(request: web.Request) -> web.FileResponse:
    return _file(request.match_info["name"])


def _file(name: str) -> web.FileResponse:
    match = _FILE_NAME.fullmatch(name)
    path = STATIC / name
    if match is None or not path.is_file():
        raise web.HTTPNotFound(text="not found")
    return web.FileResponse(path, headers={"Content-Type": _TYPES[match.group(1)]})


def _headers(application: BotApplication) -> Middleware:
    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        api = request.path.startswith(API + "/") or request.path == API
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if not api or exc.status < 400:
                _secure(exc, api)
                raise
            response = _api_error(application, request, exc.status)
        except Exception:
            log.exception("console_error", path=request.path)
            response = _api_error(application, request, 500)
        _secure(response, api)
        return response

    return headers


def _api_error(application: BotApplication, request: web.Request, status: int) -> web.Response:
    services = application.bot_data.services
    language = language_of(request, services)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(status)
    if code is None:
        code, status = "internal", 500
    return error_response(services, language, status, code, f"console.error.{code}")


def _secure(response: web.StreamResponse, api: bool) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if api:
        response.headers["Cache-Control"] = "no-store"
