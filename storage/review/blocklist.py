"""The search blocklist (`search_blocklist`): targets hidden from the platform's search, each
entry owned by the case that hid it, confirmed by an approval or provisional while pending."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.codec import encode_time
from storage.sql import Connection, fetch_all, run


class BlocklistRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def hide_target(self, case_id: int, category: str, at: datetime) -> None:
        """Confirms the hiding (a provisional entry of this case becomes confirmed)."""
        await run(
            self._conn,
            "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at) "
            "SELECT t.id, t.key, c.id, ?, ? FROM cases c JOIN targets t ON t.id = c.target_id "
            "WHERE c.id = ? ON CONFLICT (target_id) DO UPDATE SET provisional = 0, "
            "category = excluded.category, hidden_at = excluded.hidden_at "
            "WHERE search_blocklist.case_id = excluded.case_id "
            "AND search_blocklist.provisional = 1",
            (category, encode_time(at), case_id),
        )

    async def hide_provisionally(self, case_id: int, at: datetime) -> bool:
        """Hides a pending case's target until a moderator decides; False if already hidden."""
        added = await run(
            self._conn,
            "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at, "
            "provisional) SELECT t.id, t.key, c.id, c.category, ?, 1 FROM cases c "
            "JOIN targets t ON t.id = c.target_id WHERE c.id = ? "
            "ON CONFLICT (target_id) DO NOTHING",
            (encode_time(at), case_id),
        )
        return added == 1

    async def lift_provisional(self, case_id: int) -> bool:
        lifted = await run(
            self._conn,
            "DELETE FROM search_blocklist WHERE case_id = ? AND provisional = 1",
            (case_id,),
        )
        return lifted == 1

    async def remove_case(self, case_id: int) -> None:
        """Removes the case's entry, confirmed or provisional (entries of other cases stay)."""
        await run(self._conn, "DELETE FROM search_blocklist WHERE case_id = ?", (case_id,))

    async def restore_provisional(self, case_id: int) -> None:
        """Puts back the provisional entry the case had before its decision, if it had one,
        dated when it was first hidden."""
        await run(
            self._conn,
            "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at, "
            "provisional) SELECT t.id, t.key, c.id, c.category, c.provisionally_hidden_at, 1 "
            "FROM cases c JOIN targets t ON t.id = c.target_id "
            "WHERE c.id = ? AND c.provisionally_hidden_at IS NOT NULL "
            "ON CONFLICT (target_id) DO NOTHING",
            (case_id,),
        )

    async def entries(self) -> list[dict[str, Any]]:
        """Every hidden target, for the platform's search (`report-bot blocklist export`)."""
        rows = await fetch_all(
            self._conn,
            "SELECT b.target_key, t.kind, t.username, t.chat_id AS telegram_id, t.post_id, "
            "b.category, b.provisional, b.case_id, b.hidden_at FROM search_blocklist b "
            "JOIN targets t ON t.id = b.target_id ORDER BY b.hidden_at, b.target_id",
            (),
        )
        return [{**dict(row), "provisional": bool(row["provisional"])} for row in rows]
