"""The legal requests as the moderators' console shows them: each open request with its
checklist, its votes with who cast them and when, and whether its disclosure was made.

Legal officers read it as `/legal` lists them (the approvals of officers who lost the role voided
first, so nothing lapsed is shown as counting); admins read it without writing anything. Nothing
here opens a sealed value: a phone or IP target stays sealed, and a disclosure is named only by
its time, never by what it holds (it reaches the officer through `/legal` in the private chat).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from moderation.legal.approvals import void_lapsed
from moderation.legal.officers import Officer
from moderation.legal.ports import LegalUnit
from moderation.legal.steps import run_step
from moderation.legal.types import LegalPolicy, LegalRequest, RequestState

#: How many open requests the console lists (the oldest first, as `/legal` does).
LISTED: Final = 50


class DisclosureState(StrEnum):
    DUE = "due"  # approved by enough officers; an officer receives it through /legal disclose
    DISCLOSED = "disclosed"


@dataclass(frozen=True, slots=True)
class DisclosureStatus:
    state: DisclosureState
    at: datetime | None


@dataclass(frozen=True, slots=True)
class RequestOverview:
    """One request as the console lists it; `names` maps the officers it mentions to their
    @usernames where the bot knows them."""

    request: LegalRequest
    disclosure: DisclosureStatus | None
    names: Mapping[int, str]

    def name(self, user_id: int) -> str:
        known = self.names.get(user_id)
        return f"@{known}" if known else str(user_id)


@dataclass(frozen=True, slots=True)
class LegalOverview:
    requests: tuple[RequestOverview, ...]
    needed: int
    may_vote: bool  # a legal officer (an admin who is not one reads only)


class KnownNames(Protocol):
    async def usernames(self, user_ids: Iterable[int]) -> dict[int, str]: ...


class OverviewUnit(LegalUnit, Protocol):
    @property
    def users(self) -> KnownNames: ...


class OverviewStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[OverviewUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[OverviewUnit]: ...


async def overview(
    store: OverviewStore, policy: LegalPolicy, officer: Officer, now: datetime
) -> LegalOverview:
    """The open requests for a legal officer or an admin (checked against the roles table in
    the step's transaction, as every legal step is; anyone else is refused and audited)."""

    async def body(
        uow: LegalUnit, acting: Officer
    ) -> tuple[list[tuple[LegalRequest, DisclosureStatus | None]], bool]:
        found = []
        for request in await uow.legal.open_requests(LISTED):
            if acting.is_legal:  # as /legal does; an admin's read changes nothing
                request = await void_lapsed(uow, policy, request, acting.user_id, now)
            found.append((request, await _disclosure(uow, request)))
        return found, acting.is_legal

    found, may_vote = await run_step(
        store, policy, officer, "console_list", None, now, body, admins_too=True
    )
    people = {r.registered_by for r, _ in found} | {v.officer_id for r, _ in found for v in r.votes}
    async with store.reading() as uow:
        names = await uow.users.usernames(people)
    return LegalOverview(
        tuple(RequestOverview(r, d, names) for r, d in found), policy.approvals_needed, may_vote
    )


async def _disclosure(uow: LegalUnit, request: LegalRequest) -> DisclosureStatus | None:
    if request.state is RequestState.DISCLOSED:
        kept = await uow.legal.disclosure(request.id)
        return DisclosureStatus(DisclosureState.DISCLOSED, kept.disclosed_at if kept else None)
    if request.state is RequestState.APPROVED:
        return DisclosureStatus(DisclosureState.DUE, None)
    return None
