"""People who talked to the bot."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from moderation.reporting.people import KnownUser
from storage.codec import decode_time, encode_time
from storage.sql import Connection, fetch_all, fetch_one, fetch_value, run


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def touch(
        self,
        user_id: int,
        language_code: str | None,
        at: datetime,
        username: str | None = None,
    ) -> None:
        """Records a visit; a missing language code keeps the one we knew.

        `username` is the sender's current @username (None: they have none now), kept so an
        admin can name them as @username. Telegram usernames are unique at any moment, so
        whoever held the name before loses it here.
        """
        when = encode_time(at)
        if username is not None:
            await run(
                self._conn,
                "UPDATE users SET username = NULL "
                "WHERE lower(username) = lower(?) AND user_id != ?",
                (username, user_id),
            )
        await run(
            self._conn,
            "INSERT INTO users (user_id, language_code, first_seen_at, last_seen_at, username) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET "
            "language_code = coalesce(excluded.language_code, users.language_code), "
            "last_seen_at = CASE WHEN users.last_seen_at > excluded.last_seen_at "
            "THEN users.last_seen_at ELSE excluded.last_seen_at END, "
            "username = excluded.username",
            (user_id, language_code, when, when, username),
        )

    async def id_by_username(self, username: str) -> int | None:
        """Who last used this @username with the bot (case-insensitive, without the @)."""
        value = await fetch_value(
            self._conn,
            "SELECT user_id FROM users WHERE lower(username) = lower(?) "
            "ORDER BY last_seen_at DESC LIMIT 1",
            (username.removeprefix("@"),),
        )
        return None if value is None else int(value)

    async def usernames(self, user_ids: Iterable[int]) -> dict[int, str]:
        """The known @usernames (without the @) of these users; unknown ones are left out."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        sql = (
            f"SELECT user_id, username FROM users WHERE user_id IN ({marks}) "  # noqa: S608
            "AND username IS NOT NULL"  # (only placeholders are formatted in)
        )
        rows = await fetch_all(self._conn, sql, ids)
        return {row["user_id"]: row["username"] for row in rows}

    async def get(self, user_id: int) -> KnownUser | None:
        row = await fetch_one(
            self._conn,
            "SELECT user_id, language_code, first_seen_at, last_seen_at FROM users "
            "WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return KnownUser(
            user_id=row["user_id"],
            language_code=row["language_code"],
            first_seen_at=decode_time(row["first_seen_at"]),
            last_seen_at=decode_time(row["last_seen_at"]),
        )

    async def set_notify(self, user_id: int, enabled: bool, at: datetime) -> None:
        when = encode_time(at)
        await run(
            self._conn,
            "INSERT INTO users (user_id, language_code, first_seen_at, last_seen_at, "
            "notify_outcomes) VALUES (?, NULL, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET notify_outcomes = excluded.notify_outcomes",
            (user_id, when, when, int(enabled)),
        )

    async def notify_enabled(self, user_id: int) -> bool:
        """Reporters hear about outcomes unless they said /notify off."""
        value = await fetch_value(
            self._conn, "SELECT notify_outcomes FROM users WHERE user_id = ?", (user_id,)
        )
        return True if value is None else bool(value)

    async def language_of(self, user_id: int) -> str | None:
        known = await self.get(user_id)
        return known.language_code if known else None
