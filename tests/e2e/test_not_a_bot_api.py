"""A TELEGRAM_API_BASE_URL that names some other server is said to be one, by `run` and `setup`,
with the URL (never the token) and what to check; the token is not blamed. Telegram's own
answers for a bad token (404 and 401, JSON) still blame the token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import TEST_TOKEN
from tests.helpers import cli_env, database_in, run_cli

Answer = Callable[[], web.Response]


def _empty_404() -> web.Response:
    return web.Response(status=404, body=b"")


def _html_200() -> web.Response:
    return web.Response(
        status=200, text="<html><body>Welcome</body></html>", content_type="text/html"
    )


def _telegram_404() -> web.Response:
    body = {"ok": False, "error_code": 404, "description": "Not Found"}
    return web.Response(status=404, text=json.dumps(body), content_type="application/json")


@asynccontextmanager
async def server_answering(answer: Answer) -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that gives every request `answer`: its /bot base URL and
    the paths it was asked for."""
    asked: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        asked.append(request.path)
        return answer()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/bot", asked
    finally:
        await runner.cleanup()


def _env(tmp_path: Path, base_url: str) -> dict[str, str]:
    return cli_env(
        BOT_TOKEN=TEST_TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        DATABASE_PATH=str(database_in(tmp_path)),
        LOG_LEVEL="INFO",
    )


def _said(err: str) -> list[str]:
    """What the CLI says on stderr: its lines, without `run`'s JSON log lines."""
    return [line for line in err.splitlines() if not line.startswith("{")]


@pytest.mark.parametrize(
    ("answer", "what"),
    [(_empty_404, "HTTP 404 with an empty body"), (_html_200, "HTTP 200 with an HTML page")],
)
async def test_run_says_the_server_is_not_a_bot_api_and_leaves_the_token_alone(
    tmp_path: Path, answer: Answer, what: str
) -> None:
    """issue 28, point 4: a base URL answering 404 with an empty body was reported as "the Bot
    API rejected this token (Unauthorized)" after a JSON traceback line."""
    async with server_answering(answer) as (base_url, asked):
        code, out, err = await run_cli(_env(tmp_path, base_url), tmp_path, "run")
    assert asked == [f"/bot{TEST_TOKEN}/getMe"]  # once: retrying cannot help
    assert code == 2, err
    (line,) = _said(err)
    assert line == (
        f"report-bot: configuration: TELEGRAM_API_BASE_URL: the server at {base_url}[token] is "
        f"not a Bot API: it answered {what}, not a Bot API answer to getMe; check the URL "
        "(Telegram's is https://api.telegram.org/bot, a self-hosted telegram-bot-api server's "
        "is http://host:port/bot); BOT_TOKEN was not checked"
    )
    assert "Traceback" not in err
    assert "invalid JSON" not in err
    assert TEST_TOKEN.partition(":")[2] not in out + err


@pytest.mark.parametrize(
    ("answer", "what"),
    [(_empty_404, "HTTP 404 with an empty body"), (_html_200, "HTTP 200 with an HTML page")],
)
async def test_setup_says_the_server_is_not_a_bot_api_and_leaves_the_token_alone(
    tmp_path: Path, answer: Answer, what: str
) -> None:
    """issue 28, point 4: `setup` said the same of a server that is not a Bot API."""
    async with server_answering(answer) as (base_url, _):
        code, out, err = await run_cli(_env(tmp_path, base_url), tmp_path, "setup")
    assert code == 1
    text = out + err
    assert (
        f"TELEGRAM_API_BASE_URL: the server at {base_url.removesuffix('/bot')}/bot<token> is not "
        f"a Bot API: it answered {what}, not a Bot API answer to getMe; BOT_TOKEN was not "
        "checked"
    ) in text
    assert "rejected" not in text
    assert "Traceback" not in text
    assert TEST_TOKEN.partition(":")[2] not in text


async def test_telegrams_own_404_for_a_token_still_blames_the_token(tmp_path: Path) -> None:
    """issue 28, point 4: Telegram answers a token that is not one with 404 and JSON; that
    stays a token problem, told apart from a server that is not a Bot API."""
    async with server_answering(_telegram_404) as (base_url, _):
        run, setup = await asyncio.gather(
            run_cli(_env(tmp_path, base_url), tmp_path, "run"),
            run_cli(_env(tmp_path / "setup", base_url), tmp_path, "setup"),
        )
    code, _, err = run
    assert code == 2
    (line,) = _said(err)
    assert line.startswith(
        f"report-bot: configuration: BOT_TOKEN: the Bot API at {base_url}[token] rejected "
        "this token (Not Found)"
    )
    code, out, err = setup
    assert code == 1
    assert "Telegram rejected BOT_TOKEN (Not Found)" in out + err
    assert "not a Bot API" not in out + err
