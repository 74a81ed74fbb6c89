"""One logging pipeline for our events and for python-telegram-bot's and httpx's records.

structlog renders everything, stdlib records included (through ProcessorFormatter), so the
redaction processor sees every line. httpx and httpcore log each request URL, which holds the bot
token, at INFO: they stay at WARNING unless LOG_LEVEL is DEBUG, and are redacted regardless.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Iterable
from typing import IO, Any

import structlog
from structlog.types import Processor

from bot.redaction import Redactor
from bot.settings import LogFormat, LogLevel

_NOISY_LOGGERS = ("httpx", "httpcore", "hpack", "tornado.access", "aiohttp.access")


def use_json(log_format: LogFormat, stream: IO[str]) -> bool:
    if log_format is LogFormat.AUTO:
        return not (hasattr(stream, "isatty") and stream.isatty())
    return log_format is LogFormat.JSON


def shared_processors(redactor: Redactor) -> list[Processor]:
    """Processors applied to our events and to foreign records alike; redaction comes last."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        redactor,
    ]


def configure_logging(
    *,
    level: LogLevel = LogLevel.INFO,
    log_format: LogFormat = LogFormat.AUTO,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """Configures structlog and the stdlib root logger; safe to call again (tests, CLI)."""
    out = stream if stream is not None else sys.stderr
    redactor = Redactor(secrets)
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if use_json(log_format, out)
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    pre_chain = shared_processors(redactor)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *pre_chain,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.value)
    noisy_level = logging.DEBUG if level is LogLevel.DEBUG else logging.WARNING
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(noisy_level)


def user_hash(user_id: int) -> str:
    """A stable pseudonym for a user id in logs: correlates events without naming anyone."""
    return hashlib.sha256(f"report-bot-user:{user_id}".encode()).hexdigest()[:12]


def bind_update_context(update_id: int | None, chat_id: int | None, user_id: int | None) -> None:
    """Binds the per-update fields every event logged while handling it carries."""
    structlog.contextvars.clear_contextvars()
    values: dict[str, Any] = {"update_id": update_id}
    if chat_id is not None:
        values["chat_id"] = chat_id
    if user_id is not None:
        values["user"] = user_hash(user_id)
    structlog.contextvars.bind_contextvars(**values)
