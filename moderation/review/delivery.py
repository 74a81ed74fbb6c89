"""What the delivery worker owes Telegram, and what happened when it tried.

Posts, edits and notifications are rows committed with the change that caused them; the worker
only reads what is due and records results, so a crash or an outage delays work, never loses it.
Every instance's worker sends them: each post or notification is claimed first, for a while
(OUTBOX_CLAIM_SECONDS), so one instance sends it, and another only once the claim ran out
(its claimant died, or is still waiting on Telegram: a case post then says a copy may be above).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from moderation.clock import utc_text
from moderation.review.copy_count import copies_after_send
from moderation.review.menus import shown
from moderation.review.ports import ReviewStore, ReviewUnit
from moderation.review.types import Menu, Notification, PostTask

REVIEW_CHAT_KEY = "review_chat_id"
DIGEST_KEY = "review_digest"
#: `undo_shown:<case id>` = the end of the undo window the case's post shows on its Undo button.
UNDO_SHOWN_PREFIX = "undo_shown:"
#: The digest's count is refreshed at most this often (each edit costs a message of the budget).
DIGEST_REFRESH = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s ... capped at five minutes."""
    return min(timedelta(seconds=2 ** min(attempts, 16)), MAX_BACKOFF)


async def due_posts(
    store: ReviewStore, now: datetime, debounce: timedelta, limit: int = 20
) -> list[PostTask]:
    async with store.reading() as uow:
        return await uow.posts.due(now, now - debounce, limit)


async def claim_post(
    store: ReviewStore,
    now: datetime,
    debounce: timedelta,
    until: datetime,
    skip: Collection[int] = (),
) -> PostTask | None:
    """The most urgent post or edit due now, but those of the cases in `skip` (done in this
    pass already), taken for the caller until `until` (None: none is due or every due one is
    claimed); `release_post` ends the claim. Looks first, in a read: an idle pass writes
    nothing (and waits for no writer)."""
    async with store.reading() as uow:
        due = await uow.posts.due(now, now - debounce, len(skip) + 1)
    if all(task.case_id in skip for task in due):
        return None
    async with store.transaction() as uow:
        return await uow.posts.claim_next(now, now - debounce, until, skip)


async def release_post(store: ReviewStore, case_id: int, until: datetime, now: datetime) -> None:
    async with store.transaction() as uow:
        await uow.posts.release(case_id, until, now)


async def send_begun(store: ReviewStore, case_id: int, now: datetime) -> None:
    """Written down before each sendMessage of a case post: if the bot dies before recording
    what Telegram accepted, the next post knows a copy may be above it (migration 0019)."""
    async with store.transaction() as uow:
        await uow.posts.send_begun(case_id, now)


async def send_refused(store: ReviewStore, case_id: int) -> None:
    """Telegram refused the send outright: that attempt left no copy."""
    async with store.transaction() as uow:
        await uow.posts.send_refused(case_id)


async def record_post(
    store: ReviewStore,
    task: PostTask,
    chat_id: int,
    message_id: int,
    now: datetime,
    *,
    lost: int = 0,
    redraw_at: datetime | None = None,
) -> bool:
    """A message Telegram accepted now shows the case: its first post, or a new one after the
    last was deleted (`task.message_id`). False when it did not become the case's post: a press
    adopted an unrecorded copy meanwhile, and this one is the copy. `redraw_at`: the end of
    the undo window the post's Undo button shows (see mark_shown)."""
    replacing = task.message_id
    async with store.transaction() as uow:
        copies = copies_after_send(await uow.posts.unsettled(task.case_id), lost)
        if not await uow.posts.posted(
            task.case_id,
            chat_id,
            message_id,
            task.version,
            now,
            replacing=replacing,
            copies=copies,
            reedit=lost > 0,
        ):
            return False
        await _undo_shown(uow, task.case_id, redraw_at, now)
        if replacing is None:
            action, before = "case.posted", None
            after: dict[str, int] = {"message_id": message_id, "chat_id": chat_id}
        else:
            action, before, after = (
                "case.reposted",
                {"message_id": replacing},
                {"message_id": message_id},
            )
        await uow.audit.append(
            at=now,
            actor_id=None,
            action=action,
            subject_type="case",
            subject_id=task.case_id,
            details={"before": before, "after": after},
        )
        return True


