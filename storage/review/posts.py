"""The review-chat message of each case (`case_posts`): what the delivery worker sends or
edits next, and what Telegram is known to show."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Final

from moderation.review.case_copies import PostRef
from moderation.review.types import PostTask
from storage.codec import encode_time
from storage.sql import (
    Connection,
    fetch_all,
    fetch_one,
    fetch_value,
    matching,
    per_dialect,
    run,
)

#: Posts due now (parameters: `_due_params`) ...
_DUE: Final = (
    "SELECT p.case_id, p.message_id, p.chat_id, c.version, p.attempts, "
    "p.requested_at IS NOT NULL AS requested, c.status <> 'pending' AS decided "
    "FROM case_posts p JOIN cases c ON c.id = p.case_id "
    "WHERE p.next_attempt_at <= ? AND (p.message_id IS NULL OR p.recheck_at <= ? OR "
    "(p.shown_version < c.version AND (p.edited_at IS NULL OR p.edited_at <= ? "
    "OR c.status <> 'pending'))) "
    # A case decided before it was ever posted (in a private chat, the console) is not posted
    # at all: the review chat's budget goes to cases still open. A send already begun is
    # settled as before (Telegram may have the message).
    "AND (p.message_id IS NOT NULL OR c.status = 'pending' OR p.send_started_at IS NOT NULL "
    "OR p.sends_unsettled > 0)"
)
#: ... most urgent first (the caller adds the LIMIT).
_URGENT_FIRST: Final = (
    " ORDER BY CASE WHEN p.message_id IS NULL AND p.requested_at IS NOT NULL THEN 0 "
    "WHEN p.message_id IS NOT NULL AND c.status <> 'pending' THEN 1 "
    "WHEN p.message_id IS NULL THEN 2 ELSE 3 END, c.priority DESC, p.case_id"
)


def _due_params(now: datetime, edit_before: datetime) -> tuple[str, str, str]:
    return (encode_time(now), encode_time(now), encode_time(edit_before))


def _task(row: Any) -> PostTask:
    return PostTask(
        case_id=row["case_id"],
        message_id=row["message_id"],
        chat_id=row["chat_id"],
        version=row["version"],
        attempts=row["attempts"],
        requested=bool(row["requested"]),
        decided=bool(row["decided"]),
    )


class PostRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def create(self, case_id: int, at: datetime) -> None:
        await run(
            self._conn,
            "INSERT INTO case_posts (case_id, next_attempt_at) VALUES (?, ?) "
            "ON CONFLICT (case_id) DO NOTHING",
            (case_id, encode_time(at)),
        )

    async def due(self, now: datetime, edit_before: datetime, limit: int) -> list[PostTask]:
        """What to send next, most urgent first: cases a moderator asked for, edits that show a
        decision, new cases by priority, then count updates (debounced by `edit_before`) and
        rechecks of messages an edit with a lost answer may have changed (see `recheck`)."""
        rows = await fetch_all(
            self._conn, f"{_DUE}{_URGENT_FIRST} LIMIT ?", (*_due_params(now, edit_before), limit)
        )
        return [_task(row) for row in rows]

    async def claim_next(
        self,
        now: datetime,
        edit_before: datetime,
        until: datetime,
        skip: Collection[int] = (),
    ) -> PostTask | None:
        """Takes the most urgent due post (but those of `skip`) for the caller until `until`:
        it is not due again before then, unless `release`d (in the caller's write transaction;
        on PostgreSQL the row is locked, and one another transaction holds is skipped, not
        waited for)."""
        skipped = f" AND p.case_id NOT IN ({', '.join('?' for _ in skip)})" if skip else ""
        row = await fetch_one(
            self._conn,
            f"{_DUE}{skipped}{_URGENT_FIRST} LIMIT 1"
            + per_dialect(self._conn, sqlite="", postgresql=" FOR UPDATE OF p SKIP LOCKED"),
            (*_due_params(now, edit_before), *skip),
        )
        if row is None:
            return None
        await run(
            self._conn,
            "UPDATE case_posts SET next_attempt_at = ? WHERE case_id = ?",
            (encode_time(until), row["case_id"]),
        )
        return _task(row)

    async def release(self, case_id: int, claimed_until: datetime, at: datetime) -> None:
        """The claim until `claimed_until` ends: due again from `at`, unless what happened
        meanwhile set its own time (a retry's backoff, a repost)."""
        await run(
            self._conn,
            "UPDATE case_posts SET next_attempt_at = ? WHERE case_id = ? AND next_attempt_at = ?",
            (encode_time(at), case_id, encode_time(claimed_until)),
        )

    async def backlog(self) -> int:
        """Cases not yet posted to the review chat."""
        value = await fetch_value(
            self._conn,
            "SELECT count(*) FROM case_posts p JOIN cases c ON c.id = p.case_id "
            "WHERE p.message_id IS NULL AND c.status = 'pending'",
            (),
        )
        return int(value)

    async def request(self, case_id: int, at: datetime) -> bool:
        """A moderator asked for this case from /queue: post it next. False if it is posted."""
        when = encode_time(at)
        changed = await run(
            self._conn,
            "UPDATE case_posts SET requested_at = ?, next_attempt_at = CASE WHEN "
            "next_attempt_at < ? THEN next_attempt_at ELSE ? END "
            "WHERE case_id = ? AND message_id IS NULL",
            (when, when, when, case_id),
        )
        return changed == 1

    async def case_for_message(self, chat_id: int, message_id: int) -> int | None:
        value = await fetch_value(
            self._conn,
            "SELECT case_id FROM case_posts WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return None if value is None else int(value)

    async def lost(self, case_id: int, message_id: int, at: datetime) -> bool:
        """The case message is gone from the chat (deleted): post the case again."""
        changed = await run(
            self._conn,
            "UPDATE case_posts SET message_id = NULL, shown_version = -1, recheck_at = NULL, "
            "next_attempt_at = ?, "
            "requested_at = coalesce(requested_at, ?) WHERE case_id = ? AND message_id = ?",
            (encode_time(at), encode_time(at), case_id, message_id),
        )
        return changed == 1

    async def posted(
        self,
        case_id: int,
        chat_id: int,
        message_id: int,
        version: int,
        at: datetime,
        *,
        replacing: int | None = None,
        copies: int = 0,
        reedit: bool = False,
    ) -> bool:
        """Records the new post in place of `replacing` (None: the case had none); False when
        the case's post changed meanwhile (a press adopted a copy). `copies` more may be
        above it (migration 0019); `reedit` has the worker edit it once more, to say so."""
        when = encode_time(at)
        replaced, replaced_params = matching("message_id", replacing)
        changed = await run(
            self._conn,
            "UPDATE case_posts SET message_id = ?, chat_id = ?, posted_at = ?, "  # noqa: S608
            "shown_version = CASE WHEN ? THEN -1 ELSE ? END, "
            "edited_at = ?, attempts = 0, last_error = NULL, requested_at = NULL, "
            "recheck_at = NULL, copies_unknown = copies_unknown + ?, "
            "copy_since = CASE WHEN copies_unknown + ? > 0 "
            "THEN coalesce(copy_since, send_started_at, ?) END, "
            f"sends_unsettled = 0, send_started_at = NULL WHERE case_id = ? AND {replaced}",
            (
                message_id,
                chat_id,
                when,
                reedit,
                version,
                when,
                copies,
                copies,
                when,
                case_id,
                *replaced_params,
            ),
        )
        return changed == 1

    async def unsettled(self, case_id: int) -> int:
        """Send attempts of the case's post begun and neither recorded nor refused."""
        value = await fetch_value(
            self._conn, "SELECT sends_unsettled FROM case_posts WHERE case_id = ?", (case_id,)
        )
        return int(value or 0)

    async def send_begun(self, case_id: int, at: datetime) -> None:
        """A sendMessage of the case's post is about to go out (committed before it does)."""
        await run(
            self._conn,
            "UPDATE case_posts SET sends_unsettled = sends_unsettled + 1, "
            "send_started_at = coalesce(send_started_at, ?) WHERE case_id = ?",
            (encode_time(at), case_id),
        )

    async def send_refused(self, case_id: int) -> None:
        """Telegram refused the attempt outright (a 4xx answer): it left no copy."""
        await run(
            self._conn,
            "UPDATE case_posts SET sends_unsettled = CASE WHEN sends_unsettled > 0 "
            "THEN sends_unsettled - 1 ELSE 0 END, "
            "send_started_at = CASE WHEN sends_unsettled > 1 THEN send_started_at END "
            "WHERE case_id = ?",
            (case_id,),
        )

    async def recorded(self, case_id: int) -> PostRef | None:
        row = await fetch_one(
            self._conn,
            "SELECT chat_id, message_id FROM case_posts WHERE case_id = ? "
            "AND message_id IS NOT NULL",
            (case_id,),
        )
        return None if row is None else PostRef(row["chat_id"], row["message_id"])

    async def owner(self, chat_id: int, message_id: int) -> int | None:
        return await self.case_for_message(chat_id, message_id)

    async def adopt(self, case_id: int, post: PostRef, copies: int, at: datetime) -> bool:
        """A post of the case Telegram accepted and the bot never recorded becomes its post
        (it shows an older version: the worker edits it at once); `copies` more may exist."""
        when = encode_time(at)
        changed = await run(
            self._conn,
            "UPDATE case_posts SET message_id = ?, chat_id = ?, posted_at = ?, "
            "shown_version = -1, edited_at = NULL, attempts = 0, last_error = NULL, "
            "requested_at = NULL, recheck_at = NULL, next_attempt_at = ?, "
            "copies_unknown = copies_unknown + ?, "
            "copy_since = CASE WHEN copies_unknown + ? > 0 "
            "THEN coalesce(copy_since, send_started_at, ?) END, "
            "sends_unsettled = 0, send_started_at = NULL "
            "WHERE case_id = ? AND message_id IS NULL",
            (post.message_id, post.chat_id, when, when, copies, copies, when, case_id),
        )
        return changed == 1

    async def copy_found(self, case_id: int) -> None:
        """One copy fewer unknown; the post stops saying a copy may be above at its next edit
        once none is left."""
        await run(
            self._conn,
            "UPDATE case_posts SET copies_unknown = CASE WHEN copies_unknown > 0 "
            "THEN copies_unknown - 1 ELSE 0 END, "
            "copy_since = CASE WHEN copies_unknown > 1 THEN copy_since END WHERE case_id = ?",
            (case_id,),
        )

    async def shown(self, case_id: int, message_id: int, version: int, at: datetime) -> None:
        """An edit of message `message_id` started at `at` showed `version`. Edits of one
        message are made one at a time (handlers/runtime/message_locks.py), so the last to
        finish is the last Telegram applied and sets what the message shows: an older version's edit
        finishing after a newer one puts the post due again. It clears a recheck that was due
        by the time the edit started. An edit of another message of the case (a second post
        Telegram applied whose answer was lost, pressed by a moderator) records nothing."""
        when = encode_time(at)
        await run(
            self._conn,
            "UPDATE case_posts SET shown_version = ?, edited_at = ?, attempts = 0, "
            "last_error = NULL, recheck_at = CASE WHEN recheck_at <= ? THEN NULL "
            "ELSE recheck_at END WHERE case_id = ? AND message_id = ?",
            (version, when, when, case_id, message_id),
        )

    async def recheck(self, case_id: int, at: datetime) -> None:
        """The case message is edited once more at `at`: an edit of it lost an answer and
        Telegram may still apply it after a newer edit (see migration 0015), or its Undo
        button's window has closed. Only an edit started at `at` or later clears it."""
        when = encode_time(at)
        await run(
            self._conn,
            "UPDATE case_posts SET recheck_at = CASE WHEN recheck_at > ? THEN recheck_at "
            "ELSE ? END WHERE case_id = ? AND message_id IS NOT NULL",
            (when, when, case_id),
        )

    async def failed(self, case_id: int, retry_at: datetime, error: str) -> None:
        await run(
            self._conn,
            "UPDATE case_posts SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE case_id = ?",
            (encode_time(retry_at), error[:200], case_id),
        )

    async def moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """The review group became a supergroup: its messages (cases, appeals) move with it."""
        for table in ("case_posts", "appeals"):
            await run(
                self._conn,
                f"UPDATE {table} SET chat_id = ? WHERE chat_id = ?",  # noqa: S608 - fixed names
                (new_chat_id, old_chat_id),
            )
