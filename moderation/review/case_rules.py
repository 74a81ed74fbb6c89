"""Rules that run whenever a case changes: its priority, and provisional hiding.

Both run inside the caller's transaction, so the priority the queue sorts by and the hiding the
search reads are always consistent with the reports and decisions they follow from.
"""

from __future__ import annotations

from datetime import datetime

from moderation.ports import AuditTrail, CaseScoring, ProvisionalHiding
from moderation.review.priority import CasePolicy, priority, trusted_count


async def rescore(
    review: CaseScoring,
    blocklist: ProvisionalHiding,
    audit: AuditTrail,
    case_id: int,
    category: str,
    policy: CasePolicy,
    now: datetime,
) -> int:
    """Recomputes the case's priority and hides its target provisionally when enough trusted
    reporters stand behind it (only while pending; the caller knows it is)."""
    records = await review.reporter_records(case_id)
    score = priority(policy.severity_of(category), records)
    await review.set_priority(case_id, score)
    trusted = trusted_count(records)
    if (
        policy.provisional_reporters > 0
        and trusted >= policy.provisional_reporters
        and await blocklist.hide_provisionally(case_id, now)
    ):
        await review.mark_provisionally_hidden(case_id, now)
        await audit.append(
            at=now,
            actor_id=None,
            action="case.provisionally_hidden",
            subject_type="case",
            subject_id=case_id,
            details={"before": "visible", "after": "hidden", "trusted_reporters": trusted},
        )
    return score
