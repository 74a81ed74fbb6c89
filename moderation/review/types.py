"""Cases as moderators see and decide them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from moderation.reporting.targets import TargetRef
from moderation.reporting.types import CaseStatus


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
    """Someone who may act in the review chat, with what they may do there."""

    user_id: int
    name: str  # @username when there is one, else the first name; shown in the review chat
    is_admin: bool = False
    is_legal: bool = False  # legal officers take escalated cases, not the everyday queue
    reviews: bool = True  # decides ordinary cases (moderators, admins, the chat's admins)

    def may_decide(self, escalated: bool) -> bool:
        """Escalated cases belong to admins and legal officers until one of them decides."""
        if escalated:
            return self.is_admin or self.is_legal
        return self.reviews


@dataclass(frozen=True, slots=True)
class Escalation:
    by: int
    by_name: str
    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class CaseNote:
    author_name: str
    text: str
    at: datetime


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
    reject_note: str | None = None
    priority: int = 0
    escalation: Escalation | None = None
    notes: tuple[CaseNote, ...] = ()
    notes_total: int = 0
    provisionally_hidden_at: datetime | None = None
    hidden_now: bool = False  # an entry in the search blocklist, provisional or confirmed
    #: A copy of the case's post may be above it, sent at or after this (moderation/case_copies)
    copy_since: datetime | None = None

    @property
    def escalated(self) -> bool:
        return self.escalation is not None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    case_id: int
    decision: Decision
    decided_by: int
    decided_at: datetime
    category: str | None
    reason: RejectReason | None
    note: str | None = None  # the explanation of an "other" rejection


@dataclass(frozen=True, slots=True)
class PostTask:
    """A case message still to post (message_id None) or to bring up to date."""

    case_id: int
    message_id: int | None
    chat_id: int | None
    version: int
    attempts: int
    requested: bool = False  # asked for from /queue, or re-posted after a deletion
    decided: bool = False  # the edit shows a decision: worth more than a count update


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One line of /queue."""

    case_id: int
    category: str
    priority: int
    reporters: int
    target: TargetRef
    message_id: int | None
    chat_id: int | None
    escalated: bool


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, object]
    attempts: int


class Menu(StrEnum):
    """What the case post's buttons offer: the main ones, or a menu one of them opened."""

    MAIN = "main"
    CATEGORIES = "categories"
    REASONS = "reasons"


@dataclass(frozen=True, slots=True)
class OpenMenu:
    case_id: int
    menu: Menu
    open_until: datetime


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which pending cases a queue shows or serves (moderation/review/claims.py); every part
    optional. `state`: "pending" (not escalated), "escalated" or "provisional" (its target
    hidden from search on trusted reports); `kind`: a TargetKind value; the ages count from
    the case's first report."""

    category: str | None = None
    state: str | None = None
    min_age: timedelta | None = None
    max_age: timedelta | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class QueuedCase:
    """One pending case in the queue's order (claims.queue: the console's list)."""

    case_id: int
    category: str
    priority: int
    target: TargetRef
    reports: int
    reporters: int
    first_report_at: datetime
    escalated: bool
    provisional: bool
    overdue: bool  # a severe category waiting longer than SLA_SEVERE_PENDING_MINUTES


@dataclass(frozen=True, slots=True)
class ClaimHolder:
    """Who is reviewing a case served outside the review chat, through what, until when."""

    user_id: int
    name: str
    via: str
    until: datetime
