"""The `instances` and `leases` tables (migration 0020), the same SQL on both engines.

A lease is taken or renewed by one conditional upsert: it succeeds for its holder, or for
anyone once it expired, and the database's write serialisation (SQLite's writer lock,
PostgreSQL's write lock) makes two instances asking at once get one answer each, one yes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moderation.instances import Instance, Lease, LeaseName, Mode
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_one, run


class InstanceRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def register(self, instance: Instance) -> None:
        await run(
            self._conn,
            "INSERT INTO instances (id, host, pid, mode, version, started_at, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                instance.id,
                instance.host,
                instance.pid,
                instance.mode.value,
                instance.version,
                encode_time(instance.started_at),
                encode_time(instance.seen_at),
            ),
        )

    async def seen(self, instance_id: str, at: datetime) -> bool:
        """Still alive; False when the row is gone or was marked stopped (never revived)."""
        changed = await run(
            self._conn,
            "UPDATE instances SET seen_at = ? WHERE id = ? AND stopped_at IS NULL",
            (encode_time(at), instance_id),
        )
        return changed == 1

    async def stopped(self, instance_id: str, at: datetime) -> None:
        await run(
            self._conn,
            "UPDATE instances SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
            (encode_time(at), instance_id),
        )

    async def live(self, seen_since: datetime) -> list[Instance]:
        """Instances not stopped and seen since then, the longest-running first."""
        rows = await fetch_all(
            self._conn,
            "SELECT * FROM instances WHERE stopped_at IS NULL AND seen_at >= ? "
            "ORDER BY started_at, id",
            (encode_time(seen_since),),
        )
        return [_instance(row) for row in rows]

    async def forget_stopped_before(self, before: datetime) -> int:
        """Rows of instances that stopped or died long ago (kept a while for /health)."""
        return await run(
            self._conn,
            "DELETE FROM instances WHERE coalesce(stopped_at, seen_at) < ?",
            (encode_time(before),),
        )


class LeaseRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def take(self, name: LeaseName, holder: str, at: datetime, until: datetime) -> bool:
        """Takes the lease or renews it until `until`; False while another holds it."""
        now = encode_time(at)
        changed = await run(
            self._conn,
            "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
            "acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ? "
            "THEN leases.acquired_at ELSE excluded.acquired_at END, "
            "expires_at = excluded.expires_at "
            "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?",
            (name.value, holder, now, encode_time(until), now, now),
        )
        return changed == 1

    async def give_up(self, name: LeaseName, holder: str) -> None:
        """A holder stopping hands the lease on at once instead of letting it expire."""
        await run(
            self._conn,
            "DELETE FROM leases WHERE name = ? AND holder = ?",
            (name.value, holder),
        )

    async def get(self, name: LeaseName) -> Lease | None:
        row = await fetch_one(self._conn, "SELECT * FROM leases WHERE name = ?", (name.value,))
        if row is None:
            return None
        return Lease(
            LeaseName(row["name"]),
            row["holder"],
            decode_time(row["acquired_at"]),
            decode_time(row["expires_at"]),
        )


def _instance(row: Any) -> Instance:
    return Instance(
        id=row["id"],
        host=row["host"],
        pid=int(row["pid"]),
        mode=Mode(row["mode"]),
        version=row["version"],
        started_at=decode_time(row["started_at"]),
        seen_at=decode_time(row["seen_at"]),
    )
