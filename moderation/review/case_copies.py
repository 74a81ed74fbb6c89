"""Copies of a case post: messages Telegram accepted whose answer never reached the record.

A kill between Telegram accepting a case post and the bot recording it (or an answer lost on
the way) leaves a second post of the case in the review chat, with live buttons. The Bot API
has no way to list a chat's messages and no idempotency key for sendMessage, so the bot cannot
find the copy; guessing its id from neighbouring ids could edit or delete some other message.
What the bot can do: count send attempts before making them (so the next post knows a copy
may be above it and says so), and retire a copy the moment Telegram names it (a button pressed
on it, a reply to it). A press on a copy counts for the case, as on the live post: of all
presses exactly one decision still wins, because the decision is one transition of the case.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from moderation.ports import AuditTrail
from moderation.review.copy_count import copies_after_send
from moderation.review.delivery import backoff

FoundBy = Literal["press", "reply", "send"]
RetiredHow = Literal["deleted", "edited", "gone"]
#: A copy the handler that found it retires itself is left to the delivery worker only after
#: this long (when the handler could not, or was killed first).
HANDLER_GRACE = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class PostRef:
    chat_id: int
    message_id: int


class PostRole(StrEnum):
    LIVE = "live"  # the case's recorded post
    COPY = "copy"  # another post of the case: retire it; the press acts on the live post
    ADOPT = "adopt"  # the case has no recorded post yet: this one becomes it
    FOREIGN = "foreign"  # the recorded post of another case: not this case's to touch


def role_of(
    case_id: int, recorded: PostRef | None, pressed: PostRef, owner: int | None
) -> PostRole:
    """What a message carrying case `case_id`'s buttons is to that case. `recorded` is the
    case's recorded post, `owner` the case whose recorded post the message is (if any)."""
    if owner is not None:
        return PostRole.LIVE if owner == case_id else PostRole.FOREIGN
    if recorded is None:
        return PostRole.ADOPT
    return PostRole.LIVE if recorded == pressed else PostRole.COPY


@dataclass(frozen=True, slots=True)
class Pressed:
    role: PostRole
    live: PostRef  # where the press's effect is shown


@dataclass(frozen=True, slots=True)
class CopyTask:
    copy: PostRef
    case_id: int
    attempts: int
    live: PostRef | None


class CopyPosts(Protocol):
    async def recorded(self, case_id: int) -> PostRef | None: ...
    async def owner(self, chat_id: int, message_id: int) -> int | None: ...
    async def adopt(self, case_id: int, post: PostRef, copies: int, at: datetime) -> bool: ...
    async def unsettled(self, case_id: int) -> int: ...
    async def copy_found(self, case_id: int) -> None: ...


class Copies(Protocol):
    async def found(
        self, case_id: int, copy: PostRef, by: FoundBy, at: datetime, retry_at: datetime
    ) -> bool: ...
    async def retired(self, copy: PostRef, how: RetiredHow, at: datetime) -> int | None: ...
    async def failed(self, copy: PostRef, retry_at: datetime) -> None: ...
    async def due(self, now: datetime, limit: int) -> list[CopyTask]: ...


class CopyUnit(Protocol):
    @property
    def posts(self) -> CopyPosts: ...
    @property
    def copies(self) -> Copies: ...
    @property
    def audit(self) -> AuditTrail: ...


class CopyStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[CopyUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[CopyUnit]: ...


async def pressed_post(
    store: CopyStore,
    case_id: int,
    pressed: PostRef,
    by: FoundBy,
    now: datetime,
    *,
    retry_at: datetime | None = None,
) -> Pressed:
    """Settles what `pressed` (a message of ours in the review chat carrying case `case_id`'s
    buttons) is, recording an adopted post or a found copy; `retry_at` is when the delivery
    worker retires a copy if the finder has not (default: at once)."""
    async with store.reading() as uow:  # most presses are on the live post: no write
        recorded = await uow.posts.recorded(case_id)
        owner = await uow.posts.owner(pressed.chat_id, pressed.message_id)
    role = role_of(case_id, recorded, pressed, owner)
    if role is PostRole.LIVE or role is PostRole.FOREIGN:
        return Pressed(role, pressed)
    async with store.transaction() as uow:
        recorded = await uow.posts.recorded(case_id)
        owner = await uow.posts.owner(pressed.chat_id, pressed.message_id)
        role = role_of(case_id, recorded, pressed, owner)
        if role is PostRole.ADOPT:
            # One of the unsettled attempts is this message; the others may have left copies.
            copies = copies_after_send(await uow.posts.unsettled(case_id), 0)
            if await uow.posts.adopt(case_id, pressed, copies, now):
                await uow.audit.append(
                    at=now,
                    actor_id=None,
                    action="case.post_adopted",
                    subject_type="case",
                    subject_id=case_id,
                    details={"before": None, "after": _ref(pressed) | {"found_by": by}},
                )
                return Pressed(PostRole.LIVE, pressed)
            recorded = await uow.posts.recorded(case_id)  # recorded meanwhile: a copy after all
            role = PostRole.COPY
        if role is PostRole.COPY:
            await _found(uow, case_id, pressed, by, now, retry_at or now)
            return Pressed(role, recorded or pressed)
        return Pressed(role, pressed)


async def lost_race(store: CopyStore, case_id: int, post: PostRef, now: datetime) -> None:
    """The worker's new post of a case that a press adopted a copy for meanwhile: a copy."""
    async with store.transaction() as uow:
        await _found(uow, case_id, post, "send", now, now)


async def _found(
    uow: CopyUnit, case_id: int, copy: PostRef, by: FoundBy, now: datetime, retry_at: datetime
) -> None:
    if await uow.copies.found(case_id, copy, by, now, retry_at):
        await uow.posts.copy_found(case_id)
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="case.copy_found",
            subject_type="case",
            subject_id=case_id,
            details={"before": None, "after": _ref(copy) | {"found_by": by}},
        )


async def copy_retired(store: CopyStore, copy: PostRef, how: RetiredHow, now: datetime) -> None:
    """The copy is gone from the chat or shows no buttons any more (recorded once)."""
    async with store.transaction() as uow:
        case_id = await uow.copies.retired(copy, how, now)
        if case_id is not None:
            await uow.audit.append(
                at=now,
                actor_id=None,
                action="case.copy_retired",
                subject_type="case",
                subject_id=case_id,
                details={"before": _ref(copy), "after": {"how": how}},
            )


async def copy_retire_failed(store: CopyStore, task: CopyTask, now: datetime) -> None:
    async with store.transaction() as uow:
        await uow.copies.failed(task.copy, now + backoff(task.attempts))


async def due_copies(store: CopyStore, now: datetime, limit: int = 10) -> list[CopyTask]:
    async with store.reading() as uow:
        return await uow.copies.due(now, limit)


def _ref(post: PostRef) -> dict[str, int | str]:
    return {"chat_id": post.chat_id, "message_id": post.message_id}
