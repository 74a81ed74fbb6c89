"""Legal requests, their order documents and their votes."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from moderation.legal.types import (
    CheckResult,
    LegalRequest,
    OrderType,
    RequestForm,
    RequestState,
    SealedDocument,
    Target,
    TargetKind,
    Vote,
)
from moderation.legal.vote_seals import VoteSeal
from moderation.registry.violators import SealedValue
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_one, fetch_value, run

_REQUEST_COLUMNS = (
    "r.id, r.authority, r.country, r.reference, r.order_type, r.issued_on, r.offence, "
    "r.target_kind, r.target_value, r.target_cipher, r.target_key_id, r.target_blind, "
    "r.period_start, r.period_end, r.state, r.violator_id, r.checks, r.analysis, "
    "r.override_reason, r.registered_by, r.registered_at, r.rejected_reason, d.sha256"
)


class LegalRequestRows:
    """`moderation/legal/ports.py: LegalRequestRecords`; one part of `LegalRepository`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def duplicate_of(self, country: str, authority: str, reference: str) -> int | None:
        value = await fetch_value(
            self._conn,
            "SELECT id FROM legal_requests WHERE country = ? AND authority = ? AND reference = ?",
            (country, authority, reference),
        )
        return int(value) if value is not None else None

    async def next_request_id(self) -> int:
        """The id the next request gets, known before its target and document are sealed
        (they are bound to it). Writers are serialised, so it cannot be taken in between."""
        value = await fetch_value(self._conn, "SELECT coalesce(max(id), 0) + 1 FROM legal_requests")
        return int(value) if value is not None else 1

    async def add_request(
        self,
        request_id: int,
        form: RequestForm,
        sealed: SealedValue | None,
        registered_by: int,
        at: datetime,
    ) -> None:
        await run(
            self._conn,
            "INSERT INTO legal_requests (id, authority, country, reference, order_type, "
            "issued_on, offence, target_kind, target_value, target_cipher, target_key_id, "
            "target_blind, target_blind_key_id, period_start, period_end, registered_by, "
            "registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                form.authority,
                form.country,
                form.reference,
                form.order_type.value,
                form.issued_on.isoformat(),
                form.offence,
                form.target.kind.value,
                None if sealed is not None else form.target.value,
                sealed.ciphertext if sealed is not None else None,
                sealed.key_id if sealed is not None else None,
                sealed.blind_index if sealed is not None else None,
                sealed.index_key_id if sealed is not None else None,
                form.period_start.isoformat(),
                form.period_end.isoformat(),
                registered_by,
                encode_time(at),
            ),
        )

    async def add_document(self, request_id: int, document: SealedDocument, at: datetime) -> None:
        await run(
            self._conn,
            "INSERT INTO legal_documents (request_id, file_name, mime_type, size, sha256, "
            "content, key_id, telegram_file_id, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                document.file_name,
                document.mime_type,
                len(document.blob),
                document.sha256,
                document.blob,
                document.key_id,
                document.telegram_file_id,
                encode_time(at),
            ),
        )

    async def document(self, request_id: int) -> SealedDocument | None:
        row = await fetch_one(
            self._conn,
            f"SELECT {DOCUMENT_COLUMNS} FROM legal_documents WHERE request_id = ?",  # noqa: S608
            (request_id,),
        )
        return None if row is None else document_of(row)

    async def request(self, request_id: int) -> LegalRequest | None:
        row = await fetch_one(
            self._conn,
            f"SELECT {_REQUEST_COLUMNS} FROM legal_requests r "  # noqa: S608 - constant columns
            "LEFT JOIN legal_documents d ON d.request_id = r.id WHERE r.id = ?",
            (request_id,),
        )
        if row is None:
            return None
        return _request(row, await self._votes(request_id))

    async def open_requests(self, limit: int) -> list[LegalRequest]:
        rows = await fetch_all(
            self._conn,
            f"SELECT {_REQUEST_COLUMNS} FROM legal_requests r "  # noqa: S608 - constant columns
            "LEFT JOIN legal_documents d ON d.request_id = r.id "
            "WHERE r.state NOT IN ('rejected', 'closed') ORDER BY r.id LIMIT ?",
            (limit,),
        )
        return [_request(row, await self._votes(row["id"])) for row in rows]

    async def _votes(self, request_id: int) -> tuple[Vote, ...]:
        rows = await fetch_all(
            self._conn,
            "SELECT id, officer_id, decision, reason, decided_at, voided_at, voided_reason, "
            "seal, seal_key_id FROM legal_approvals WHERE request_id = ? ORDER BY id",
            (request_id,),
        )
        return tuple(
            Vote(
                id=row["id"],
                officer_id=row["officer_id"],
                approve=row["decision"] == "approve",
                reason=row["reason"],
                at=decode_time(row["decided_at"]),
                voided_at=decode_time(row["voided_at"]) if row["voided_at"] else None,
                voided_reason=row["voided_reason"],
                seal=row["seal"],
                seal_key_id=row["seal_key_id"],
            )
            for row in rows
        )

    async def set_analysis(
        self,
        request_id: int,
        *,
        violator_id: int | None,
        checks: tuple[CheckResult, ...],
        state: RequestState,
    ) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET violator_id = ?, checks = ?, state = ? WHERE id = ?",
            (
                violator_id,
                json.dumps([c.to_json() for c in checks]),
                state.value,
                request_id,
            ),
        )

    async def write_analysis(self, request_id: int, text: str, by: int, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET analysis = ?, analysis_by = ?, analysis_at = ? WHERE id = ?",
            (text, by, encode_time(at), request_id),
        )

    async def set_override(self, request_id: int, reason: str, by: int, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET override_reason = ?, override_by = ?, override_at = ? "
            "WHERE id = ?",
            (reason, by, encode_time(at), request_id),
        )

    async def add_vote(
        self,
        request_id: int,
        officer_id: int,
        approve: bool,
        reason: str | None,
        at: datetime,
        seal: VoteSeal,
    ) -> bool:
        added = await run(
            self._conn,
            "INSERT INTO legal_approvals (request_id, officer_id, decision, reason, decided_at, "
            "seal, seal_key_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (request_id, officer_id) WHERE voided_at IS NULL DO NOTHING",
            (
                request_id,
                officer_id,
                "approve" if approve else "reject",
                reason,
                encode_time(at),
                seal.seal,
                seal.key_id,
            ),
        )
        return added == 1

    async def void_votes(self, vote_ids: list[int], reason: str, at: datetime) -> None:
        for vote_id in vote_ids:
            await run(
                self._conn,
                "UPDATE legal_approvals SET voided_at = ?, voided_reason = ? "
                "WHERE id = ? AND voided_at IS NULL",
                (encode_time(at), reason, vote_id),
            )

    async def live_approvals_by(self, officer_id: int) -> list[int]:
        """Requests this officer's live approval counts toward."""
        rows = await fetch_all(
            self._conn,
            "SELECT request_id FROM legal_approvals WHERE officer_id = ? AND decision = 'approve' "
            "AND voided_at IS NULL ORDER BY request_id",
            (officer_id,),
        )
        return [row["request_id"] for row in rows]

    async def set_state(self, request_id: int, state: RequestState) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET state = ? WHERE id = ?",
            (state.value, request_id),
        )

    async def reject(self, request_id: int, reason: str, by: int, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET state = 'rejected', rejected_reason = ?, rejected_by = ?, "
            "rejected_at = ? WHERE id = ?",
            (reason, by, encode_time(at), request_id),
        )

    async def close(self, request_id: int, by: int | None, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET state = 'closed', closed_by = ?, closed_at = ? WHERE id = ?",
            (by, encode_time(at), request_id),
        )


