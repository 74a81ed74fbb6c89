"""`report-bot keys rotate`: every sealed value under the current ENCRYPTION_KEY, every blind
index under the current BLIND_INDEX_KEY.

Each batch is its own transaction and picks what is not yet under the current key, so a
rotation killed half way loses nothing and the next run carries on where it stopped. Values are
opened and sealed again in memory, bound to the same row; nothing is shown. Hashes (documents,
disclosures, the ledger) are over the plaintext, so they stay valid.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from moderation.legal.drafts import DRAFT_PREFIX, DraftState, resealed_draft, sealed_under
from moderation.legal.ports import LegalRekeyRecords
from moderation.legal.sealed_parts import observation_kind
from moderation.legal.types import SealedDocument, TargetKind
from moderation.ports import AuditTrail
from moderation.registry.violators import (
    Observation,
    RegistryRecords,
    SealedObservation,
    Sealer,
    dedupe_key,
    opened,
    rotate_keys,
)
from moderation.sealing import (
    disclosure_context,
    document_context,
    target_context,
    update_context,
)


class RekeySealer(Sealer, Protocol):
    @property
    def current_key_id(self) -> str: ...


class JournalRecords(Protocol):
    async def journal_under_other_keys(
        self, key_id: str, limit: int
    ) -> list[tuple[int, int, str, bytes]]: ...
    async def reseal_journal(
        self, bot_id: int, update_id: int, key_id: str, blob: bytes
    ) -> None: ...


class IndexRecords(RegistryRecords, Protocol):
    async def indexed_under_other_keys(
        self, index_key_id: str, limit: int
    ) -> list[SealedObservation]: ...
    async def reindex(
        self, observation_id: int, blind_index: bytes | None, dedupe: bytes, index_key_id: str
    ) -> None: ...
    async def targets_indexed_under_other_keys(
        self, index_key_id: str, limit: int
    ) -> list[tuple[int, str, str, bytes]]: ...
    async def reindex_target(self, request_id: int, blind: bytes, index_key_id: str) -> None: ...


class RekeyUnit(Protocol):
    @property
    def legal(self) -> LegalRekeyRecords: ...
    @property
    def seals(self) -> JournalRecords: ...
    @property
    def registry(self) -> IndexRecords: ...
    @property
    def state(self) -> DraftState: ...
    @property
    def audit(self) -> AuditTrail: ...


class RekeyStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RekeyUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[RekeyUnit]: ...


@dataclass(frozen=True, slots=True)
class Rotation:
    observations: int
    legal: int  # disclosures, phone/IP targets, order documents
    journal: int
    drafts: int
    indexes: int

    @property
    def total(self) -> int:
        return self.observations + self.legal + self.journal + self.drafts + self.indexes


async def rotate_everything(
    store: RekeyStore, sealer: RekeySealer, now: datetime, batch: int = 200
) -> Rotation:
    """Re-seals every sealed column under the current key, then re-indexes under the current
    BLIND_INDEX_KEY. Safe to run again; resumes after a kill."""
    observations = await rotate_keys(store, sealer, now, batch)
    legal = await rotate_legal_keys(store, sealer, sealer.current_key_id, batch)
    journal = await rotate_journal(store, sealer, batch)
    drafts = await rotate_drafts(store, sealer)
    indexes = await rotate_index_key(store, sealer, now, batch)
    return Rotation(observations, legal, journal, drafts, indexes)


async def rotate_legal_keys(
    store: RekeyStore, sealer: Sealer, current_key_id: str, batch: int = 100
) -> int:
    """Kept disclosures, phone/IP request targets and order documents."""
    total = 0
    while True:
        async with store.transaction() as uow:
            disclosures = await uow.legal.sealed_under_other_keys(current_key_id, batch)
            for stored in disclosures:
                context = disclosure_context(stored.request_id)
                plain = sealer.decrypt_bytes(stored.key_id, stored.ciphertext, context)
                key_id, blob = sealer.encrypt_bytes(plain, context)
                await uow.legal.reseal(stored.request_id, key_id, blob)
            targets = await uow.legal.targets_under_other_keys(current_key_id, batch)
            for request_id, kind, old_key, blob in targets:
                context = target_context(request_id, kind.value)
                key_id, sealed = sealer.encrypt(sealer.decrypt(old_key, blob, context), context)
                await uow.legal.reseal_target(request_id, key_id, sealed)
            documents = await uow.legal.documents_under_other_keys(current_key_id, batch)
            for request_id, document in documents:
                await _reseal_document(uow.legal, sealer, request_id, document)
        done = len(disclosures) + len(targets) + len(documents)
        total += done
        if not done:
            return total


async def _reseal_document(
    records: LegalRekeyRecords, sealer: Sealer, request_id: int, document: SealedDocument
) -> None:
    assert document.key_id is not None  # documents still in clear are re-sealed by the upgrade
    context = document_context(request_id, document.sha256)
    content = sealer.decrypt_bytes(document.key_id, document.blob, context)
    key_id, blob = sealer.encrypt_bytes(content, context)
    await records.reseal_document(request_id, key_id, blob)


async def rotate_journal(store: RekeyStore, sealer: RekeySealer, batch: int = 200) -> int:
    """Updates kept until handled: after the old key is dropped, one left under it could not
    be read and would be lost."""
    total = 0
    while True:
        async with store.transaction() as uow:
            rows = await uow.seals.journal_under_other_keys(sealer.current_key_id, batch)
            # Every bot's: update ids are numbered per bot, so two rows may share one.
            for bot_id, update_id, old_key, payload in rows:
                context = update_context(update_id)
                plain = sealer.decrypt_bytes(old_key, payload, context)
                key_id, blob = sealer.encrypt_bytes(plain, context)
                await uow.seals.reseal_journal(bot_id, update_id, key_id, blob)
        total += len(rows)
        if len(rows) < batch:
            return total


async def rotate_drafts(store: RekeyStore, sealer: RekeySealer) -> int:
    """Legal officers' registrations in progress (few: one per officer at most)."""
    count = 0
    async with store.transaction() as uow:
        for key, value, saved_at in await uow.state.with_prefix(DRAFT_PREFIX):
            if sealed_under(value) == sealer.current_key_id:
                continue
            user_id = int(key.removeprefix(DRAFT_PREFIX))
            again = resealed_draft(sealer, user_id, value)
            if again is None:
                await uow.state.delete(key)  # it does not open: dropped, as when read
            else:
                await uow.state.put(key, again, saved_at)
            count += 1
    return count


