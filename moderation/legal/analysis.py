"""The legal analysis: the automatic checklist run on a request, and what stops a disclosure.

Each item passes or fails with its reason; the policy behind it is configuration, so the process
is the same everywhere and cannot be bent per country.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from moderation.legal.form import country_name
from moderation.legal.types import CheckKey, CheckResult, LegalPolicy, LegalRequest, RequestForm


def analyse(
    form: RequestForm,
    policy: LegalPolicy,
    violators: list[int],
    today: date,
) -> tuple[CheckResult, ...]:
    """The automatic checklist; `violators` are the confirmed violators the target matches."""
    return (
        _judicial(form, policy),
        _target(violators),
        _offence(form, policy),
        _country(form, policy),
        _period(form, policy, today),
    )


def _judicial(form: RequestForm, policy: LegalPolicy) -> CheckResult:
    accepted = ", ".join(sorted(t.value for t in policy.judicial_order_types)) or "none"
    if form.order_type in policy.judicial_order_types:
        return CheckResult(
            CheckKey.JUDICIAL, True, f"{form.order_type.value} is issued by a judicial authority"
        )
    return CheckResult(
        CheckKey.JUDICIAL,
        False,
        f"{form.order_type.value} is not an order of a judicial authority under the policy "
        f"(accepted: {accepted})",
    )


def _target(violators: list[int]) -> CheckResult:
    if len(violators) == 1:
        return CheckResult(
            CheckKey.TARGET,
            True,
            f"the target is confirmed violator #{violators[0]}",
            overridable=False,
        )
    if not violators:
        return CheckResult(
            CheckKey.TARGET,
            False,
            "the target is not a confirmed violator; nothing is ever disclosed about anyone else",
            overridable=False,
        )
    return CheckResult(
        CheckKey.TARGET,
        False,
        f"the target matches {len(violators)} confirmed violators; it must name exactly one",
        overridable=False,
    )


def _offence(form: RequestForm, policy: LegalPolicy) -> CheckResult:
    category = policy.offences.get(form.offence)
    if category is not None:
        return CheckResult(
            CheckKey.OFFENCE,
            True,
            f"{form.offence} is a criminal activity that breaks the Terms of Service "
            f"(category {category})",
        )
    return CheckResult(
        CheckKey.OFFENCE,
        False,
        f"{form.offence} is not on the policy's list of criminal activities that break the "
        "Terms of Service",
    )


def _country(form: RequestForm, policy: LegalPolicy) -> CheckResult:
    if form.country in policy.denied_countries:
        return CheckResult(
            CheckKey.COUNTRY,
            False,
            f"{form.country} ({country_name(form.country)}) is on the policy's deny list",
        )
    return CheckResult(
        CheckKey.COUNTRY,
        True,
        f"{form.country} ({country_name(form.country)}) is not on the deny list",
    )


def _period(form: RequestForm, policy: LegalPolicy, today: date) -> CheckResult:
    days = (form.period_end - form.period_start).days + 1
    if form.period_end > today:
        return CheckResult(CheckKey.PERIOD, False, "the period ends in the future")
    if form.issued_on > today:
        return CheckResult(CheckKey.PERIOD, False, "the order's issue date is in the future")
    if days > policy.max_period_days:
        return CheckResult(
            CheckKey.PERIOD,
            False,
            f"the period spans {days} days; the policy allows at most {policy.max_period_days}",
        )
    return CheckResult(
        CheckKey.PERIOD,
        True,
        f"{form.period_start.isoformat()} to {form.period_end.isoformat()} ({days} days)",
    )


def blocking(checks: tuple[CheckResult, ...], overridden: bool) -> list[CheckResult]:
    """The checks that stop a disclosure: failed ones, unless an admin overrode them (the
    target check cannot be overridden)."""
    return [c for c in checks if not c.passed and (not overridden or not c.overridable)]


def blocking_problem(request: LegalRequest) -> str | None:
    """Why the request's checks stop its disclosure now (None: they do not)."""
    stopping = blocking(request.checks, overridden=request.override_reason is not None)
    if not stopping:
        return None
    hint = (
        ""
        if any(not c.overridable for c in stopping)
        else " (an admin may override with a written reason)"
    )
    return (
        "failed checks block the disclosure: "
        + "; ".join(f"{c.key.value}: {c.reason}" for c in stopping)
        + hint
    )


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The requested period as [first instant, first instant after the last day) in UTC."""
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )
