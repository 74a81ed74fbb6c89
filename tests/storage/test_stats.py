"""/stats aggregates against rows put straight into a real database, at known times.

The data is laid out so every window counts something different: a case 40 days ago (only in
"all"), one 20 days ago (30d), one 3 days ago (7d) and one opened 2 hours ago, still pending
(24h).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from moderation.stats.figures import (
    DecisionTimes,
    LegalCounts,
    ModeratorDecisions,
    PendingCase,
    ReachCounts,
    StatsReport,
    StatusCounts,
    ViolatorCounts,
    build_stats,
    parse_window,
)
from storage import Store
from storage.codec import encode_time
from storage.location import Location
from tests.storage.stored import Rows

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MONA, ADA = 11, 12


def at(delta: timedelta) -> str:
    return encode_time(NOW - delta)


def add_target(conn: Rows, target_id: int, username: str) -> None:
    when = at(timedelta(days=60))
    conn.execute(
        "INSERT INTO targets (id, key, kind, username, created_at, updated_at) "
        "VALUES (?, ?, 'public', ?, ?, ?)",
        (target_id, f"@{username}", username, when, when),
    )


def add_case(
    conn: Rows,
    case_id: int,
    category: str,
    opened: timedelta,
    decision: tuple[str, timedelta, int, str] | None = None,
) -> None:
    """decision: (status, time after opening, moderator id, moderator name)."""
    status, decided_at, by, name = "pending", None, None, None
    if decision is not None:
        status, after, by, name = decision
        decided_at = at(opened - after)
    conn.execute(
        "INSERT INTO cases (id, target_id, status, category, opened_at, updated_at, decided_at, "
        "decided_by, decided_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, case_id, status, category, at(opened), at(opened), decided_at, by, name),
    )
    if status == "approved":
        conn.execute(
            "INSERT INTO violators (id, target_id, category, case_id, confirmed_by, "
            "confirmed_at, last_confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (case_id, case_id, category, case_id, by, decided_at, decided_at),
        )
        conn.execute(
            "INSERT INTO violator_cases (violator_id, case_id, category, confirmed_by, "
            "confirmed_at) VALUES (?, ?, ?, ?, ?)",
            (case_id, case_id, category, by, decided_at),
        )


def add_report(conn: Rows, case_id: int, reporter: int, category: str, made: timedelta) -> None:
    conn.execute(
        "INSERT INTO reports (case_id, target_id, reporter_id, category, query, raw_input, "
        "source, created_at) VALUES (?, ?, ?, ?, 'q', 'raw', 'shortcut', ?)",
        (case_id, case_id, reporter, category, at(made)),
    )


def add_legal_request(
    conn: Rows,
    reference: str,
    registered: timedelta,
    *,
    rejected: timedelta | None = None,
    disclosed: timedelta | None = None,
) -> None:
    state = "rejected" if rejected else "disclosed" if disclosed else "received"
    conn.execute(
        "INSERT INTO legal_requests (authority, country, reference, order_type, issued_on, "
        "offence, target_kind, target_value, period_start, period_end, state, registered_by, "
        "registered_at, rejected_at) VALUES ('Court', 'DE', ?, 'court_order', '2026-01-01', "
        "'fraud', 'telegram_id', '1', '2026-01-01', '2026-01-31', ?, 1, ?, ?)",
        (reference, state, at(registered), at(rejected) if rejected else None),
    )
    if disclosed is not None:
        conn.execute(
            "INSERT INTO disclosure_ledger (seq, kind, request_id, violator_id, country, "
            "disclosed_at, content_sha256, prev_hash, entry_hash) VALUES ("
            "(SELECT coalesce(max(seq), 0) + 1 FROM disclosure_ledger), 'disclosure', "
            "(SELECT id FROM legal_requests WHERE reference = ?), 1, 'DE', ?, 'c', 'p', ?)",
            (reference, at(disclosed), f"h{reference}"),
        )


@pytest.fixture
async def store(store_location: Location) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    rows = Rows()
    for n, name in enumerate(["shop_a", "shop_b", "shop_c", "shop_d"], start=1):
        add_target(rows, n, name)
    day = timedelta(days=1)
    add_case(rows, 1, "drugs", 40 * day, ("approved", timedelta(hours=1), MONA, "@mona_old"))
    add_case(rows, 2, "scam", 20 * day, ("rejected", timedelta(hours=2), ADA, "Ada"))
    add_case(rows, 3, "drugs", 3 * day, ("approved", timedelta(minutes=30), MONA, "@mona"))
    add_case(rows, 4, "weapons", timedelta(hours=2))
    add_report(rows, 1, 101, "drugs", 40 * day)
    add_report(rows, 2, 102, "scam", 20 * day)
    add_report(rows, 3, 103, "drugs", 3 * day)
    add_report(rows, 3, 104, "drugs", 3 * day - timedelta(minutes=10))
    add_report(rows, 4, 101, "weapons", timedelta(hours=2))  # a returning reporter
    add_legal_request(rows, "A", 40 * day, disclosed=20 * day)
    add_legal_request(rows, "B", 10 * day, rejected=5 * day)
    add_legal_request(rows, "C", timedelta(hours=1))
    await rows.put(opened)
    yield opened
    await opened.close()


async def stats(store: Store, window: str) -> StatsReport:
    return await build_stats(store, parse_window(window), NOW)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", (StatusCounts("weapons", pending=1),)),
        ("7d", (StatusCounts("drugs", approved=2), StatusCounts("weapons", pending=1))),
        (
            "30d",
            (
                StatusCounts("drugs", approved=2),
                StatusCounts("scam", rejected=1),
                StatusCounts("weapons", pending=1),
            ),
        ),
        (
            "all",
            (
                StatusCounts("drugs", approved=3),
                StatusCounts("scam", rejected=1),
                StatusCounts("weapons", pending=1),
            ),
        ),
    ],
)
async def test_reports_are_counted_by_category_and_their_case_status(
    store: Store, window: str, expected: tuple[StatusCounts, ...]
) -> None:
    assert (await stats(store, window)).reports == expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", StatusCounts("", pending=1)),
        ("7d", StatusCounts("", pending=1, approved=1)),
        ("30d", StatusCounts("", pending=1, approved=1, rejected=1)),
        ("all", StatusCounts("", pending=1, approved=2, rejected=1)),
    ],
)
async def test_cases_opened_in_the_window_are_counted_by_status(
    store: Store, window: str, expected: StatusCounts
) -> None:
    assert (await stats(store, window)).cases_total == expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", ReachCounts(reporters=1, targets=1)),
        ("7d", ReachCounts(reporters=3, targets=2)),
        ("30d", ReachCounts(reporters=4, targets=3)),
        ("all", ReachCounts(reporters=4, targets=4)),
    ],
)
async def test_distinct_reporters_and_targets_are_counted_once_each(
    store: Store, window: str, expected: ReachCounts
) -> None:
    assert (await stats(store, window)).reach == expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", ()),
        ("7d", (ModeratorDecisions(MONA, "@mona", 1, 0),)),
        ("30d", (ModeratorDecisions(MONA, "@mona", 1, 0), ModeratorDecisions(ADA, "Ada", 0, 1))),
        ("all", (ModeratorDecisions(MONA, "@mona", 2, 0), ModeratorDecisions(ADA, "Ada", 0, 1))),
    ],
)
async def test_decisions_per_moderator_carry_the_name_on_their_latest_decision(
    store: Store, window: str, expected: tuple[ModeratorDecisions, ...]
) -> None:
    assert (await stats(store, window)).moderators == expected


@pytest.mark.parametrize(
    ("window", "rate"), [("24h", None), ("7d", 1.0), ("30d", 0.5), ("all", 2 / 3)]
)
async def test_approval_rate_is_approved_over_all_decisions_in_the_window(
    store: Store, window: str, rate: float | None
) -> None:
    assert (await stats(store, window)).approval_rate == rate


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", DecisionTimes(0, None, None)),
        ("7d", DecisionTimes(1, timedelta(minutes=30), timedelta(minutes=30))),
        ("30d", DecisionTimes(2, timedelta(minutes=30), timedelta(hours=2))),
        ("all", DecisionTimes(3, timedelta(hours=1), timedelta(hours=2))),
    ],
)
async def test_median_and_90th_percentile_time_to_decision_are_nearest_rank(
    store: Store, window: str, expected: DecisionTimes
) -> None:
    assert (await stats(store, window)).times == expected


async def test_oldest_pending_case_and_its_age_do_not_depend_on_the_window(store: Store) -> None:
    report = await stats(store, "30d")
    assert report.oldest_pending == PendingCase(4, "weapons", NOW - timedelta(hours=2))
    assert report.oldest_pending_age() == timedelta(hours=2)
    assert report.pending_now == 1


async def test_top_targets_are_the_most_reported_first(store: Store) -> None:
    report = await stats(store, "all")
    top = [(t.target.key, t.reports, t.reporters) for t in report.top_targets]
    assert top == [("@shop_c", 2, 2), ("@shop_a", 1, 1), ("@shop_b", 1, 1), ("@shop_d", 1, 1)]


async def test_top_targets_stop_at_the_limit(store: Store) -> None:
    report = await build_stats(store, parse_window("all"), NOW, top_targets=2)
    assert [t.target.key for t in report.top_targets] == ["@shop_c", "@shop_a"]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", ViolatorCounts(new=0, confirmations=0, total=2)),
        ("7d", ViolatorCounts(new=1, confirmations=1, total=2)),
        ("30d", ViolatorCounts(new=1, confirmations=1, total=2)),
        ("all", ViolatorCounts(new=2, confirmations=2, total=2)),
    ],
)
async def test_confirmed_violators_are_counted_by_confirmation_time(
    store: Store, window: str, expected: ViolatorCounts
) -> None:
    assert (await stats(store, window)).violators == expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("24h", LegalCounts(received=1, rejected=0, disclosed=0, open_now=2)),
        ("7d", LegalCounts(received=1, rejected=1, disclosed=0, open_now=2)),
        ("30d", LegalCounts(received=2, rejected=1, disclosed=1, open_now=2)),
        ("all", LegalCounts(received=3, rejected=1, disclosed=1, open_now=2)),
    ],
)
async def test_legal_requests_and_disclosures_are_counted_in_the_window(
    store: Store, window: str, expected: LegalCounts
) -> None:
    assert (await stats(store, window)).legal == expected


async def test_every_day_of_the_window_has_an_entry_zeros_included(store: Store) -> None:
    days = (await stats(store, "7d")).days
    assert [d.day for d in days] == [date(2026, 10, 26) + timedelta(days=n) for n in range(8)]
    assert [(d.reports, d.decisions) for d in days if d.reports or d.decisions] == [(2, 1), (1, 0)]
    assert sum(d.reports for d in days) == 3


async def test_all_time_days_start_at_the_first_activity(store: Store) -> None:
    days = (await stats(store, "all")).days
    assert days[0].day == (NOW - timedelta(days=40)).date()
    assert days[-1].day == NOW.date()


async def test_an_empty_database_gives_zeros_and_no_oldest_case(
    store_location: Location,
) -> None:
    opened = await Store.open(store_location)
    try:
        report = await stats(opened, "all")
    finally:
        await opened.close()
    assert (report.reports, report.cases, report.moderators, report.top_targets) == ((),) * 4
    assert report.oldest_pending is None
    assert report.times == DecisionTimes(0, None, None)
    assert [d.day for d in report.days] == [NOW.date()]