async def rotate_index_key(
    store: RekeyStore, sealer: RekeySealer, now: datetime, batch: int = 200
) -> int:
    """Rebuilds blind indexes and dedupe keys made under an older BLIND_INDEX_KEY."""
    current = sealer.current_index_key_id
    total = 0
    while True:
        async with store.transaction() as uow:
            rows = await uow.registry.indexed_under_other_keys(current, batch)
            for row in rows:
                value = opened(sealer, row).value
                observation = Observation(row.kind, value, row.observed_at, row.source)
                index = sealer.blind_index(row.kind.value, value) if row.kind.personal else None
                dedupe = dedupe_key(sealer, row.violator_id, observation)
                await uow.registry.reindex(row.id, index, dedupe, current)
            targets = await uow.registry.targets_indexed_under_other_keys(current, batch)
            for request_id, kind, key_id, blob in targets:
                observed = observation_kind(TargetKind(kind))
                value = sealer.decrypt(key_id, blob, target_context(request_id, kind))
                await uow.registry.reindex_target(
                    request_id, sealer.blind_index(observed.value, value), current
                )
            if rows or targets:
                await uow.audit.append(
                    at=now,
                    actor_id=None,
                    action="registry.index_key_rotated",
                    details={"after": current, "values": len(rows) + len(targets)},
                )
        total += len(rows) + len(targets)
        if len(rows) < batch and len(targets) < batch:
            return total
