"""A legal request's records: what is kept about a request, its votes and its disclosure,
and the ports the legal flow and the disclosure need from storage."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from moderation.ledger import LedgerEntry
from moderation.legal import (
    CheckResult,
    OrderDocument,
    RequestForm,
    RequestState,
    Target,
    TargetKind,
    blocking,
)
from moderation.ports import AuditTrail
from moderation.registry import ObservationKind, SealedObservation, SealedValue, Sealer

LEDGER_HEAD_KEY = "disclosure_ledger_head"


class LegalRefused(Exception):
    """A step is not allowed now; the message says why and what would make it possible."""


@dataclass(frozen=True, slots=True)
class Officer:
    user_id: int | None  # None: an operator at the command line
    name: str
    is_legal: bool
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class Vote:
    officer_id: int
    approve: bool
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class LegalRequest:
    id: int
    form: RequestForm  # a phone or IP target is decrypted only when opened for an officer
    state: RequestState
    violator_id: int | None
    checks: tuple[CheckResult, ...]
    analysis: str | None
    override_reason: str | None
    registered_by: int
    registered_at: datetime
    rejected_reason: str | None
    document_sha256: str | None
    votes: tuple[Vote, ...]
    target_sealed: SealedValue | None = None

    @property
    def approvals(self) -> tuple[int, ...]:
        return tuple(v.officer_id for v in self.votes if v.approve)


@dataclass(frozen=True, slots=True)
class StoredDisclosure:
    request_id: int
    key_id: str
    ciphertext: bytes
    content_sha256: str
    phones: int
    ips: int
    disclosed_to: int
    disclosed_at: datetime


@dataclass(frozen=True, slots=True)
class Disclosure:
    request_id: int
    content: bytes  # canonical JSON, what content_sha256 is the hash of
    content_sha256: str
    html: bytes
    phones: int
    ips: int
    ledger_seq: int


class LegalRecords(Protocol):
    async def duplicate_of(self, country: str, authority: str, reference: str) -> int | None: ...
    async def add_request(
        self, form: RequestForm, sealed: SealedValue | None, registered_by: int, at: datetime
    ) -> int: ...
    async def add_document(
        self, request_id: int, document: OrderDocument, at: datetime
    ) -> None: ...
    async def document(self, request_id: int) -> OrderDocument | None: ...
    async def request(self, request_id: int) -> LegalRequest | None: ...
    async def set_analysis(
        self,
        request_id: int,
        *,
        violator_id: int | None,
        checks: tuple[CheckResult, ...],
        state: RequestState,
    ) -> None: ...
    async def write_analysis(self, request_id: int, text: str, by: int, at: datetime) -> None: ...
    async def set_override(self, request_id: int, reason: str, by: int, at: datetime) -> None: ...
    async def add_vote(
        self, request_id: int, officer_id: int, approve: bool, reason: str | None, at: datetime
    ) -> bool: ...
    async def set_state(self, request_id: int, state: RequestState) -> None: ...
    async def reject(self, request_id: int, reason: str, by: int, at: datetime) -> None: ...
    async def close(self, request_id: int, by: int | None, at: datetime) -> None: ...
    async def open_requests(self, limit: int) -> list[LegalRequest]: ...
    async def personal_observations(
        self, violator_id: int, start: datetime, end: datetime
    ) -> list[SealedObservation]: ...
    async def add_disclosure(self, disclosure: StoredDisclosure) -> None: ...
    async def disclosure(self, request_id: int) -> StoredDisclosure | None: ...
    async def disclosures(self) -> list[StoredDisclosure]: ...
    async def ledger_last(self) -> LedgerEntry | None: ...
    async def add_ledger_entry(self, entry: LedgerEntry) -> None: ...
    async def ledger(self) -> list[LedgerEntry]: ...
    async def recorded_as_disclosed(self) -> set[int]: ...
    async def sealed_under_other_keys(self, key_id: str, limit: int) -> list[StoredDisclosure]: ...
    async def reseal(self, request_id: int, key_id: str, ciphertext: bytes) -> None: ...
    async def targets_under_other_keys(
        self, key_id: str, limit: int
    ) -> list[tuple[int, TargetKind, str, bytes]]: ...
    async def reseal_target(self, request_id: int, key_id: str, ciphertext: bytes) -> None: ...


class TargetFinder(Protocol):
    async def by_telegram_id(self, chat_id: int) -> list[int]: ...
    async def by_username(self, username: str) -> list[int]: ...
    async def by_blind_index(self, kind: ObservationKind, index: bytes) -> list[int]: ...


class KeyValue(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, value: str, at: datetime) -> None: ...


class LegalUnit(Protocol):
    @property
    def legal(self) -> LegalRecords: ...
    @property
    def registry(self) -> TargetFinder: ...
    @property
    def audit(self) -> AuditTrail: ...
    @property
    def state(self) -> KeyValue: ...


class LegalStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[LegalUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[LegalUnit]: ...


def _blocking_problem(request: LegalRequest) -> str | None:
    stopping = blocking(request.checks, overridden=request.override_reason is not None)
    if not stopping:
        return None
    hint = (
        ""
        if any(not c.overridable for c in stopping)
        else " (an admin may override with a written reason)"
    )
    return (
        "failed checks block the disclosure: "
        + "; ".join(f"{c.key.value}: {c.reason}" for c in stopping)
        + hint
    )


async def _refusal(
    uow: LegalUnit, officer: Officer, request_id: int, step: str, why: str, now: datetime
) -> None:
    await uow.audit.append(
        at=now,
        actor_id=officer.user_id,
        action="legal.refused",
        subject_type="legal_request",
        subject_id=request_id,
        details={"by": officer.name, "step": step, "why": why},
    )


# --- helpers -----------------------------------------------------------------------------


def ledger_time(moment: datetime) -> str:
    """UTC with microseconds, the one format every stored time has, so periods compare as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _require_legal(officer: Officer) -> None:
    if not officer.is_legal:
        raise LegalRefused("only legal officers handle legal requests")


async def _get(records: LegalRecords, request_id: int) -> LegalRequest:
    request = await records.request(request_id)
    if request is None:
        raise LegalRefused(f"there is no legal request #{request_id}; /legal lists open ones")
    return request


def _observation_kind(kind: TargetKind) -> ObservationKind:
    return ObservationKind.PHONE if kind is TargetKind.PHONE else ObservationKind.IP


async def _resolve(finder: TargetFinder, sealer: Sealer, target: Target) -> list[int]:
    if target.kind is TargetKind.TELEGRAM_ID:
        return sorted(set(await finder.by_telegram_id(int(target.value))))
    if target.kind is TargetKind.USERNAME:
        return sorted(set(await finder.by_username(target.value)))
    kind = _observation_kind(target.kind)
    return sorted(set(await finder.by_blind_index(kind, sealer.blind_index(kind, target.value))))


def _opened(sealer: Sealer, request: LegalRequest) -> LegalRequest:
    sealed = request.target_sealed
    if sealed is None or sealed.ciphertext is None or sealed.key_id is None:
        return request
    kind = _observation_kind(request.form.target.kind)
    value = sealer.decrypt(sealed.key_id, sealed.ciphertext, kind)
    return replace(
        request, form=replace(request.form, target=Target(request.form.target.kind, value))
    )
