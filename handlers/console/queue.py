"""The console's queue and "next": pending cases in the order /review serves them (overdue
severe cases first, then priority, first report, id), with the figures on top, who is viewing
each case and who holds it; "next" serves and claims one case through moderation/review/claims.py,
the same as /review in a private chat (via "console")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from handlers.console.review import full_case, moderator_of
from handlers.console.router import ApiError, Call, Route
from handlers.console.views import categories_json, category_label, reasons_json, target_json
from moderation.console.case_record import throughput
from moderation.console.sessions import view_case, viewers_of
from moderation.console.types import Viewer
from moderation.reporting.targets import TargetKind
from moderation.review.claims import QueueFilter, claim_holders, filter_problem, queue, serve_next

FILTERS: Final = frozenset({"category", "state", "min_age_minutes", "max_age_minutes", "kind"})
LIMIT_MAX: Final = 100
#: The target kinds the `kind` filter takes (the domain's names, in its order).
KINDS: Final = tuple(kind.value for kind in TargetKind)
KIND_ALIASES: Final = {"term": TargetKind.SEARCH_TERM.value}
#: How far the figures count (count, oldest) into a backlog.
COUNTED: Final = 5000


def _minutes(value: object, name: str) -> timedelta | None:
    if value is None or value == "":
        return None
    try:
        minutes = int(str(value))
    except ValueError:
        raise ApiError(400, "bad_request", "console.error.bad_filter", field=name) from None
    if minutes < 0:
        raise ApiError(400, "bad_request", "console.error.bad_filter", field=name)
    return timedelta(minutes=minutes)


def _text(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(400, "bad_request", "console.error.bad_filter", field=name)
    return value


def _kind(value: object) -> str | None:
    """A target kind as the domain names it (TargetKind; the page sends these); `term`, the
    name the first API contract used for search terms, is taken as `search_term`."""
    kind = _text(value, "kind")
    if kind is None:
        return None
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ApiError(
            400, "bad_request", "console.error.bad_kind", kind=kind[:40], kinds=", ".join(KINDS)
        )
    return kind


async def parse_filters(call: Call, given: Mapping[str, Any]) -> QueueFilter:
    """The filter asked for; escalated cases only for those the table serves on them."""
    filters = QueueFilter(
        category=_text(given.get("category"), "category"),
        state=_text(given.get("state"), "state"),
        min_age=_minutes(given.get("min_age_minutes"), "min_age_minutes"),
        max_age=_minutes(given.get("max_age_minutes"), "max_age_minutes"),
        kind=_kind(given.get("kind")),
    )
    if (
        filters.category is not None
        and filters.category not in call.services.settings.report_categories
    ):
        raise ApiError(400, "bad_request", "console.error.bad_filter", field="category")
    if (problem := filter_problem(filters)) is not None:
        raise ApiError(400, "bad_request", "console.error.bad_filter", field=problem)
    if filters.state == "escalated":
        await call.require("queue.escalated")
    return filters


async def get_queue(call: Call) -> dict[str, Any]:
    given = call.query({*FILTERS, "limit"})
    filters = await parse_filters(call, given)
    try:
        limit = min(max(int(given.get("limit", LIMIT_MAX)), 1), LIMIT_MAX)
    except ValueError:
        raise ApiError(400, "bad_request", "console.error.bad_filter", field="limit") from None
    services, now = call.services, call.now
    found = await queue(
        services.store,
        now=now,
        severe=services.settings.severe_policy,
        filters=filters,
        limit=COUNTED,
    )
    if not call.may("queue.escalated"):
        found = [case for case in found if not case.escalated]
    shown = found[:limit]
    ids = [case.case_id for case in shown]
    viewers = await viewers_of(services.store, ids, now)
    holders = await claim_holders(services.store, ids, now)
    figures = await throughput(services.store, now)
    oldest = min((case.first_report_at for case in found), default=None)
    return {
        "summary": {
            "count": len(found),
            "oldest_age_seconds": None if oldest is None else int((now - oldest).total_seconds()),
            "inbound_per_hour": figures.inbound_per_hour,
            "decided_per_hour": figures.decided_per_hour,
            "median_handling_seconds": figures.median_handling_seconds,
        },
        "cases": [
            {
                "id": case.case_id,
                "category": case.category,
                "category_label": category_label(call, case.category),
                "target": target_json(call, case.target),
                "reporters": case.reporters,
                "reports": case.reports,
                "priority": case.priority,
                "age_seconds": int((now - case.first_report_at).total_seconds()),
                "escalated": case.escalated,
                "provisional": case.provisional,
                "overdue": case.overdue,
                "viewers": [
                    viewer.name
                    for viewer in viewers.get(case.case_id, [])
                    if viewer.user_id != call.session.user_id
                ],
                "claimed_by": holders[case.case_id].name if case.case_id in holders else None,
            }
            for case in shown
        ],
        "categories": categories_json(call),
        "reasons": reasons_json(call),
    }


async def post_next(call: Call) -> dict[str, Any]:
    body = await call.body({*FILTERS, "skip"})
    filters = await parse_filters(call, body)
    skip = body.get("skip")
    if skip is not None and (not isinstance(skip, int) or isinstance(skip, bool) or skip <= 0):
        raise ApiError(400, "bad_request", "console.error.bad_field", field="skip")
    settings = call.services.settings
    view = await serve_next(
        call.services.store,
        moderator_of(call),
        now=call.now,
        claim_for=timedelta(seconds=settings.review_claim_seconds),
        severe=settings.severe_policy,
        via="console",
        skip=skip,
        filters=filters,
    )
    if view is None:
        return {"case": None, "viewers": []}
    me = Viewer(call.session.user_id, call.session.name)
    others = await view_case(call.services.store, view.id, me, call.now)
    return {"case": await full_case(call, view), "viewers": [other.name for other in others]}


ROUTES: Final = (
    Route("GET", "/queue", "queue", get_queue),
    Route("POST", "/next", "next", post_next),
)
