"""Confirmed violators and their append-only metadata timeline (values sealed by the domain)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moderation.legal.lookup import ViolatorCase
from moderation.registry.violators import (
    ObservationKind,
    ObservationRow,
    ObservationSource,
    SealedObservation,
    SealedValue,
    ViolatorRow,
)
from storage.codec import decode_optional_time, decode_time, encode_time
from storage.reporting.targets import target_from_row
from storage.sql import Connection, Dialect, fetch_all, fetch_one, fetch_value, run

#: Values per `IN (...)` list, well under SQLite's limit on bound parameters.
IN_CHUNK = 500

_VIOLATOR = (
    "SELECT v.id, v.category, v.confirmed_at, v.last_confirmed_at, v.legal_hold, t.kind, "
    "t.username, t.chat_id, t.post_id, t.invite_hash, t.term, t.title "
    "FROM violators v JOIN targets t ON t.id = v.target_id "
)


class RegistryRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def violator(self, violator_id: int) -> ViolatorRow | None:
        row = await fetch_one(self._conn, _VIOLATOR + "WHERE v.id = ?", (violator_id,))
        return None if row is None else _violator(row)

    async def by_telegram_id(self, chat_id: int) -> list[int]:
        rows = await fetch_all(
            self._conn,
            "SELECT v.id FROM violators v JOIN targets t ON t.id = v.target_id "
            "WHERE t.chat_id = ? ORDER BY v.id",
            (chat_id,),
        )
        return [row["id"] for row in rows]

    async def by_username(self, username: str) -> list[int]:
        """Current (the target's) or past (observed) usernames, case-insensitively."""
        rows = await fetch_all(
            self._conn,
            "SELECT v.id FROM violators v JOIN targets t ON t.id = v.target_id "
            "WHERE t.username = ? UNION "
            "SELECT violator_id FROM observations WHERE kind = 'username' AND lower(value) = ? "
            "ORDER BY 1",
            (username.lower(), username.lower()),
        )
        return [row[0] for row in rows]

    async def by_blind_index(self, kind: ObservationKind, indexes: list[bytes]) -> list[int]:
        """Violators with a phone or IP whose index is any of `indexes` (one per configured
        BLIND_INDEX_KEY, so a lookup works while `keys rotate` rebuilds them)."""
        marks = ",".join("?" * len(indexes))
        rows = await fetch_all(
            self._conn,
            f"SELECT DISTINCT violator_id FROM observations WHERE blind_index IN ({marks}) "  # noqa: S608
            "AND kind = ? ORDER BY 1",
            (*indexes, kind.value),
        )
        return [row[0] for row in rows]

    async def next_observation_id(self) -> int:
        """The id the next observation gets, known before it is sealed (its ciphertext is
        bound to it). Writers are serialised, so it cannot be taken in between."""
        rows = await fetch_all(self._conn, "SELECT coalesce(max(id), 0) + 1 AS n FROM observations")
        return int(rows[0]["n"])

    async def resolve_many(self, key: str, values: list[int | str]) -> dict[int | str, int]:
        """The violators a platform export's lines are about (by violator id, telegram id or
        current username); values that are not confirmed violators are simply absent."""
        column = {"violator_id": "v.id", "telegram_id": "t.chat_id", "username": "t.username"}[key]
        found: dict[int | str, int] = {}
        for first in range(0, len(values), IN_CHUNK):
            chunk = values[first : first + IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await fetch_all(
                self._conn,
                f"SELECT {column} AS value, min(v.id) AS id FROM violators v "  # noqa: S608
                f"JOIN targets t ON t.id = v.target_id WHERE t.post_id IS NULL "
                f"AND {column} IN ({marks}) GROUP BY {column}",
                tuple(chunk),
            )
            found.update({row["value"]: row["id"] for row in rows})
        return found

    async def add_observations(self, rows: list[ObservationRow]) -> int:
        """Appends many observations in one statement; returns how many were new."""
        # PostgreSQL does not count a batch's rows; under the write lock, the dedupes already
        # stored just before are exactly the rows it skips.
        known = (
            await self.existing_dedupes([row.dedupe for row in rows])
            if self._conn.dialect is Dialect.POSTGRESQL
            else set()
        )
        added = await self._conn.run_many(
            "INSERT INTO observations (id, violator_id, kind, value, ciphertext, key_id, "
            "blind_index, observed_at, source, recorded_at, dedupe, blind_key_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING",
            [
                (
                    row.id,
                    row.violator_id,
                    row.kind.value,
                    row.sealed.value,
                    row.sealed.ciphertext,
                    row.sealed.key_id,
                    row.sealed.blind_index,
                    encode_time(row.observed_at),
                    row.source.value,
                    encode_time(row.recorded_at),
                    row.dedupe,
                    row.sealed.index_key_id,
                )
                for row in rows
            ],
        )
        if added is None:
            return len({row.dedupe for row in rows} - known)
        return added

    async def existing_dedupes(self, dedupes: list[bytes]) -> set[bytes]:
        found: set[bytes] = set()
        for first in range(0, len(dedupes), IN_CHUNK):
            chunk = dedupes[first : first + IN_CHUNK]
            rows = await fetch_all(
                self._conn,
                f"SELECT dedupe FROM observations WHERE dedupe IN ({','.join('?' * len(chunk))})",  # noqa: S608
                tuple(chunk),
            )
            found.update(row[0] for row in rows)
        return found

    async def add_observation(
        self,
        row_id: int,
        violator_id: int,
        kind: ObservationKind,
        sealed: SealedValue,
        observed_at: datetime,
        source: ObservationSource,
        recorded_at: datetime,
        dedupe: bytes,
    ) -> bool:
        """False when the same observation was recorded before (an idempotent re-import)."""
        added = await run(
            self._conn,
            "INSERT INTO observations (id, violator_id, kind, value, ciphertext, key_id, "
            "blind_index, observed_at, source, recorded_at, dedupe, blind_key_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING",
            (
                row_id,
                violator_id,
                kind.value,
                sealed.value,
                sealed.ciphertext,
                sealed.key_id,
                sealed.blind_index,
                encode_time(observed_at),
                source.value,
                encode_time(recorded_at),
                dedupe,
                sealed.index_key_id,
            ),
        )
        return added == 1

    async def latest(self, violator_id: int, kind: ObservationKind) -> str | None:
        """The most recent clear-text value of a kind (username, display name)."""
        value = await fetch_value(
            self._conn,
            "SELECT value FROM observations WHERE violator_id = ? AND kind = ? "
            "ORDER BY observed_at DESC, id DESC LIMIT 1",
            (violator_id, kind.value),
        )
        return None if value is None else str(value)

    async def timeline(self, violator_id: int) -> list[SealedObservation]:
        rows = await fetch_all(
            self._conn,
            "SELECT id, violator_id, kind, value, ciphertext, key_id, blind_index, observed_at, "
            "source, "
            "recorded_at FROM observations WHERE violator_id = ? ORDER BY observed_at, id",
            (violator_id,),
        )
        return [_observation(row) for row in rows]

    async def public_timeline(self, violator_id: int) -> list[SealedObservation]:
        """Usernames, names, devices and apps: the rows a lookup may show (never a ciphertext)."""
        rows = await fetch_all(
            self._conn,
            "SELECT id, violator_id, kind, value, NULL AS ciphertext, NULL AS key_id, "
            "NULL AS blind_index, "
            "observed_at, source, recorded_at FROM observations WHERE violator_id = ? "
            "AND kind NOT IN ('phone', 'ip') ORDER BY observed_at, id",
            (violator_id,),
        )
        return [_observation(row) for row in rows]

    async def personal_counts(
        self, violator_id: int, start: datetime | None, end: datetime | None
    ) -> dict[ObservationKind, int]:
        """How many phone numbers and IP addresses are kept, in [start, end) when given."""
        bounds = [("observed_at >= ?", start), ("observed_at < ?", end)]
        within = "".join(f" AND {test}" for test, moment in bounds if moment is not None)
        rows = await fetch_all(
            self._conn,
            "SELECT kind, count(*) AS n FROM observations WHERE violator_id = ? "  # noqa: S608
            f"AND kind IN ('phone', 'ip'){within} GROUP BY kind",
            (violator_id, *(encode_time(moment) for _, moment in bounds if moment is not None)),
        )
        return {ObservationKind(row["kind"]): row["n"] for row in rows}

    async def cases_of(self, violator_id: int) -> list[ViolatorCase]:
        rows = await fetch_all(
            self._conn,
            "SELECT case_id, category, confirmed_by, confirmed_at FROM violator_cases "
            "WHERE violator_id = ? ORDER BY confirmed_at, case_id",
            (violator_id,),
        )
        return [
            ViolatorCase(
                row["case_id"],
                row["category"],
                row["confirmed_by"],
                decode_time(row["confirmed_at"]),
            )
            for row in rows
        ]

    async def due_for_observation(self, before: datetime, limit: int) -> list[ViolatorRow]:
        """Violators the bot can re-read (a public username or a known id), least recent first."""
        rows = await fetch_all(
            self._conn,
            _VIOLATOR + "WHERE (v.last_observed_at IS NULL OR v.last_observed_at < ?) "
            "AND t.post_id IS NULL AND (t.username IS NOT NULL OR t.chat_id IS NOT NULL) "
            "AND t.kind <> 'search_term' ORDER BY v.last_observed_at IS NOT NULL, "
            "v.last_observed_at, v.id LIMIT ?",
            (encode_time(before), limit),
        )
        return [_violator(row) for row in rows]

    async def observed(self, violator_id: int, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE violators SET last_observed_at = ? WHERE id = ?",
            (encode_time(at), violator_id),
        )

    async def usernames_without_ids(self) -> list[tuple[str, int]]:
        """(username, violator id) of user-like violators whose Telegram id is not known yet."""
        rows = await fetch_all(
            self._conn,
            "SELECT t.username, v.id FROM violators v JOIN targets t ON t.id = v.target_id "
            "WHERE t.chat_id IS NULL AND t.post_id IS NULL AND t.username IS NOT NULL "
            "AND t.kind IN ('user', 'bot', 'public')",
            (),
        )
        return [(row[0], row[1]) for row in rows]

    async def ids_with_telegram_ids(self) -> list[tuple[int, int]]:
        """(telegram id, violator id) of every violator whose id is known."""
        rows = await fetch_all(
            self._conn,
            "SELECT t.chat_id, v.id FROM violators v JOIN targets t ON t.id = v.target_id "
            "WHERE t.chat_id IS NOT NULL AND t.post_id IS NULL",
            (),
        )
        return [(row[0], row[1]) for row in rows]

    async def set_hold(self, violator_id: int, hold: bool) -> bool:
        changed = await run(
            self._conn,
            "UPDATE violators SET legal_hold = ? WHERE id = ?",
            (int(hold), violator_id),
        )
        return changed == 1

    async def purge_candidates(self, confirmed_before: datetime, limit: int) -> list[int]:
        """Violators without a hold (set by hand or by an open legal request) whose last
        confirmation is older than the retention."""
        rows = await fetch_all(
            self._conn,
            "SELECT v.id FROM violators v WHERE v.legal_hold = 0 AND v.last_confirmed_at < ? "
            "AND EXISTS (SELECT 1 FROM observations o WHERE o.violator_id = v.id) "
            # An accepted legal request holds the violator's metadata until it is closed.
            "AND NOT EXISTS (SELECT 1 FROM legal_requests r WHERE r.violator_id = v.id "
            "AND r.state NOT IN ('rejected', 'closed')) "
            "ORDER BY v.id LIMIT ?",
            (encode_time(confirmed_before), limit),
        )
        return [row["id"] for row in rows]

    async def purge(self, violator_id: int) -> int:
        return await run(
            self._conn, "DELETE FROM observations WHERE violator_id = ?", (violator_id,)
        )

    async def sealed_under_other_keys(
        self, current_key_id: str, limit: int
    ) -> list[SealedObservation]:
        rows = await fetch_all(
            self._conn,
            "SELECT id, violator_id, kind, value, ciphertext, key_id, blind_index, observed_at, "
            "source, "
            "recorded_at FROM observations WHERE key_id IS NOT NULL AND key_id <> ? "
            "ORDER BY id LIMIT ?",
            (current_key_id, limit),
        )
        return [_observation(row) for row in rows]

    async def reseal(self, observation_id: int, key_id: str, ciphertext: bytes) -> None:
        await run(
            self._conn,
            "UPDATE observations SET key_id = ?, ciphertext = ? WHERE id = ?",
            (key_id, ciphertext, observation_id),
        )

    async def indexed_under_other_keys(
        self, index_key_id: str, limit: int
    ) -> list[SealedObservation]:
        rows = await fetch_all(
            self._conn,
            "SELECT id, violator_id, kind, value, ciphertext, key_id, blind_index, observed_at, "
            "source, recorded_at FROM observations WHERE blind_key_id <> ? ORDER BY id LIMIT ?",
            (index_key_id, limit),
        )
        return [_observation(row) for row in rows]

    async def reindex(
        self, observation_id: int, blind_index: bytes | None, dedupe: bytes, index_key_id: str
    ) -> None:
        await run(
            self._conn,
            "UPDATE observations SET blind_index = ?, dedupe = ?, blind_key_id = ? WHERE id = ?",
            (blind_index, dedupe, index_key_id, observation_id),
        )

    async def targets_indexed_under_other_keys(
        self, index_key_id: str, limit: int
    ) -> list[tuple[int, str, str, bytes]]:
        """(request id, target kind, key id, ciphertext) of phone/IP targets to re-index."""
        rows = await fetch_all(
            self._conn,
            "SELECT id, target_kind, target_key_id, target_cipher FROM legal_requests "
            "WHERE target_cipher IS NOT NULL AND target_blind_key_id <> ? ORDER BY id LIMIT ?",
            (index_key_id, limit),
        )
        return [
            (row["id"], row["target_kind"], row["target_key_id"], bytes(row["target_cipher"]))
            for row in rows
        ]

    async def reindex_target(self, request_id: int, blind: bytes, index_key_id: str) -> None:
        await run(
            self._conn,
            "UPDATE legal_requests SET target_blind = ?, target_blind_key_id = ? WHERE id = ?",
            (blind, index_key_id, request_id),
        )


def _violator(row: Any) -> ViolatorRow:
    return ViolatorRow(
        id=row["id"],
        target=target_from_row(row),
        category=row["category"],
        confirmed_at=decode_time(row["confirmed_at"]),
        last_confirmed_at=decode_optional_time(row["last_confirmed_at"]),
        legal_hold=bool(row["legal_hold"]),
    )


def _observation(row: Any) -> SealedObservation:
    return SealedObservation(
        id=row["id"],
        violator_id=row["violator_id"],
        kind=ObservationKind(row["kind"]),
        sealed=SealedValue(row["value"], row["ciphertext"], row["key_id"], row["blind_index"]),
        observed_at=decode_time(row["observed_at"]),
        source=ObservationSource(row["source"]),
        recorded_at=decode_time(row["recorded_at"]),
    )
