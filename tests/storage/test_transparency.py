"""The transparency report's counts against rows put straight into a real database."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from moderation.transparency import (
    BadPeriod,
    build_report,
    current_quarter,
    parse_period,
    to_csv,
    to_json,
)
from storage import Store, migrate


def request(
    conn: sqlite3.Connection,
    country: str,
    registered_at: str,
    *,
    reference: str,
    rejected_at: str | None = None,
) -> int:
    cursor = conn.execute(
        "INSERT INTO legal_requests (authority, country, reference, order_type, issued_on, "
        "offence, target_kind, target_value, period_start, period_end, state, registered_by, "
        "registered_at, rejected_at) VALUES ('Court', ?, ?, 'court_order', '2026-01-01', "
        "'fraud', 'telegram_id', '1', '2026-01-01', '2026-01-31', ?, 1, ?, ?)",
        (country, reference, "rejected" if rejected_at else "received", registered_at, rejected_at),
    )
    return int(cursor.lastrowid or 0)


def disclosed(
    conn: sqlite3.Connection, seq: int, request_id: int, violator: int, country: str, at: str
) -> None:
    conn.execute(
        "INSERT INTO disclosure_ledger (seq, request_id, violator_id, country, disclosed_at, "
        "content_sha256, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, 'c', 'p', ?)",
        (seq, request_id, violator, country, at, f"h{seq}"),
    )


def t(day: str, clock: str = "10:00:00") -> str:
    return f"{day}T{clock}.000000+00:00"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    database = tmp_path / "t.sqlite3"
    await migrate(database)
    with sqlite3.connect(database) as conn:
        de1 = request(conn, "DE", t("2026-07-02"), reference="1")
        de2 = request(conn, "DE", t("2026-08-15"), reference="2")
        de3 = request(conn, "DE", t("2026-09-01"), reference="3")
        br1 = request(conn, "BR", t("2026-09-30", "23:59:59"), reference="4")
        request(conn, "BR", t("2026-06-30"), reference="5", rejected_at=t("2026-07-05"))
        request(conn, "IN", t("2026-10-01", "00:00:00"), reference="6")  # next quarter
        disclosed(conn, 1, de1, 7, "DE", t("2026-07-20"))
        disclosed(conn, 2, de2, 7, "DE", t("2026-08-20"))  # the same user again
        disclosed(conn, 3, de3, 8, "DE", t("2026-09-10"))
        disclosed(conn, 4, br1, 9, "BR", t("2026-10-01", "00:00:00"))  # first instant of Q4
    opened = await Store.open(database)
    yield opened
    await opened.close()


async def test_counts_per_country_in_a_quarter(store: Store) -> None:
    report = await build_report(store, parse_period("2026Q3"))
    rows = {r.country: (r.received, r.fulfilled, r.rejected, r.users) for r in report.rows}
    assert rows == {"DE": (3, 3, 0, 2), "BR": (1, 0, 1, 0)}


async def test_the_same_violator_disclosed_twice_is_one_user(store: Store) -> None:
    report = await build_report(store, parse_period("2026Q3"))
    assert report.users_total == 2
    assert report.fulfilled == report.ledger_entries == 3


async def test_an_entry_at_the_first_instant_of_the_next_quarter_counts_there(
    store: Store,
) -> None:
    q4 = await build_report(store, parse_period("2026Q4"))
    rows = {r.country: (r.received, r.fulfilled, r.rejected, r.users) for r in q4.rows}
    assert rows == {"IN": (1, 0, 0, 0), "BR": (0, 1, 0, 1)}


async def test_totals_equal_a_plain_count_of_the_ledger(store: Store, tmp_path: Path) -> None:
    year = await build_report(store, parse_period("2026"))
    with sqlite3.connect(tmp_path / "t.sqlite3") as conn:
        (entries,) = conn.execute("SELECT count(*) FROM disclosure_ledger").fetchone()
        (users,) = conn.execute(
            "SELECT count(DISTINCT violator_id) FROM disclosure_ledger"
        ).fetchone()
    assert year.fulfilled == year.ledger_entries == entries
    assert year.users_total == users
    assert sum(r.users for r in year.rows) == users  # no violator spans two countries here


async def test_exports_give_csv_rows_and_the_telegram_shape(store: Store) -> None:
    report = await build_report(store, parse_period("2026Q3"))
    lines = to_csv(report).splitlines()
    assert lines[0].startswith("period,period_start,period_end,country")
    assert "2026Q3,2026-07-01,2026-09-30,DE,Germany,3,3,0,2" in lines
    data = json.loads(to_json(report))
    assert data["totals"] == {
        "requests_received": 4,
        "requests_fulfilled": 3,
        "requests_rejected": 1,
        "users_disclosed": 2,
    }
    assert data["telegram_format"] == [
        {
            "country": "DE",
            "period_start": "2026-07-01",
            "period_end": "2026-09-30",
            "requests": 3,
            "users_affected": 2,
        }
    ]


@pytest.mark.parametrize("text", ["2026Q5", "Q3 2026", "2026-07", "1999", "2026H3", ""])
def test_bad_periods_are_explained(text: str) -> None:
    with pytest.raises(BadPeriod):
        parse_period(text)


def test_periods_cover_quarters_halves_and_years() -> None:
    assert (parse_period("2026q4").start.isoformat(), parse_period("2026Q4").end.isoformat()) == (
        "2026-10-01",
        "2027-01-01",
    )
    assert parse_period("2026H1").last_day.isoformat() == "2026-06-30"
    assert parse_period("2026").label == "2026"
    assert current_quarter(parse_period("2026Q2").start).label == "2026Q2"
