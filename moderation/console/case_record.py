"""What the console shows about a case beyond its post: every report's query and comment (never
the reporter), the target's earlier cases and appeals, and the case's audit trail limited to
staff actions (a reporter's own rows, e.g. a filing, would name them)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Final

from moderation.console.ports import ConsoleStore
from moderation.console.types import CaseRecord, Throughput
from moderation.review.types import CaseView

#: The audit actions a moderator's console shows on a case: what staff did to it.
STAFF_ACTIONS: Final = frozenset(
    {
        "case.approved",
        "case.rejected",
        "case.escalated",
        "case.escalation_noted",
        "case.note_added",
        "case.undone",
        "case.reject_explained",
        "case.post_requested",
        "case.overturned",
        "review.claimed",
        "review.released",
    }
)
REPORTS_SHOWN: Final = 200
HISTORY_SHOWN: Final = 50
TRAIL_SHOWN: Final = 100


async def case_record(store: ConsoleStore, view: CaseView) -> CaseRecord:
    async with store.reading() as uow:
        records = uow.console
        reports = await records.reports(view.id, REPORTS_SHOWN)
        history = await records.earlier_cases(view.id, HISTORY_SHOWN)
        appeals = await records.appeals(view.id, HISTORY_SHOWN)
        trail = await records.trail(view.id, STAFF_ACTIONS, TRAIL_SHOWN)
    names: dict[int, str] = {}
    if view.decided_by is not None and view.decided_by_name:
        names[view.decided_by] = view.decided_by_name
    if view.escalation is not None:
        names[view.escalation.by] = view.escalation.by_name
    return CaseRecord(tuple(reports), tuple(history), tuple(appeals), tuple(trail), names)


async def throughput(store: ConsoleStore, now: datetime) -> Throughput:
    """Inbound reports and decisions in the last hour; the median time from a case's first
    report to its decision over the last day."""
    async with store.reading() as uow:
        inbound = await uow.console.inbound_since(now - timedelta(hours=1))
        handled = await uow.console.decided_since(now - timedelta(days=1))
        decided_hour = await uow.console.decided_since(now - timedelta(hours=1))
    median = int(statistics.median(handled)) if handled else None
    return Throughput(inbound, len(decided_hour), median)
