"""What each ciphertext is bound to: the row it belongs to, as AES-GCM associated data.

A phone number sealed for violator 7, observed on 2019-03-01, row 412 opens only as that row.
Copied into a row of another violator, or of the same violator at another time, it fails to
open, and is reported, never disclosed. No key is needed to move a ciphertext, so this binding
is what stops someone with write access to the database from making the bot disclose one
person's phone number as another's.

Rows sealed before the binding (migration 0018 lists them) are opened the old way once and
sealed again, bound (`upgrade_seals`, run at start-up, by `migrate` and by `keys rotate`).
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from moderation.clock import utc_text

#: How rows were bound before migration 0018: by their kind alone.
_LEGACY_OBSERVATION_KINDS = frozenset({"phone", "ip"})


def _context(*parts: object) -> str:
    return json.dumps(parts, separators=(",", ":"))


def observation_context(row_id: int, violator_id: int, kind: str, observed_at: datetime) -> str:
    return _context("observation", row_id, violator_id, kind, utc_text(observed_at))


def disclosure_context(request_id: int) -> str:
    return _context("disclosure", request_id)


def target_context(request_id: int, kind: str) -> str:
    return _context("legal_target", request_id, kind)


def document_context(request_id: int, sha256: str) -> str:
    return _context("legal_document", request_id, sha256)


def draft_context(user_id: int) -> str:
    return _context("legal_draft", user_id)


def update_context(update_id: int) -> str:
    return _context("update", update_id)


# --- re-sealing what was sealed before the binding ------------------------------------------


@dataclass(frozen=True, slots=True)
class LegacySealed:
    """A row from before the binding: its ciphertext (or, for a document, its clear bytes)."""

    table: str
    row_id: int
    key_id: str | None  # None: stored in clear (order documents before migration 0018)
    blob: bytes
    fields: dict[str, Any]  # what its context is made of (violator, kind, time, sha256, ...)


class Cipher(Protocol):
    def encrypt_bytes(self, data: bytes, context: str) -> tuple[str, bytes]: ...
    def decrypt_bytes(self, key_id: str, blob: bytes, context: str) -> bytes: ...


class SealRecords(Protocol):
    async def legacy(self, limit: int) -> list[LegacySealed]: ...
    async def reseal(self, table: str, row_id: int, key_id: str, blob: bytes) -> None: ...
    async def settled(self, table: str, row_id: int) -> None: ...


class SealUnit(Protocol):
    @property
    def seals(self) -> SealRecords: ...


class SealStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[SealUnit]: ...


@dataclass(frozen=True, slots=True)
class Upgrade:
    resealed: int
    unopenable: tuple[str, ...]  # "observations 12": rows that did not open the old way


def legacy_context(row: LegacySealed) -> str:
    if row.table == "observations":
        return str(row.fields["kind"])
    if row.table == "legal_requests":
        kind = str(row.fields["target_kind"])
        return kind if kind in _LEGACY_OBSERVATION_KINDS else "ip"
    if row.table == "update_journal":
        return "update_journal"
    return "disclosure"


def bound_context(row: LegacySealed) -> str:
    fields = row.fields
    if row.table == "observations":
        return observation_context(
            row.row_id, int(fields["violator_id"]), str(fields["kind"]), fields["observed_at"]
        )
    if row.table == "disclosures":
        return disclosure_context(row.row_id)
    if row.table == "legal_requests":
        return target_context(row.row_id, str(fields["target_kind"]))
    if row.table == "legal_documents":
        return document_context(row.row_id, str(fields["sha256"]))
    return update_context(row.row_id)


async def upgrade_seals(store: SealStore, cipher: Cipher, batch: int = 200) -> Upgrade:
    """Re-seals every row sealed before the binding, in batches (each its own transaction, so
    a kill loses nothing and the next run goes on). A row that does not open the old way is
    taken off the list and named: it stays as it is and never opens (changed, or its key is
    missing)."""
    resealed = 0
    unopenable: list[str] = []
    while True:
        async with store.transaction() as uow:
            rows = await uow.seals.legacy(batch)
            for row in rows:
                try:
                    if row.key_id is None:
                        plain = row.blob
                    else:
                        plain = cipher.decrypt_bytes(row.key_id, row.blob, legacy_context(row))
                except Exception:  # any failure to open is reported, not fatal
                    unopenable.append(f"{row.table} {row.row_id}")
                else:
                    key_id, blob = cipher.encrypt_bytes(plain, bound_context(row))
                    await uow.seals.reseal(row.table, row.row_id, key_id, blob)
                    resealed += 1
                await uow.seals.settled(row.table, row.row_id)
        if len(rows) < batch:
            return Upgrade(resealed, tuple(unopenable))
