"""The menu open on each case's post (`case_menus`, migration 0027), the same SQL on both
engines: what every instance's redraw of the post shows (moderation/review/menus.py)."""

from __future__ import annotations

from datetime import datetime

from moderation.review.types import Menu, OpenMenu
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_one, run


class MenuRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def open(self, case_id: int, menu: Menu, at: datetime, until: datetime) -> None:
        await run(
            self._conn,
            "INSERT INTO case_menus (case_id, menu, opened_at, open_until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (case_id) DO UPDATE SET menu = excluded.menu, "
            "opened_at = excluded.opened_at, open_until = excluded.open_until",
            (case_id, menu.value, encode_time(at), encode_time(until)),
        )

    async def close(self, case_id: int, *, expired_before: datetime | None = None) -> bool:
        """Closes the case's menu (only if it was open until before `expired_before`, when
        given); False when there was none to close."""
        if expired_before is None:
            return await run(self._conn, "DELETE FROM case_menus WHERE case_id = ?", (case_id,)) > 0
        closed = await run(
            self._conn,
            "DELETE FROM case_menus WHERE case_id = ? AND open_until < ?",
            (case_id, encode_time(expired_before)),
        )
        return closed > 0

    async def of(self, case_id: int) -> OpenMenu | None:
        row = await fetch_one(
            self._conn, "SELECT menu, open_until FROM case_menus WHERE case_id = ?", (case_id,)
        )
        if row is None:
            return None
        return OpenMenu(case_id, Menu(row["menu"]), decode_time(row["open_until"]))

    async def expired(self, now: datetime) -> list[tuple[int, bool]]:
        """(case id, still pending) of every menu left open past its time, oldest first."""
        rows = await fetch_all(
            self._conn,
            "SELECT m.case_id, c.status = 'pending' AS pending FROM case_menus m "
            "JOIN cases c ON c.id = m.case_id WHERE m.open_until < ? "
            "ORDER BY m.open_until, m.case_id",
            (encode_time(now),),
        )
        return [(int(row["case_id"]), bool(row["pending"])) for row in rows]