DOCUMENT_COLUMNS = "file_name, mime_type, sha256, key_id, content, telegram_file_id"


def document_of(row: Any) -> SealedDocument:
    return SealedDocument(
        file_name=row["file_name"],
        mime_type=row["mime_type"],
        sha256=row["sha256"],
        key_id=row["key_id"],
        blob=bytes(row["content"]),
        telegram_file_id=row["telegram_file_id"],
    )


def _request(row: Any, votes: tuple[Vote, ...]) -> LegalRequest:
    kind = TargetKind(row["target_kind"])
    sealed = None
    if row["target_cipher"] is not None:
        sealed = SealedValue(
            None, bytes(row["target_cipher"]), row["target_key_id"], bytes(row["target_blind"])
        )
    form = RequestForm(
        authority=row["authority"],
        country=row["country"],
        reference=row["reference"],
        order_type=OrderType(row["order_type"]),
        issued_on=date.fromisoformat(row["issued_on"]),
        offence=row["offence"],
        # A phone or IP stays sealed here; the domain opens it for a legal officer.
        target=Target(kind, row["target_value"] or ""),
        period_start=date.fromisoformat(row["period_start"]),
        period_end=date.fromisoformat(row["period_end"]),
    )
    return LegalRequest(
        id=row["id"],
        form=form,
        state=RequestState(row["state"]),
        violator_id=row["violator_id"],
        checks=tuple(CheckResult.from_json(c) for c in json.loads(row["checks"])),
        analysis=row["analysis"],
        override_reason=row["override_reason"],
        registered_by=row["registered_by"],
        registered_at=decode_time(row["registered_at"]),
        rejected_reason=row["rejected_reason"],
        document_sha256=row["sha256"],
        votes=votes,
        target_sealed=sealed,
    )
