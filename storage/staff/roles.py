"""Roles admins granted from the bot (the bootstrap ones live in the settings)."""

from __future__ import annotations

from datetime import datetime

from moderation.staff.roles import Role, RoleGrant
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, run


class RoleRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def granted_roles(self, user_id: int) -> frozenset[Role]:
        rows = await fetch_all(
            self._conn, "SELECT role FROM role_grants WHERE user_id = ?", (user_id,)
        )
        return frozenset(Role(row["role"]) for row in rows)

    async def grant(self, user_id: int, role: Role, *, by: int, at: datetime) -> bool:
        """Returns False when the user had that role already."""
        added = await run(
            self._conn,
            "INSERT INTO role_grants (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id, role) DO NOTHING",
            (user_id, role.value, by, encode_time(at)),
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
            "SELECT user_id, role, granted_by, granted_at FROM role_grants ORDER BY role, user_id",
        )
        return [
            RoleGrant(
                user_id=row["user_id"],
                role=Role(row["role"]),
                granted_by=row["granted_by"],
                granted_at=decode_time(row["granted_at"]),
            )
            for row in rows
        ]

    async def holders(self, role: Role) -> frozenset[int]:
        rows = await fetch_all(
            self._conn, "SELECT user_id FROM role_grants WHERE role = ?", (role.value,)
        )
        return frozenset(row["user_id"] for row in rows)

    async def granted_at(self, user_id: int, role: Role) -> datetime | None:
        """When the role a user holds by grant was granted (None: not granted)."""
        rows = await fetch_all(
            self._conn,
            "SELECT granted_at FROM role_grants WHERE user_id = ? AND role = ?",
            (user_id, role.value),
        )
        return decode_time(rows[0]["granted_at"]) if rows else None
