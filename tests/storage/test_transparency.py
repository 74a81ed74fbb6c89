"""The transparency report's counts against rows put straight into a real migrated database.

The rows (times UTC; Q3 = 2026-07-01 .. 2026-09-30, Q4 starts 2026-10-01T00:00:00):
  request  country  registered              rejected         disclosed (violator)
  1        DE       Q3 first instant        -                2026-07-20 (7)
  2        DE       2026-08-15              -                2026-08-20 (7, again)
  3        DE       2026-09-01              -                2026-09-10 (8)
  4        BR       Q3 last microsecond     -                Q4 first instant (9)
  5        BR       2026-06-30 (Q2)         2026-07-05 (Q3)  -
  6        FR       2026-09-20              2026-10-02 (Q4)  -
  7        IN       Q4 first instant        -                2026-11-01 (9, like BR)
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from moderation.legal.transparency import TransparencyReport, build_report, parse_period, to_data
from moderation.staff.roles import Role
from moderation.staff.team import grant, revoke
from storage import Store
from storage.location import Location
from tests.storage.legal_fixtures import TEST_LEDGER_KEYS
from tests.storage.stored import Rows, stored

Q3_START = "2026-07-01T00:00:00.000000+00:00"
Q3_LAST = "2026-09-30T23:59:59.999999+00:00"
Q4_START = "2026-10-01T00:00:00.000000+00:00"


def at(day: str, clock: str = "10:00:00") -> str:
    """A timestamp as storage/codec.py writes it."""
    return f"{day}T{clock}.000000+00:00"


def add_request(
    rows: Rows,
    country: str,
    registered_at: str,
    *,
    rejected_at: str | None = None,
) -> int:
    """The new request's id: requests are numbered 1, 2, ... in the order they are added."""
    request_id = 1 + sum("INTO legal_requests" in sql for sql, _ in rows.statements)
    rows.execute(
        "INSERT INTO legal_requests (id, authority, country, reference, order_type, issued_on, "
        "offence, target_kind, target_value, period_start, period_end, state, registered_by, "
        "registered_at, rejected_at) VALUES (?, 'Court', ?, ?, 'court_order', '2026-01-01', "
        "'fraud', 'telegram_id', '1', '2026-01-01', '2026-01-31', ?, 1, ?, ?)",
        (
            request_id,
            country,
            f"ref-{request_id}",
            "rejected" if rejected_at else "received",
            registered_at,
            rejected_at,
        ),
    )
    return request_id


def add_disclosure(
    rows: Rows, request_id: int, violator: int, country: str, disclosed_at: str
) -> None:
    rows.execute(
        "INSERT INTO disclosure_ledger (seq, kind, request_id, violator_id, country, "
        "disclosed_at, content_sha256, prev_hash, entry_hash) VALUES ("
        "(SELECT coalesce(max(seq), 0) + 1 FROM disclosure_ledger), 'disclosure', "
        "?, ?, ?, ?, 'c', 'p', ?)",
        (request_id, violator, country, disclosed_at, f"h{request_id}"),
    )


@pytest.fixture
async def store(store_location: Location) -> AsyncIterator[Store]:
    opened = await Store.open(store_location)
    rows = Rows()
    de1 = add_request(rows, "DE", Q3_START)
    de2 = add_request(rows, "DE", at("2026-08-15"))
    de3 = add_request(rows, "DE", at("2026-09-01"))
    br1 = add_request(rows, "BR", Q3_LAST)
    add_request(rows, "BR", at("2026-06-30"), rejected_at=at("2026-07-05"))
    add_request(rows, "FR", at("2026-09-20"), rejected_at=at("2026-10-02"))
    in1 = add_request(rows, "IN", Q4_START)
    add_disclosure(rows, de1, 7, "DE", at("2026-07-20"))
    add_disclosure(rows, de2, 7, "DE", at("2026-08-20"))
    add_disclosure(rows, de3, 8, "DE", at("2026-09-10"))
    add_disclosure(rows, br1, 9, "BR", Q4_START)
    add_disclosure(rows, in1, 9, "IN", at("2026-11-01"))
    await rows.put(opened)
    yield opened
    await opened.close()


async def report_for(store: Store, period: str) -> TransparencyReport:
    return await build_report(store, parse_period(period))


def by_country(report: TransparencyReport) -> dict[str, tuple[int, int, int, int]]:
    """country -> (received, fulfilled, rejected, users)"""
    return {c.country: (c.received, c.fulfilled, c.rejected, c.users) for c in report.countries}


