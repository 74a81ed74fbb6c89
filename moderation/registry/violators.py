"""The registry of confirmed violators and their metadata timeline.

Observations are appended, never changed. Phone numbers and IP addresses are normalised, then
sealed by a `Sealer` (AES-GCM in storage/crypto.py) before they reach storage, with a keyed
blind index for exact lookups; storage never sees them in clear. Only confirmed violators get
observations: anything about anyone else is refused here (data minimisation).
"""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from moderation.personal_data import NotPersonalData, canonical_ip, normalize_phone
from moderation.ports import AuditTrail
from moderation.reporting.targets import TargetRef
from moderation.sealing import observation_context
from moderation.text import clean_line

VALUE_MAX = 256
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


class ObservationKind(StrEnum):
    USERNAME = "username"
    DISPLAY_NAME = "display_name"
    PHONE = "phone"
    IP = "ip"
    DEVICE = "device"
    APP = "app"

    @property
    def personal(self) -> bool:
        return self in (ObservationKind.PHONE, ObservationKind.IP)


class ObservationSource(StrEnum):
    BOT = "bot"  # the bot saw it (getChat, a message from the violator)
    IMPORT = "import"  # the platform's export (`report-bot metadata import`)
    LEGAL = "legal"  # learned in a legal request


@dataclass(frozen=True, slots=True)
class Observation:
    kind: ObservationKind
    value: str  # normalised (see `normalize_value`)
    observed_at: datetime
    source: ObservationSource


@dataclass(frozen=True, slots=True)
class StoredObservation:
    id: int
    kind: ObservationKind
    value: str  # decrypted for display to those entitled to it
    observed_at: datetime
    source: ObservationSource
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class SealedValue:
    """What storage keeps for a value: clear text, or ciphertext with key id and blind index
    (and the id of the BLIND_INDEX_KEY that made the index)."""

    value: str | None
    ciphertext: bytes | None
    key_id: str | None
    blind_index: bytes | None
    index_key_id: str | None = None


@dataclass(frozen=True, slots=True)
class ViolatorRow:
    id: int
    target: TargetRef
    category: str
    confirmed_at: datetime
    last_confirmed_at: datetime | None
    legal_hold: bool


@dataclass(frozen=True, slots=True)
class SealedObservation:
    id: int
    violator_id: int
    kind: ObservationKind
    sealed: SealedValue
    observed_at: datetime
    source: ObservationSource
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """One observation ready for storage (sealed, bound to its row id, with its dedupe
    fingerprint)."""

    id: int
    violator_id: int
    kind: ObservationKind
    sealed: SealedValue
    observed_at: datetime
    source: ObservationSource
    recorded_at: datetime
    dedupe: bytes


class Sealer(Protocol):
    """Encrypts bound to a context (moderation/sealing.py) and makes blind indexes."""

    @property
    def current_index_key_id(self) -> str: ...
    def encrypt(self, plaintext: str, context: str) -> tuple[str, bytes]: ...
    def decrypt(self, key_id: str, blob: bytes, context: str) -> str: ...
    def encrypt_bytes(self, data: bytes, context: str) -> tuple[str, bytes]: ...
    def decrypt_bytes(self, key_id: str, blob: bytes, context: str) -> bytes: ...
    def blind_index(self, kind: str, normalized: str) -> bytes: ...
    def blind_indexes(self, kind: str, normalized: str) -> list[bytes]: ...


def normalize_value(kind: ObservationKind, raw: str) -> str:
    """The one spelling a value is stored and looked up in; ValueError says what is wrong."""
    if kind is ObservationKind.PHONE:
        return normalize_phone(raw)
    if kind is ObservationKind.IP:
        return canonical_ip(raw)
    value = clean_line(raw)
    if not value:
        raise NotPersonalData(f"empty {kind.value}")
    if len(value) > VALUE_MAX:
        raise NotPersonalData(f"{kind.value} longer than {VALUE_MAX} characters")
    if kind is ObservationKind.USERNAME:
        value = value.removeprefix("@")
        if not _USERNAME.fullmatch(value):
            raise NotPersonalData("not a Telegram username (5-32 letters, digits and _)")
        return value.lower()
    return value


def seal(sealer: Sealer, kind: ObservationKind, value: str, context: str) -> SealedValue:
    """A phone or IP encrypted bound to `context` (its row) with its blind index; other kinds
    in clear."""
    if not kind.personal:
        return SealedValue(value, None, None, None, sealer.current_index_key_id)
    key_id, blob = sealer.encrypt(value, context)
    index = sealer.blind_index(kind.value, value)
    return SealedValue(None, blob, key_id, index, sealer.current_index_key_id)


