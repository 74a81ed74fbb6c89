"""The bot's HTTP transport to the Bot API: python-telegram-bot's BaseRequest over aiohttp.

PTB's default transport (httpx) spends more CPU per request than the rest of the bot spends
on an update; under load, the bot is bound by it (bench/README.md has the figures). aiohttp,
already a dependency for the loopback server, does the same work for a fraction of the CPU.
Errors map exactly as PTB's own transport maps them: timeouts raise TimedOut, any other
failure to talk to the server raises NetworkError, and HTTP error answers are left to PTB.
Every failure (error answer, timeout, connection failure) is also recorded, by kind, in the
Application's TelegramHealth (handlers/runtime/telegram_health.py) for /health and the metrics.

With `retries`, a call that failed in passing (a 5xx answer, a dropped connection, a timeout)
is made again after a short pause, so a receipt or an answer is not lost to one bad moment
(the fault soak: 4 of 1,000 reports went unanswered three times at 20% failing calls). Telegram
may have applied a call whose answer was lost, so the message can arrive twice: once per
attempt Telegram accepted, never silently dropped. getUpdates is never retried here (PTB's
polling loop does, and a long poll must not be repeated behind its back), nor getMe (start-up
retries it, one line per attempt on the operator's terminal: bot.runner); 429s are left to
the rate limiter, which waits as long as Telegram asks.

getMe, the first call `run` and `setup` make, raises `NotABotApi` when its answer is not the
Bot API's (an empty body, an HTML page: TELEGRAM_API_BASE_URL names some other server); PTB
would take a 404 like that for a rejected token (InvalidToken) after logging a JSON
traceback. 5xx answers are left as they are (a proxy's error page while Telegram is away),
and so are Telegram's own JSON errors: 404 for a token that is not one, 401 for one that is
revoked. Later calls are not checked: the server was a Bot API when the bot started, and
Telegram's front answers some errors (413) with an HTML page of its own.

Each attempt whose answer was lost or a 5xx is told to `handlers/runtime/answer_watch.py`:
Telegram may still apply such an attempt later, after a newer call (the delivery worker
rechecks a case message an edit like that touched).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any, Final

import aiohttp
import structlog
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from handlers.runtime.answer_watch import answer_lost
from handlers.runtime.telegram_health import FailureKind, TelegramHealth, kind_of_status, method_of

DEFAULT_TIMEOUT: Final = 5.0
MEDIA_WRITE_TIMEOUT: Final = 20.0
#: Pause before each retry of a call that failed in passing.
RETRY_PAUSES: Final = (0.5, 1.5, 3.0)
#: Answers that say Telegram failed in passing (its own documentation: retry later).
TRANSIENT_STATUSES: Final = frozenset({500, 502, 503, 504})
#: Methods whose callers retry them (polling; start-up's getMe), never retried here.
RETRIED_BY_CALLER: Final = frozenset({"getUpdates", "getMe"})
#: The call whose answer shows whether TELEGRAM_API_BASE_URL is a Bot API at all.
FIRST_CALL: Final = "getMe"

log = structlog.get_logger(__name__)


#: How a retry waits out its pause (asyncio.sleep; the tests, whose loopback Bot API needs no
#: pause, pass one that returns at once).
Pause = Callable[[float], Coroutine[Any, Any, None]]


class NotABotApi(TelegramError):
    """The server answered, but not as a Bot API does: the base URL is wrong, not the token.
    The message names the answer, never the URL (it holds the token)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"it answered HTTP {status} with {body}, not a Bot API answer")
        self.status = status


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
        health: TelegramHealth | None = None,
        retries: int = 0,
        pause: Pause = asyncio.sleep,
    ) -> None:
        if not 0 <= retries <= len(RETRY_PAUSES):
            raise ValueError(f"retries is 0..{len(RETRY_PAUSES)}")
        self._health = health
        self._retries = retries
        self._pause = pause
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        has_files = request_data is not None and request_data.contains_files
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        write = (
            (self._media_write_timeout if has_files else self._write_timeout)
            if isinstance(write_timeout, DefaultValue)
            else write_timeout
        )
        # aiohttp has no separate write timeout: the request as a whole gets connect + write +
        # read, and reading the answer alone gets `read`.
        parts = [t for t in (connect, write, read) if t is not None]
        total = sum(parts) if len(parts) == 3 else None
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        api_method = method_of(url)
        retries = 0 if api_method in RETRIED_BY_CALLER else self._retries
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                status, body = await self._once(url, method, request_data, timeout)
            except (TimedOut, NetworkError) as exc:
                answer_lost()
                if last:
                    raise
                log.info("bot_api_retry", api_method=api_method, error_type=type(exc).__name__)
            else:
                if status not in TRANSIENT_STATUSES:
                    if api_method == FIRST_CALL:
                        _refuse_other_servers(status, body)
                    return status, body
                answer_lost()
                if last:
                    return status, body
                log.info("bot_api_retry", api_method=api_method, status=status)
            await self._pause(RETRY_PAUSES[attempt])
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _once(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        limits: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        assert self._session is not None
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=limits
            ) as response:
                body = await response.read()
        except TimeoutError as exc:
            self._failed(FailureKind.TIMED_OUT, url)
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            self._failed(FailureKind.NETWORK_ERROR, url)
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        # The URL holds the token: the redaction processor masks it like httpx's request lines.
        log.debug("bot_api_request", url=url, status=response.status)
        if response.status >= 400:
            self._failed(kind_of_status(response.status, body), url, response.status)
        return response.status, body

    def _failed(self, kind: FailureKind, url: str, status: int | None = None) -> None:
        if self._health is not None:
            self._health.record(kind, method_of(url), status)


def _refuse_other_servers(status: int, body: bytes) -> None:
    """Raises NotABotApi unless `body` may be a Bot API answer: a JSON object (checked by its
    first byte when the call succeeded: PTB parses it next), with `ok` when it failed."""
    if 200 <= status <= 299:
        if body[:1] == b"{" or body.lstrip()[:1] == b"{":
            return
    else:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("ok"), bool):
            return
    raise NotABotApi(status, _described(body))


def _described(body: bytes) -> str:
    """What came instead of a Bot API answer, in a few words (never the body itself)."""
    text = body.strip()
    if not text:
        return "an empty body"
    if text[:1] == b"<":
        return "an HTML page"
    if text[:1] in (b"{", b"["):
        return "JSON that is not a Bot API answer"
    return "a body that is not JSON"


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB's own transport sends them; multipart when files are attached."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, field in request_data.multipart_data.items():
        filename, content, *rest = field
        content_type = rest[0] if rest else "application/octet-stream"
        form.add_field(name, content, filename=filename, content_type=content_type)
    return form
