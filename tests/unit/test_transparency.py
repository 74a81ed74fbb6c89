"""The transparency report's pure parts: periods, building from counts, exports, the message
renderer and the chart."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

import iso3166
import pytest
from matplotlib.image import imread

from handlers.i18n import default_catalog
from handlers.transparency_chart import ChartLabels, transparency_png
from handlers.transparency_views import MAX_COUNTRIES, MAX_TEXT, TransparencyViews, telegram_length
from moderation.legal.form import country_name
from moderation.legal.transparency import (
    BadPeriod,
    CountryCounts,
    Disclosed,
    Period,
    RoleGrantCounts,
    Totals,
    TransparencyReport,
    build_report,
    current_quarter,
    parse_period,
    period_or_default,
    to_csv,
    to_data,
    to_json,
)

AFTER_Q3 = datetime(2026, 10, 5, tzinfo=UTC)


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026Q1", "2026Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026Q3", "2026Q3", date(2026, 7, 1), date(2026, 10, 1)),
        ("2026q4", "2026Q4", date(2026, 10, 1), date(2027, 1, 1)),
        (" 2026H1 ", "2026H1", date(2026, 1, 1), date(2026, 7, 1)),
        ("2026h2", "2026H2", date(2026, 7, 1), date(2027, 1, 1)),
        ("2026", "2026", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_a_quarter_a_half_and_a_year_are_read(
    text: str, label: str, start: date, end: date
) -> None:
    assert parse_period(text) == Period(label, start, end)


@pytest.mark.parametrize(
    "text",
    ["", "Q3", "Q3 2026", "2026-Q3", "2026-07", "2026Q", "2026Q10", "26Q3", "2026 Q3", "<b>"],
)
def test_a_period_written_otherwise_is_refused_with_the_syntax(text: str) -> None:
    with pytest.raises(BadPeriod, match="write the period as 2026Q3"):
        parse_period(text)


@pytest.mark.parametrize("text", ["2026Q0", "2026Q5", "2026H0", "2026H3"])
def test_a_quarter_or_half_that_does_not_exist_is_named(text: str) -> None:
    with pytest.raises(BadPeriod, match=f"{text} does not exist"):
        parse_period(text)


@pytest.mark.parametrize("text", ["1999", "1999Q4", "3000H1"])
def test_a_year_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(BadPeriod, match="between 2000 and 2999"):
        parse_period(text)


def test_a_period_is_half_open_in_utc() -> None:
    period = parse_period("2026Q3")
    assert period.bounds() == (
        datetime(2026, 7, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert period.last_day == date(2026, 9, 30)


def test_a_period_is_over_from_the_first_instant_after_it() -> None:
    period = parse_period("2026Q3")
    assert not period.is_over(datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=UTC))
    assert period.is_over(datetime(2026, 10, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("month", "quarter"), [(1, "Q1"), (3, "Q1"), (4, "Q2"), (6, "Q2"), (7, "Q3"), (12, "Q4")]
)
def test_the_current_quarter_follows_the_month(month: int, quarter: str) -> None:
    assert current_quarter(date(2026, month, 15)).label == f"2026{quarter}"


def test_no_period_means_the_current_quarter_in_utc() -> None:
    # 23:30 on 30 September in UTC-2 is already 1 October in UTC
    late = datetime(2026, 9, 30, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert period_or_default(None, late).label == "2026Q4"
    assert period_or_default("  ", late).label == "2026Q4"
    assert period_or_default("2026H1", late).label == "2026H1"


def test_country_names_come_from_iso_3166_and_unknown_codes_stay_codes() -> None:
    assert country_name("DE") == "Germany"
    assert country_name("de") == "Germany"
    assert country_name("ZZ") == "ZZ"


# --- building the report from counts -----------------------------------------------------------


@dataclass
class FakeCounts:
    received: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    disclosed: dict[str, Disclosed] = field(default_factory=dict)
    all_disclosed: Disclosed = field(default_factory=lambda: Disclosed(0, 0))
    copies: dict[str, int] = field(default_factory=dict)
    head: tuple[int, str] | None = None
    asked: list[tuple[datetime, datetime]] = field(default_factory=list)

    async def requests_received_by_country(
        self, start: datetime, end: datetime
    ) -> Mapping[str, int]:
        self.asked.append((start, end))
        return self.received

    async def requests_rejected_by_country(
        self, start: datetime, end: datetime
    ) -> Mapping[str, int]:
        return self.rejected

    async def disclosures_by_country(
        self, start: datetime, end: datetime
    ) -> Mapping[str, Disclosed]:
        return self.disclosed

    async def disclosures_in(self, start: datetime, end: datetime) -> Disclosed:
        return self.all_disclosed

    async def copies_by_country(self, start: datetime, end: datetime) -> Mapping[str, int]:
        return self.copies

    async def ledger_head(self) -> tuple[int, str] | None:
        return self.head

    async def role_grants_in(self, start: datetime, end: datetime) -> dict[str, RoleGrantCounts]:
        return {}


@dataclass
class FakeUnit:
    transparency: FakeCounts


@dataclass
class FakeStore:
    counts: FakeCounts

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[FakeUnit]:
        yield FakeUnit(self.counts)


COUNTS = FakeCounts(
    received={"DE": 3, "BR": 1, "FR": 1},
    rejected={"BR": 1, "US": 2},
    disclosed={"DE": Disclosed(3, 2), "NL": Disclosed(1, 1)},
    all_disclosed=Disclosed(4, 2),  # the NL user is one of the DE users
)


async def test_every_country_with_any_count_gets_a_row_most_requests_first() -> None:
    report = await build_report(FakeStore(COUNTS), parse_period("2026Q3"))
    assert report.countries == (
        CountryCounts("DE", 3, 3, 0, 2),
        CountryCounts("BR", 1, 0, 1, 0),
        CountryCounts("FR", 1, 0, 0, 0),
        CountryCounts("NL", 0, 1, 0, 1),
        CountryCounts("US", 0, 0, 2, 0),
    )


async def test_totals_add_up_countries_but_count_each_user_once() -> None:
    report = await build_report(FakeStore(COUNTS), parse_period("2026Q3"))
    assert report.totals == Totals(received=5, fulfilled=4, rejected=3, users=2)
    assert report.ledger_entries == 4


async def test_the_counts_are_asked_for_the_period_bounds() -> None:
    counts = FakeCounts()
    report = await build_report(FakeStore(counts), parse_period("2026H2"))
    assert counts.asked == [(datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))]
    assert report.is_empty


# --- exports ---------------------------------------------------------------------------------

REPORT = TransparencyReport(
    period=parse_period("2026Q3"),
    countries=(CountryCounts("DE", 3, 3, 0, 2, copies=1), CountryCounts("BR", 1, 0, 1, 0)),
    totals=Totals(4, 3, 1, 2, copies=1),
    ledger_entries=3,
    ledger_head=(4, "ab" * 32),
)


def test_the_csv_has_one_row_per_country_and_an_all_countries_row() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(REPORT))))
    assert rows == [
        [
            "period",
            "period_start",
            "period_end",
            "country",
            "country_name",
            "requests_received",
            "requests_fulfilled",
            "requests_rejected",
            "users_disclosed",
            "copies_sent",
        ],
        ["2026Q3", "2026-07-01", "2026-09-30", "DE", "Germany", "3", "3", "0", "2", "1"],
        ["2026Q3", "2026-07-01", "2026-09-30", "BR", "Brazil", "1", "0", "1", "0", "0"],
        ["2026Q3", "2026-07-01", "2026-09-30", "ALL", "All countries", "4", "3", "1", "2", "1"],
    ]


def test_the_json_has_totals_countries_and_the_telegram_format() -> None:
    assert json.loads(to_json(REPORT)) == {
        "period": "2026Q3",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "totals": {
            "requests_received": 4,
            "requests_fulfilled": 3,
            "requests_rejected": 1,
            "users_disclosed": 2,
            "copies_sent": 1,
        },
        "ledger_head": {"seq": 4, "entry_hash": "ab" * 32},
        "countries": [
            {
                "country": "DE",
                "country_name": "Germany",
                "requests_received": 3,
                "requests_fulfilled": 3,
                "requests_rejected": 0,
                "users_disclosed": 2,
                "copies_sent": 1,
            },
            {
                "country": "BR",
                "country_name": "Brazil",
                "requests_received": 1,
                "requests_fulfilled": 0,
                "requests_rejected": 1,
                "users_disclosed": 0,
                "copies_sent": 0,
            },
        ],
        "role_grants": {
            role: {
                "proposed": 0,
                "confirmed": 0,
                "withdrawn": 0,
                "revoked": 0,
                "confirming_admin_pairs": 0,
                "most_confirmed_by_one_pair": 0,
            }
            for role in ("legal", "admin")
        },
        "telegram_format": [
            {
                "country": "DE",
                "period_start": "2026-07-01",
                "period_end": "2026-09-30",
                "requests": 3,
                "users_affected": 2,
            }
        ],
    }


def test_the_telegram_format_leaves_out_countries_with_nothing_disclosed() -> None:
    countries = [row["country"] for row in to_data(REPORT)["telegram_format"]]
    assert countries == ["DE"]


def test_the_same_report_exports_the_same_bytes() -> None:
    assert to_json(REPORT) == to_json(REPORT)
    assert to_csv(REPORT) == to_csv(REPORT)


# --- the message -----------------------------------------------------------------------------

VIEWS = TransparencyViews(default_catalog())


def table_rows(text: str) -> dict[str, list[int]]:
    """The rows of the <pre> table: label -> received, fulfilled, rejected, users."""
    table = text.split("<pre>", 1)[1].split("</pre>", 1)[0]
    rows = {}
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 5 and all(p.isdigit() for p in parts[1:]):
            rows[parts[0]] = [int(p) for p in parts[1:]]
    return rows


def test_the_message_shows_each_country_and_the_total_in_a_pre_block() -> None:
    text = VIEWS.report(REPORT, "en", AFTER_Q3)
    assert text.startswith("<b>Transparency report 2026Q3</b> (2026-07-01 to 2026-09-30, UTC)\n")
    assert "<pre>" in text
    assert table_rows(text) == {"DE": [3, 3, 0, 2], "BR": [1, 0, 1, 0], "all": [4, 3, 1, 2]}
    assert "3 disclosures in the period, about 2 different users" in text


def test_the_table_columns_line_up() -> None:
    table = VIEWS.table(REPORT, "en", len(REPORT.countries))
    assert table.splitlines() == [
        "    received fulfilled rejected users",
        "DE         3         3        0     2",
        "BR         1         0        1     0",
        "all        4         3        1     2",
    ]


def test_a_period_not_over_is_marked_to_date() -> None:
    during = datetime(2026, 8, 1, tzinfo=UTC)
    assert "to date, the period is not over" in VIEWS.report(REPORT, "en", during)
    assert "to date" not in VIEWS.report(REPORT, "en", AFTER_Q3)


def test_an_empty_period_says_so_without_a_table() -> None:
    empty = TransparencyReport(parse_period("2025Q1"), (), Totals(0, 0, 0, 0), 0)
    text = VIEWS.report(empty, "en", AFTER_Q3)
    assert "No legal request was received, fulfilled or rejected in this period." in text
    assert "<pre>" not in text


def test_a_russian_speaker_gets_the_russian_table() -> None:
    text = VIEWS.report(REPORT, "ru", AFTER_Q3)
    assert "Отчёт о прозрачности 2026Q3" in text
    assert table_rows(text)["всего"] == [4, 3, 1, 2]


def test_every_country_at_once_stays_within_telegram_limits() -> None:
    codes = sorted(iso3166.countries_by_alpha2)
    countries = tuple(
        CountryCounts(code, 100_000 + i, 90_000, 5_000, 80_000) for i, code in enumerate(codes)
    )
    big = TransparencyReport(
        parse_period("2026"),
        tuple(reversed(countries)),
        Totals(sum(c.received for c in countries), 90_000 * len(codes), 5_000 * len(codes), 1),
        90_000 * len(codes),
    )
    text = VIEWS.report(big, "en", AFTER_Q3)
    assert telegram_length(text) <= MAX_TEXT
    hidden = len(codes) - MAX_COUNTRIES
    assert f"… and {hidden} more countries, counted in the total" in text
    assert len(table_rows(text)) == MAX_COUNTRIES + 1  # and the total row


def test_a_bad_period_answer_escapes_what_was_written() -> None:
    text = VIEWS.bad_period("en", "<b>soon</b>")
    assert "“&lt;b&gt;soon&lt;/b&gt;”" in text
    assert "<code>2026Q3</code>" in text


def test_both_languages_have_every_transparency_text() -> None:
    catalog = default_catalog()
    english = {k for k in catalog.keys("en") if k.startswith("transparency.")}
    russian = {k for k in catalog.keys("ru") if k.startswith("transparency.")}
    assert english == russian
    assert len(english) > 10  # the prefix still names the transparency texts
    for key in english:
        assert catalog.placeholders("en", key) == catalog.placeholders("ru", key), key


# --- the chart -------------------------------------------------------------------------------

LABELS = ChartLabels("Legal requests by country, 2026Q3", "received", "fulfilled", "rejected", "n")


def test_the_chart_is_an_800_by_450_png() -> None:
    png = transparency_png(REPORT, LABELS)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width, _channels = imread(io.BytesIO(png), format="png").shape
    assert (width, height) == (800, 450)


def test_the_chart_title_says_when_only_the_top_countries_are_drawn() -> None:
    codes = sorted(iso3166.countries_by_alpha2)[:20]
    many = TransparencyReport(
        parse_period("2026Q3"),
        tuple(CountryCounts(code, 1, 0, 0, 0) for code in codes),
        Totals(20, 0, 0, 0),
        0,
    )
    assert VIEWS.chart_labels(many, "en").title == "Legal requests by country, 2026Q3 (top 15)"
    assert VIEWS.chart_labels(REPORT, "en").title == "Legal requests by country, 2026Q3"