async def mark_shown(
    store: ReviewStore,
    case_id: int,
    message_id: int,
    version: int,
    now: datetime,
    *,
    redraw_at: datetime | None = None,
    menu: Menu | None = None,
) -> None:
    """The case's message `message_id` shows `version` (nothing if it is not the case's post).
    `redraw_at`: the end of the undo window shown on its Undo button (None: no Undo shown);
    at that time `undo_windows_closed` makes the post due for the edit that drops the button.
    `menu`: the menu the edit drew, read before it; a moderator who opened or closed one on
    another instance meanwhile may have had their edit overwritten by this one, so the post
    is redrawn with the menu open now (one more edit, only in that race)."""
    async with store.transaction() as uow:
        await uow.posts.shown(case_id, message_id, version, now)
        await _undo_shown(uow, case_id, redraw_at, now)
        if menu is not None and shown(await uow.menus.of(case_id), now) is not menu:
            await uow.posts.recheck(case_id, now)


async def recheck_post(store: ReviewStore, case_id: int, at: datetime) -> None:
    """An edit of the case message lost its answer and may be applied late: edit again at `at`."""
    async with store.transaction() as uow:
        await uow.posts.recheck(case_id, at)


async def _undo_shown(uow: ReviewUnit, case_id: int, until: datetime | None, now: datetime) -> None:
    key = f"{UNDO_SHOWN_PREFIX}{case_id}"
    if until is None:
        await uow.state.delete(key)
    else:
        await uow.state.put(key, utc_text(until), now)


async def undo_windows_closed(store: ReviewStore, now: datetime, limit: int) -> list[int]:
    """Up to `limit` case posts whose Undo button's window has ended (the longest closed first)
    become due for an edit, which shows them without it. Both steps are kept in the database,
    so a restart in between still removes the button: the window's end until it is turned
    into a due edit, and the due edit (`recheck`) until an edit started after now is made."""
    async with store.reading() as uow:
        shown = await uow.state.with_prefix(UNDO_SHOWN_PREFIX)
    ended = sorted(
        (until, key) for key, value, _ in shown if (until := datetime.fromisoformat(value)) <= now
    )
    closed = [(key, int(key.removeprefix(UNDO_SHOWN_PREFIX))) for _, key in ended[:limit]]
    if not closed:
        return []
    async with store.transaction() as uow:
        for key, case_id in closed:
            await uow.posts.recheck(case_id, now)
            await uow.state.delete(key)
    return [case_id for _, case_id in closed]


async def post_failed(
    store: ReviewStore, task: PostTask, error: str, now: datetime, wait: timedelta | None = None
) -> None:
    async with store.transaction() as uow:
        await uow.posts.failed(task.case_id, now + (wait or backoff(task.attempts)), error)


async def claim_notification(
    store: ReviewStore, now: datetime, until: datetime
) -> Notification | None:
    """The longest-due notification, taken for the caller until `until` (see claim_post)."""
    async with store.reading() as uow:
        if not await uow.outbox.due(now, 1):
            return None
    async with store.transaction() as uow:
        return await uow.outbox.claim_next(now, until)


async def release_notification(
    store: ReviewStore, notification: Notification, until: datetime, now: datetime
) -> None:
    async with store.transaction() as uow:
        await uow.outbox.release(notification.id, until, now)


async def notification_sent(store: ReviewStore, notification: Notification, now: datetime) -> None:
    async with store.transaction() as uow:
        await uow.outbox.sent(notification.id, now)


