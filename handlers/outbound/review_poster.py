"""One message per subject in the review chat, kept at its subject's version: sent once, then
edited. Case posts and appeal posts are both such messages, and share this.

A message Telegram accepted is kept in memory until its record is written (the database may be
locked or full for a moment): the next pass records it instead of sending it again. An edit
that finds nothing to change counts as shown. A 429 gives the message back to the chat's budget
and pauses the budget for as long as Telegram asks.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import structlog
from telegram.error import BadRequest, RetryAfter

from handlers.errors import is_message_gone, is_not_modified
from handlers.runtime.chat_budget import ChatBudget
from moderation.review.types import PostTask

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message Telegram accepted, as it was sent (the version shown is the task's)."""

    task: PostTask  # a case's or an appeal's
    chat_id: int
    message_id: int
    lost: int = 0  # attempts of the call whose answer was lost: each may have left a copy


class VersionedPost(Protocol):
    """What differs between a case post and an appeal post; the poster does the rest."""

    @property
    def kind(self) -> str: ...  # "case" or "appeal": names the log events
    @property
    def subject_id(self) -> int: ...
    @property
    def message_id(self) -> int | None: ...  # None: not posted yet
    async def send(self) -> Accepted: ...
    async def record_sent(self, accepted: Accepted) -> None: ...
    def editing(self) -> AbstractAsyncContextManager[object]: ...  # held around edit + record
    async def edit(self) -> None: ...
    async def record_shown(self) -> None: ...
    async def gone(self) -> bool: ...  # someone deleted the message; False: stop this pass
    async def throttled(self, wait: timedelta) -> None: ...


class ReviewPoster:
    def __init__(self) -> None:
        self._unrecorded: dict[tuple[str, int], Accepted] = {}

    async def publish(self, post: VersionedPost, budget: ChatBudget) -> bool:
        """Posts or edits one message; False when the chat cannot take more right now.
        Errors other than a 429 are the caller's (each kind has its own answer to them)."""
        try:
            if post.message_id is None:
                await self.record(post, await self.sent_once(post))
                return True
            async with post.editing():
                try:
                    await post.edit()
                except BadRequest as exc:
                    if is_message_gone(exc):
                        return await post.gone()
                    if not is_not_modified(exc):
                        raise
                await post.record_shown()
            return True
        except RetryAfter as exc:
            await post.throttled(await throttle(budget, exc))
            return False

    async def sent_once(self, post: VersionedPost) -> Accepted:
        """The message Telegram accepted for this post on an earlier pass, or a new one."""
        accepted = self._unrecorded.get((post.kind, post.subject_id))
        if accepted is not None:
            log.info(f"{post.kind}_post_recorded_late", **{f"{post.kind}_id": post.subject_id})
            return accepted
        sent = await post.send()
        self._unrecorded[(post.kind, post.subject_id)] = sent
        return sent

    def unrecorded(self, kind: str, subject_id: int) -> bool:
        """Telegram accepted this subject's message and its record has not been written yet."""
        return (kind, subject_id) in self._unrecorded

    async def record(self, post: VersionedPost, accepted: Accepted) -> None:
        await post.record_sent(accepted)
        del self._unrecorded[(post.kind, post.subject_id)]


async def throttle(budget: ChatBudget, exc: RetryAfter) -> timedelta:
    """Telegram said to wait: the message did not go out, and none goes out before then."""
    wait = seconds(exc.retry_after)
    await budget.refund()
    await budget.pause(wait.total_seconds())
    return wait


def seconds(value: timedelta | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
