"""The console's rows (sessions, init data seen, viewers; migration 0029) and what it reads of
cases, reports, appeals and the audit log. The same SQL on both engines. Reporters' ids are
never selected."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from moderation.console.types import (
    AppealLine,
    ConsoleSession,
    EarlierCase,
    ReportLine,
    TrailLine,
    Viewer,
)
from storage.codec import decode_optional_time, decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_one, fetch_value, run

_VIEWERS = "SELECT case_id, user_id, name FROM console_viewers WHERE case_id IN "
_TRAIL = (
    "SELECT at, action, actor_id FROM audit_log WHERE subject_type = 'case' "
    "AND subject_id = ? AND action IN "
)


def _marks(values: Collection[object]) -> str:
    return ", ".join("?" for _ in values)


class ConsoleRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def purge(self, now: datetime, viewers_before: datetime) -> None:
        """Drops expired sessions, init data too old to open one anyway, and stale views."""
        at = encode_time(now)
        await run(self._conn, "DELETE FROM console_sessions WHERE expires_at < ?", (at,))
        await run(self._conn, "DELETE FROM console_init_data WHERE keep_until < ?", (at,))
        await run(
            self._conn,
            "DELETE FROM console_viewers WHERE seen_at < ?",
            (encode_time(viewers_before),),
        )

    async def remember_init_data(
        self, digest: str, user_id: int, at: datetime, until: datetime
    ) -> bool:
        """False when this init data was seen already (a replay)."""
        added = await run(
            self._conn,
            "INSERT INTO console_init_data (hash, user_id, used_at, keep_until) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
            (digest, user_id, encode_time(at), encode_time(until)),
        )
        return added == 1

    async def open_session(self, token_hash: str, session: ConsoleSession) -> None:
        await run(
            self._conn,
            "INSERT INTO console_sessions (token_hash, user_id, name, language, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                token_hash,
                session.user_id,
                session.name,
                session.language,
                encode_time(session.created_at),
                encode_time(session.expires_at),
            ),
        )

    async def session(self, token_hash: str) -> ConsoleSession | None:
        row = await fetch_one(
            self._conn,
            "SELECT user_id, name, language, created_at, expires_at FROM console_sessions "
            "WHERE token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return ConsoleSession(
            int(row["user_id"]),
            row["name"],
            row["language"],
            decode_time(row["created_at"]),
            decode_time(row["expires_at"]),
        )

    async def viewing(self, case_id: int, user_id: int, name: str, at: datetime) -> None:
        await run(
            self._conn,
            "INSERT INTO console_viewers (case_id, user_id, name, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (case_id, user_id) DO UPDATE SET name = excluded.name, "
            "seen_at = excluded.seen_at",
            (case_id, user_id, name, encode_time(at)),
        )

    async def viewers(self, case_ids: Collection[int], since: datetime) -> dict[int, list[Viewer]]:
        if not case_ids:
            return {}
        ids = list(case_ids)
        sql = f"{_VIEWERS}({_marks(ids)}) AND seen_at >= ? ORDER BY case_id, seen_at, user_id"
        rows = await fetch_all(
            self._conn,
            sql,
            (*ids, encode_time(since)),
        )
        found: dict[int, list[Viewer]] = {}
        for row in rows:
            found.setdefault(int(row["case_id"]), []).append(
                Viewer(int(row["user_id"]), row["name"])
            )
        return found

    async def reports(self, case_id: int, limit: int) -> list[ReportLine]:
        rows = await fetch_all(
            self._conn,
            "SELECT query, comment, created_at FROM reports WHERE case_id = ? "
            "ORDER BY created_at, id LIMIT ?",
            (case_id, limit),
        )
        return [
            ReportLine(row["query"], row["comment"], decode_time(row["created_at"])) for row in rows
        ]

    async def earlier_cases(self, case_id: int, limit: int) -> list[EarlierCase]:
        rows = await fetch_all(
            self._conn,
            "SELECT o.id, o.status, o.category, o.decision_category, o.opened_at, o.decided_at "
            "FROM cases c JOIN cases o ON o.target_id = c.target_id AND o.id <> c.id "
            "WHERE c.id = ? ORDER BY o.id DESC LIMIT ?",
            (case_id, limit),
        )
        return [
            EarlierCase(
                int(row["id"]),
                row["status"],
                row["category"],
                row["decision_category"],
                decode_optional_time(row["decided_at"]) or decode_time(row["opened_at"]),
            )
            for row in rows
        ]

    async def appeals(self, case_id: int, limit: int) -> list[AppealLine]:
        rows = await fetch_all(
            self._conn,
            "SELECT a.id, a.status, a.created_at, a.decided_at FROM cases c "
            "JOIN cases o ON o.target_id = c.target_id JOIN appeals a ON a.case_id = o.id "
            "WHERE c.id = ? ORDER BY a.id DESC LIMIT ?",
            (case_id, limit),
        )
        return [
            AppealLine(
                int(row["id"]),
                row["status"],
                decode_time(row["created_at"]),
                decode_optional_time(row["decided_at"]),
            )
            for row in rows
        ]

    async def trail(self, case_id: int, actions: Collection[str], limit: int) -> list[TrailLine]:
        wanted = sorted(actions)
        sql = f"{_TRAIL}({_marks(wanted)}) ORDER BY id LIMIT ?"
        rows = await fetch_all(
            self._conn,
            sql,
            (str(case_id), *wanted, limit),
        )
        return [
            TrailLine(
                decode_time(row["at"]),
                row["action"],
                None if row["actor_id"] is None else int(row["actor_id"]),
            )
            for row in rows
        ]

    async def inbound_since(self, since: datetime) -> int:
        found = await fetch_value(
            self._conn,
            "SELECT count(*) FROM reports WHERE created_at >= ?",
            (encode_time(since),),
        )
        return int(found or 0)

    async def decided_since(self, since: datetime) -> list[float]:
        """Seconds from first report to decision of each case decided since then."""
        rows = await fetch_all(
            self._conn,
            "SELECT opened_at, decided_at FROM cases WHERE status <> 'pending' "
            "AND decided_at >= ? ORDER BY decided_at DESC LIMIT 5000",
            (encode_time(since),),
        )
        return [
            (decode_time(row["decided_at"]) - decode_time(row["opened_at"])).total_seconds()
            for row in rows
        ]
