"""The moderators' console: a Telegram Mini App the bot serves itself (bot/console_server.py).

`router.py` authenticates every call (a session opened from signed init data, `session.py`) and
checks the one access table (handlers/runtime/permissions.py `CONSOLE`) before an endpoint runs;
the endpoints (`review.py`, ...) parse, call one domain function and render JSON (`views.py`).
The page itself is in `static/`, shipped in the package.
"""
