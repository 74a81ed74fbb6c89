"""A legal request's life: registered, analysed, approved by four eyes, disclosed, closed.

Every step is one transaction that also writes its audit entry, so a step either happened and
is on record or did not happen. Only IP addresses and phone numbers observed in the requested
period are ever disclosed, only about the one confirmed violator the target resolves to, and
every disclosure is chained into the ledger in the same transaction.
"""

from __future__ import annotations

import hashlib
import html
import json
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from moderation.ledger import LedgerEntry, LedgerHead, next_entry, verify
from moderation.legal import (
    ANALYSIS_MIN,
    REASON_MIN,
    CheckResult,
    LegalPolicy,
    OrderDocument,
    RequestForm,
    RequestState,
    Target,
    TargetKind,
    analyse,
    blocking,
    check_document,
    country_name,
    day_bounds,
)
from moderation.ports import AuditTrail
from moderation.registry import ObservationKind, SealedObservation, SealedValue, Sealer, seal

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


# --- registering and analysing ----------------------------------------------------------


async def register(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    form: RequestForm,
    document: OrderDocument,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """Stores the request and its document and runs the automatic checklist on it."""
    _require_legal(officer)
    check_document(document)
    registered_by = officer.user_id or 0
    async with store.transaction() as uow:
        existing = await uow.legal.duplicate_of(form.country, form.authority, form.reference)
        if existing is not None:
            raise LegalRefused(
                f"this order ({form.country}, {form.authority}, {form.reference}) is already "
                f"registered as request #{existing}"
            )
        sealed = None
        if form.target.kind.personal:
            sealed = seal(sealer, _observation_kind(form.target.kind), form.target.value)
        request_id = await uow.legal.add_request(form, sealed, registered_by, now)
        await uow.legal.add_document(request_id, document, now)
        violators = await _resolve(uow.registry, sealer, form.target)
        checks = analyse(form, policy, violators, now.date())
        await uow.legal.set_analysis(
            request_id,
            violator_id=violators[0] if len(violators) == 1 else None,
            checks=checks,
            state=RequestState.RECEIVED,
        )
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.registered",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "country": form.country,
                "order_type": form.order_type.value,
                "target_kind": form.target.kind.value,
                "document_sha256": document.sha256,
                "checks": {c.key.value: c.passed for c in checks},
                "violator_id": violators[0] if len(violators) == 1 else None,
            },
        )
        request = await uow.legal.request(request_id)
    assert request is not None
    return _opened(sealer, request)


async def write_analysis(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    text: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """The officer's written analysis; the checklist is run again with it (time has passed,
    the target may have been confirmed since) and the request is then under analysis."""
    _require_legal(officer)
    analysis = " ".join(text.split())
    if len(analysis) < ANALYSIS_MIN:
        raise LegalRefused(
            f"write the legal analysis in at least {ANALYSIS_MIN} characters: why the order is "
            "valid and what it asks for"
        )
    async with store.transaction() as uow:
        request = _opened(sealer, await _get(uow.legal, request_id))
        if request.state not in (RequestState.RECEIVED, RequestState.UNDER_ANALYSIS):
            raise LegalRefused(f"request #{request_id} is {request.state.value}; it cannot change")
        violators = await _resolve(uow.registry, sealer, request.form.target)
        checks = analyse(request.form, policy, violators, now.date())
        await uow.legal.write_analysis(request_id, analysis, officer.user_id or 0, now)
        await uow.legal.set_analysis(
            request_id,
            violator_id=violators[0] if len(violators) == 1 else None,
            checks=checks,
            state=RequestState.UNDER_ANALYSIS,
        )
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.analysed",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "before": request.state.value,
                "after": RequestState.UNDER_ANALYSIS.value,
                "checks": {c.key.value: c.passed for c in checks},
                "analysis_chars": len(analysis),
            },
        )
        updated = await uow.legal.request(request_id)
    assert updated is not None
    return _opened(sealer, updated)


async def override(
    store: LegalStore,
    sealer: Sealer,
    request_id: int,
    reason: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    """An admin lets a request with failed checks go on, with a written reason. The target
    check cannot be overridden: nothing is ever disclosed about a non-violator."""
    if not officer.is_admin:
        raise LegalRefused("only an admin can override a failed check")
    text = " ".join(reason.split())
    if len(text) < ANALYSIS_MIN:
        raise LegalRefused(
            f"write why the failed checks do not apply, in at least {ANALYSIS_MIN} characters"
        )
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        if not request.state.open or request.state in (
            RequestState.APPROVED,
            RequestState.DISCLOSED,
        ):
            raise LegalRefused(f"request #{request_id} is {request.state.value}; it cannot change")
        failed = [c for c in request.checks if not c.passed]
        if not failed:
            raise LegalRefused(f"every check of request #{request_id} passed; nothing to override")
        if any(not c.overridable for c in failed):
            raise LegalRefused(
                "the target does not resolve to exactly one confirmed violator; no override "
                "can change that"
            )
        await uow.legal.set_override(request_id, text, officer.user_id or 0, now)
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.overridden",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "failed_checks": [c.key.value for c in failed],
                "reason": text,
            },
        )
        updated = await uow.legal.request(request_id)
    assert updated is not None
    return _opened(sealer, updated)


