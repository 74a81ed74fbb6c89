"""The moderators' console's own HTTP server (handlers/console/, docs/console.md).

Started by the runner after post_init in polling and webhook mode alike, only when CONSOLE_URL
is set, on CONSOLE_LISTEN:CONSOLE_PORT behind the same TLS proxy as the webhook; stopped first
on the way down. A port already taken is one line naming CONSOLE_PORT, as for the webhook. The
bot runs the same without it.
"""

from __future__ import annotations

from typing import Final

import structlog
from aiohttp import web

from handlers.console.app import build_console_app
from handlers.runtime.context import BotApplication
from handlers.runtime.listening import listen_on

log = structlog.get_logger(__name__)

#: How long a stop waits for console calls in flight (a decision's transaction, say).
SHUTDOWN_SECONDS: Final = 10.0


class ConsoleSetupError(Exception):
    """The console's server could not start; the message names the setting."""


class ConsoleServer:
    def __init__(self, application: BotApplication, bot_token: str) -> None:
        self._app = build_console_app(application, bot_token)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, listen: str, port: int) -> None:
        self._runner, self.port = await listen_on(
            self._app,
            listen,
            port,
            lambda what: ConsoleSetupError(
                f"CONSOLE_PORT: {what}; choose a free port (or another CONSOLE_LISTEN address)"
            ),
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
        log.info("console_listening", listen=listen, port=self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
