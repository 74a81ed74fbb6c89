"""Serving an aiohttp app on an address and port the operator configured (the webhook endpoint,
the metrics endpoint): a port already taken or an address not ours is one clear line naming the
setting, not a traceback.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web


async def listen_on(
    app: web.Application,
    listen: str,
    port: int,
    problem: Callable[[str], Exception],
    *,
    shutdown_timeout: float = 60.0,
) -> tuple[web.AppRunner, int]:
    """The running app and the port it got (port 0 picks a free one); `problem` turns
    "cannot listen on ..." into the caller's error, which names its setting."""
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=shutdown_timeout
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, listen, port)
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise problem(f"cannot listen on {listen}:{port} ({exc.strerror or exc})") from None
    return runner, int(runner.addresses[0][1])