# --- four eyes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    request: LegalRequest
    approvals: int
    needed: int

    @property
    def complete(self) -> bool:
        return self.approvals >= self.needed


async def approve(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> ApprovalOutcome:
    _require_legal(officer)
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        problem = _vote_problem(request, officer, policy) or _blocking_problem(request)
        if problem is None and (
            officer.user_id is None
            or not await uow.legal.add_vote(request_id, officer.user_id, True, None, now)
        ):
            problem = f"you have already decided on request #{request_id}"
        if problem is not None:
            # Committed with the transaction (a refusal is evidence too), then raised.
            await _refusal(uow, officer, request_id, "approve", problem, now)
        else:
            approvals = len(request.approvals) + 1
            state = request.state
            if approvals >= policy.approvals_needed:
                state = RequestState.APPROVED
                await uow.legal.set_state(request_id, state)
            await uow.audit.append(
                at=now,
                actor_id=officer.user_id,
                action="legal.approved",
                subject_type="legal_request",
                subject_id=request_id,
                details={
                    "by": officer.name,
                    "approvals": approvals,
                    "needed": policy.approvals_needed,
                    "before": request.state.value,
                    "after": state.value,
                },
            )
            updated = await uow.legal.request(request_id)
    if problem is not None:
        raise LegalRefused(problem)
    assert updated is not None
    return ApprovalOutcome(_opened(sealer, updated), approvals, policy.approvals_needed)


async def reject(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    reason: str,
    officer: Officer,
    now: datetime,
) -> LegalRequest:
    _require_legal(officer)
    text = " ".join(reason.split())
    if len(text) < REASON_MIN:
        raise LegalRefused(f"say why you reject it, in at least {REASON_MIN} characters")
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        problem = _vote_problem(request, officer, policy)
        if problem is None and (
            officer.user_id is None
            or not await uow.legal.add_vote(request_id, officer.user_id, False, text, now)
        ):
            problem = f"you have already decided on request #{request_id}"
        if problem is not None:
            await _refusal(uow, officer, request_id, "reject", problem, now)
        else:
            await uow.legal.reject(request_id, text, officer.user_id or 0, now)
            await uow.audit.append(
                at=now,
                actor_id=officer.user_id,
                action="legal.rejected",
                subject_type="legal_request",
                subject_id=request_id,
                details={
                    "by": officer.name,
                    "reason": text,
                    "before": request.state.value,
                    "after": RequestState.REJECTED.value,
                },
            )
            updated = await uow.legal.request(request_id)
    if problem is not None:
        raise LegalRefused(problem)
    assert updated is not None
    return _opened(sealer, updated)


def _vote_problem(request: LegalRequest, officer: Officer, policy: LegalPolicy) -> str | None:
    if request.state is not RequestState.UNDER_ANALYSIS:
        if request.state is RequestState.RECEIVED:
            return f"request #{request.id} has no written legal analysis yet; add it first"
        return f"request #{request.id} is {request.state.value}; no more decisions"
    if not policy.registrar_may_approve and officer.user_id == request.registered_by:
        return "you registered this request; two other legal officers must decide"
    if officer.user_id in {v.officer_id for v in request.votes}:
        return f"you have already decided on request #{request.id}"
    return None


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


# --- disclosure -------------------------------------------------------------------------


async def disclose(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> Disclosure:
    """Discloses the IP addresses and phone numbers of the approved request's violator
    observed within the requested period, and appends the disclosure to the ledger."""
    _require_legal(officer)
    async with store.transaction() as uow:
        request = _opened(sealer, await _get(uow.legal, request_id))
        problem: str | None = None
        if request.state is not RequestState.APPROVED:
            problem = (
                f"request #{request_id} is {request.state.value}; only an approved request is "
                "disclosed"
            )
        elif len(set(request.approvals)) < policy.approvals_needed or not request.violator_id:
            problem = f"request #{request_id} lacks its approvals or its violator"
        else:
            problem = _blocking_problem(request)
        if problem is not None:
            await _refusal(uow, officer, request_id, "disclose", problem, now)
        else:
            violator_id = request.violator_id
            assert violator_id is not None  # checked above
            start, end = day_bounds(request.form.period_start, request.form.period_end)
            rows = await uow.legal.personal_observations(violator_id, start, end)
            items = []
            for row in rows:
                if row.sealed.ciphertext is None or row.sealed.key_id is None:
                    continue
                items.append(
                    {
                        "kind": row.kind.value,
                        "value": sealer.decrypt(row.sealed.key_id, row.sealed.ciphertext, row.kind),
                        "observed_at": row.observed_at.isoformat(),
                        "source": row.source.value,
                    }
                )
            content = _content(request, items, now)
            digest = hashlib.sha256(content).hexdigest()
            key_id, blob = sealer.encrypt(content.decode(), "disclosure")
            phones = sum(1 for i in items if i["kind"] == "phone")
            ips = len(items) - phones
            stored = StoredDisclosure(
                request_id, key_id, blob, digest, phones, ips, officer.user_id or 0, now
            )
            await uow.legal.add_disclosure(stored)
            entry = next_entry(
                await uow.legal.ledger_last(),
                request_id,
                violator_id,
                request.form.country,
                ledger_time(now),
                digest,
            )
            await uow.legal.add_ledger_entry(entry)
            await uow.state.put(
                LEDGER_HEAD_KEY,
                json.dumps({"count": entry.seq, "last_hash": entry.entry_hash}),
                now,
            )
            await uow.legal.set_state(request_id, RequestState.DISCLOSED)
            await uow.audit.append(
                at=now,
                actor_id=officer.user_id,
                action="legal.disclosed",
                subject_type="legal_request",
                subject_id=request_id,
                # Counts and hashes only: the audit log never holds the disclosed values.
                details={
                    "by": officer.name,
                    "violator_id": request.violator_id,
                    "phones": phones,
                    "ips": ips,
                    "content_sha256": digest,
                    "ledger_seq": entry.seq,
                    "before": RequestState.APPROVED.value,
                    "after": RequestState.DISCLOSED.value,
                },
            )
    if problem is not None or request.violator_id is None:
        raise LegalRefused(problem or "no violator")
    return Disclosure(request_id, content, digest, render_html(content), phones, ips, entry.seq)


async def retrieve(
    store: LegalStore, sealer: Sealer, request_id: int, officer: Officer, now: datetime
) -> Disclosure:
    """A disclosure made earlier, decrypted again for a legal officer (audit-logged)."""
    _require_legal(officer)
    async with store.transaction() as uow:
        stored = await uow.legal.disclosure(request_id)
        if stored is None:
            raise LegalRefused(f"nothing was disclosed for request #{request_id}")
        content = sealer.decrypt(stored.key_id, stored.ciphertext, "disclosure").encode()
        seq = next((e.seq for e in await uow.legal.ledger() if e.request_id == request_id), 0)
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.disclosure_retrieved",
            subject_type="legal_request",
            subject_id=request_id,
            details={"by": officer.name, "content_sha256": stored.content_sha256},
        )
    return Disclosure(
        request_id,
        content,
        stored.content_sha256,
        render_html(content),
        stored.phones,
        stored.ips,
        seq,
    )


async def close(
    store: LegalStore, sealer: Sealer, request_id: int, officer: Officer, now: datetime
) -> LegalRequest:
    """Ends a request; its hold on the violator's metadata ends with it."""
    _require_legal(officer)
    async with store.transaction() as uow:
        request = await _get(uow.legal, request_id)
        if not request.state.open:
            raise LegalRefused(f"request #{request_id} is {request.state.value} already")
        await uow.legal.close(request_id, officer.user_id, now)
        await uow.audit.append(
            at=now,
            actor_id=officer.user_id,
            action="legal.closed",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": officer.name,
                "before": request.state.value,
                "after": RequestState.CLOSED.value,
            },
        )
        updated = await uow.legal.request(request_id)
    assert updated is not None
    return _opened(sealer, updated)