async def test_each_country_gets_its_exact_counts_for_the_quarter(store: Store) -> None:
    report = await report_for(store, "2026Q3")
    assert by_country(report) == {
        "DE": (3, 3, 0, 2),
        "BR": (1, 0, 1, 0),
        "FR": (1, 0, 0, 0),
    }


async def test_countries_are_listed_most_requests_first(store: Store) -> None:
    report = await report_for(store, "2026Q3")
    assert [c.country for c in report.countries] == ["DE", "BR", "FR"]


async def test_a_request_at_the_first_instant_of_the_quarter_is_counted_in_it(
    store: Store,
) -> None:
    report = await report_for(store, "2026Q3")
    assert by_country(report)["DE"][0] == 3  # request 1 was registered at Q3_START


async def test_a_request_at_the_last_microsecond_of_the_quarter_is_counted_in_it(
    store: Store,
) -> None:
    report = await report_for(store, "2026Q3")
    assert by_country(report)["BR"][0] == 1


async def test_a_disclosure_at_the_first_instant_of_the_next_quarter_is_not_counted(
    store: Store,
) -> None:
    report = await report_for(store, "2026Q3")
    assert by_country(report)["BR"][1] == 0


async def test_a_disclosure_at_the_first_instant_of_a_quarter_is_counted_in_it(
    store: Store,
) -> None:
    report = await report_for(store, "2026Q4")
    assert by_country(report)["BR"] == (0, 1, 0, 1)


async def test_the_same_violator_disclosed_twice_counts_as_one_user(store: Store) -> None:
    report = await report_for(store, "2026Q3")
    assert (report.totals.fulfilled, report.totals.users) == (3, 2)


async def test_rejected_requests_are_counted_when_they_were_rejected(store: Store) -> None:
    q3 = await report_for(store, "2026Q3")
    q4 = await report_for(store, "2026Q4")
    assert (by_country(q3)["BR"][2], by_country(q3)["FR"][2]) == (1, 0)
    assert by_country(q4)["FR"] == (0, 0, 1, 0)


async def test_a_user_disclosed_to_two_countries_is_one_user_in_the_total(store: Store) -> None:
    report = await report_for(store, "2026Q4")
    assert (by_country(report)["BR"][3], by_country(report)["IN"][3]) == (1, 1)
    assert report.totals.users == 1


@pytest.mark.parametrize("period", ["2026Q2", "2026Q3", "2026Q4", "2026H2", "2026"])
async def test_totals_equal_the_sum_of_the_countries(store: Store, period: str) -> None:
    report = await report_for(store, period)
    totals = report.totals
    assert totals.received == sum(c.received for c in report.countries)
    assert totals.fulfilled == sum(c.fulfilled for c in report.countries)
    assert totals.rejected == sum(c.rejected for c in report.countries)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026Q3", Q3_START, Q4_START),
        ("2026Q4", Q4_START, "2027-01-01T00:00:00.000000+00:00"),
        ("2026", "2026-01-01T00:00:00.000000+00:00", "2027-01-01T00:00:00.000000+00:00"),
    ],
)
async def test_fulfilled_and_users_equal_a_plain_count_of_the_ledger_in_the_period(
    store: Store, period: str, start: str, end: str
) -> None:
    report = await report_for(store, period)
    [(entries, users)] = await stored(
        store,
        "SELECT count(*), count(DISTINCT violator_id) FROM disclosure_ledger "
        "WHERE disclosed_at >= ? AND disclosed_at < ?",
        (start, end),
    )
    assert report.totals.fulfilled == report.ledger_entries == entries
    assert report.totals.users == users


async def test_a_half_year_adds_up_its_two_quarters(store: Store) -> None:
    q3 = by_country(await report_for(store, "2026Q3"))
    q4 = by_country(await report_for(store, "2026Q4"))
    half = await report_for(store, "2026H2")
    assert set(q3) | set(q4)  # the fixture has requests in both quarters
    assert set(by_country(half)) == set(q3) | set(q4)  # no country left out of the loop
    for country, (received, fulfilled, rejected, _) in by_country(half).items():
        parts = [q.get(country, (0, 0, 0, 0)) for q in (q3, q4)]
        assert (received, fulfilled, rejected) == tuple(
            sum(part[i] for part in parts) for i in range(3)
        )


async def test_a_period_with_nothing_in_it_is_empty(store: Store) -> None:
    report = await report_for(store, "2025Q1")
    assert report.is_empty
    assert report.totals == type(report.totals)(0, 0, 0, 0)
    assert report.ledger_entries == 0


