"""The console seen from outside: Mini App init data signed as Telegram signs it, and a client.

Telegram hands a Mini App `initData`, a query string of URL-encoded pairs (the user as compact
JSON) with `hash`, the HMAC-SHA256 of the other pairs under a key derived from the bot token
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app). The tests
sign their own with the test bot's token, so the server's check is exercised for real: by the
API tests here, by the browser test's stub of telegram-web-app.js, by the legal and admin tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import aiohttp


def _encode(value: str) -> str:
    # encodeURIComponent's way: all but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is percent-encoded
    return quote(value, safe="-_.!~*'()")


def user_json(user: Mapping[str, Any]) -> str:
    """The `user` field as Telegram writes it: compact JSON, non-ASCII kept, slashes escaped."""
    return jsonlib.dumps(dict(user), separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")


def init_data_hash(bot_token: str, pairs: Mapping[str, str]) -> str:
    """hex(HMAC_SHA256(HMAC_SHA256("WebAppData", token), sorted "k=v" lines but `hash`))."""
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{key}={pairs[key]}" for key in sorted(pairs) if key != "hash")
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def signed_init_data(
    bot_token: str,
    user: Mapping[str, Any],
    *,
    auth_date: int,
    query_id: str | None = "AAHdF6IQAAAAAN0XohDhrOrc",
    extra: Mapping[str, str] | None = None,
) -> str:
    """The raw initData string Telegram would give a Mini App opened by `user` at `auth_date`
    (Unix seconds). `extra` adds pairs (chat_instance, start_param, ...) covered by the hash."""
    pairs: dict[str, str] = {}
    if query_id is not None:
        pairs["query_id"] = query_id
    pairs["user"] = user_json(user)
    pairs["auth_date"] = str(auth_date)
    pairs.update(extra or {})
    pairs["hash"] = init_data_hash(bot_token, pairs)
    return "&".join(f"{key}={_encode(value)}" for key, value in pairs.items())


def telegram_user(
    user_id: int, first_name: str = "Mod", language_code: str = "en"
) -> dict[str, Any]:
    """A WebAppUser as the init data carries it."""
    return {
        "id": user_id,
        "first_name": first_name,
        "last_name": "",
        "username": f"user{user_id}",
        "language_code": language_code,
        "allows_write_to_pm": True,
        "photo_url": f"https://t.me/i/userpic/320/user{user_id}.svg",
    }


class ConsoleAnswer:
    """One answer: its status and parsed JSON body (None when the body is not JSON)."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def __repr__(self) -> str:
        return f"ConsoleAnswer({self.status}, {self.body!r})"


class ConsoleClient:
    """A console API client as the page is one: a session from init data, then Bearer calls."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token: str | None = None
        self.session_body: Any = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("use ConsoleClient in `async with`")
        return self._http

    async def _answer(self, response: aiohttp.ClientResponse) -> ConsoleAnswer:
        text = await response.text()
        try:
            body: Any = jsonlib.loads(text)
        except ValueError:
            body = None
        return ConsoleAnswer(response.status, body, dict(response.headers))

    async def open_session(self, init_data: str) -> ConsoleAnswer:
        """POST /console/api/session; keeps the token when one is given."""
        async with self.http.post(
            f"{self.base_url}/console/api/session", json={"init_data": init_data}
        ) as response:
            answer = await self._answer(response)
        if answer.status == 200:
            self.token = answer.body["token"]
            self.session_body = answer.body
        return answer

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def get(self, path: str) -> ConsoleAnswer:
        async with self.http.get(f"{self.base_url}{path}", headers=self._headers()) as response:
            return await self._answer(response)

    async def post(self, path: str, json: Any = None) -> ConsoleAnswer:
        body = json if json is not None else {}
        async with self.http.post(
            f"{self.base_url}{path}", json=body, headers=self._headers()
        ) as response:
            return await self._answer(response)
