"""A legal request's records: what is kept about a request, its votes and its disclosure,
and the ports the legal flow and the disclosure need from storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypeVar

from moderation.legal.analysis import (
    CheckResult,
    LegalPolicy,
    OrderDocument,
    RequestForm,
    RequestState,
    Target,
    TargetKind,
    blocking,
)
from moderation.legal.ledger import LedgerEntry
from moderation.legal.officers import Officer, OfficerRoles, Vote, lapsed, verified
from moderation.ports import AuditTrail, NoticeQueue
from moderation.registry.violators import ObservationKind, SealedObservation, SealedValue, Sealer
from moderation.sealing import document_context, target_context

LEDGER_HEAD_KEY = "disclosure_ledger_head"


class LegalRefused(Exception):
    """A step is not allowed now; the message says why and what would make it possible."""


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
        """Officers whose approval counts: live votes only (a voided one is kept, not counted)."""
        return tuple(v.officer_id for v in self.votes if v.approve and v.live)

    @property
    def voided(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if not v.live)


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
    ledger_hash: str  # the ledger entry's keyed hash: the head the officers are told
    withheld: int = 0  # values that did not open in their row: named in the content, not shown


@dataclass(frozen=True, slots=True)
class SealedDocument:
    """An order document as kept: encrypted, bound to its request and its SHA-256."""

    file_name: str
    mime_type: str | None
    sha256: str
    key_id: str | None  # None: kept in clear from before migration 0018, not yet re-sealed
    blob: bytes
    telegram_file_id: str | None


class LegalRecords(Protocol):
    async def duplicate_of(self, country: str, authority: str, reference: str) -> int | None: ...
    async def next_request_id(self) -> int: ...
    async def add_request(
        self,
        request_id: int,
        form: RequestForm,
        sealed: SealedValue | None,
        registered_by: int,
        at: datetime,
    ) -> None: ...
    async def add_document(
        self, request_id: int, document: SealedDocument, at: datetime
    ) -> None: ...
    async def document(self, request_id: int) -> SealedDocument | None: ...
    async def documents_under_other_keys(
        self, key_id: str, limit: int
    ) -> list[tuple[int, SealedDocument]]: ...
    async def reseal_document(self, request_id: int, key_id: str, blob: bytes) -> None: ...
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
    async def void_votes(self, vote_ids: list[int], reason: str, at: datetime) -> None: ...
    async def live_approvals_by(self, officer_id: int) -> list[int]: ...
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
    async def by_blind_index(self, kind: ObservationKind, indexes: list[bytes]) -> list[int]: ...


class KeyValue(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, value: str, at: datetime) -> None: ...


class LegalUnit(Protocol):
    @property
    def legal(self) -> LegalRecords: ...
    @property
    def roles(self) -> OfficerRoles: ...
    @property
    def registry(self) -> TargetFinder: ...
    @property
    def audit(self) -> AuditTrail: ...
    @property
    def state(self) -> KeyValue: ...
    @property
    def outbox(self) -> NoticeQueue: ...


class VotingUnit(Protocol):
    """What voiding approvals needs (role changes void them from outside the legal flow)."""

    @property
    def legal(self) -> LegalRecords: ...
    @property
    def audit(self) -> AuditTrail: ...


class LegalStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[LegalUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[LegalUnit]: ...


def blocking_problem(request: LegalRequest) -> str | None:
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


async def refusal(
    uow: LegalUnit, officer: Officer, request_id: int | None, step: str, why: str, now: datetime
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


async def get_request(records: LegalRecords, request_id: int) -> LegalRequest:
    request = await records.request(request_id)
    if request is None:
        raise LegalRefused(f"there is no legal request #{request_id}; /legal lists open ones")
    return request


def observation_kind(kind: TargetKind) -> ObservationKind:
    return ObservationKind.PHONE if kind is TargetKind.PHONE else ObservationKind.IP


async def resolve_target(finder: TargetFinder, sealer: Sealer, target: Target) -> list[int]:
    if target.kind is TargetKind.TELEGRAM_ID:
        return sorted(set(await finder.by_telegram_id(int(target.value))))
    if target.kind is TargetKind.USERNAME:
        return sorted(set(await finder.by_username(target.value)))
    kind = observation_kind(target.kind)
    indexes = sealer.blind_indexes(kind, target.value)
    return sorted(set(await finder.by_blind_index(kind, indexes)))


def opened_request(sealer: Sealer, request: LegalRequest) -> LegalRequest:
    """The request with its phone or IP target opened for the legal officers handling it (the
    order's own words, not registry data)."""
    sealed = request.target_sealed
    if sealed is None or sealed.ciphertext is None or sealed.key_id is None:
        return request
    context = target_context(request.id, request.form.target.kind.value)
    try:
        value = sealer.decrypt(sealed.key_id, sealed.ciphertext, context)
    except Exception:  # a value that does not open in its row is refused
        raise LegalRefused(
            f"the target of request #{request.id} does not open in its row (changed, moved "
            "from another row, or its key is missing); run report-bot ledger verify and "
            "report-bot db-check"
        ) from None
    return replace(
        request, form=replace(request.form, target=Target(request.form.target.kind, value))
    )


def sealed_document(sealer: Sealer, request_id: int, document: OrderDocument) -> SealedDocument:
    key_id, blob = sealer.encrypt_bytes(
        document.content, document_context(request_id, document.sha256)
    )
    return SealedDocument(
        document.file_name,
        document.mime_type,
        document.sha256,
        key_id,
        blob,
        document.telegram_file_id,
    )


def opened_document(sealer: Sealer, request_id: int, sealed: SealedDocument) -> OrderDocument:
    """The order document, after checking it opens in its row and matches its SHA-256."""
    problem = f"the order document of request #{request_id} "
    if sealed.key_id is None:
        raise LegalRefused(
            problem + "is still stored in clear; run report-bot migrate (with the registry "
            "keys set) to encrypt it"
        )
    try:
        content = sealer.decrypt_bytes(
            sealed.key_id, sealed.blob, document_context(request_id, sealed.sha256)
        )
    except Exception:  # a document that does not open is refused
        raise LegalRefused(
            problem + "does not open in its row (changed, moved, or its key is missing)"
        ) from None
    return OrderDocument(sealed.file_name, sealed.mime_type, content, sealed.telegram_file_id)


# --- running a step ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refused:
    """A step's body refusing after it wrote something that must stay (voided approvals):
    the transaction commits with the refusal on record, then LegalRefused is raised."""

    problem: str


T = TypeVar("T")


async def run_step(
    store: LegalStore,
    policy: LegalPolicy,
    officer: Officer,
    step: str,
    request_id: int | None,
    now: datetime,
    body: Callable[[LegalUnit, Officer], Awaitable[T | Refused]],
    *,
    admins_too: bool = False,
) -> T:
    """One step of a legal request in one transaction, after checking, from the roles table
    and the bootstrap ids, that the officer may take it. A refusal (LegalRefused raised by the
    body) rolls the step back and is recorded on its own; every refusal is audit-logged."""
    try:
        async with store.transaction() as uow:
            acting = await verified(uow.roles, policy, officer)
            if not (acting.is_legal or (admins_too and acting.is_admin)):
                raise LegalRefused(
                    "only legal officers handle legal requests"
                    + (" (admins may override a failed check)" if admins_too else "")
                )
            outcome = await body(uow, acting)
            if isinstance(outcome, Refused):
                await refusal(uow, officer, request_id, step, outcome.problem, now)
    except LegalRefused as exc:
        async with store.transaction() as uow:
            await refusal(uow, officer, request_id, step, str(exc), now)
        raise
    if isinstance(outcome, Refused):
        raise LegalRefused(outcome.problem)
    return outcome


async def void_approvals(
    uow: VotingUnit,
    request: LegalRequest,
    votes: list[Vote],
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> LegalRequest:
    """Voids live approvals (kept on record with when and why); an approved request that loses
    one goes back under analysis, since it held exactly the approvals it needed."""
    live = [v for v in votes if v.live and v.approve]
    if not live:
        return request
    await uow.legal.void_votes([v.id for v in live], reason, now)
    state = request.state
    if state is RequestState.APPROVED:
        state = RequestState.UNDER_ANALYSIS
        await uow.legal.set_state(request.id, state)
    await uow.audit.append(
        at=now,
        actor_id=actor_id,
        action="legal.approvals_voided",
        subject_type="legal_request",
        subject_id=request.id,
        details={
            "officers": [v.officer_id for v in live],
            "reason": reason,
            "before": request.state.value,
            "after": state.value,
        },
    )
    return await get_request(uow.legal, request.id)


async def void_lapsed(
    uow: LegalUnit, policy: LegalPolicy, request: LegalRequest, actor_id: int | None, now: datetime
) -> LegalRequest:
    """Voids the approvals of officers who no longer hold the legal role (or hold it only by a
    grant newer than their vote)."""
    stale = await lapsed(uow.roles, policy, request.votes)
    if not stale:
        return request
    return await void_approvals(
        uow, request, stale, "the approving officer no longer holds the legal role", actor_id, now
    )


async def void_officer_approvals(
    uow: VotingUnit, officer_id: int, actor_id: int, now: datetime
) -> list[int]:
    """An officer lost the legal role: their approvals of requests not yet disclosed stop
    counting now. Returns the requests affected."""
    affected = []
    for request_id in await uow.legal.live_approvals_by(officer_id):
        request = await get_request(uow.legal, request_id)
        if request.state not in (RequestState.UNDER_ANALYSIS, RequestState.APPROVED):
            continue
        votes = [v for v in request.votes if v.officer_id == officer_id]
        await void_approvals(
            uow, request, votes, "the approving officer's legal role was revoked", actor_id, now
        )
        affected.append(request_id)
    return affected
