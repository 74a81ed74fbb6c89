"""The rows migration 0018 listed as sealed before the binding, and re-sealing them."""

from __future__ import annotations

from typing import Any, Final

from moderation.sealing import LegacySealed
from storage.codec import decode_time
from storage.sql import Connection, fetch_all, run

#: Per table: the query for a listed row's sealed value and context fields, and its update.
_READ: Final = {
    "observations": (
        "SELECT id AS row_id, key_id, ciphertext AS blob, violator_id, kind, observed_at "
        "FROM observations WHERE id = ?"
    ),
    "disclosures": (
        "SELECT request_id AS row_id, key_id, ciphertext AS blob FROM disclosures "
        "WHERE request_id = ?"
    ),
    "legal_requests": (
        "SELECT id AS row_id, target_key_id AS key_id, target_cipher AS blob, target_kind "
        "FROM legal_requests WHERE id = ? AND target_cipher IS NOT NULL"
    ),
    "legal_documents": (
        "SELECT request_id AS row_id, key_id, content AS blob, sha256 FROM legal_documents "
        "WHERE request_id = ?"
    ),
    # Listed rows predate migration 0026: all of the unrecorded bot, 0 (storage/updates.py).
    "update_journal": (
        "SELECT update_id AS row_id, key_id, payload AS blob FROM update_journal "
        "WHERE bot_id = 0 AND update_id = ? AND payload IS NOT NULL"
    ),
}
_WRITE: Final = {
    "observations": "UPDATE observations SET key_id = ?, ciphertext = ? WHERE id = ?",
    "disclosures": "UPDATE disclosures SET key_id = ?, ciphertext = ? WHERE request_id = ?",
    "legal_requests": (
        "UPDATE legal_requests SET target_key_id = ?, target_cipher = ? WHERE id = ?"
    ),
    "legal_documents": ("UPDATE legal_documents SET key_id = ?, content = ? WHERE request_id = ?"),
    "update_journal": (
        "UPDATE update_journal SET key_id = ?, payload = ? WHERE bot_id = 0 AND update_id = ?"
    ),
}


class SealRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def legacy(self, limit: int) -> list[LegacySealed]:
        listed = await fetch_all(
            self._conn,
            "SELECT table_name, row_id FROM sealed_before_binding "
            "ORDER BY table_name, row_id LIMIT ?",
            (limit,),
        )
        found: list[LegacySealed] = []
        for entry in listed:
            table, row_id = str(entry["table_name"]), int(entry["row_id"])
            rows = await fetch_all(self._conn, _READ[table], (row_id,))
            if not rows:  # purged or released since: nothing left to re-seal
                await self.settled(table, row_id)
                continue
            row = rows[0]
            found.append(
                LegacySealed(
                    table=table,
                    row_id=row_id,
                    key_id=row["key_id"],
                    blob=bytes(row["blob"]),
                    fields=_fields(table, row),
                )
            )
        return found

    async def reseal(self, table: str, row_id: int, key_id: str, blob: bytes) -> None:
        await run(self._conn, _WRITE[table], (key_id, blob, row_id))

    async def settled(self, table: str, row_id: int) -> None:
        await run(
            self._conn,
            "DELETE FROM sealed_before_binding WHERE table_name = ? AND row_id = ?",
            (table, row_id),
        )

    async def journal_under_other_keys(
        self, key_id: str, limit: int
    ) -> list[tuple[int, int, str, bytes]]:
        """(bot id, update id, key id, payload) of journaled updates, every bot's, sealed
        under an older key."""
        rows = await fetch_all(
            self._conn,
            "SELECT bot_id, update_id, key_id, payload FROM update_journal "
            "WHERE payload IS NOT NULL AND key_id IS NOT NULL AND key_id <> ? "
            "AND NOT (bot_id = 0 AND update_id IN (SELECT row_id FROM sealed_before_binding "
            "WHERE table_name = 'update_journal')) ORDER BY bot_id, update_id LIMIT ?",
            (key_id, limit),
        )
        return [
            (row["bot_id"], row["update_id"], row["key_id"], bytes(row["payload"])) for row in rows
        ]

    async def reseal_journal(self, bot_id: int, update_id: int, key_id: str, blob: bytes) -> None:
        await run(
            self._conn,
            "UPDATE update_journal SET key_id = ?, payload = ? WHERE bot_id = ? AND update_id = ?",
            (key_id, blob, bot_id, update_id),
        )

    async def pending(self) -> int:
        rows = await fetch_all(self._conn, "SELECT count(*) AS n FROM sealed_before_binding")
        return int(rows[0]["n"])


def _fields(table: str, row: Any) -> dict[str, Any]:
    if table == "observations":
        return {
            "violator_id": row["violator_id"],
            "kind": row["kind"],
            "observed_at": decode_time(row["observed_at"]),
        }
    if table == "legal_requests":
        return {"target_kind": row["target_kind"]}
    if table == "legal_documents":
        return {"sha256": row["sha256"]}
    return {}
