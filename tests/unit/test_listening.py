"""An endpoint the operator configured on a taken port says so in one line naming the setting."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web

from handlers.runtime.listening import listen_on


class PortTaken(Exception):
    pass


async def test_a_taken_port_is_the_callers_error_naming_the_address() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortTaken) as raised:
            await listen_on(
                web.Application(), "127.0.0.1", port, lambda what: PortTaken(f"X_PORT: {what}")
            )
    assert str(raised.value).startswith(f"X_PORT: cannot listen on 127.0.0.1:{port} (")


async def test_port_zero_gets_a_free_port_that_answers() -> None:
    runner, port = await listen_on(web.Application(), "127.0.0.1", 0, RuntimeError)
    try:
        assert port > 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        await runner.cleanup()
