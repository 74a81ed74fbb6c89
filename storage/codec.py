"""How values are written to SQL columns: timestamps as fixed-width UTC ISO-8601 text.

Fixed width (always microseconds, always +00:00) keeps text order equal to time order, so
range queries and indexes on timestamp columns work on the text itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def encode_time(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime refused: pass an aware datetime (UTC)")
    return value.astimezone(UTC).strftime(_FORMAT)


def decode_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def decode_optional_time(text: str | None) -> datetime | None:
    return None if text is None else decode_time(text)


def encode_json(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode_json(text: str) -> dict[str, Any]:
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError("expected a JSON object")
    return loaded
