"""A legal request's fields, each validated with a message naming the field, and the automatic
checklist run on a request: one result per check, each with its reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from moderation.legal.analysis import analyse, blocking, day_bounds
from moderation.legal.form import FIELDS, FieldProblem, form_from, parse_field
from moderation.legal.types import (
    CheckKey,
    CheckResult,
    LegalPolicy,
    OrderType,
    RequestForm,
    Target,
    TargetKind,
)

TODAY = date(2026, 11, 20)
POLICY = LegalPolicy(
    offences={"drug_trafficking": "drugs"},
    denied_countries=frozenset({"KP"}),
    max_period_days=366,
)
VALID = {
    "authority": "Amtsgericht Teststadt",
    "country": "de",
    "reference": "AG-1/26",
    "order_type": "court order",
    "issued_on": "2026-10-01",
    "offence": "Drug trafficking",
    "target": "@Pill_Shop",
    "period": "2026-07-01..2026-07-31",
}
FORM = RequestForm(
    authority="Amtsgericht Teststadt",
    country="DE",
    reference="AG-1/26",
    order_type=OrderType.COURT_ORDER,
    issued_on=date(2026, 10, 1),
    offence="drug_trafficking",
    target=Target(TargetKind.USERNAME, "pill_shop"),
    period_start=date(2026, 7, 1),
    period_end=date(2026, 7, 31),
)


def problem(name: str, raw: object) -> FieldProblem:
    with pytest.raises(FieldProblem) as raised:
        parse_field(name, raw)
    assert raised.value.field == name
    return raised.value


def check(checks: tuple[CheckResult, ...], key: CheckKey) -> CheckResult:
    (found,) = [c for c in checks if c.key is key]
    return found


# --- country ------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "code"), [("DE", "DE"), ("de", "DE"), (" gb ", "GB")])
def test_a_country_code_is_read_in_upper_case(raw: str, code: str) -> None:
    assert parse_field("country", raw) == code


@pytest.mark.parametrize("raw", ["UK", "XX", "ZZ"])
def test_a_two_letter_code_that_is_no_country_is_refused_with_an_example(raw: str) -> None:
    assert "ISO 3166-1 alpha-2 code such as DE" in str(problem("country", raw))


@pytest.mark.parametrize("raw", ["DEU", "Germany", "D", "", None, 49])
def test_a_country_that_is_not_two_letters_is_refused(raw: object) -> None:
    problem("country", raw)


# --- order type ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "order_type"),
    [
        ("court_order", OrderType.COURT_ORDER),
        ("Court Order", OrderType.COURT_ORDER),
        ("court", OrderType.COURT_ORDER),
        ("warrant", OrderType.JUDICIAL_WARRANT),
        ("Judicial-Warrant", OrderType.JUDICIAL_WARRANT),
        ("SUBPOENA", OrderType.SUBPOENA),
        ("emergency", OrderType.EMERGENCY),
        ("Emergency disclosure request", OrderType.EMERGENCY),
        ("emergency disclosure", OrderType.EMERGENCY),
        ("other", OrderType.OTHER),
    ],
)
def test_an_order_type_is_read_by_name_or_alias(raw: str, order_type: OrderType) -> None:
    assert parse_field("order_type", raw) is order_type


def test_an_unknown_order_type_is_refused_with_the_accepted_ones() -> None:
    message = str(problem("order_type", "letter from the police"))
    assert "court_order, judicial_warrant, subpoena, emergency, other" in message


# --- dates and the period -----------------------------------------------------------------


def test_a_date_is_read_in_iso_form() -> None:
    assert parse_field("issued_on", " 2026-03-31 ") == date(2026, 3, 31)


@pytest.mark.parametrize("raw", ["31.03.2026", "2026-02-30", "2026-3-1", "yesterday", "", 20260331])
def test_a_date_not_in_iso_form_is_refused_with_an_example(raw: object) -> None:
    problem("issued_on", raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-01..2026-03-31",
        "2026-01-01 .. 2026-03-31",
        "2026-01-01 to 2026-03-31",
        "2026-01-01 2026-03-31",
        "2026-01-01–2026-03-31",
        {"start": "2026-01-01", "end": "2026-03-31"},
    ],
)
def test_a_period_is_read_as_its_first_and_last_day(raw: object) -> None:
    assert parse_field("period", raw) == (date(2026, 1, 1), date(2026, 3, 31))


def test_a_period_of_one_day_is_accepted() -> None:
    assert parse_field("period", "2026-01-01..2026-01-01") == (date(2026, 1, 1), date(2026, 1, 1))


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    assert str(problem("period", "2026-03-31..2026-01-01")) == "the period ends before it starts"


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-01",
        "2026-01-01..",
        "2026-01-01..2026-02-01..2026-03-01",
        "2026-01-01 - 2026-03-31",
        "from January to March",
        {"start": "2026-01-01"},
    ],
)
def test_a_period_that_is_not_two_dates_is_refused(raw: object) -> None:
    problem("period", raw)


def test_the_period_covers_whole_utc_days() -> None:
    start, end = day_bounds(date(2026, 7, 1), date(2026, 7, 31))
    assert start.isoformat() == "2026-07-01T00:00:00+00:00"
    assert end.isoformat() == "2026-08-01T00:00:00+00:00"  # exclusive


# --- the target ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("@Pill_Shop", Target(TargetKind.USERNAME, "pill_shop")),
        ("pill_shop", Target(TargetKind.USERNAME, "pill_shop")),
        ("t.me/Pill_Shop", Target(TargetKind.USERNAME, "pill_shop")),
        ("https://t.me/pill_shop/", Target(TargetKind.USERNAME, "pill_shop")),
        ("telegram.me/pill_shop", Target(TargetKind.USERNAME, "pill_shop")),
        ("123456789", Target(TargetKind.TELEGRAM_ID, "123456789")),
        ("+44 7700 900123", Target(TargetKind.PHONE, "+447700900123")),
        ("+447700900123", Target(TargetKind.PHONE, "+447700900123")),
        ("192.0.2.1", Target(TargetKind.IP, "192.0.2.1")),
        ("198.51.100.7", Target(TargetKind.IP, "198.51.100.7")),
        ("2001:DB8::1", Target(TargetKind.IP, "2001:db8::1")),
        ("::ffff:192.0.2.1", Target(TargetKind.IP, "192.0.2.1")),
        ({"kind": "ip", "value": "192.0.2.1"}, Target(TargetKind.IP, "192.0.2.1")),
        ({"kind": "telegram_id", "value": 42}, Target(TargetKind.TELEGRAM_ID, "42")),
    ],
)
def test_the_target_kind_is_detected_and_the_value_normalised(raw: object, target: Target) -> None:
    assert parse_field("target", raw) == target


def test_digits_without_a_plus_are_a_telegram_id_not_a_phone() -> None:
    assert parse_field("target", "447700900123") == Target(TargetKind.TELEGRAM_ID, "447700900123")


@pytest.mark.parametrize(
    "raw",
    [
        "hello world!",
        "@ab",
        "192.0.2.999",
        "-1001234",
        "https://t.me/+invitehash",
        "+1",
        "+44 77",
        "123456789012345678901",
        "0",
        "00",
        "12²",
        "9" * 20,
        {"kind": "telegram_id", "value": "-5"},
        "",
        {"kind": "email", "value": "x@example.org"},
        {"kind": "phone", "value": "not a phone"},
    ],
)
def test_a_target_that_is_none_of_the_kinds_is_refused(raw: object) -> None:
    problem("target", raw)


# --- other fields -------------------------------------------------------------------------


def test_an_offence_is_folded_into_a_key() -> None:
    assert parse_field("offence", "  Drug-Trafficking! ") == "drug_trafficking"


def test_text_fields_lose_control_characters_and_extra_spaces() -> None:
    assert parse_field("authority", "Amtsgericht\x00  \n Teststadt") == "Amtsgericht Teststadt"


@pytest.mark.parametrize(("name", "raw"), [("authority", "x" * 201), ("reference", "")])
def test_a_text_field_too_long_or_empty_is_refused(name: str, raw: str) -> None:
    problem(name, raw)


def test_an_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        parse_field("favourite_colour", "blue")


# --- the whole form -----------------------------------------------------------------------


def test_a_valid_form_is_read_whole() -> None:
    form, problems = form_from(VALID)
    assert problems == []
    assert form == FORM


def test_a_form_may_give_the_period_as_start_and_end() -> None:
    values = {k: v for k, v in VALID.items() if k != "period"}
    form, problems = form_from({**values, "period_start": "2026-07-01", "period_end": "2026-07-31"})
    assert problems == []
    assert form == FORM


def test_a_form_reports_every_problem_at_once() -> None:
    values = {
        **VALID,
        "country": "XX",
        "order_type": "letter",
        "issued_on": "01.10.2026",
        "target": "hello world!",
        "period": "2026-07-31..2026-07-01",
    }
    del values["authority"]
    form, problems = form_from(values)
    assert form is None
    assert [p.field for p in problems] == [
        "authority",
        "country",
        "order_type",
        "issued_on",
        "target",
        "period",
    ]
    assert str(problems[0]) == "authority is missing"


def test_an_empty_form_reports_every_field_missing() -> None:
    form, problems = form_from({})
    assert form is None
    assert [p.field for p in problems] == list(FIELDS)


# --- the checklist ------------------------------------------------------------------------


def test_a_valid_order_about_one_violator_passes_every_check() -> None:
    checks = analyse(FORM, POLICY, [7], TODAY)
    assert [c.key for c in checks] == [
        CheckKey.JUDICIAL,
        CheckKey.TARGET,
        CheckKey.OFFENCE,
        CheckKey.COUNTRY,
        CheckKey.PERIOD,
    ]
    assert all(c.passed for c in checks)
    assert check(checks, CheckKey.TARGET).reason == "the target is confirmed violator #7"
    assert "category drugs" in check(checks, CheckKey.OFFENCE).reason
    assert check(checks, CheckKey.PERIOD).reason == "2026-07-01 to 2026-07-31 (31 days)"
    assert blocking(checks, overridden=False) == []


@pytest.mark.parametrize("order_type", [OrderType.SUBPOENA, OrderType.EMERGENCY, OrderType.OTHER])
def test_an_order_type_the_policy_does_not_count_as_judicial_fails(order_type: OrderType) -> None:
    result = check(
        analyse(replace(FORM, order_type=order_type), POLICY, [7], TODAY), CheckKey.JUDICIAL
    )
    assert not result.passed
    assert result.overridable
    assert result.reason == (
        f"{order_type.value} is not an order of a judicial authority under the policy "
        "(accepted: court_order, judicial_warrant)"
    )


def test_the_policy_decides_which_order_types_are_judicial() -> None:
    policy = replace(POLICY, judicial_order_types=frozenset({OrderType.EMERGENCY}))
    checks = analyse(replace(FORM, order_type=OrderType.EMERGENCY), policy, [7], TODAY)
    assert check(checks, CheckKey.JUDICIAL).passed
    assert not check(analyse(FORM, policy, [7], TODAY), CheckKey.JUDICIAL).passed


def test_a_target_that_is_no_violator_fails_and_cannot_be_overridden() -> None:
    result = check(analyse(FORM, POLICY, [], TODAY), CheckKey.TARGET)
    assert (result.passed, result.overridable) == (False, False)
    assert "not a confirmed violator" in result.reason


def test_a_target_matching_two_violators_fails_and_cannot_be_overridden() -> None:
    result = check(analyse(FORM, POLICY, [7, 9], TODAY), CheckKey.TARGET)
    assert (result.passed, result.overridable) == (False, False)
    assert result.reason == "the target matches 2 confirmed violators; it must name exactly one"


def test_an_offence_not_mapped_to_a_category_fails() -> None:
    result = check(
        analyse(replace(FORM, offence="jaywalking"), POLICY, [7], TODAY), CheckKey.OFFENCE
    )
    assert not result.passed
    assert result.reason.startswith("jaywalking is not on the policy's list")


def test_a_country_on_the_deny_list_fails() -> None:
    result = check(analyse(replace(FORM, country="KP"), POLICY, [7], TODAY), CheckKey.COUNTRY)
    assert not result.passed
    assert result.reason.startswith("KP (")
    assert result.reason.endswith("is on the policy's deny list")


def test_a_period_of_exactly_the_maximum_passes_and_one_day_more_fails() -> None:
    longest = replace(FORM, period_start=date(2025, 7, 31), period_end=date(2026, 7, 31))
    assert (longest.period_end - longest.period_start).days + 1 == 366
    assert check(analyse(longest, POLICY, [7], TODAY), CheckKey.PERIOD).passed
    longer = replace(longest, period_start=date(2025, 7, 30))
    result = check(analyse(longer, POLICY, [7], TODAY), CheckKey.PERIOD)
    assert not result.passed
    assert result.reason == "the period spans 367 days; the policy allows at most 366"


def test_a_period_ending_today_passes_and_ending_tomorrow_fails() -> None:
    today = replace(FORM, period_end=TODAY)
    assert check(analyse(today, POLICY, [7], TODAY), CheckKey.PERIOD).passed
    tomorrow = replace(FORM, period_end=TODAY + timedelta(days=1))
    result = check(analyse(tomorrow, POLICY, [7], TODAY), CheckKey.PERIOD)
    assert (result.passed, result.reason) == (False, "the period ends in the future")


def test_an_order_issued_in_the_future_fails() -> None:
    form = replace(FORM, issued_on=TODAY + timedelta(days=1))
    result = check(analyse(form, POLICY, [7], TODAY), CheckKey.PERIOD)
    assert (result.passed, result.reason) == (False, "the order's issue date is in the future")


def test_an_override_lifts_every_failed_check_but_the_target() -> None:
    form = replace(FORM, order_type=OrderType.SUBPOENA, country="KP", offence="jaywalking")
    checks = analyse(form, POLICY, [], TODAY)
    assert [c.key for c in blocking(checks, overridden=False)] == [
        CheckKey.JUDICIAL,
        CheckKey.TARGET,
        CheckKey.OFFENCE,
        CheckKey.COUNTRY,
    ]
    assert [c.key for c in blocking(checks, overridden=True)] == [CheckKey.TARGET]


def test_a_check_result_survives_its_json_form() -> None:
    results = analyse(replace(FORM, country="KP"), POLICY, [], TODAY)
    assert [r.key for r in results] == list(CheckKey)
    for result in results:
        assert CheckResult.from_json(result.to_json()) == result


@pytest.mark.parametrize("text", ["20260331", "2026-W01", "2026-3-31"])
def test_only_a_plain_calendar_date_is_accepted(text: str) -> None:
    with pytest.raises(FieldProblem, match="a date like 2026-03-31"):
        parse_field("issued_on", text)


def test_the_period_separator_is_case_insensitive() -> None:
    assert parse_field("period", "2026-01-01 TO 2026-03-31") == (
        date(2026, 1, 1),
        date(2026, 3, 31),
    )


def test_a_json_number_is_read_as_its_digits() -> None:
    form, problems = form_from(
        {
            "authority": "Court",
            "country": "DE",
            "reference": 2026,
            "order_type": "court_order",
            "issued_on": "2026-01-05",
            "offence": "fraud",
            "target": 123456789,
            "period": "2026-01-01..2026-01-31",
        }
    )
    assert problems == []
    assert form is not None
    assert (form.reference, form.target.value) == ("2026", "123456789")
