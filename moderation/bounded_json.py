"""JSON from files an operator hands the bot (metadata exports, legal requests), parsed so that
no content can abort the run: too deep, a number too long or text that is not UTF-8 becomes a
`BadJson` with a reason a person can act on, never a RecursionError or a traceback.

An object that names one key twice is refused too: JSON parsers disagree on which value counts
(Python's keeps the last, others the first), so a line the platform's tools read one way could
be imported another, e.g. `{"username": "a", ..., "username": "b"}` filed under `b`."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Final

#: A key shown in a message only when it looks like a field name, never a value someone typed.
_NAMEABLE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


class BadJson(ValueError):
    pass


class _DuplicateKey(Exception):  # not a ValueError: json.loads' own errors are those
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: the object, unless a key is in it twice."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def parse(text: str, *, max_depth: int) -> Any:
    """The JSON value in `text`, nested at most `max_depth` arrays / objects deep."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJson("not valid UTF-8 text") from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        name = f'the key "{exc.key}"' if _NAMEABLE.fullmatch(exc.key) else "a key"
        raise BadJson(
            f"{name} appears twice in one object; keep only the value that is meant"
        ) from None
    except json.JSONDecodeError as exc:
        where = (
            f"column {exc.colno}" if exc.lineno == 1 else f"line {exc.lineno}, column {exc.colno}"
        )
        raise BadJson(f"not valid JSON ({exc.msg} at {where})") from None
    except RecursionError:
        raise BadJson(_too_deep(max_depth)) from None
    except ValueError:  # int() refuses numbers longer than sys.get_int_max_str_digits()
        digits = sys.get_int_max_str_digits()
        raise BadJson(f"a number has too many digits (more than {digits})") from None
    # Cheap test first: a text with few brackets cannot nest deeply.
    if text.count("[") + text.count("{") > max_depth and _deeper_than(data, max_depth):
        raise BadJson(_too_deep(max_depth))
    if "\\u" in text and not _all_text_encodes(data):
        raise BadJson("not valid UTF-8 text (an unpaired \\uD800-\\uDFFF escape)")
    return data


def _too_deep(max_depth: int) -> str:
    return f"nested deeper than {max_depth} levels of arrays and objects"


def _deeper_than(data: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[Any] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _all_text_encodes(data: Any) -> bool:
    """False when a string holds a lone surrogate (JSON's "\\ud800"), which no UTF-8 file, SQLite
    column or Telegram message can carry."""
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True
