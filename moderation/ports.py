"""What the domain needs from storage, declared by the domain (storage implements it).

Keeping these small and backend-neutral is what lets a PostgreSQL backend slot in later.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from moderation.reporting.drafts import Draft
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.reporting.types import ClosedCase, NewReport, OpenCase, ReportSummary
from moderation.review.priority import ReporterRecord


@dataclass(frozen=True, slots=True)
class ResolvedChat:
    chat_id: int
    kind: TargetKind
    title: str | None = None


class ChatResolver(Protocol):
    """Looks a public @username up on Telegram; None when it cannot (never raises)."""

    async def resolve(self, username: str) -> ResolvedChat | None: ...


class TargetStore(Protocol):
    async def find_or_create(self, target: TargetRef, at: datetime) -> int: ...
    async def find(self, target: TargetRef) -> int | None: ...


class CaseStore(Protocol):
    async def open_case_for(self, target_id: int) -> OpenCase | None: ...
    async def open(self, target_id: int, category: str, at: datetime) -> int: ...
    async def last_closed_for(self, target_id: int) -> ClosedCase | None: ...
    async def reporters_after(self, case_id: int, after: datetime) -> int: ...
    async def move_reports_after(self, case_id: int, to_case_id: int, after: datetime) -> int: ...


class ReportStore(Protocol):
    async def add(
        self, report: NewReport, *, case_id: int, target_id: int, at: datetime
    ) -> int: ...
    async def id_for_update(self, update_id: int, since: datetime) -> int | None: ...
    async def id_for_draft(self, draft_id: int) -> int | None: ...
    async def by_reporter_on_case(self, case_id: int, reporter_id: int) -> int | None: ...
    async def times_since(self, reporter_id: int, since: datetime) -> list[datetime]: ...
    async def recent_by_reporter(self, reporter_id: int, limit: int) -> list[ReportSummary]: ...
    async def target_of(self, report_id: int) -> TargetRef | None: ...


class DraftStore(Protocol):
    async def get(self, user_id: int) -> Draft | None: ...
    async def save(self, draft: Draft) -> None: ...
    async def delete(self, user_id: int) -> bool: ...
    async def take_expired(self, now: datetime, limit: int) -> list[Draft]: ...


class BlockList(Protocol):
    async def is_blocked(self, user_id: int) -> bool: ...


class UserPreferences(Protocol):
    async def touch(
        self, user_id: int, language_code: str | None, at: datetime, username: str | None = None
    ) -> None: ...
    async def set_notify(self, user_id: int, enabled: bool, at: datetime) -> None: ...
    async def notify_enabled(self, user_id: int) -> bool: ...


class ProcessedUpdates(Protocol):
    async def mark_processed(self, update_id: int, at: datetime) -> bool: ...
    async def forget_before(self, before: datetime) -> int: ...


class NoticeQueue(Protocol):
    """Messages owed to users, written in the transaction of the change that owes them (the
    outbox); the delivery worker sends them. `dedupe_key` makes a second add a no-op (None)."""

    async def add(
        self,
        *,
        dedupe_key: str,
        kind: str,
        chat_id: int,
        payload: Mapping[str, Any],
        at: datetime,
        not_before: datetime,
    ) -> int | None: ...


class AuditTrail(Protocol):
    async def append(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject_type: str | None = None,
        subject_id: str | int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int: ...


class CasePosts(Protocol):
    async def create(self, case_id: int, at: datetime) -> None: ...


class CaseScoring(Protocol):
    """What rescoring a case reads and writes (moderation/review/case_rules.py)."""

    async def reporter_records(self, case_id: int) -> list[ReporterRecord]: ...
    async def set_priority(self, case_id: int, priority: int) -> None: ...
    async def mark_provisionally_hidden(self, case_id: int, at: datetime) -> None: ...
    async def opened_at(self, case_id: int) -> datetime: ...
    async def set_provisional_due(self, case_id: int, due: datetime | None) -> None: ...


class CaseChanges(CaseScoring, Protocol):
    async def bump(self, case_id: int, at: datetime) -> None: ...


class ProvisionalHiding(Protocol):
    """Hides a pending case's target; False when it is hidden already."""

    async def hide_provisionally(self, case_id: int, at: datetime) -> bool: ...


class ReportingUnit(Protocol):
    @property
    def targets(self) -> TargetStore: ...
    @property
    def cases(self) -> CaseStore: ...
    @property
    def reports(self) -> ReportStore: ...
    @property
    def drafts(self) -> DraftStore: ...
    @property
    def blocks(self) -> BlockList: ...
    @property
    def users(self) -> UserPreferences: ...
    @property
    def updates(self) -> ProcessedUpdates: ...
    @property
    def audit(self) -> AuditTrail: ...
    @property
    def posts(self) -> CasePosts: ...
    @property
    def review(self) -> CaseChanges: ...
    @property
    def blocklist(self) -> ProvisionalHiding: ...


class ReportingStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[ReportingUnit]: ...
    def reading(self) -> AbstractAsyncContextManager[ReportingUnit]: ...
