"""Filing a report: limits, blocks, duplicates, the target's open case, all in one transaction.

The receipt is only sent after `file_in` has committed; a redelivered update or a second tap
on Submit finds the report it already made instead of filing another.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from moderation.ports import ReportingStore, ReportingUnit
from moderation.reporting.targets import TargetRef
from moderation.reporting.types import (
    AlreadyFiled,
    AlreadyUnderReview,
    CaseStatus,
    ClosedCase,
    Filed,
    FilingOutcome,
    LimitReached,
    LimitWindow,
    NewReport,
    ReporterBlocked,
    ReportLimits,
    ReportSummary,
    Standing,
)
from moderation.review.case_rules import rescore
from moderation.review.priority import CasePolicy

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
#: Telegram redelivers an unconfirmed update for at most a day; ids may repeat after a week.
REDELIVERY_WINDOW = timedelta(days=2)


async def file_report(
    store: ReportingStore,
    report: NewReport,
    limits: ReportLimits,
    now: datetime,
    policy: CasePolicy | None = None,
) -> FilingOutcome:
    async with store.transaction() as uow:
        return await file_in(uow, report, limits, now, policy)


async def file_in(
    uow: ReportingUnit,
    report: NewReport,
    limits: ReportLimits,
    now: datetime,
    policy: CasePolicy | None = None,
) -> FilingOutcome:
    """Files `report` inside the caller's transaction.

    A target with an open case gets the report added to it. A target already confirmed keeps
    its case (it stays hidden). A target rejected within the cool-off keeps the report on the
    rejected case until enough new reporters have joined; then a new case opens with them.
    """
    rules = policy or CasePolicy()
    if report.update_id is not None:
        existing = await uow.reports.id_for_update(report.update_id, now - REDELIVERY_WINDOW)
        if existing is not None:
            return AlreadyFiled(existing)
    if report.draft_id is not None:
        existing = await uow.reports.id_for_draft(report.draft_id)
        if existing is not None:
            return AlreadyFiled(existing)
    refusal = await refusal_for(uow, report.reporter_id, limits, now)
    if refusal is not None:
        return refusal
    target_id = await uow.targets.find_or_create(report.target, now)
    case = await uow.cases.open_case_for(target_id)
    standing, reopened_from = Standing.OPEN, None
    if case is not None:
        case_id, category = case.id, case.category
    else:
        closed = await uow.cases.last_closed_for(target_id)
        standing = _standing_after(closed, rules, now)
        reopen_why = "cooloff"
        if closed is not None and closed.status is CaseStatus.REJECTED:
            reopened_from = closed  # past the cool-off, the reports kept since come along
        if closed is not None and standing is not Standing.OPEN:
            case_id, category = closed.id, report.category
            previous = await uow.reports.by_reporter_on_case(case_id, report.reporter_id)
            if previous is not None:
                return AlreadyUnderReview(previous, case_id, closed.status)
            if standing is Standing.REVIEWED:
                joined = await uow.cases.reporters_after(closed.id, closed.decided_at)
                if joined + 1 >= rules.reopen_reporters:
                    standing, reopen_why = Standing.OPEN, "new_reporters"
        if standing is Standing.OPEN:
            case_id, category = (
                await uow.cases.open(target_id, report.category, now),
                report.category,
            )
            await uow.posts.create(case_id, now)  # the review chat gets it from the outbox
            if reopened_from is not None:
                await uow.cases.move_reports_after(
                    reopened_from.id, case_id, reopened_from.decided_at
                )
                moved = await uow.reports.by_reporter_on_case(case_id, report.reporter_id)
                if moved is not None:  # this reporter's kept report now stands for them
                    await rescore(
                        uow.review, uow.blocklist, uow.audit, case_id, category, rules, now
                    )
                    await _audit_reopened(uow, case_id, reopened_from, reopen_why, now)
                    return AlreadyUnderReview(moved, case_id)
    new_case = case is None and standing is Standing.OPEN
    if case is not None:
        previous = await uow.reports.by_reporter_on_case(case_id, report.reporter_id)
        if previous is not None:
            return AlreadyUnderReview(previous, case_id)
        await uow.review.bump(case_id, now)  # the case message shows the new counts
    report_id = await uow.reports.add(report, case_id=case_id, target_id=target_id, at=now)
    if standing is Standing.OPEN:
        await rescore(uow.review, uow.blocklist, uow.audit, case_id, category, rules, now)
    if report.update_id is not None:
        await uow.updates.mark_processed(report.update_id, now)
    await uow.audit.append(
        at=now,
        actor_id=report.reporter_id,
        action="report.filed",
        subject_type="case",
        subject_id=case_id,
        details={
            "report_id": report_id,
            "new_case": new_case,
            "standing": standing.value,
            "category": report.category,
            "source": report.source.value,
        },
    )
    if reopened_from is not None and new_case:
        await _audit_reopened(uow, case_id, reopened_from, reopen_why, now)
    return Filed(report_id, case_id, new_case, standing)


async def _audit_reopened(
    uow: ReportingUnit, case_id: int, rejected: ClosedCase, why: str, now: datetime
) -> None:
    await uow.audit.append(
        at=now,
        actor_id=None,
        action="case.reopened",
        subject_type="case",
        subject_id=case_id,
        details={
            "before": rejected.status.value,
            "after": "pending",
            "rejected_case": rejected.id,
            "why": why,
        },
    )


def _standing_after(closed: ClosedCase | None, policy: CasePolicy, now: datetime) -> Standing:
    """Where a report on a target without an open case goes."""
    if closed is None:
        return Standing.OPEN
    if closed.status is CaseStatus.APPROVED:
        return Standing.HIDDEN
    if now < closed.decided_at + policy.reopen_cooloff:
        return Standing.REVIEWED
    return Standing.OPEN


async def refusal_for(
    uow: ReportingUnit, reporter_id: int, limits: ReportLimits, now: datetime
) -> ReporterBlocked | LimitReached | None:
    """Why this person may not report right now, if anything. A blocked reporter's attempt is
    audit-logged (a denial); a rate limit is not (the reporter is told when room opens)."""
    if await uow.blocks.is_blocked(reporter_id):
        await uow.audit.append(at=now, actor_id=reporter_id, action="report.blocked_refused")
        return ReporterBlocked()
    times = await uow.reports.times_since(reporter_id, now - DAY)
    last_hour = [t for t in times if t > now - HOUR]
    if len(last_hour) >= limits.per_hour:
        # Room opens when enough of the hour's reports have aged out of the window.
        return LimitReached(
            LimitWindow.HOUR, limits.per_hour, last_hour[len(last_hour) - limits.per_hour] + HOUR
        )
    if len(times) >= limits.per_day:
        return LimitReached(
            LimitWindow.DAY, limits.per_day, times[len(times) - limits.per_day] + DAY
        )
    return None


async def already_reported(uow: ReportingUnit, reporter_id: int, target: TargetRef) -> int | None:
    """The reporter's report on this target's open case, if there is one."""
    target_id = await uow.targets.find(target)
    if target_id is None:
        return None
    case = await uow.cases.open_case_for(target_id)
    if case is None:
        return None
    return await uow.reports.by_reporter_on_case(case.id, reporter_id)


async def my_reports(store: ReportingStore, reporter_id: int, limit: int) -> list[ReportSummary]:
    async with store.reading() as uow:
        return await uow.reports.recent_by_reporter(reporter_id, limit)


async def reported_target(store: ReportingStore, report_id: int) -> TargetRef | None:
    """What a report named (@channel, the post link, the search term), for its outcome."""
    async with store.reading() as uow:
        return await uow.reports.target_of(report_id)


async def set_notifications(
    store: ReportingStore, user_id: int, enabled: bool | None, now: datetime
) -> bool:
    """Turns outcome notifications on or off (None: leave as is); returns the setting."""
    async with store.transaction() as uow:
        if enabled is not None:
            await uow.users.set_notify(user_id, enabled, now)
            await uow.audit.append(
                at=now,
                actor_id=user_id,
                action="reporter.notify_changed",
                subject_type="user",
                subject_id=user_id,
                details={"enabled": enabled},
            )
        return await uow.users.notify_enabled(user_id)


async def forget_old_updates(store: ReportingStore, now: datetime) -> int:
    async with store.transaction() as uow:
        return await uow.updates.forget_before(now - REDELIVERY_WINDOW)
