"""Whether a decision can still be undone: one answer for the Undo button, the delivery worker,
the undo itself and a late `/reject` explanation.

The window is open strictly before its end; at the end the reporters' notifications become due
(decisions queue them with `not_before` = the end), so nobody is told an outcome that can still
be undone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from moderation.reporting.types import CaseStatus
from moderation.review.types import CaseView


def undo_deadline(case: CaseView, window: timedelta) -> datetime | None:
    """When the case's decision stops being undoable (None: the case is not decided)."""
    if case.status is CaseStatus.PENDING or case.decided_at is None:
        return None
    return case.decided_at + window


def undo_open_until(case: CaseView, now: datetime, window: timedelta) -> datetime | None:
    """The end of the undo window while it is still open at `now`, else None."""
    deadline = undo_deadline(case, window)
    return deadline if deadline is not None and now < deadline else None


def undo_open(case: CaseView, now: datetime, window: timedelta) -> bool:
    return undo_open_until(case, now, window) is not None
