"""The legal rows sealed under an older ENCRYPTION_KEY, and sealing them again
(`report-bot keys rotate`)."""

from __future__ import annotations

from moderation.legal.types import SealedDocument, StoredDisclosure, TargetKind
from storage.legal.disclosures import DISCLOSURE_COLUMNS, disclosure_of
from storage.legal.requests import DOCUMENT_COLUMNS, document_of
from storage.sql import Connection, fetch_all, run


class LegalRekeyRows:
    """`moderation/legal/ports.py: LegalRekeyRecords`; one part of `LegalRepository`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def documents_under_other_keys(
        self, key_id: str, limit: int
    ) -> list[tuple[int, SealedDocument]]:
        rows = await fetch_all(
            self._conn,
            f"SELECT request_id, {DOCUMENT_COLUMNS} FROM legal_documents "  # noqa: S608
            "WHERE key_id IS NOT NULL AND key_id <> ? ORDER BY request_id LIMIT ?",
            (key_id, limit),
        )
        return [(row["request_id"], document_of(row)) for row in rows]

    async def reseal_document(self, request_id: int, key_id: str, blob: bytes) -> None:
        await run(
            self._conn,
            "UPDATE legal_documents SET key_id = ?, content = ? WHERE request_id = ?",
            (key_id, blob, request_id),
        )

    async def sealed_under_other_keys(self, key_id: str, limit: int) -> list[StoredDisclosure]:
        rows = await fetch_all(
            self._conn,
            f"SELECT {DISCLOSURE_COLUMNS} FROM disclosures WHERE key_id != ? "  # noqa: S608
            "ORDER BY request_id LIMIT ?",
            (key_id, limit),
        )
        return [disclosure_of(row) for row in rows]

    async def reseal(self, request_id: int, key_id: str, ciphertext: bytes) -> None:
        await run(
            self._conn,
            "UPDATE disclosures SET key_id = ?, ciphertext = ? WHERE request_id = ?",
            (key_id, ciphertext, request_id),
        )

    async def targets_under_other_keys(
        self, key_id: str, limit: int
    ) -> list[tuple[int, TargetKind, str, bytes]]:
        """(request id, kind, key id, ciphertext) of phone/IP targets sealed under older keys."""
        rows = await fetch_all(
            self._conn,
            "SELECT id, target_kind, target_key_id, target_cipher FROM legal_requests "
            "WHERE target_cipher IS NOT NULL AND target_key_id != ? ORDER BY id LIMIT ?",
            (key_id, limit),
        )
        return [
            (row["id"], TargetKind(row["target_kind"]), row["target_key_id"], row["target_cipher"])
            for row in rows
        ]

    async def reseal_target(self, request_id: int, key_id: str, ciphertext: bytes) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET target_key_id = ?, target_cipher = ? WHERE id = ?",
            (key_id, ciphertext, request_id),
        )
