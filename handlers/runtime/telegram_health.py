"""Every failed Bot API call, counted by kind, and the last one: for /health and the metrics.

The transport (bot/transport.py) records each failure as it sees it: an HTTP error answer by
its status (and Telegram's response parameters), a timeout or a connection failure by what
went wrong. Only the kind, the Bot API method and the time are kept, never the URL (it holds
the token), the request or Telegram's description (either may quote message text).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from http import HTTPStatus


class FailureKind(StrEnum):
    RETRY_AFTER = "retry_after"  # 429 Too Many Requests (flood control)
    BAD_REQUEST = "bad_request"  # 400
    CHAT_MIGRATED = "chat_migrated"  # 400 with migrate_to_chat_id
    FORBIDDEN = "forbidden"  # 403: blocked by the user, kicked from the chat
    UNAUTHORIZED = "unauthorized"  # 401/404: the token is wrong
    CONFLICT = "conflict"  # 409: another instance polls or a webhook is set
    SERVER_ERROR = "server_error"  # 5xx
    OTHER_HTTP = "other_http"  # any other error status
    TIMED_OUT = "timed_out"  # no answer in time
    NETWORK_ERROR = "network_error"  # the connection failed


@dataclass(frozen=True, slots=True)
class TelegramFailure:
    kind: FailureKind
    method: str
    at: datetime
    status: int | None  # the HTTP status, None when no answer came


def kind_of_status(status: int, body: bytes) -> FailureKind:
    """What an HTTP error answer means, as python-telegram-bot maps it to exceptions."""
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return FailureKind.RETRY_AFTER
    if status == HTTPStatus.BAD_REQUEST:
        return FailureKind.CHAT_MIGRATED if _migrates(body) else FailureKind.BAD_REQUEST
    if status == HTTPStatus.FORBIDDEN:
        return FailureKind.FORBIDDEN
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
        return FailureKind.UNAUTHORIZED
    if status == HTTPStatus.CONFLICT:
        return FailureKind.CONFLICT
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return FailureKind.SERVER_ERROR
    return FailureKind.OTHER_HTTP


def _migrates(body: bytes) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    parameters = answer.get("parameters") if isinstance(answer, dict) else None
    return isinstance(parameters, dict) and "migrate_to_chat_id" in parameters


def method_of(url: str) -> str:
    """The Bot API method from a request URL (…/bot<token>/sendMessage); never the token."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return name if name.isidentifier() and len(name) <= 64 else "unknown"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TelegramHealth:
    """Failures of one Application's Bot API calls (one object per Application, no globals)."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._counts: Counter[FailureKind] = Counter()
        self._last: TelegramFailure | None = None

    def record(self, kind: FailureKind, method: str, status: int | None = None) -> None:
        self._counts[kind] += 1
        self._last = TelegramFailure(kind, method, self._clock(), status)

    @property
    def last(self) -> TelegramFailure | None:
        return self._last

    def counts(self) -> Mapping[FailureKind, int]:
        return dict(self._counts)
