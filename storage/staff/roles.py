"""Roles admins granted from the bot (the bootstrap ones live in the settings), and the legal
and admin grants proposed by one admin that wait for a second one (migration 0024), each legal
or admin one with its seal (migration 0025; moderation/staff/grant_seals.py).

`role_grants` holds roles in force only: a pending grant lives in `pending_grants` until it is
confirmed, so nothing that reads roles can mistake it for one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from moderation.staff.grant_seals import GrantSeal
from moderation.staff.roles import PendingGrant, Role, RoleGrant
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, run

_GRANT_COLUMNS: Final = (
    "user_id, role, granted_by, granted_at, confirmed_by, confirmed_at, legacy, seal, seal_key_id"
)
_PENDING_COLUMNS: Final = "user_id, role, proposed_by, proposed_at, seal, seal_key_id"


def _grant(row: Any) -> RoleGrant:
    confirmed_at = row["confirmed_at"]
    return RoleGrant(
        user_id=row["user_id"],
        role=Role(row["role"]),
        granted_by=row["granted_by"],
        granted_at=decode_time(row["granted_at"]),
        confirmed_by=row["confirmed_by"],
        confirmed_at=None if confirmed_at is None else decode_time(confirmed_at),
        legacy=bool(row["legacy"]),
        seal=row["seal"],
        seal_key_id=row["seal_key_id"],
    )


def _pending(row: Any) -> PendingGrant:
    return PendingGrant(
        user_id=row["user_id"],
        role=Role(row["role"]),
        proposed_by=row["proposed_by"],
        proposed_at=decode_time(row["proposed_at"]),
        seal=row["seal"],
        seal_key_id=row["seal_key_id"],
    )


class RoleRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def granted_roles(self, user_id: int) -> frozenset[Role]:
        rows = await fetch_all(
            self._conn, "SELECT role FROM role_grants WHERE user_id = ?", (user_id,)
        )
        return frozenset(Role(row["role"]) for row in rows)

    async def grant(
        self,
        user_id: int,
        role: Role,
        *,
        by: int,
        at: datetime,
        confirmed_by: int | None = None,
        confirmed_at: datetime | None = None,
        seal: GrantSeal | None = None,
    ) -> bool:
        """Puts a role in force (`by`/`at`: who proposed it and when; `confirmed_by`/
        `confirmed_at`: the second admin; `seal`: a legal or admin grant's seal). Returns False
        when the user had that role already."""
        added = await run(
            self._conn,
            "INSERT INTO role_grants (user_id, role, granted_by, granted_at, confirmed_by, "
            "confirmed_at, seal, seal_key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id, role) DO NOTHING",
            (
                user_id,
                role.value,
                by,
                encode_time(at),
                confirmed_by,
                None if confirmed_at is None else encode_time(confirmed_at),
                None if seal is None else seal.seal,
                None if seal is None else seal.key_id,
            ),
        )
        return added == 1

    async def revoke(self, user_id: int, role: Role) -> bool:
        """Returns False when the user did not have that granted role."""
        removed = await run(
            self._conn,
            "DELETE FROM role_grants WHERE user_id = ? AND role = ?",
            (user_id, role.value),
        )
        return removed > 0

    async def grants(self) -> list[RoleGrant]:
        rows = await fetch_all(
            self._conn,
            f"SELECT {_GRANT_COLUMNS} FROM role_grants ORDER BY role, user_id",  # noqa: S608 - constant column list
        )
        return [_grant(row) for row in rows]

    async def grant_record(self, user_id: int, role: Role) -> RoleGrant | None:
        """The grant a user holds a role by (None: not by a grant)."""
        rows = await fetch_all(
            self._conn,
            f"SELECT {_GRANT_COLUMNS} FROM role_grants WHERE user_id = ? AND role = ?",  # noqa: S608 - constant column list
            (user_id, role.value),
        )
        return _grant(rows[0]) if rows else None

    async def holders(self, role: Role) -> frozenset[int]:
        rows = await fetch_all(
            self._conn, "SELECT user_id FROM role_grants WHERE role = ?", (role.value,)
        )
        return frozenset(row["user_id"] for row in rows)

    # --- grants waiting for a second admin ---------------------------------------------------

    async def propose(
        self, user_id: int, role: Role, *, by: int, at: datetime, seal: GrantSeal | None = None
    ) -> None:
        """Records (or renews, replacing a lapsed one) a proposed grant, with its seal."""
        await run(
            self._conn,
            "INSERT INTO pending_grants (user_id, role, proposed_by, proposed_at, seal, "
            "seal_key_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, role) DO UPDATE SET "
            "proposed_by = excluded.proposed_by, proposed_at = excluded.proposed_at, "
            "seal = excluded.seal, seal_key_id = excluded.seal_key_id",
            (
                user_id,
                role.value,
                by,
                encode_time(at),
                None if seal is None else seal.seal,
                None if seal is None else seal.key_id,
            ),
        )

    async def pending(self, user_id: int, role: Role) -> PendingGrant | None:
        """The proposed grant of that role (lapsed or not: the caller checks)."""
        rows = await fetch_all(
            self._conn,
            f"SELECT {_PENDING_COLUMNS} FROM pending_grants WHERE user_id = ? AND role = ?",  # noqa: S608 - constant column list
            (user_id, role.value),
        )
        return _pending(rows[0]) if rows else None

    async def pending_grants(self) -> list[PendingGrant]:
        rows = await fetch_all(
            self._conn,
            f"SELECT {_PENDING_COLUMNS} FROM pending_grants ORDER BY proposed_at, user_id",  # noqa: S608 - constant column list
        )
        return [_pending(row) for row in rows]

    async def withdraw(self, user_id: int, role: Role) -> bool:
        """Drops a proposed grant; False when there was none."""
        removed = await run(
            self._conn,
            "DELETE FROM pending_grants WHERE user_id = ? AND role = ?",
            (user_id, role.value),
        )
        return removed > 0