async def notification_failed(
    store: ReviewStore,
    notification: Notification,
    error: str,
    now: datetime,
    *,
    permanent: bool = False,
    wait: timedelta | None = None,
) -> None:
    async with store.transaction() as uow:
        if permanent:
            await uow.outbox.give_up(notification.id, error)
        else:
            retry_at = now + (wait or backoff(notification.attempts))
            await uow.outbox.retry(notification.id, retry_at, error)


async def review_chat(store: ReviewStore, configured: int | None) -> int | None:
    """The review chat, following a group -> supergroup migration recorded earlier."""
    async with store.reading() as uow:
        migrated = await uow.state.get(REVIEW_CHAT_KEY)
    if migrated is not None and configured is not None:
        old, _, new = migrated.partition(">")
        if old == str(configured):
            return int(new)
    return configured


async def review_chat_moved(
    store: ReviewStore, configured: int, old_chat_id: int, new_chat_id: int, now: datetime
) -> None:
    async with store.transaction() as uow:
        await uow.state.put(REVIEW_CHAT_KEY, f"{configured}>{new_chat_id}", now)
        await uow.posts.moved(old_chat_id, new_chat_id)
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="review_chat.migrated",
            details={"from": old_chat_id, "to": new_chat_id},
        )


async def mark_lost(store: ReviewStore, task: PostTask, now: datetime) -> None:
    """The case message is gone and re-posting failed for now: post it again from scratch."""
    if task.message_id is None:
        return
    async with store.transaction() as uow:
        if await uow.posts.lost(task.case_id, task.message_id, now):
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="case.message_lost",
                subject_type="case",
                subject_id=task.case_id,
                details={"before": {"message_id": task.message_id}, "after": None},
            )


# --- the backlog digest ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Digest:
    """The one message that tells the review chat how large the unposted backlog is."""

    chat_id: int
    message_id: int
    backlog: int
    at: datetime
    severe: int = 0  # severe cases waiting longer than allowed (moderation.review.severe_waits)


async def backlog_size(store: ReviewStore) -> int:
    async with store.reading() as uow:
        return await uow.posts.backlog()


async def current_digest(store: ReviewStore) -> Digest | None:
    async with store.reading() as uow:
        raw = await uow.state.get(DIGEST_KEY)
    if raw is None:
        return None
    data = json.loads(raw)
    return Digest(
        int(data["chat_id"]),
        int(data["message_id"]),
        int(data["backlog"]),
        datetime.fromisoformat(data["at"]),
        int(data.get("severe", 0)),
    )


def digest_due(
    digest: Digest | None, backlog: int, threshold: int, now: datetime, severe: int = 0
) -> str | None:
    """What to do about the digest: 'post', 'refresh', 'clear' or nothing. It is there while
    the backlog is long or severe cases wait too long; severe cases starting or ceasing to
    wait too long show at once, other changes at most every DIGEST_REFRESH."""
    if digest is None:
        return "post" if backlog > threshold or severe > 0 else None
    if backlog == 0 and severe == 0:
        return "clear"
    if (severe > 0) != (digest.severe > 0):
        return "refresh"
    if (backlog, severe) != (digest.backlog, digest.severe) and now >= digest.at + DIGEST_REFRESH:
        return "refresh"
    return None


async def digest_shown(
    store: ReviewStore,
    chat_id: int,
    message_id: int,
    backlog: int,
    now: datetime,
    *,
    new: bool,
    severe: int = 0,
) -> None:
    payload = {"chat_id": chat_id, "message_id": message_id, "backlog": backlog, "severe": severe}
    async with store.transaction() as uow:
        await uow.state.put(DIGEST_KEY, json.dumps({**payload, "at": now.isoformat()}), now)
        if new:
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="review.digest_posted",
                details={"before": None, "after": payload},
            )


async def digest_cleared(store: ReviewStore, digest: Digest, now: datetime) -> None:
    async with store.transaction() as uow:
        await uow.state.delete(DIGEST_KEY)
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="review.digest_cleared",
            details={
                "before": {"backlog": digest.backlog, "severe": digest.severe},
                "after": {"backlog": 0, "severe": 0},
            },
        )
