"""The console's admin panel: GET /console/api/stats?window=7d|30d|all and GET
/console/api/roles.

Thin glue: the figures are /stats's (moderation/stats/figures.py `build_stats`, one consistent
read) with the per-day series the page draws its charts from; the roles are /roles's
(moderation/staff/team.py `staff_list`, which checks the admin role again and audits a
refusal). Reporters appear only as counts, as in /stats.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from handlers.console.router import ApiError, Call, Route
from handlers.runtime.context import Services
from moderation.staff.commands import Person, Refused, StaffEntry
from moderation.staff.team import staff_list
from moderation.stats.figures import BadWindow, StatsReport, StatusCounts, build_stats, parse_window

#: The windows the console offers (the chat's /stats also knows 24h).
CONSOLE_WINDOWS: Final = ("7d", "30d", "all")


async def get_stats(call: Call) -> dict[str, Any]:
    """GET /console/api/stats?window=7d|30d|all (7d when not given)."""
    given = call.query(("window",)).get("window") or "7d"
    try:
        if given not in CONSOLE_WINDOWS:
            raise BadWindow(given)
        window = parse_window(given)
    except BadWindow:
        raise ApiError(400, "bad_request", "console.stats.bad_window", given=given) from None
    report = await build_stats(call.services.store, window, call.now)
    return stats_json(report, call.services, call.t)


def stats_json(report: StatsReport, services: Services, t: Callable[..., str]) -> dict[str, Any]:
    categories = services.settings.report_categories

    def label(key: str) -> str:
        category = categories.get(key)
        if category is not None and category.label is not None:
            return category.label
        if f"category.{key}" in services.texts.keys("en"):
            return t(f"category.{key}")
        return key

    def counts(row: StatusCounts) -> dict[str, Any]:
        return {
            "category": row.category,
            "label": label(row.category) if row.category else "",
            "pending": row.pending,
            "approved": row.approved,
            "rejected": row.rejected,
            "total": row.total,
        }

    oldest = report.oldest_pending
    return {
        "window": report.window.label,
        "start": None if report.start is None else report.start.isoformat(),
        "end": report.end.isoformat(),
        "reports": {
            "total": counts(report.reports_total),
            "by_category": [counts(row) for row in report.reports],
        },
        "cases": {
            "total": counts(report.cases_total),
            "by_category": [counts(row) for row in report.cases],
        },
        "reach": {"reporters": report.reach.reporters, "targets": report.reach.targets},
        "decisions": {
            "total": report.decisions,
            "approved": report.approved,
            "rejected": report.rejected,
            "approval_rate": report.approval_rate,
            "median_seconds": _seconds(report.times.median),
            "p90_seconds": _seconds(report.times.p90),
        },
        "moderators": [
            {
                "id": m.moderator_id,
                "name": m.name,
                "approved": m.approved,
                "rejected": m.rejected,
                "total": m.total,
            }
            for m in report.moderators
        ],
        "pending_now": report.pending_now,
        "oldest_pending": None
        if oldest is None
        else {
            "case_id": oldest.case_id,
            "category": oldest.category,
            "label": label(oldest.category),
            "age_seconds": _seconds(report.oldest_pending_age()),
        },
        "top_targets": [
            {"key": t.target.key, "reports": t.reports, "reporters": t.reporters}
            for t in report.top_targets
        ],
        "violators": {
            "new": report.violators.new,
            "confirmations": report.violators.confirmations,
            "total": report.violators.total,
        },
        "legal": {
            "received": report.legal.received,
            "rejected": report.legal.rejected,
            "disclosed": report.legal.disclosed,
            "open_now": report.legal.open_now,
        },
        "series": {
            "days": [d.day.isoformat() for d in report.days],
            "reports": [d.reports for d in report.days],
            "decisions": [d.decisions for d in report.days],
        },
    }


async def get_roles(call: Call) -> dict[str, Any]:
    """GET /console/api/roles: everyone with a role, grants with who proposed and confirmed
    them, and the legal and admin grants waiting for a second admin."""
    services = call.services
    keys = None if services.ledger is None else services.ledger.keys
    listed = await staff_list(
        services.store, services.settings.bootstrap_roles, call.actor.user.id, call.now, keys=keys
    )
    if isinstance(listed, Refused):  # the domain checks the admin role again
        raise ApiError(403, "forbidden", "console.error.forbidden")
    return {"roles": [entry_json(entry) for entry in listed.entries]}


def entry_json(entry: StaffEntry) -> dict[str, Any]:
    return {
        "user": _person(entry.person),
        "role": entry.role.value,
        "source": "settings"
        if entry.bootstrap
        else ("proposed" if entry.pending else ("unsealed" if entry.legacy else "granted")),
        "granted_by": None if entry.granted_by is None else _person(entry.granted_by),
        "granted_at": _time(entry.granted_at),
        "confirmed_by": None if entry.confirmed_by is None else _person(entry.confirmed_by),
        "expires_at": _time(entry.expires_at),
    }


def _person(person: Person) -> dict[str, Any]:
    return {"id": person.user_id, "name": f"@{person.username}" if person.username else None}


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


ROUTES: Final = (
    Route("GET", "/stats", "stats", get_stats),
    Route("GET", "/roles", "roles", get_roles),
)
