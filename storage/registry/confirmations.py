"""Which cases confirm which violator (`violator_cases`) and the violator row's columns that
summarise them. What an undo removes is decided by the domain (moderation/review/undo.py);
these methods do exactly what they are told."""

from __future__ import annotations

from datetime import datetime

from storage.codec import encode_time
from storage.sql import Connection, fetch_value, run


class ConfirmationRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def confirm(self, case_id: int, category: str, by: int, at: datetime) -> None:
        """One violator per target; every confirming case is linked to it."""
        when = encode_time(at)
        await run(
            self._conn,
            "INSERT INTO violators (target_id, category, case_id, confirmed_by, confirmed_at, "
            "last_confirmed_at) SELECT target_id, ?, id, ?, ?, ? FROM cases WHERE id = ? "
            "ON CONFLICT (target_id) DO UPDATE SET last_confirmed_at = CASE WHEN "
            "violators.last_confirmed_at > excluded.last_confirmed_at "
            "THEN violators.last_confirmed_at ELSE excluded.last_confirmed_at END",
            (category, by, when, when, case_id),
        )
        await run(
            self._conn,
            "INSERT INTO violator_cases (violator_id, case_id, category, confirmed_by, "
            "confirmed_at) SELECT v.id, c.id, ?, ?, ? FROM cases c "
            "JOIN violators v ON v.target_id = c.target_id WHERE c.id = ? "
            "ON CONFLICT DO NOTHING",
            (category, by, when, case_id),
        )

    async def violator_of(self, case_id: int) -> int | None:
        """The violator this case confirmed, if it did."""
        value = await fetch_value(
            self._conn, "SELECT violator_id FROM violator_cases WHERE case_id = ?", (case_id,)
        )
        return None if value is None else int(value)

    async def unlink(self, case_id: int) -> None:
        await run(self._conn, "DELETE FROM violator_cases WHERE case_id = ?", (case_id,))

    async def set_span(
        self, violator_id: int, first_case: int, last_confirmed_at: datetime
    ) -> None:
        """The violator's first confirming case and its latest confirmation."""
        await run(
            self._conn,
            "UPDATE violators SET case_id = ?, last_confirmed_at = ? WHERE id = ?",
            (first_case, encode_time(last_confirmed_at), violator_id),
        )

    async def delete_violator(self, violator_id: int) -> None:
        """Deletes the violator row; its links and observations must be gone first."""
        await run(self._conn, "DELETE FROM violators WHERE id = ?", (violator_id,))
