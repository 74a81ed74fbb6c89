"""A legal officer's registration in progress, kept across restarts: encrypted (a phone number
typed as the target must not sit in clear) and dropped after the conversation timeout, like a
reporter's unfinished report.
"""

from __future__ import annotations

import base64
import json
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from moderation.sealing import draft_context

DRAFT_PREFIX: Final = "legal_draft:"


class DraftSealer(Protocol):
    def encrypt(self, plaintext: str, context: str) -> tuple[str, bytes]: ...
    def decrypt(self, key_id: str, blob: bytes, context: str) -> str: ...


class DraftState(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def get_stamped(self, key: str) -> tuple[str, datetime] | None: ...
    async def put(self, key: str, value: str, at: datetime) -> None: ...
    async def delete(self, key: str) -> bool: ...
    async def with_prefix(self, prefix: str) -> list[tuple[str, str, datetime]]: ...
    async def delete_prefix_before(self, prefix: str, before: datetime) -> int: ...


class DraftUnit(Protocol):
    @property
    def state(self) -> DraftState: ...


class DraftStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[DraftUnit]: ...


@dataclass(frozen=True, slots=True)
class LegalDraft:
    values: dict[str, str]
    saved_at: datetime


def draft_key(user_id: int) -> str:
    return f"{DRAFT_PREFIX}{user_id}"


def sealed_draft(sealer: DraftSealer, user_id: int, values: dict[str, str]) -> str:
    key_id, blob = sealer.encrypt(json.dumps({"values": values}), draft_context(user_id))
    return json.dumps({"v": 1, "key_id": key_id, "blob": base64.b64encode(blob).decode()})


def opened_draft(sealer: DraftSealer, user_id: int, text: str) -> dict[str, str] | None:
    """The draft's answers; None when it does not open (then it is dropped, not trusted)."""
    try:
        data = json.loads(text)
        blob = base64.b64decode(data["blob"], validate=True)
        plain = sealer.decrypt(str(data["key_id"]), blob, draft_context(user_id))
        values = json.loads(plain)["values"]
    except Exception:  # malformed, or it does not open: dropped, not trusted
        return None
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        return None
    return dict(values)


def sealed_under(text: str) -> str | None:
    """The key id a kept draft was sealed under (None: not a sealed draft)."""
    try:
        key_id = json.loads(text)["key_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return key_id if isinstance(key_id, str) else None


def resealed_draft(sealer: DraftSealer, user_id: int, text: str) -> str | None:
    values = opened_draft(sealer, user_id, text)
    return None if values is None else sealed_draft(sealer, user_id, values)


async def expire_drafts(store: DraftStore, idle: timedelta, now: datetime) -> int:
    """Drops registrations idle longer than the conversation timeout; how many."""
    async with store.transaction() as uow:
        return await uow.state.delete_prefix_before(DRAFT_PREFIX, now - idle)


async def start_draft(
    store: DraftStore, sealer: DraftSealer, user_id: int, idle: timedelta, now: datetime
) -> tuple[dict[str, str], bool]:
    """(the answers so far, whether an unfinished one was resumed)."""
    values = await load_draft(store, sealer, user_id, idle, now)
    if values is not None:
        return values, True
    await save_draft(store, sealer, user_id, {}, now)
    return {}, False


async def load_draft(
    store: DraftStore, sealer: DraftSealer, user_id: int, idle: timedelta, now: datetime
) -> dict[str, str] | None:
    """The answers so far; None when there is no draft, it has been idle longer than `idle`
    or it does not open (the last two are dropped)."""
    async with store.transaction() as uow:
        rows = [
            r for r in await uow.state.with_prefix(draft_key(user_id)) if r[0] == draft_key(user_id)
        ]
        if not rows:
            return None
        _, text, saved_at = rows[0]
        values = opened_draft(sealer, user_id, text) if saved_at >= now - idle else None
        if values is None:
            await uow.state.delete(draft_key(user_id))
        return values


async def save_draft(
    store: DraftStore, sealer: DraftSealer, user_id: int, values: dict[str, str], now: datetime
) -> None:
    async with store.transaction() as uow:
        await uow.state.put(draft_key(user_id), sealed_draft(sealer, user_id, values), now)


async def drop_draft(store: DraftStore, user_id: int) -> None:
    async with store.transaction() as uow:
        await uow.state.delete(draft_key(user_id))
