"""The HTTP surface: routes, envelopes, tokens, method names and body encodings."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from telegram import Bot
from telegram.error import InvalidToken

from loopback import BotHandle, LoopbackServer


async def test_get_me_describes_the_bot(bot: Bot, bot_account: BotHandle) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.username == "report_test_bot"
    assert me.first_name == "Report Bot"
    assert me.is_bot


async def test_unknown_token_is_unauthorized(
    server: LoopbackServer, bot_account: BotHandle
) -> None:
    stranger = Bot("999:not_a_served_token_abcdefghijk", base_url=server.base_url)
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        async with stranger:  # initialize() calls getMe and shuts the client down on failure
            pass
    assert server.calls()[-1].error_code == 401


async def _raw(
    server: LoopbackServer, path: str, method: str = "POST", **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, server.base_url + path, **kwargs) as response,
    ):
        body: dict[str, Any] = await response.json()
        return response.status, body


async def test_unknown_method_is_not_found(server: LoopbackServer, bot_account: BotHandle) -> None:
    status, body = await _raw(server, f"{bot_account.token}/sendTelepathy")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


@pytest.mark.parametrize("name", ["getMe", "getme", "GETME"])
async def test_method_names_are_case_insensitive(
    server: LoopbackServer, bot_account: BotHandle, name: str
) -> None:
    status, body = await _raw(server, f"{bot_account.token}/{name}", method="GET")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["username"] == "report_test_bot"
    assert server.calls()[-1].method == "getMe"


async def test_json_form_and_query_bodies_are_all_accepted(
    server: LoopbackServer, bot_account: BotHandle
) -> None:
    alice = server.add_user(first_name="Alice")
    await alice.send("hi")
    path = f"{bot_account.token}/sendMessage"
    await _raw(server, path, json={"chat_id": alice.id, "text": "as json"})
    await _raw(server, path, data={"chat_id": str(alice.id), "text": "as form"})
    await _raw(server, path, method="GET", params={"chat_id": str(alice.id), "text": "as query"})
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("text", "as multipart")
    form.add_field("unused", b"x", filename="x.bin")
    await _raw(server, path, data=form)
    assert [m.text for m in server.messages(alice.id)] == [
        "as json",
        "as form",
        "as query",
        "as multipart",
    ]


async def test_error_envelope_matches_the_http_status(
    server: LoopbackServer, bot_account: BotHandle
) -> None:
    status, body = await _raw(
        server, f"{bot_account.token}/sendMessage", json={"chat_id": 42, "text": "x"}
    )
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}


async def test_calls_record_parameters_as_sent(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    await alice.send("hi")
    await bot.send_message(alice.id, "hello", disable_notification=True)
    call = server.calls("sendMessage")[-1]
    assert call.ok
    assert call.params["chat_id"] == str(alice.id)
    assert call.params["text"] == "hello"
    assert call.params["disable_notification"] == "true"
    assert call.at.tzinfo is not None


async def test_missing_parameters_are_named(server: LoopbackServer, bot_account: BotHandle) -> None:
    path = f"{bot_account.token}/sendMessage"
    status, body = await _raw(server, path, json={"text": "to nobody"})
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    alice = server.add_user(first_name="Alice")
    await alice.send("/start")
    delete = f"{bot_account.token}/deleteMessage"
    status, body = await _raw(server, delete, json={"chat_id": alice.id})
    assert (status, body["description"]) == (
        400,
        "Bad Request: message identifier is not specified",
    )


async def test_stopping_releases_a_pending_long_poll(bot_account: BotHandle) -> None:
    server = LoopbackServer()
    await server.start()
    server.add_bot(token="42:another_token_abcdefghijklmnopq", username="other_bot")
    async with Bot("42:another_token_abcdefghijklmnopq", base_url=server.base_url) as other:
        poll = asyncio.create_task(other.get_updates(timeout=30))
        await server.wait_for(lambda: any(c.pending for c in server.calls("getUpdates")))
        await server.stop()
        assert await asyncio.wait_for(poll, timeout=10) == ()


def test_fixed_user_ids_and_unique_usernames(server: LoopbackServer) -> None:
    admin = server.add_user(first_name="Admin", user_id=900_001, username="the_admin")
    assert admin.id == 900_001
    with pytest.raises(ValueError, match="taken"):
        server.add_user(first_name="Again", user_id=900_001)
    with pytest.raises(ValueError, match="taken"):
        server.add_user(first_name="Copy", username="the_admin")
