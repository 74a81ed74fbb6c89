"""Serving cases one at a time outside the review chat: /review in a private chat and the
console's "next" (issue 30).

One review group takes about twenty messages a minute; a private chat or the console spends
none of that. A case served to a moderator is claimed for them (`claim_for`,
REVIEW_CLAIM_SECONDS) so that nobody else is served it meanwhile; the claim lives in the
database, so every instance sees it. The rules:

- the order is the queue's: overdue severe cases first (a category of SLA_SEVERE_CATEGORIES
  whose case opened before now - SLA_SEVERE_PENDING_MINUTES: severe_waits.SeverePolicy), then
  priority (highest first), then the oldest first report, then the lowest id;
- only cases this moderator may decide (escalated ones to admins and legal officers:
  Moderator.may_decide), not claimed by someone else, not skipped by them within `claim_for`;
- a moderator holds at most one claim per way in (`via`: "private" or "console"); serving the
  next case releases the one before; asked again without a skip, a live claim on a case still
  pending (and within the filters) is served again rather than another case;
- Skip releases the claim and keeps the case from that moderator for `claim_for`; a claim
  expires by itself; it never blocks a decision: deciding (decisions.py, case_actions.py)
  reads nothing here, so whichever of the group, the private chat or the console decides
  first wins and the others are told who decided;
- picking and claiming are one write transaction, serialised across instances (SQLite's one
  writer; PostgreSQL's advisory write lock), so two serves never hand out the same case.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from moderation.clock import utc_text
from moderation.reporting.targets import TargetKind
from moderation.reporting.types import CaseStatus
from moderation.review.ports import ClaimStore, ClaimUnit, Severity
from moderation.review.severe_waits import SeverePolicy
from moderation.review.types import (
    CaseView,
    ClaimHolder,
    Moderator,
    QueuedCase,
    QueueFilter,
)

__all__ = [
    "STATES",
    "VIA",
    "ClaimHolder",
    "ClaimRefusal",
    "ClaimRefused",
    "Claimed",
    "QueueFilter",
    "QueuedCase",
    "claim_case",
    "claim_holders",
    "claimed_by",
    "filter_problem",
    "queue",
    "release",
    "release_all",
    "serve_next",
]

#: The ways in a case is served through (audited with each serve).
VIA: Final = frozenset({"private", "console"})
STATES: Final = frozenset({"pending", "escalated", "provisional"})
NO_FILTER: Final = QueueFilter()


def filter_problem(filters: QueueFilter) -> str | None:
    """What is wrong with a filter (the field's name), or None."""
    if filters.state is not None and filters.state not in STATES:
        return "state"
    if filters.kind is not None and filters.kind not in {kind.value for kind in TargetKind}:
        return "kind"
    for name, age in (("min_age", filters.min_age), ("max_age", filters.max_age)):
        if age is not None and age < timedelta(0):
            return name
    return None


async def expire_claims(store: ClaimStore, now: datetime) -> int:
    """Deletes claims and skips whose time is over (serving does it too, but the retention job
    makes sure nothing waits for the next serve); how many."""
    async with store.transaction() as uow:
        return await uow.claims.expire(now)


def severity(severe: SeverePolicy, now: datetime) -> Severity | None:
    if not severe.enabled:
        return None
    return Severity(severe.categories, now - severe.wait)


async def serve_next(
    store: ClaimStore,
    moderator: Moderator,
    *,
    now: datetime,
    claim_for: timedelta,
    severe: SeverePolicy,
    via: str,
    skip: int | None = None,
    filters: QueueFilter | None = None,
) -> CaseView | None:
    """The next case for this moderator, claimed for them until now + claim_for; None when
    nothing is left for them. `skip`: the case they pass over first (its claim released)."""
    if via not in VIA:
        raise ValueError(f"unknown way in: {via}")
    wanted = filters or NO_FILTER
    if (problem := filter_problem(wanted)) is not None:
        raise ValueError(f"bad queue filter: {problem}")
    until = now + claim_for
    order = severity(severe, now)
    async with store.transaction() as uow:
        await uow.claims.expire(now)
        if skip is not None:
            await uow.claims.skip(skip, moderator, via, now, until)
        else:
            held = await uow.claims.held(moderator.user_id, via, now)
            if held is not None and await uow.claims.ordered(
                now=now, filters=wanted, severity=order, limit=1, serving=moderator, only=held
            ):
                return await _claimed(uow, held, moderator, via, now, until, skip, again=True)
        picked = await uow.claims.ordered(
            now=now, filters=wanted, severity=order, limit=1, serving=moderator
        )
        released = await uow.claims.release_all(moderator.user_id, via)
        if not picked:
            if released or skip is not None:  # a look at an empty queue changes nothing
                await uow.audit.append(
                    at=now,
                    actor_id=moderator.user_id,
                    action="review.released",
                    details={"via": via, "cases": released, "skipped": skip},
                )
            return None
        return await _claimed(uow, picked[0].case_id, moderator, via, now, until, skip)


async def _claimed(
    uow: ClaimUnit,
    case_id: int,
    moderator: Moderator,
    via: str,
    now: datetime,
    until: datetime,
    skipped: int | None,
    *,
    again: bool = False,
) -> CaseView:
    await uow.claims.claim(case_id, moderator, via, now, until)
    view = await uow.review.view(case_id)
    assert view is not None  # picked from `cases` in this transaction
    await uow.audit.append(
        at=now,
        actor_id=moderator.user_id,
        action="review.claimed",
        subject_type="case",
        subject_id=case_id,
        details={"via": via, "until": utc_text(until), "skipped": skipped, "again": again},
    )
    return view


class ClaimRefusal(StrEnum):
    UNKNOWN = "unknown"
    DECIDED = "decided"  # not pending (decided meanwhile)
    NOT_ALLOWED = "not_allowed"  # escalated, and this moderator may not decide it
    HELD = "held"  # someone else holds a live claim on it


@dataclass(frozen=True, slots=True)
class Claimed:
    view: CaseView
    until: datetime


@dataclass(frozen=True, slots=True)
class ClaimRefused:
    reason: ClaimRefusal
    holder: ClaimHolder | None = None


async def claim_case(
    store: ClaimStore,
    case_id: int,
    moderator: Moderator,
    now: datetime,
    claim_for: timedelta,
    via: str,
) -> Claimed | ClaimRefused:
    """Claims one named case for this moderator, as serving does (their other claim through
    `via` given back): Undo in a private chat brings the undone case back to its undoer, who
    is about to decide it again, so nobody else must be served it meanwhile. Refused when
    someone else holds a live claim on it, or it is not pending, or not theirs to decide."""
    if via not in VIA:
        raise ValueError(f"unknown way in: {via}")
    until = now + claim_for
    async with store.transaction() as uow:
        await uow.claims.expire(now)
        view = await uow.review.view(case_id)
        if view is None:
            return ClaimRefused(ClaimRefusal.UNKNOWN)
        if view.status is not CaseStatus.PENDING:
            return ClaimRefused(ClaimRefusal.DECIDED)
        if not moderator.may_decide(view.escalated):
            return ClaimRefused(ClaimRefusal.NOT_ALLOWED)
        holder = (await uow.claims.holders([case_id], now)).get(case_id)
        if holder is not None and holder.user_id != moderator.user_id:
            return ClaimRefused(ClaimRefusal.HELD, holder)
        released = [c for c in await uow.claims.release_all(moderator.user_id, via) if c != case_id]
        await uow.claims.claim(case_id, moderator, via, now, until)
        await uow.audit.append(
            at=now,
            actor_id=moderator.user_id,
            action="review.claimed",
            subject_type="case",
            subject_id=case_id,
            details={"via": via, "until": utc_text(until), "asked": True, "released": released},
        )
        return Claimed(view, until)


async def release(store: ClaimStore, case_id: int, moderator_id: int, now: datetime) -> None:
    """Gives the case back to the queue (this moderator's claim on it, if they hold one)."""
    async with store.transaction() as uow:
        if await uow.claims.release(case_id, moderator_id):
            await uow.audit.append(
                at=now,
                actor_id=moderator_id,
                action="review.released",
                subject_type="case",
                subject_id=case_id,
                details={},
            )


async def release_all(store: ClaimStore, moderator_id: int, via: str, now: datetime) -> list[int]:
    """Ends a moderator's review through `via` (/review stop): every claim they hold there is
    given back. The cases released."""
    async with store.transaction() as uow:
        released = await uow.claims.release_all(moderator_id, via)
        if released:
            await uow.audit.append(
                at=now,
                actor_id=moderator_id,
                action="review.released",
                details={"via": via, "cases": released},
            )
    return released


async def claimed_by(
    store: ClaimStore, case_ids: Collection[int], now: datetime
) -> Mapping[int, int]:
    """Who (user id) holds a live claim on each of these cases; unclaimed ones left out."""
    return {
        case_id: holder.user_id
        for case_id, holder in (await claim_holders(store, case_ids, now)).items()
    }


async def claim_holders(
    store: ClaimStore, case_ids: Collection[int], now: datetime
) -> Mapping[int, ClaimHolder]:
    """The holders of live claims with their names (the console's "claimed by")."""
    async with store.reading() as uow:
        return await uow.claims.holders(case_ids, now)


async def queue(
    store: ClaimStore,
    *,
    now: datetime,
    severe: SeverePolicy,
    filters: QueueFilter | None = None,
    limit: int = 100,
) -> list[QueuedCase]:
    """Pending cases in the order serve_next serves them (claimed ones included): the
    console's queue."""
    wanted = filters or NO_FILTER
    if (problem := filter_problem(wanted)) is not None:
        raise ValueError(f"bad queue filter: {problem}")
    async with store.reading() as uow:
        return await uow.claims.ordered(
            now=now, filters=wanted, severity=severity(severe, now), limit=limit
        )
