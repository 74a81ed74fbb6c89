"""One logging pipeline for our events and for python-telegram-bot's and httpx's records.

structlog renders everything, stdlib records included (through ProcessorFormatter), so the
redaction processor sees every line. httpx and httpcore log each request URL, which holds the bot
token, at INFO: they stay at WARNING unless LOG_LEVEL is DEBUG, and are redacted regardless.
Every other library's INFO is chatter an operator does not act on (APScheduler's "Running job
... executed successfully" every 30 s, PTB's "Application started"): `LibraryChatter` logs it
as DEBUG, shown only at LOG_LEVEL=DEBUG; libraries' warnings and errors, and all our own
events, keep their level.
Libraries' records are summarised first (`bot.library_records`): at DEBUG they would otherwise
carry whole updates, request parameters and SQL parameters. Users appear only as keyed
pseudonyms (`handlers.runtime.log_pseudonym`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import IO, Any

import structlog
from structlog.types import Processor

from bot.library_records import summarise_library_record
from bot.redaction import Redactor
from bot.settings import LogFormat, LogLevel
from handlers.runtime.log_pseudonym import chat_for_log, use_log_key, user_hash

log = structlog.get_logger(__name__)

_NOISY_LOGGERS = ("httpx", "httpcore", "hpack", "tornado.access", "aiohttp.access")
#: The packages whose loggers are ours: their INFO stays INFO.
OUR_PACKAGES = ("bot", "handlers", "storage", "moderation", "loopback", "bench", "tests")


class LibraryChatter(logging.Filter):
    """Libraries' records below WARNING become DEBUG records, passed on only at DEBUG."""

    def __init__(self, level: LogLevel) -> None:
        super().__init__()
        self._debug = level is LogLevel.DEBUG

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or _ours(record.name):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return self._debug


def _ours(logger_name: str) -> bool:
    return logger_name.partition(".")[0] in OUR_PACKAGES


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
    pseudonym_key: bytes | None = None,
    unsafe_debug: bool = False,
) -> None:
    """Configures structlog and the stdlib root logger; safe to call again (tests, CLI).

    `pseudonym_key` (see `handlers.runtime.log_pseudonym.log_key_from`) keys the user
    pseudonyms; without it they are stable only within this process. `unsafe_debug`
    (LOG_UNSAFE_DEBUG) lets libraries' records through unsummarised, for a developer's own
    machine.
    """
    use_log_key(pseudonym_key)
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
    foreign_chain = pre_chain if unsafe_debug else [summarise_library_record, *pre_chain]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=foreign_chain,
        pass_foreign_args=not unsafe_debug,  # the summary needs a record's arguments
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(LibraryChatter(level))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.value)
    noisy_level = logging.DEBUG if level is LogLevel.DEBUG else logging.WARNING
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(noisy_level)
    if unsafe_debug:
        log.warning(
            "log_unsafe_debug_enabled",
            hint="LOG_UNSAFE_DEBUG is on: library records go to the log unsummarised, with "
            "message texts, names, user ids and SQL parameters; for a developer's machine only, "
            "never in production",
        )


def bind_update_context(update_id: int | None, chat_id: int | None, user_id: int | None) -> None:
    """Binds the per-update fields every event logged while handling it carries."""
    structlog.contextvars.clear_contextvars()
    values: dict[str, Any] = {"update_id": update_id}
    if chat_id is not None:
        values["chat_id"] = chat_for_log(chat_id)
    if user_id is not None:
        values["user"] = user_hash(user_id)
    structlog.contextvars.bind_contextvars(**values)