async def show(
    store: LegalStore, sealer: Sealer, request_id: int, officer: Officer
) -> tuple[LegalRequest, OrderDocument | None]:
    _require_legal(officer)
    async with store.reading() as uow:
        request = _opened(sealer, await _get(uow.legal, request_id))
        return request, await uow.legal.document(request_id)


async def open_requests(
    store: LegalStore, sealer: Sealer, officer: Officer, limit: int = 30
) -> list[LegalRequest]:
    _require_legal(officer)
    async with store.reading() as uow:
        return [_opened(sealer, r) for r in await uow.legal.open_requests(limit)]


async def verify_ledger(store: LegalStore, sealer: Sealer) -> tuple[int, list[str]]:
    """(entries checked, problems); every disclosure's stored content is hashed again."""
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
        recorded = await uow.legal.recorded_as_disclosed()
        head_text = await uow.state.get(LEDGER_HEAD_KEY)
        hashes: dict[int, str] = {}
        problems: list[str] = []
        for stored in await uow.legal.disclosures():
            try:
                content = sealer.decrypt(stored.key_id, stored.ciphertext, "disclosure")
            except Exception:
                problems.append(
                    f"the disclosure of request {stored.request_id} cannot be decrypted "
                    "(changed, or its key is missing)"
                )
                continue
            actual = hashlib.sha256(content.encode()).hexdigest()
            if actual != stored.content_sha256:
                problems.append(
                    f"the disclosure of request {stored.request_id} does not match its "
                    "recorded hash"
                )
            hashes[stored.request_id] = actual
    head = None
    if head_text is not None:
        data = json.loads(head_text)
        head = LedgerHead(int(data["count"]), str(data["last_hash"]))
    in_ledger = {entry.request_id for entry in entries}
    problems.extend(
        f"request {request_id} was disclosed (audit log or its state) but has no ledger entry"
        for request_id in sorted(recorded - in_ledger)
    )
    return len(entries), problems + verify(entries, head, hashes)


