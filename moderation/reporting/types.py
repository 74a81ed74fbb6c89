"""Reports and cases as the domain sees them, and the outcomes of filing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from moderation.reporting.targets import ForwardOrigin, TargetRef


class ReportSource(StrEnum):
    GUIDED = "guided"
    SHORTCUT = "shortcut"  # started by sending a link or forward outside a conversation
    ONE_MESSAGE = "one_message"


class CaseStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ReportLimits:
    per_hour: int
    per_day: int


@dataclass(frozen=True, slots=True)
class NewReport:
    """Everything a reporter gave us; kept whole for the moderators and the registry."""

    reporter_id: int
    language_code: str | None
    query: str
    target: TargetRef
    category: str
    comment: str | None
    raw_input: str
    source: ReportSource
    forward_origin: ForwardOrigin | None = None
    update_id: int | None = None
    draft_id: int | None = None


@dataclass(frozen=True, slots=True)
class ReportSummary:
    id: int
    case_id: int
    status: CaseStatus
    category: str
    target: TargetRef
    query: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OpenCase:
    id: int
    target_id: int
    category: str


@dataclass(frozen=True, slots=True)
class ClosedCase:
    """The latest decided case of a target, which new reports may join instead of reopening."""

    id: int
    status: CaseStatus
    decided_at: datetime


# --- outcomes of filing ----------------------------------------------------------------


class Standing(StrEnum):
    """Where a filed report stands: in an open case, or kept on a case already decided."""

    OPEN = "open"
    HIDDEN = "hidden"  # the target is a confirmed violator, already hidden from search
    REVIEWED = "reviewed"  # rejected recently; kept until enough new reporters reopen it


@dataclass(frozen=True, slots=True)
class Filed:
    report_id: int
    case_id: int
    new_case: bool
    standing: Standing = Standing.OPEN


@dataclass(frozen=True, slots=True)
class AlreadyFiled:
    """The same update or the same draft was submitted before (a redelivery or a double tap)."""

    report_id: int


@dataclass(frozen=True, slots=True)
class AlreadyUnderReview:
    """This reporter already reported this target's case (still open, or decided since)."""

    report_id: int
    case_id: int
    status: CaseStatus = CaseStatus.PENDING


class LimitWindow(StrEnum):
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class LimitReached:
    window: LimitWindow
    limit: int
    retry_at: datetime


@dataclass(frozen=True, slots=True)
class ReporterBlocked:
    pass


FilingOutcome = Filed | AlreadyFiled | AlreadyUnderReview | LimitReached | ReporterBlocked
Refusal = LimitReached | ReporterBlocked
