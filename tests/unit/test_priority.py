"""The review queue's priority score, reporters' track records and the case policy."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import load_settings
from moderation.reporting.categories import CUSTOM_SEVERITY, KNOWN_SEVERITY, parse_categories
from moderation.review.priority import (
    MAX_REPORTER_SCORE,
    SEVERITY_SCALE,
    CasePolicy,
    ReporterRecord,
    priority,
    trusted_count,
)


def newcomer(reporter_id: int = 1) -> ReporterRecord:
    return ReporterRecord(reporter_id, approved=0, rejected=0)


def newcomers(count: int) -> list[ReporterRecord]:
    return [newcomer(n) for n in range(count)]


# --- a reporter's weight ------------------------------------------------------------------


def test_a_reporter_without_history_counts_as_one() -> None:
    assert newcomer().weight == 1.0


def test_mostly_approved_reporters_count_more_and_mostly_rejected_ones_less() -> None:
    good = ReporterRecord(1, approved=9, rejected=1)
    bad = ReporterRecord(2, approved=1, rejected=9)
    assert good.weight > newcomer().weight > bad.weight


@pytest.mark.parametrize(("approved", "rejected"), [(0, 0), (50, 0), (0, 50), (3, 1), (1000, 7)])
def test_a_weight_stays_between_nothing_and_double(approved: int, rejected: int) -> None:
    assert 0 < ReporterRecord(1, approved, rejected).weight < 2


def test_every_approval_raises_and_every_rejection_lowers_the_weight() -> None:
    approvals = [ReporterRecord(1, n, 2).weight for n in range(10)]
    rejections = [ReporterRecord(1, 2, n).weight for n in range(10)]
    assert approvals == sorted(approvals)
    assert len(set(approvals)) == len(approvals)
    assert rejections == sorted(rejections, reverse=True)
    assert len(set(rejections)) == len(rejections)


def test_a_long_record_of_approvals_approaches_double_and_of_rejections_nothing() -> None:
    assert ReporterRecord(1, approved=998, rejected=0).weight == pytest.approx(2, abs=0.01)
    assert ReporterRecord(1, approved=0, rejected=998).weight == pytest.approx(0, abs=0.01)


# --- trusted reporters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved", "rejected", "trusted"),
    [
        (0, 0, False),  # no history
        (2, 0, False),  # too few decided reports, however good
        (3, 0, True),  # the minimum: three decided, all approved
        (4, 1, True),  # exactly 80 % approved
        (3, 1, False),  # 75 %
        (7, 3, False),  # 70 %
        (80, 20, True),
        (79, 21, False),
    ],
)
def test_trusted_means_at_least_three_decided_reports_and_80_percent_approved(
    approved: int, rejected: int, trusted: bool
) -> None:
    assert ReporterRecord(1, approved, rejected).trusted is trusted


def test_trusted_count_counts_only_trusted_reporters() -> None:
    records = [
        ReporterRecord(1, 3, 0),
        ReporterRecord(2, 4, 1),
        ReporterRecord(3, 2, 0),
        ReporterRecord(4, 0, 5),
        newcomer(5),
    ]
    assert trusted_count(records) == 2
    assert trusted_count([]) == 0


# --- the priority score -------------------------------------------------------------------


def test_severity_comes_before_any_number_of_reporters() -> None:
    csam, terrorism = KNOWN_SEVERITY["csam"], KNOWN_SEVERITY["terrorism"]
    scam = KNOWN_SEVERITY["scam"]
    trusted_crowd = [ReporterRecord(n, 1000, 0) for n in range(5000)]
    assert priority(csam, [newcomer()]) > priority(terrorism, trusted_crowd)
    assert priority(terrorism, [newcomer()]) > priority(scam, trusted_crowd)
    assert priority(scam, []) > priority(scam - 1, trusted_crowd)


def test_the_reporter_score_is_capped_below_the_next_severity_step() -> None:
    crowd = newcomers(10_000)
    assert priority(50, crowd) == 50 * SEVERITY_SCALE + MAX_REPORTER_SCORE
    assert priority(50, crowd) < priority(51, [])


def test_within_a_category_more_distinct_reporters_rank_higher() -> None:
    scores = [priority(40, newcomers(count)) for count in range(6)]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)


def test_a_trusted_reporter_outranks_a_newcomer_who_outranks_a_mostly_rejected_one() -> None:
    good = priority(40, [ReporterRecord(1, approved=3, rejected=0)])
    fresh = priority(40, [newcomer()])
    bad = priority(40, [ReporterRecord(1, approved=0, rejected=3)])
    assert good > fresh > bad
    # A mostly rejected reporter adds little: two of them weigh less than one newcomer.
    assert priority(40, [ReporterRecord(n, 0, 3) for n in range(2)]) < fresh


def test_the_score_is_severity_times_scale_plus_ten_times_the_weights() -> None:
    records = [newcomer(1), ReporterRecord(2, approved=3, rejected=0)]  # 1.0 + 1.6
    assert priority(60, records) == 60 * SEVERITY_SCALE + 26
    assert priority(60, []) == 60 * SEVERITY_SCALE


# --- the policy from the settings ---------------------------------------------------------


def test_the_policy_knows_each_configured_category_severity() -> None:
    policy = CasePolicy.from_categories(parse_categories("csam,scam,my_cat=My category"))
    assert policy.severity_of("csam") == KNOWN_SEVERITY["csam"]
    assert policy.severity_of("scam") == KNOWN_SEVERITY["scam"]
    assert policy.severity_of("my_cat") == CUSTOM_SEVERITY
    assert policy.severity_of("never_configured") == CUSTOM_SEVERITY


def test_by_default_nothing_hides_provisionally_and_reopening_takes_3_or_30_days() -> None:
    policy = CasePolicy.from_categories(parse_categories("drugs"))
    assert policy.provisional_reporters == 0
    assert policy.reopen_reporters == 3
    assert policy.reopen_cooloff == timedelta(days=30)


def test_the_settings_carry_their_values_into_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env can leak in
    settings = load_settings(
        bot_token=None,
        provisional_hide_reporters=2,
        reopen_after_reporters=5,
        reopen_cooloff_days=7,
        report_categories="terrorism,drugs",
    )
    policy = settings.case_policy()
    assert policy.provisional_reporters == 2
    assert policy.reopen_reporters == 5
    assert policy.reopen_cooloff == timedelta(days=7)
    assert policy.severity_of("terrorism") == KNOWN_SEVERITY["terrorism"]
