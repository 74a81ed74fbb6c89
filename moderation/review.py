"""Cases as moderators see and decide them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from moderation.reports import CaseStatus
from moderation.targets import TargetRef


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class RejectReason(StrEnum):
    NOT_A_VIOLATION = "not_violation"
    INSUFFICIENT_EVIDENCE = "insufficient"
    DUPLICATE = "duplicate"
    FALSE_REPORT = "false_report"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Moderator:
    user_id: int
    name: str  # @username when there is one, else the first name; shown in the review chat
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class CaseView:
    """Everything the case message shows; never who the reporters are."""

    id: int
    status: CaseStatus
    version: int
    target: TargetRef
    category: str
    reports: int
    reporters: int
    sample_queries: tuple[str, ...]
    comments: tuple[str, ...]
    first_report_at: datetime
    last_report_at: datetime
    decided_by: int | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_category: str | None = None
    reject_reason: RejectReason | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    case_id: int
    decision: Decision
    decided_by: int
    decided_at: datetime
    category: str | None
    reason: RejectReason | None


@dataclass(frozen=True, slots=True)
class PostTask:
    """A case message still to post (message_id None) or to bring up to date."""

    case_id: int
    message_id: int | None
    chat_id: int | None
    version: int
    attempts: int


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, object]
    attempts: int
