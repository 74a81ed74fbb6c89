"""Libraries' log records, summarised so they carry no message text, name, user id or SQL value.

python-telegram-bot logs whole updates, request parameters and answers (names, ids, texts) at
DEBUG and, when something fails, at ERROR; aiosqlite logs each statement with its parameters. A
record's template is a literal in the library's code; the data is in its arguments. So every
argument of a library record is replaced by what kind of thing it was (`<dict>`, `<Update 7>`,
`execute()`), except numbers, exceptions and the few strings known to be safe, such as the Bot
API method name. Loggers that carry only URLs, statuses and job names (httpx, the access logs,
the job scheduler) pass unchanged; the redactor masks tokens and IP addresses in them as in
everything else. LOG_UNSAFE_DEBUG turns this off for a developer.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

#: Top-level packages of this project: their stdlib records are ours and already careful.
_OURS = frozenset({"bot", "handlers", "moderation", "storage"})
_TRUSTED = ("httpx", "tornado.access", "aiohttp.access", "apscheduler")

_NETWORK_LOOP = (
    "%s Starting",
    "%s Cancelled",
    "%s Action succeeded. Stopping loop.",
    "%s Failed run number %s of %s. Retrying.",
    "%s Failed run number %s of %s. Aborting.",
    "%s Invalid token. Aborting retry loop.",
)
#: Templates whose string arguments at these positions hold no personal data.
SAFE_STRING_ARGS: dict[str, frozenset[int]] = {
    "Calling Bot API endpoint `%s` with parameters `%s`": frozenset({0}),
    "Call to Bot API endpoint `%s` finished with return value `%s`": frozenset({0}),
    "Set Bot API URL: %s": frozenset({0}),  # the token in it is masked later
    "Set Bot API File URL: %s": frozenset({0}),
    **{template: frozenset({0}) for template in _NETWORK_LOOP},
}


class _Withheld:
    """Stands in for an argument: renders the same under %s and %r."""

    def __init__(self, label: str) -> None:
        self._label = label

    def __str__(self) -> str:
        return self._label

    __repr__ = __str__


def is_library(logger_name: str) -> bool:
    return logger_name.split(".", 1)[0] not in _OURS and not any(
        logger_name == name or logger_name.startswith(name + ".") for name in _TRUSTED
    )


def summarise_library_record(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor for foreign (stdlib) records; our own events are left alone.

    Needs ProcessorFormatter(pass_foreign_args=True): the record it is given has lost its
    arguments, which come as `positional_args` instead (and are dropped here, never rendered).
    """
    record = event_dict.get("_record")
    arguments = event_dict.pop("positional_args", ())
    if event_dict.get("_from_structlog") or not isinstance(record, logging.LogRecord):
        return event_dict
    if is_library(record.name):
        event_dict["event"] = summary(record.msg, arguments)
    return event_dict


def summary(template: object, arguments: tuple[Any, ...] | Mapping[str, Any] | None) -> str:
    """A record's message with its arguments replaced by what they were."""
    if not isinstance(template, str):
        return str(_shown(template, safe_string=False))
    if not arguments:
        return template
    args: tuple[Any, ...] | Mapping[str, Any]
    if isinstance(arguments, Mapping):
        args = {key: _shown(value, safe_string=False) for key, value in arguments.items()}
    else:
        safe = SAFE_STRING_ARGS.get(template, frozenset())
        args = tuple(
            _shown(value, safe_string=position in safe) for position, value in enumerate(arguments)
        )
    try:
        return template % args
    except (TypeError, ValueError, KeyError):  # e.g. %d given a withheld value
        shown = args.values() if isinstance(args, Mapping) else args
        return f"{template} [{', '.join(str(value) for value in shown)}]"


def _shown(value: Any, *, safe_string: bool) -> Any:
    if value is None or isinstance(value, bool | int | float | enum.Enum | BaseException | type):
        return value
    if isinstance(value, str):
        return value if safe_string else _Withheld("<str>")
    if isinstance(value, functools.partial):
        return _Withheld(f"{_name_of(value.func)}()")
    if callable(value):
        return _Withheld(f"{_name_of(value)}()")
    if isinstance(value, list | tuple) and all(isinstance(item, int) for item in value):
        return value  # e.g. the update ids of a getUpdates answer
    update_id = getattr(value, "update_id", None)
    if isinstance(update_id, int):
        return _Withheld(f"<{type(value).__name__} {update_id}>")
    return _Withheld(f"<{type(value).__name__}>")


def _name_of(function: Any) -> str:
    return str(getattr(function, "__name__", type(function).__name__))