def sealed_observation(
    sealer: Sealer, row_id: int, violator_id: int, observation: Observation
) -> SealedValue:
    context = observation_context(
        row_id, violator_id, observation.kind.value, observation.observed_at
    )
    return seal(sealer, observation.kind, observation.value, context)


def dedupe_key(sealer: Sealer, violator_id: int, observation: Observation) -> bytes:
    """Identifies an observation without revealing it: re-imports of the same line add nothing."""
    fingerprint = "\x1f".join(
        (
            str(violator_id),
            observation.kind.value,
            observation.value,
            observation.observed_at.isoformat(),
            observation.source.value,
        )
    )
    return sealer.blind_index("observation", fingerprint)


class RegistryRecords(Protocol):
    async def violator(self, violator_id: int) -> ViolatorRow | None: ...
    async def next_observation_id(self) -> int: ...
    async def add_observation(
        self,
        row_id: int,
        violator_id: int,
        kind: ObservationKind,
        sealed: SealedValue,
        observed_at: datetime,
        source: ObservationSource,
        recorded_at: datetime,
        dedupe: bytes,
    ) -> bool: ...
    async def timeline(self, violator_id: int) -> list[SealedObservation]: ...
    async def sealed_under_other_keys(
        self, current_key_id: str, limit: int
    ) -> list[SealedObservation]: ...
    async def reseal(self, observation_id: int, key_id: str, ciphertext: bytes) -> None: ...
    async def resolve_many(self, key: str, values: list[int | str]) -> dict[int | str, int]: ...
    async def add_observations(self, rows: list[ObservationRow]) -> int: ...
    async def existing_dedupes(self, dedupes: list[bytes]) -> set[bytes]: ...


class RegistryUnit(Protocol):
    @property
    def registry(self) -> RegistryRecords: ...
    @property
    def audit(self) -> AuditTrail: ...


class RegistryStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RegistryUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[RegistryUnit]: ...


async def record_observation(
    uow: RegistryUnit,
    sealer: Sealer,
    violator_id: int,
    observation: Observation,
    now: datetime,
) -> bool:
    """Appends one observation of a confirmed violator; False if it was recorded before."""
    if await uow.registry.violator(violator_id) is None:
        raise NotAViolator(violator_id)
    row_id = await uow.registry.next_observation_id()
    return await uow.registry.add_observation(
        row_id,
        violator_id,
        observation.kind,
        sealed_observation(sealer, row_id, violator_id, observation),
        observation.observed_at,
        observation.source,
        now,
        dedupe_key(sealer, violator_id, observation),
    )


def context_of(row: SealedObservation) -> str:
    return observation_context(row.id, row.violator_id, row.kind.value, row.observed_at)


def opened(sealer: Sealer, row: SealedObservation) -> StoredObservation:
    """The row's value in clear. Registry code that shows values never calls this for a phone
    or an IP: only the disclosure and re-keying open those."""
    sealed = row.sealed
    if sealed.ciphertext is not None and sealed.key_id is not None:
        value = sealer.decrypt(sealed.key_id, sealed.ciphertext, context_of(row))
    else:
        value = sealed.value or ""
    return StoredObservation(row.id, row.kind, value, row.observed_at, row.source, row.recorded_at)


class NotAViolator(LookupError):
    """Metadata is only ever kept for confirmed violators."""

    def __init__(self, violator_id: int) -> None:
        super().__init__(f"no confirmed violator #{violator_id}")


class CurrentSealer(Sealer, Protocol):
    @property
    def current_key_id(self) -> str: ...


async def rotate_keys(
    store: RegistryStore, sealer: CurrentSealer, now: datetime, batch: int = 500
) -> int:
    """Re-encrypts every value sealed under an older key with the current one, in batches
    (each its own transaction, so a huge table never holds the writer for long)."""
    total = 0
    while True:
        async with store.transaction() as uow:
            rows = await uow.registry.sealed_under_other_keys(sealer.current_key_id, batch)
            for row in rows:
                plaintext = opened(sealer, row).value
                key_id, blob = sealer.encrypt(plaintext, context_of(row))
                await uow.registry.reseal(row.id, key_id, blob)
            if rows:
                await uow.audit.append(
                    at=now,
                    actor_id=None,
                    action="registry.keys_rotated",
                    details={
                        "before": sorted({r.sealed.key_id or "" for r in rows}),
                        "after": sealer.current_key_id,
                        "values": len(rows),
                    },
                )
        total += len(rows)
        if len(rows) < batch:
            return total
