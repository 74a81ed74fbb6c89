"""An "other" rejection made in a private chat, waiting for its explanation.

In the review chat a moderator explains an "other" rejection by replying `/reject <why>` to the
case's post; a case decided in a private chat may have no post at all, so the bot asks there
and takes the moderator's next text message as the explanation (case_actions.
reject_with_explanation: the same checks as in the group). What is asked is kept in the
database (`bot_state`, one key per moderator), not in memory: with several instances any of
them may handle the moderator's next message. It lasts while the rejection can be undone (an
explanation is only taken then); a command, or a move to another case, abandons it and the
decision stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from moderation.clock import utc_text
from moderation.review.case_actions import (
    ActionOutcome,
    ActionRefusal,
    Refused,
    reject_with_explanation,
)
from moderation.review.decisions import AlreadyDecided, Decided
from moderation.review.ports import ReviewStore
from moderation.review.priority import CasePolicy
from moderation.review.types import Moderator

PREFIX: Final = "review_explain:"
#: Refusals that leave the question open: the moderator may send a better text.
_ASKED_AGAIN: Final = frozenset({ActionRefusal.EMPTY, ActionRefusal.TOO_LONG})


@dataclass(frozen=True, slots=True)
class PendingExplanation:
    case_id: int
    message_id: int  # the private chat's message that asked
    asked_at: datetime


def _key(moderator_id: int) -> str:
    return f"{PREFIX}{moderator_id}"


async def ask_explanation(
    store: ReviewStore, moderator_id: int, case_id: int, message_id: int, now: datetime
) -> None:
    """The moderator's next text message explains `case_id` (replacing an earlier question)."""
    value = json.dumps({"case": case_id, "message": message_id, "at": utc_text(now)})
    async with store.transaction() as uow:
        await uow.state.put(_key(moderator_id), value, now)


def _parsed(value: str | None) -> PendingExplanation | None:
    if value is None:
        return None
    try:
        data = json.loads(value)
        return PendingExplanation(
            int(data["case"]), int(data["message"]), datetime.fromisoformat(data["at"])
        )
    except (ValueError, KeyError, TypeError):
        return None


async def pending_explanation(
    store: ReviewStore, moderator_id: int, now: datetime, undo_window: timedelta
) -> PendingExplanation | None:
    """What this moderator was asked to explain, while the rejection can still be undone; an
    older question is dropped (their message is then not an explanation)."""
    async with store.reading() as uow:
        raw = await uow.state.get(_key(moderator_id))
    if raw is None:
        return None
    pending = _parsed(raw)
    if pending is not None and pending.asked_at + undo_window > now:
        return pending
    await drop_explanation(store, moderator_id)
    return None


async def drop_explanation(store: ReviewStore, moderator_id: int) -> PendingExplanation | None:
    """Abandons the question (the decision stands); what was asked, if anything."""
    async with store.transaction() as uow:
        pending = _parsed(await uow.state.get(_key(moderator_id)))
        await uow.state.delete(_key(moderator_id))
    return pending


async def explain(
    store: ReviewStore,
    moderator: Moderator,
    pending: PendingExplanation,
    text: str,
    *,
    undo_window: timedelta,
    now: datetime,
    policy: CasePolicy,
) -> ActionOutcome | Decided | AlreadyDecided:
    """Records `text` as the explanation of the rejection asked about. A text that is empty
    or too long leaves the question open; any other outcome closes it."""
    outcome = await reject_with_explanation(
        store,
        pending.case_id,
        moderator,
        text,
        undo_window=undo_window,
        now=now,
        policy=policy,
        only_explain=True,
    )
    if not (isinstance(outcome, Refused) and outcome.reason in _ASKED_AGAIN):
        await drop_explanation(store, moderator.user_id)
    return outcome
