"""Filing reports against a real database, without Telegram: limits, joins, redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.reporting.filing import file_report
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.reporting.types import (
    AlreadyFiled,
    AlreadyUnderReview,
    Filed,
    LimitReached,
    LimitWindow,
    NewReport,
    ReporterBlocked,
    ReportLimits,
    ReportSource,
)
from storage import Store

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LIMITS = ReportLimits(per_hour=10, per_day=3)


def report(name: str, reporter: int = 1, update_id: int | None = None) -> NewReport:
    return NewReport(
        reporter_id=reporter,
        language_code="en",
        query="words",
        target=TargetRef(TargetKind.PUBLIC, username=name),
        category="drugs",
        comment=None,
        raw_input=f"@{name}",
        source=ReportSource.ONE_MESSAGE,
        update_id=update_id,
    )


async def test_daily_limit_names_the_moment_reporting_reopens(store: Store) -> None:
    for hour in range(3):
        outcome = await file_report(
            store, report(f"shop_{hour}aa"), LIMITS, START + timedelta(hours=hour)
        )
        assert isinstance(outcome, Filed)
    refused = await file_report(store, report("shop_xaa"), LIMITS, START + timedelta(hours=5))
    assert refused == LimitReached(LimitWindow.DAY, 3, START + timedelta(days=1))
    later = await file_report(store, report("shop_xaa"), LIMITS, START + timedelta(days=1))
    assert isinstance(later, Filed)


async def test_reports_on_one_target_share_a_case_but_not_a_reporter(store: Store) -> None:
    first = await file_report(store, report("same_shop", reporter=1), LIMITS, START)
    second = await file_report(store, report("same_shop", reporter=2), LIMITS, START)
    again = await file_report(store, report("same_shop", reporter=1), LIMITS, START)
    assert isinstance(first, Filed)
    assert first.new_case
    assert isinstance(second, Filed)
    assert not second.new_case
    assert second.case_id == first.case_id
    assert again == AlreadyUnderReview(first.report_id, first.case_id)


async def test_a_resolved_id_and_the_username_find_the_same_target(store: Store) -> None:
    by_name = await file_report(store, report("named_shop", reporter=1), LIMITS, START)
    resolved = TargetRef(TargetKind.CHANNEL, username="named_shop", chat_id=-100123)
    by_id = await file_report(
        store,
        NewReport(
            reporter_id=2,
            language_code=None,
            query="q",
            target=resolved,
            category="scam",
            comment=None,
            raw_input="forward",
            source=ReportSource.GUIDED,
        ),
        LIMITS,
        START,
    )
    assert isinstance(by_name, Filed)
    assert isinstance(by_id, Filed)
    assert by_id.case_id == by_name.case_id
    async with store.reading() as uow:
        assert await uow.targets.find(TargetRef(TargetKind.GROUP, chat_id=-100123)) is not None


async def test_the_same_update_files_once(store: Store) -> None:
    first = await file_report(store, report("shop_once", update_id=77), LIMITS, START)
    again = await file_report(store, report("shop_once", update_id=77), LIMITS, START)
    assert isinstance(first, Filed)
    assert again == AlreadyFiled(first.report_id)


async def test_an_old_update_id_reused_by_telegram_is_a_new_report(store: Store) -> None:
    first = await file_report(store, report("shop_one", update_id=5), LIMITS, START)
    weeks_later = START + timedelta(days=14)
    second = await file_report(store, report("shop_two", update_id=5), LIMITS, weeks_later)
    assert isinstance(first, Filed)
    assert isinstance(second, Filed)


async def test_blocked_reporters_file_nothing(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.blocks.block(9, by=1, at=START)
    assert await file_report(store, report("shop_b", reporter=9), LIMITS, START) == (
        ReporterBlocked()
    )