async def test_the_json_export_carries_the_counts_of_the_database(store: Store) -> None:
    data = json.loads(json.dumps(to_data(await report_for(store, "2026Q3"))))
    assert data["totals"] == {
        "requests_received": 5,
        "requests_fulfilled": 3,
        "requests_rejected": 1,
        "users_disclosed": 2,
        "copies_sent": 0,
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


async def test_random_requests_and_disclosures_are_counted_exactly(
    store_location: Location,
) -> None:
    """Hundreds of rows at random times of 2026 (quarter edges included), counted once in
    Python from the rows themselves and once by the report, quarter by quarter."""
    rng = random.Random(20260701)
    edges = [Q3_START, Q3_LAST, Q4_START, "2026-04-01T00:00:00.000000+00:00"]

    def moment() -> str:
        if rng.random() < 0.1:
            return rng.choice(edges)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        return at(
            f"2026-{month:02}-{day:02}", f"{rng.randint(0, 23):02}:{rng.randint(0, 59):02}:00"
        )

    requests: list[tuple[str, str, str | None]] = []
    disclosures: list[tuple[str, int, str]] = []
    rows = Rows()
    for _ in range(400):
        country = rng.choice(["DE", "BR", "IN", "US", "FR", "GB"])
        registered = moment()
        rejected_at = moment() if rng.random() < 0.2 else None
        request_id = add_request(rows, country, registered, rejected_at=rejected_at)
        requests.append((country, registered, rejected_at))
        if rejected_at is None and rng.random() < 0.5:
            violator = rng.randint(1, 40)
            disclosed = moment()
            add_disclosure(rows, request_id, violator, country, disclosed)
            disclosures.append((country, violator, disclosed))
    store = await Store.open(store_location)
    try:
        await rows.put(store)
        for quarter, (start, end) in {
            "2026Q1": ("2026-01-01", "2026-04-01"),
            "2026Q2": ("2026-04-01", "2026-07-01"),
            "2026Q3": ("2026-07-01", "2026-10-01"),
            "2026Q4": ("2026-10-01", "2027-01-01"),
        }.items():

            def inside(moment: str | None, start: str = start, end: str = end) -> bool:
                return moment is not None and start <= moment[:10] < end

            received = Counter(c for c, r, _ in requests if inside(r))
            rejected = Counter(c for c, _, x in requests if inside(x))
            fulfilled = Counter(c for c, _, d in disclosures if inside(d))
            users: defaultdict[str, set[int]] = defaultdict(set)
            for country, violator, disclosed in disclosures:
                if inside(disclosed):
                    users[country].add(violator)
            expected = {
                c: (received[c], fulfilled[c], rejected[c], len(users[c]))
                for c in set(received) | set(rejected) | set(fulfilled)
            }
            report = await build_report(store, parse_period(quarter))
            assert by_country(report) == expected, quarter
            everyone = {v for _, v, d in disclosures if inside(d)}
            assert report.totals.users == len(everyone), quarter
    finally:
        await store.close()


async def test_the_export_counts_legal_grants_and_how_concentrated_their_confirmations_are(
    store: Store,
) -> None:
    """Two colluding admins can still make legal officers of accounts they control: the
    published report shows every legal role proposed, confirmed, withdrawn and revoked in the
    period, and how many proposer-confirmer pairs confirmed them (no ids)."""
    ada, abe = 1, 4
    bootstrap = {Role.ADMIN: {ada, abe}}
    july, october = datetime(2026, 7, 10, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)
    for proposer, confirmer, person in ((ada, abe, 40), (ada, abe, 41), (abe, ada, 42)):
        await grant(store, bootstrap, proposer, [str(person), "legal"], july, keys=TEST_LEDGER_KEYS)
        await grant(
            store, bootstrap, confirmer, [str(person), "legal"], july, keys=TEST_LEDGER_KEYS
        )
    await grant(store, bootstrap, ada, ["43", "legal"], july, keys=TEST_LEDGER_KEYS)
    await revoke(
        store, bootstrap, abe, ["43", "legal"], july, keys=TEST_LEDGER_KEYS
    )  # withdrawn before confirmed
    await revoke(store, bootstrap, abe, ["40", "legal"], july, keys=TEST_LEDGER_KEYS)
    await grant(store, bootstrap, ada, ["44", "admin"], october, keys=TEST_LEDGER_KEYS)
    data = to_data(await report_for(store, "2026Q3"))
    assert data["role_grants"] == {
        "legal": {
            "proposed": 4,
            "confirmed": 3,
            "withdrawn": 1,
            "revoked": 1,
            "confirming_admin_pairs": 2,
            "most_confirmed_by_one_pair": 2,
        },
        "admin": dict.fromkeys(data["role_grants"]["admin"], 0),
    }
    assert to_data(await report_for(store, "2026Q4"))["role_grants"]["admin"]["proposed"] == 1
