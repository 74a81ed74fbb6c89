"""How values are written to SQL columns: timestamps as fixed-width UTC ISO-8601 text.

Fixed width (always microseconds, always +00:00) keeps text order equal to time order, so
range queries and indexes on timestamp columns work on the text itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from moderation.clock import utc_text
from moderation.reporting.targets import ForwardOrigin, TargetKind, TargetRef


def encode_time(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime refused: pass an aware datetime (UTC)")
    # The year zero-padded (strftime's %Y gives "1" for year 1 on glibc, which broke both
    # the text order and decode_time); the same text the domain hashes and binds to.
    return utc_text(value)


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


def target_to_json(target: TargetRef) -> dict[str, Any]:
    return {
        "kind": target.kind.value,
        "username": target.username,
        "chat_id": target.chat_id,
        "post_id": target.post_id,
        "invite_hash": target.invite_hash,
        "term": target.term,
        "title": target.title,
    }


def target_from_json(data: Mapping[str, Any]) -> TargetRef:
    return TargetRef(
        kind=TargetKind(data["kind"]),
        username=data.get("username"),
        chat_id=data.get("chat_id"),
        post_id=data.get("post_id"),
        invite_hash=data.get("invite_hash"),
        term=data.get("term"),
        title=data.get("title"),
    )


def origin_to_json(origin: ForwardOrigin) -> dict[str, Any]:
    return {
        "type": origin.type,
        "chat_id": origin.chat_id,
        "chat_type": origin.chat_type,
        "username": origin.username,
        "title": origin.title,
        "message_id": origin.message_id,
        "is_bot": origin.is_bot,
        "sender_user_name": origin.sender_user_name,
    }


def origin_from_json(data: Mapping[str, Any]) -> ForwardOrigin:
    return ForwardOrigin(
        type=data["type"],
        chat_id=data.get("chat_id"),
        chat_type=data.get("chat_type"),
        username=data.get("username"),
        title=data.get("title"),
        message_id=data.get("message_id"),
        is_bot=bool(data.get("is_bot", False)),
        sender_user_name=data.get("sender_user_name"),
    )
