"""Looking a violator up: by violator id, telegram id, username (current or past), phone or IP.

Every lookup is audit-logged with who asked, why, and which records were shown; a phone number
or IP address asked for is never written to the audit log in clear (its blind index stands in).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from moderation.personal_data import NotPersonalData
from moderation.ports import AuditTrail
from moderation.registry import (
    ObservationKind,
    SealedObservation,
    Sealer,
    StoredObservation,
    ViolatorRow,
    normalize_value,
    opened,
)

REASON_MIN = 5


class LookupKind(StrEnum):
    VIOLATOR = "violator"
    TELEGRAM_ID = "telegram_id"
    USERNAME = "username"
    PHONE = "phone"
    IP = "ip"


@dataclass(frozen=True, slots=True)
class ViolatorCase:
    case_id: int
    category: str
    confirmed_by: int
    confirmed_at: datetime


@dataclass(frozen=True, slots=True)
class ViolatorFile:
    violator: ViolatorRow
    cases: tuple[ViolatorCase, ...]
    timeline: tuple[StoredObservation, ...]


class BadLookup(ValueError):
    """The query cannot be looked up as given; the message says what to fix."""


class LookupRecords(Protocol):
    async def violator(self, violator_id: int) -> ViolatorRow | None: ...
    async def by_telegram_id(self, chat_id: int) -> list[int]: ...
    async def by_username(self, username: str) -> list[int]: ...
    async def by_blind_index(self, kind: ObservationKind, index: bytes) -> list[int]: ...
    async def timeline(self, violator_id: int) -> list[SealedObservation]: ...
    async def cases_of(self, violator_id: int) -> list[ViolatorCase]: ...


class LookupUnit(Protocol):
    @property
    def registry(self) -> LookupRecords: ...
    @property
    def audit(self) -> AuditTrail: ...


class LookupStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[LookupUnit]: ...


@dataclass(frozen=True, slots=True)
class Asker:
    user_id: int | None  # None: an operator at the command line
    name: str
    reason: str  # why: a legal request id, a ticket


async def lookup(
    store: LookupStore,
    sealer: Sealer,
    kind: LookupKind,
    query: str,
    asker: Asker,
    now: datetime,
) -> list[ViolatorFile]:
    if len(asker.reason.strip()) < REASON_MIN:
        raise BadLookup("say why you look this up (a legal request id or ticket)")
    async with store.transaction() as uow:
        ids, logged_query = await _find(uow.registry, sealer, kind, query)
        files = [await _file(uow.registry, sealer, violator_id) for violator_id in ids]
        shown = [f for f in files if f is not None]
        await uow.audit.append(
            at=now,
            actor_id=asker.user_id,
            action="registry.lookup",
            details={
                "by": asker.name,
                "why": asker.reason,
                "kind": kind.value,
                "query": logged_query,
                "shown": [f.violator.id for f in shown],
                "observations_shown": sum(len(f.timeline) for f in shown),
            },
        )
        return shown


async def _find(
    records: LookupRecords, sealer: Sealer, kind: LookupKind, query: str
) -> tuple[list[int], str]:
    text = query.strip()
    if kind in (LookupKind.VIOLATOR, LookupKind.TELEGRAM_ID):
        try:
            number = int(text)
        except ValueError:
            raise BadLookup(f"{kind.value} must be a whole number") from None
        if kind is LookupKind.VIOLATOR:
            return ([number] if await records.violator(number) else []), text
        return await records.by_telegram_id(number), text
    try:
        if kind is LookupKind.USERNAME:
            name = normalize_value(ObservationKind.USERNAME, text)
            return await records.by_username(name), name
        observation_kind = ObservationKind.PHONE if kind is LookupKind.PHONE else ObservationKind.IP
        value = normalize_value(observation_kind, text)
    except NotPersonalData as exc:
        raise BadLookup(str(exc)) from None
    index = sealer.blind_index(observation_kind.value, value)
    # The audit log records the blind index, never the phone number or address itself.
    return await records.by_blind_index(observation_kind, index), f"index:{index.hex()[:16]}"


async def _file(records: LookupRecords, sealer: Sealer, violator_id: int) -> ViolatorFile | None:
    violator = await records.violator(violator_id)
    if violator is None:
        return None
    timeline = tuple(opened(sealer, row) for row in await records.timeline(violator_id))
    return ViolatorFile(violator, tuple(await records.cases_of(violator_id)), timeline)
