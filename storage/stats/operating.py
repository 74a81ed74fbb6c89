"""Counts for operating the bot (/health and the metrics): cheap aggregates, no rows loaded.

Totals that only grow (reports, decisions) are read incrementally by row id: the caller keeps
the last id it has counted and asks only for what came after it, so a scrape costs a range
scan of the new rows, not a pass over millions of old ones.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moderation.stats.operating import CountsAfter
from storage.sql import Connection, fetch_all, fetch_value


@dataclass(frozen=True, slots=True)
class DatabaseSize:
    file_bytes: int
    wal_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.file_bytes + self.wal_bytes


def database_size(path: Path) -> DatabaseSize:
    """The database file and its write-ahead log on disk (a missing file counts as 0)."""
    return DatabaseSize(_size(path), _size(path.with_name(path.name + "-wal")))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class OperatingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def server_database_bytes(self) -> int:
        """PostgreSQL's size of this database on the server (WAL is the server's, not ours)."""
        return int(await fetch_value(self._conn, "SELECT pg_database_size(current_database())"))

    async def reports_after(self, report_id: int) -> CountsAfter:
        """Reports filed after `report_id`, by category (reports are never deleted)."""
        rows = await fetch_all(
            self._conn,
            "SELECT category, count(*) AS n, max(id) AS last_id FROM reports WHERE id > ? "
            "GROUP BY category",
            (report_id,),
        )
        return _counts_after(rows, report_id)

    async def audit_actions_after(self, audit_id: int, actions: Collection[str]) -> CountsAfter:
        """Audit entries after `audit_id` with one of `actions`, by action. `last_id` moves
        past every entry read, so entries of other actions are not scanned again."""
        wanted = sorted(actions)
        marks = ", ".join("?" for _ in wanted)
        rows = await fetch_all(
            self._conn,
            f"SELECT action AS category, count(*) AS n, NULL AS last_id FROM audit_log "  # noqa: S608 - placeholders only
            f"WHERE id > ? AND action IN ({marks}) GROUP BY action",
            (audit_id, *wanted),
        )
        last = await fetch_value(self._conn, "SELECT max(id) FROM audit_log", ())
        counts = {row["category"]: int(row["n"]) for row in rows}
        return CountsAfter(max(audit_id, int(last or 0)), counts)

    async def cases_by_status(self) -> dict[str, int]:
        rows = await fetch_all(
            self._conn, "SELECT status, count(*) AS n FROM cases GROUP BY status", ()
        )
        return {row["status"]: int(row["n"]) for row in rows}

    async def outbox_pending(self) -> int:
        """Messages owed to users that have not gone out yet (retries included)."""
        value = await fetch_value(
            self._conn, "SELECT count(*) FROM outbox WHERE status = 'pending'", ()
        )
        return int(value)


def _counts_after(rows: list[Any], after: int) -> CountsAfter:
    counts = {row["category"]: int(row["n"]) for row in rows}
    last = max((int(row["last_id"]) for row in rows), default=after)
    return CountsAfter(last, counts)
