"""Disclosures as kept (sealed), the observations they open, and the disclosure ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moderation.legal.ledger import EntryKind, LedgerEntry
from moderation.legal.types import StoredDisclosure
from moderation.registry.violators import (
    ObservationKind,
    ObservationSource,
    SealedObservation,
    SealedValue,
)
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_one, run


class DisclosureRows:
    """`moderation/legal/ports.py: DisclosureRecords`; one part of `LegalRepository`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def personal_observations(
        self, violator_id: int, start: datetime, end: datetime
    ) -> list[SealedObservation]:
        """Phone numbers and IP addresses observed in [start, end); nothing else is asked for."""
        rows = await fetch_all(
            self._conn,
            "SELECT id, violator_id, kind, ciphertext, key_id, blind_index, observed_at, source, "
            "recorded_at FROM observations WHERE violator_id = ? AND kind IN ('phone', 'ip') "
            "AND observed_at >= ? AND observed_at < ? ORDER BY observed_at, id",
            (violator_id, encode_time(start), encode_time(end)),
        )
        return [
            SealedObservation(
                id=row["id"],
                violator_id=row["violator_id"],
                kind=ObservationKind(row["kind"]),
                sealed=SealedValue(
                    None, bytes(row["ciphertext"]), row["key_id"], bytes(row["blind_index"])
                ),
                observed_at=decode_time(row["observed_at"]),
                source=ObservationSource(row["source"]),
                recorded_at=decode_time(row["recorded_at"]),
            )
            for row in rows
        ]

    async def add_disclosure(self, disclosure: StoredDisclosure) -> None:
        await run(
            self._conn,
            "INSERT INTO disclosures (request_id, ciphertext, key_id, content_sha256, phones, "
            "ips, disclosed_to, disclosed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                disclosure.request_id,
                disclosure.ciphertext,
                disclosure.key_id,
                disclosure.content_sha256,
                disclosure.phones,
                disclosure.ips,
                disclosure.disclosed_to,
                encode_time(disclosure.disclosed_at),
            ),
        )

    async def disclosure(self, request_id: int) -> StoredDisclosure | None:
        row = await fetch_one(
            self._conn,
            f"SELECT {DISCLOSURE_COLUMNS} FROM disclosures WHERE request_id = ?",  # noqa: S608
            (request_id,),
        )
        return disclosure_of(row) if row is not None else None

    async def disclosures(self) -> list[StoredDisclosure]:
        rows = await fetch_all(
            self._conn,
            f"SELECT {DISCLOSURE_COLUMNS} FROM disclosures ORDER BY request_id",  # noqa: S608
        )
        return [disclosure_of(row) for row in rows]

    async def ledger_last(self) -> LedgerEntry | None:
        row = await fetch_one(
            self._conn,
            f"SELECT {_LEDGER} FROM disclosure_ledger ORDER BY seq DESC LIMIT 1",  # noqa: S608
        )
        return _entry(row) if row is not None else None

    async def add_ledger_entry(self, entry: LedgerEntry) -> None:
        await run(
            self._conn,
            f"INSERT INTO disclosure_ledger ({_LEDGER}) "  # noqa: S608 - constant columns
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.seq,
                entry.kind.value,
                entry.request_id,
                entry.violator_id,
                entry.country,
                entry.period_start,
                entry.period_end,
                entry.disclosed_at,
                entry.disclosed_to,
                entry.content_sha256,
                entry.prev_hash,
                entry.entry_hash,
                entry.key_id,
                entry.votes,
            ),
        )

    async def ledger(self) -> list[LedgerEntry]:
        """By sequence number; a reordering or deletion shows as a break in the chain."""
        rows = await fetch_all(
            self._conn,
            f"SELECT {_LEDGER} FROM disclosure_ledger ORDER BY seq",  # noqa: S608
        )
        return [_entry(row) for row in rows]

    async def recorded_as_disclosed(self) -> set[int]:
        """Requests the audit log or the request's state says were disclosed: each must have
        its ledger entry (the audit log has its own append-only triggers)."""
        rows = await fetch_all(
            self._conn,
            "SELECT CAST(subject_id AS BIGINT) AS id FROM audit_log "
            "WHERE action = 'legal.disclosed' AND subject_type = 'legal_request' "
            "UNION SELECT id FROM legal_requests WHERE state = 'disclosed'",
        )
        return {int(row["id"]) for row in rows}


DISCLOSURE_COLUMNS = (
    "request_id, ciphertext, key_id, content_sha256, phones, ips, disclosed_to, disclosed_at"
)
_LEDGER = (
    "seq, kind, request_id, violator_id, country, period_start, period_end, disclosed_at, "
    "disclosed_to, content_sha256, prev_hash, entry_hash, key_id, votes"
)


def disclosure_of(row: Any) -> StoredDisclosure:
    return StoredDisclosure(
        request_id=row["request_id"],
        key_id=row["key_id"],
        ciphertext=bytes(row["ciphertext"]),
        content_sha256=row["content_sha256"],
        phones=row["phones"],
        ips=row["ips"],
        disclosed_to=row["disclosed_to"],
        disclosed_at=decode_time(row["disclosed_at"]),
    )


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        seq=row["seq"],
        kind=EntryKind(row["kind"]),
        request_id=row["request_id"],
        violator_id=row["violator_id"],
        country=row["country"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        disclosed_at=row["disclosed_at"],
        disclosed_to=row["disclosed_to"],
        content_sha256=row["content_sha256"],
        prev_hash=row["prev_hash"],
        entry_hash=row["entry_hash"],
        key_id=row["key_id"],
        votes=row["votes"],
    )