async def rotate_legal_keys(store: LegalStore, sealer: Sealer, current_key_id: str) -> int:
    """Re-encrypts kept disclosures and phone/IP request targets under the current key (the
    registry's rotation does the observations); their hashes are over the plaintext, so the
    ledger stays valid."""
    total = 0
    while True:
        async with store.transaction() as uow:
            disclosures = await uow.legal.sealed_under_other_keys(current_key_id, 100)
            for stored in disclosures:
                plain = sealer.decrypt(stored.key_id, stored.ciphertext, "disclosure")
                key_id, blob = sealer.encrypt(plain, "disclosure")
                await uow.legal.reseal(stored.request_id, key_id, blob)
            targets = await uow.legal.targets_under_other_keys(current_key_id, 100)
            for request_id, kind, old_key, blob in targets:
                observation = _observation_kind(kind)
                plain = sealer.decrypt(old_key, blob, observation)
                key_id, sealed = sealer.encrypt(plain, observation)
                await uow.legal.reseal_target(request_id, key_id, sealed)
        total += len(disclosures) + len(targets)
        if not disclosures and not targets:
            return total


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


def _content(request: LegalRequest, items: list[dict[str, Any]], now: datetime) -> bytes:
    form = request.form
    document: dict[str, Any] = {
        "request": {
            "id": request.id,
            "authority": form.authority,
            "country": form.country,
            "reference": form.reference,
            "order_type": form.order_type.value,
            "issued_on": form.issued_on.isoformat(),
            "offence": form.offence,
            "document_sha256": request.document_sha256,
        },
        "violator_id": request.violator_id,
        "period": {"start": form.period_start.isoformat(), "end": form.period_end.isoformat()},
        "disclosed_at": now.isoformat(),
        "disclosed": "IP addresses and phone numbers observed within the period; nothing else",
        "items": sorted(items, key=lambda i: (i["observed_at"], i["kind"], i["value"])),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()


def render_html(content: bytes) -> bytes:
    """The human-readable copy of a disclosure, generated from its JSON."""
    data = json.loads(content)
    req = data["request"]

    def esc(value: object) -> str:
        return html.escape(str(value))

    rows = (
        "\n".join(
            f"<tr><td>{esc(i['kind'])}</td><td>{esc(i['value'])}</td>"
            f"<td>{esc(i['observed_at'])}</td><td>{esc(i['source'])}</td></tr>"
            for i in data["items"]
        )
        or '<tr><td colspan="4">Nothing was observed within the period.</td></tr>'
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Disclosure for legal request #{esc(req["id"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}</style></head><body>
<h1>Disclosure for legal request #{esc(req["id"])}</h1>
<p>{esc(req["authority"])}, {esc(country_name(req["country"]))} ({esc(req["country"])}),
reference {esc(req["reference"])}, {esc(req["order_type"])} issued {esc(req["issued_on"])},
offence {esc(req["offence"])}.</p>
<p>Violator #{esc(data["violator_id"])}; period {esc(data["period"]["start"])} to
{esc(data["period"]["end"])}; disclosed {esc(data["disclosed_at"])}.</p>
<p>{esc(data["disclosed"])}.</p>
<table><tr><th>Kind</th><th>Value</th><th>Observed at (UTC)</th><th>Source</th></tr>
{rows}
</table>
<p>SHA-256 of the JSON disclosure: {hashlib.sha256(content).hexdigest()}</p>
</body></html>
"""
    return page.encode()
