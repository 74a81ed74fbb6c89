"""Preparing a legal request: looking its violator up by violator id, telegram id, username
(current or past), phone or IP.

A lookup answers only for the request's subject: the violator the request names
(`request.violator_id`). A query that resolves to that violator shows its file; any other
value, whether it belongs to another violator or to nobody (and every value, under a request
that names no single violator), gets the same "no match" answer, after the same queries, so a
lookup is never a membership test of the registry for a phone, an IP or a name. Whether the
query matched the subject is in the audit row, which the asker is not shown.

A lookup shows who the violator is, their cases, usernames, names, devices and apps, and their
phone numbers and IP addresses only as sealed counts: it holds no decryption key (it is given
a blind indexer, not the cipher), so no lookup can show a phone or an IP, whoever asks and
from wherever. Those leave the registry only in the disclosure of an approved request.
Only a legal officer (checked against the roles table now) may look up, only for an open legal
request, and every lookup and every refusal is audit-logged with who, for which request, and
which records were shown; a phone number or IP asked for is logged only as its blind index.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from moderation.legal.analysis import day_bounds
from moderation.legal.officers import Officer, OfficerRoles, unverified_note, verified
from moderation.legal.ports import LegalRequestRecords
from moderation.legal.steps import audit_step
from moderation.legal.types import LegalPolicy
from moderation.personal_data import NotPersonalData
from moderation.ports import AuditTrail
from moderation.registry.violators import (
    ObservationKind,
    SealedObservation,
    StoredObservation,
    ViolatorRow,
    normalize_value,
)


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
class SealedCounts:
    """How many phone numbers and IP addresses are kept, never what they are."""

    phones: int
    ips: int


@dataclass(frozen=True, slots=True)
class ViolatorFile:
    violator: ViolatorRow
    cases: tuple[ViolatorCase, ...]
    timeline: tuple[StoredObservation, ...]  # usernames, names, devices, apps: never personal
    in_period: SealedCounts  # observed within the request's period
    all_time: SealedCounts


@dataclass(frozen=True, slots=True)
class LookupResult:
    request_id: int
    period: tuple[str, str]  # the request's first and last day, ISO
    files: tuple[ViolatorFile, ...]


class BadLookup(ValueError):
    """The query cannot be looked up as given; the message says what to fix."""


class LookupRefused(PermissionError):
    """The asker may not look up now (not a legal officer, no such open request)."""


class BlindIndexer(Protocol):
    """Finds a phone or IP by its keyed index; it cannot decrypt anything."""

    def blind_indexes(self, kind: str, normalized: str) -> list[bytes]: ...


class LookupRecords(Protocol):
    async def violator(self, violator_id: int) -> ViolatorRow | None: ...
    async def by_telegram_id(self, chat_id: int) -> list[int]: ...
    async def by_username(self, username: str) -> list[int]: ...
    async def by_blind_index(self, kind: ObservationKind, indexes: list[bytes]) -> list[int]: ...
    async def public_timeline(self, violator_id: int) -> list[SealedObservation]: ...
    async def personal_counts(
        self, violator_id: int, start: datetime | None, end: datetime | None
    ) -> dict[ObservationKind, int]: ...
    async def cases_of(self, violator_id: int) -> list[ViolatorCase]: ...


class LookupUnit(Protocol):
    @property
    def registry(self) -> LookupRecords: ...
    @property
    def legal(self) -> LegalRequestRecords: ...
    @property
    def roles(self) -> OfficerRoles: ...
    @property
    def audit(self) -> AuditTrail: ...


class LookupStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[LookupUnit]: ...


async def lookup(
    store: LookupStore,
    indexer: BlindIndexer,
    policy: LegalPolicy,
    kind: LookupKind,
    query: str,
    asker: Officer,
    request_id: int,
    now: datetime,
) -> LookupResult:
    """Raises LookupRefused (audit-logged) or BadLookup; otherwise the request's violator's
    file when the query resolves to it, and no file for anything else (known or not)."""
    refused: str | None = None
    async with store.transaction() as uow:
        acting = await verified(uow.roles, policy, asker)
        request = await uow.legal.request(request_id)
        if not acting.is_legal:
            refused = "only legal officers look violators up, for a legal request" + (
                unverified_note(acting)
            )
        elif request is None:
            refused = f"there is no legal request #{request_id}"
        elif not request.state.open:
            refused = f"legal request #{request_id} is {request.state.value}, not open"
        if refused is not None or request is None:
            await audit_step(
                uow.audit,
                "registry.lookup_refused",
                request_id,
                asker,
                now,
                kind=kind.value,
                why=refused,
            )
        else:
            ids, logged_query = await _find(uow.registry, indexer, kind, query)
            start, end = day_bounds(request.form.period_start, request.form.period_end)
            # Only the request's own violator is answered for: another violator's value and
            # an unknown one both end here, after the same queries, with nothing to show.
            subject = request.violator_id
            matched = subject is not None and subject in ids
            files = []
            if matched and subject is not None:
                found = await _file(uow.registry, subject, start, end)
                if found is not None:
                    files.append(found)
            await audit_step(
                uow.audit,
                "registry.lookup",
                request_id,
                acting,
                now,
                why=f"legal request #{request_id}",
                kind=kind.value,
                query=logged_query,
                subject_violator=subject,
                matched_subject=matched,
                shown=[f.violator.id for f in files],
                observations_shown=sum(len(f.timeline) for f in files),
                personal_values_shown=0,
            )
            period = (request.form.period_start.isoformat(), request.form.period_end.isoformat())
            return LookupResult(request_id, period, tuple(files))
    raise LookupRefused(refused)


async def _find(
    records: LookupRecords, indexer: BlindIndexer, kind: LookupKind, query: str
) -> tuple[list[int], str]:
    text = query.strip()
    if kind in (LookupKind.VIOLATOR, LookupKind.TELEGRAM_ID):
        try:
            number = int(text)
        except ValueError:
            raise BadLookup(f"{kind.value} must be a whole number") from None
        if not 0 < number < 2**63:
            raise BadLookup(f"{kind.value} is out of range")
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
    indexes = indexer.blind_indexes(observation_kind.value, value)
    # The audit log records the blind index, never the phone number or address itself.
    found = await records.by_blind_index(observation_kind, indexes)
    return found, f"index:{indexes[0].hex()[:16]}"


async def _file(
    records: LookupRecords, violator_id: int, start: datetime, end: datetime
) -> ViolatorFile | None:
    violator = await records.violator(violator_id)
    if violator is None:
        return None
    timeline = tuple(
        StoredObservation(
            row.id, row.kind, row.sealed.value or "", row.observed_at, row.source, row.recorded_at
        )
        for row in await records.public_timeline(violator_id)
        if not row.kind.personal
    )
    return ViolatorFile(
        violator,
        tuple(await records.cases_of(violator_id)),
        timeline,
        _counts(await records.personal_counts(violator_id, start, end)),
        _counts(await records.personal_counts(violator_id, None, None)),
    )


def _counts(by_kind: dict[ObservationKind, int]) -> SealedCounts:
    return SealedCounts(
        phones=by_kind.get(ObservationKind.PHONE, 0), ips=by_kind.get(ObservationKind.IP, 0)
    )
