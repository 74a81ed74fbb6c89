"""What reversing a decision removes, decided here rather than in SQL.

An approval hid the target and linked the case to a violator (created by the first confirming
case of the target). Reversing it removes this case's hiding and its link; a violator no other
case confirms goes too, with its metadata timeline, since nothing confirmed stands behind it;
one that other cases still confirm keeps them and dates from them. A provisional hiding the
decision confirmed or lifted comes back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from moderation.legal.lookup import ViolatorCase


class CaseHiding(Protocol):
    async def remove_case(self, case_id: int) -> None: ...
    async def restore_provisional(self, case_id: int) -> None: ...


class Confirmations(Protocol):
    async def violator_of(self, case_id: int) -> int | None: ...
    async def unlink(self, case_id: int) -> None: ...
    async def set_span(
        self, violator_id: int, first_case: int, last_confirmed_at: datetime
    ) -> None: ...
    async def delete_violator(self, violator_id: int) -> None: ...


class ViolatorHistory(Protocol):
    async def cases_of(self, violator_id: int) -> list[ViolatorCase]: ...
    async def purge(self, violator_id: int) -> int: ...


async def remove_decision_effects(
    blocklist: CaseHiding,
    confirmations: Confirmations,
    registry: ViolatorHistory,
    case_id: int,
) -> None:
    """Inside the caller's transaction, after the case went back to pending."""
    await blocklist.remove_case(case_id)
    violator_id = await confirmations.violator_of(case_id)
    if violator_id is not None:
        await confirmations.unlink(case_id)
        remaining = await registry.cases_of(violator_id)
        if remaining:
            await confirmations.set_span(
                violator_id,
                first_case=min(case.case_id for case in remaining),
                last_confirmed_at=max(case.confirmed_at for case in remaining),
            )
        else:
            await registry.purge(violator_id)  # its metadata timeline first: it references it
            await confirmations.delete_violator(violator_id)
    await blocklist.restore_provisional(case_id)
