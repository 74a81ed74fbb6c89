"""Claims on pending cases (`review_claims`, migration 0028) and the queue's order, the same
SQL on both engines: which case /review and the console serve next, and to whom it is served.

Serving runs in the write transaction, so on PostgreSQL the advisory write lock
(storage/postgres.py) and on SQLite the one writer put two serves one after the other: the
second reads the first's claim and picks another case.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from moderation.review.ports import Severity
from moderation.review.types import ClaimHolder, Moderator, QueuedCase, QueueFilter
from storage.codec import decode_time, encode_time
from storage.reporting.targets import target_from_row
from storage.sql import Connection, fetch_all, fetch_value, per_dialect, run


class ClaimRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def expire(self, now: datetime) -> int:
        """Deletes the claims and skips whose time is over."""
        return await run(
            self._conn, "DELETE FROM review_claims WHERE claimed_until <= ?", (encode_time(now),)
        )

    def _categories(self) -> str:
        return per_dialect(
            self._conn,
            sqlite="(SELECT value FROM json_each(?))",
            postgresql="(SELECT json_array_elements_text(?::json))",
        )

    async def ordered(
        self,
        *,
        now: datetime,
        filters: QueueFilter,
        severity: Severity | None,
        limit: int,
        serving: Moderator | None = None,
        only: int | None = None,
    ) -> list[QueuedCase]:
        """Pending cases in the queue's order: overdue severe ones first, then priority, then
        the oldest first report, then id. `serving`: only those this moderator may decide and
        neither claimed by someone else nor skipped by them. `only`: that case or nothing."""
        params: list[Any] = []
        if severity is not None and severity.categories:
            overdue = (
                f"CASE WHEN c.opened_at < ? AND c.category IN {self._categories()} "
                "THEN 1 ELSE 0 END"
            )
            params += [encode_time(severity.opened_before), json.dumps(sorted(severity.categories))]
        else:
            overdue = "0"
        where = ["c.status = 'pending'"]
        if only is not None:
            where.append("c.id = ?")
            params.append(only)
        if filters.category is not None:
            where.append("c.category = ?")
            params.append(filters.category)
        if filters.state == "pending":
            where.append("c.escalated_at IS NULL")
        elif filters.state == "escalated":
            where.append("c.escalated_at IS NOT NULL")
        elif filters.state == "provisional":
            where.append("c.provisionally_hidden_at IS NOT NULL")
        if filters.min_age is not None:
            where.append("c.opened_at <= ?")
            params.append(encode_time(now - filters.min_age))
        if filters.max_age is not None:
            where.append("c.opened_at >= ?")
            params.append(encode_time(now - filters.max_age))
        if filters.kind is not None:
            where.append("t.kind = ?")
            params.append(filters.kind)
        if serving is not None:
            may = []
            if serving.reviews:
                may.append("c.escalated_at IS NULL")
            if serving.is_admin or serving.is_legal:
                may.append("c.escalated_at IS NOT NULL")
            if not may:
                return []
            where.append("(" + " OR ".join(may) + ")")
            where.append(
                "NOT EXISTS (SELECT 1 FROM review_claims k WHERE k.case_id = c.id "
                "AND k.claimed_until > ? AND ((k.kind = 'claim' AND k.moderator_id <> ?) "
                "OR (k.kind = 'skip' AND k.moderator_id = ?)))"
            )
            params += [encode_time(now), serving.user_id, serving.user_id]
        params.append(limit)
        # The order is picked on the cases' own columns; the counts only for the rows kept.
        order = "overdue DESC, {0}priority DESC, {0}opened_at, {0}id"
        rows = await fetch_all(
            self._conn,
            "SELECT q.*, (SELECT count(*) FROM reports r WHERE r.case_id = q.id) AS reports, "  # noqa: S608
            "(SELECT count(DISTINCT reporter_id) FROM reports r WHERE r.case_id = q.id) "
            "AS reporters FROM (SELECT c.id, c.category, c.priority, c.opened_at, "
            f"c.escalated_at, c.provisionally_hidden_at, {overdue} AS overdue, t.kind, "
            "t.username, t.chat_id, t.post_id, t.invite_hash, t.term, t.title "
            "FROM cases c JOIN targets t ON t.id = c.target_id "
            f"WHERE {' AND '.join(where)} ORDER BY {order.format('c.')} LIMIT ?) q "
            f"ORDER BY {order.format('q.')}",
            tuple(params),
        )
        return [
            QueuedCase(
                case_id=int(row["id"]),
                category=row["category"],
                priority=int(row["priority"]),
                target=target_from_row(row),
                reports=int(row["reports"]),
                reporters=int(row["reporters"]),
                first_report_at=decode_time(row["opened_at"]),
                escalated=row["escalated_at"] is not None,
                provisional=row["provisionally_hidden_at"] is not None,
                overdue=bool(row["overdue"]),
            )
            for row in rows
        ]

    async def held(self, moderator_id: int, via: str, now: datetime) -> int | None:
        """The case this moderator holds a live claim on through `via`, if any."""
        value = await fetch_value(
            self._conn,
            "SELECT case_id FROM review_claims WHERE moderator_id = ? AND via = ? "
            "AND kind = 'claim' AND claimed_until > ? ORDER BY claimed_at DESC LIMIT 1",
            (moderator_id, via, encode_time(now)),
        )
        return None if value is None else int(value)

    async def _put(
        self, kind: str, case_id: int, moderator: Moderator, via: str, at: datetime, until: datetime
    ) -> None:
        await run(
            self._conn,
            "INSERT INTO review_claims (case_id, moderator_id, moderator_name, kind, via, "
            "claimed_at, claimed_until) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (case_id, moderator_id) DO UPDATE SET "
            "moderator_name = excluded.moderator_name, kind = excluded.kind, via = excluded.via, "
            "claimed_at = excluded.claimed_at, claimed_until = excluded.claimed_until",
            (
                case_id,
                moderator.user_id,
                moderator.name,
                kind,
                via,
                encode_time(at),
                encode_time(until),
            ),
        )

    async def claim(
        self, case_id: int, moderator: Moderator, via: str, at: datetime, until: datetime
    ) -> None:
        """The case is this moderator's until `until` (a skip of theirs on it becomes it)."""
        await self._put("claim", case_id, moderator, via, at, until)

    async def skip(
        self, case_id: int, moderator: Moderator, via: str, at: datetime, until: datetime
    ) -> None:
        """Replaces this moderator's claim on the case (if any) by a skip until `until`."""
        await self._put("skip", case_id, moderator, via, at, until)

    async def release(self, case_id: int, moderator_id: int) -> bool:
        return (
            await run(
                self._conn,
                "DELETE FROM review_claims WHERE case_id = ? AND moderator_id = ? "
                "AND kind = 'claim'",
                (case_id, moderator_id),
            )
            > 0
        )

    async def release_all(self, moderator_id: int, via: str) -> list[int]:
        """Releases every claim this moderator holds through `via`; the cases released."""
        rows = await fetch_all(
            self._conn,
            "DELETE FROM review_claims WHERE moderator_id = ? AND via = ? AND kind = 'claim' "
            "RETURNING case_id",
            (moderator_id, via),
        )
        return sorted(int(row["case_id"]) for row in rows)

    async def holders(self, case_ids: Collection[int], now: datetime) -> dict[int, ClaimHolder]:
        """Who holds a live claim on each of these cases (cases nobody holds are left out)."""
        if not case_ids:
            return {}
        rows = await fetch_all(
            self._conn,
            "SELECT case_id, moderator_id, moderator_name, via, claimed_until "  # noqa: S608
            "FROM review_claims WHERE kind = 'claim' AND claimed_until > ? AND case_id IN "
            + per_dialect(
                self._conn,
                sqlite="(SELECT value FROM json_each(?))",
                postgresql="(SELECT json_array_elements_text(?::json)::bigint)",
            ),
            (encode_time(now), json.dumps(sorted(set(case_ids)))),
        )
        return {
            int(row["case_id"]): ClaimHolder(
                user_id=int(row["moderator_id"]),
                name=row["moderator_name"],
                via=row["via"],
                until=decode_time(row["claimed_until"]),
            )
            for row in rows
        }
