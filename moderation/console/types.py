"""What the console's domain hands back: sessions and what a case shows beyond its post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SessionRefusal(StrEnum):
    """Why a call carries no usable session (the API's error codes)."""

    NO_SESSION = "no_session"  # no token, or one the database never issued
    EXPIRED = "session_expired"
    FORGED = "session_forged"  # a row the bot did not seal: inserted or altered in the database


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """An open console session; the token itself is never stored, only its sha256."""

    user_id: int
    name: str
    language: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A session just opened and its token (given to the page once, never stored)."""

    session: ConsoleSession
    token: str


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One report as the console shows it: what was searched and said, never who."""

    query: str
    comment: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class EarlierCase:
    case_id: int
    status: str
    category: str
    decision_category: str | None
    at: datetime  # decided, or opened while pending


@dataclass(frozen=True, slots=True)
class AppealLine:
    appeal_id: int
    status: str  # pending, upheld, overturned
    at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class TrailLine:
    """One audit row on the case: when, what, and which staff member (never a reporter)."""

    at: datetime
    action: str
    actor_id: int | None


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """The case's surroundings the console shows beside its CaseView."""

    reports: tuple[ReportLine, ...]
    history: tuple[EarlierCase, ...]
    appeals: tuple[AppealLine, ...]
    trail: tuple[TrailLine, ...]
    names: dict[int, str]  # staff names known from the case (deciders, escalators, notes)


@dataclass(frozen=True, slots=True)
class Throughput:
    """The queue's figures over the last hour (median over the last day's decisions)."""

    inbound_per_hour: int
    decided_per_hour: int
    median_handling_seconds: int | None
