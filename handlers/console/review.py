"""The console's review endpoints: a case, decide, undo, notes, bulk (queue and next: queue.py).

Each parses, calls the same domain function as the review chat's buttons
(moderation/review/decisions.py decide and undo, case_actions.escalate and add_note) and
renders JSON, so exactly one decision wins whichever of the group, a private chat and the
console is first, and the others are told who decided what and when. After a change the
delivery worker is woken: it brings the case's post up to date (decision edits first) and
tells the reporters as always.
"""

from __future__ import annotations

from typing import Any, Final

from handlers.console.router import ApiError, Call, Route
from handlers.console.views import case_json, review_views, viewer_names
from moderation.console.case_record import case_record
from moderation.console.sessions import view_case
from moderation.console.types import Viewer
from moderation.review.case_actions import (
    NOTE_MAX,
    ActionRefusal,
    Done,
    Refused,
    add_note,
    escalate,
)
from moderation.review.decisions import (
    AlreadyDecided,
    Decided,
    DecideOutcome,
    NotAllowed,
    Undone,
    UndoRefusal,
    UndoRefused,
    case_view,
    decide,
    undo,
)
from moderation.review.types import CaseView, Decision, Moderator, RejectReason

BULK_MAX: Final = 100


def moderator_of(call: Call) -> Moderator:
    moderator = call.actor.moderator
    if moderator is None:  # the table lets only reviewers and legal officers through
        raise ApiError(403, "forbidden", "console.error.forbidden")
    return moderator


def case_id_of(call: Call) -> int:
    try:
        case_id = int(call.request.match_info["case_id"])
    except ValueError:
        raise ApiError(404, "not_found", "console.error.no_case") from None
    if case_id <= 0:
        raise ApiError(404, "not_found", "console.error.no_case")
    return case_id


async def visible_case(call: Call, case_id: int) -> CaseView:
    """The case, when the caller may see it: escalated ones only to admins and legal officers
    (asked of the table, refused and audited like any other)."""
    view = await case_view(call.services.store, case_id)
    if view is None:
        raise ApiError(404, "not_found", "console.error.no_case")
    if view.escalated:
        await call.require("queue.escalated")
    return view


async def full_case(call: Call, view: CaseView) -> dict[str, Any]:
    record = await case_record(call.services.store, view)
    return case_json(call, view, record)


async def get_case(call: Call) -> dict[str, Any]:
    view = await visible_case(call, case_id_of(call))
    me = Viewer(call.session.user_id, call.session.name)
    others = await view_case(call.services.store, view.id, me, call.now)
    return {"case": await full_case(call, view), "viewers": viewer_names(others)}


def _note(body: dict[str, Any]) -> str | None:
    note = body.get("note")
    if note is None:
        return None
    if not isinstance(note, str):
        raise ApiError(400, "bad_request", "console.error.bad_field", field="note")
    if len(note) > NOTE_MAX:
        raise ApiError(400, "bad_request", "review.refused.too_long")
    return note.strip() or None


def parse_decision(
    call: Call, body: dict[str, Any]
) -> tuple[Decision, str | None, RejectReason | None]:
    decision = body.get("decision")
    if decision == "approve":
        extra = sorted(set(body) - {"decision", "category", "case_ids", "confirm"})
        if extra:  # a reason or a note belongs to a rejection
            raise ApiError(400, "bad_request", "console.error.bad_field", field=extra[0])
        category = body.get("category")
        if (
            not isinstance(category, str)
            or category not in call.services.settings.report_categories
        ):
            raise ApiError(400, "bad_request", "console.error.bad_field", field="category")
        return Decision.APPROVED, category, None
    if decision == "reject":
        if "category" in body:
            raise ApiError(400, "bad_request", "console.error.bad_field", field="category")
        reason = body.get("reason")
        if reason not in {r.value for r in RejectReason}:
            raise ApiError(400, "bad_request", "console.error.bad_field", field="reason")
        return Decision.REJECTED, None, RejectReason(str(reason))
    raise ApiError(400, "bad_request", "console.error.bad_field", field="decision")


async def decide_one(
    call: Call,
    case_id: int,
    decision: Decision,
    category: str | None,
    reason: RejectReason | None,
    note: str | None,
) -> DecideOutcome:
    settings = call.services.settings
    outcome = await decide(
        call.services.store,
        case_id,
        moderator_of(call),
        decision,
        category=category,
        reason=reason,
        undo_window=settings.undo_window,
        now=call.now,
        policy=settings.case_policy,
        note=note,
    )
    call.services.delivery.wake()  # the post shows the decision (or the winner's), reporters told
    if isinstance(outcome, Decided):
        call.services.violator_ids.forget()
    return outcome


def outcome_json(call: Call, outcome: DecideOutcome) -> tuple[str, str, CaseView | None]:
    views = review_views(call)
    if isinstance(outcome, Decided):
        view = outcome.view
        key = (
            "console.decided.approved"
            if view.status.value == "approved"
            else "console.decided.rejected"
        )
        return "decided", call.t(key, case_id=view.id), view
    if isinstance(outcome, AlreadyDecided):
        return "already_decided", views.already(outcome.view), outcome.view
    if isinstance(outcome, NotAllowed):
        return "not_allowed", call.t("review.alert.escalated"), outcome.view
    return "unknown", call.t("console.error.no_case"), None


async def post_decide(call: Call) -> dict[str, Any]:
    case_id = case_id_of(call)
    body = await call.body({"decision", "category", "reason", "note"}, {"decision"})
    if await case_view(call.services.store, case_id) is None:
        return {"outcome": "unknown", "message": call.t("console.error.no_case"), "case": None}
    await visible_case(call, case_id)
    if body.get("decision") == "escalate":
        if set(body) - {"decision", "note"}:
            raise ApiError(400, "bad_request", "console.error.bad_field", field="decision")
        return await _escalate(call, case_id, _note(body))
    decision, category, reason = parse_decision(call, body)
    note = _note(body)
    if note is not None and reason is not RejectReason.OTHER:
        raise ApiError(400, "bad_request", "console.error.bad_field", field="note")
    outcome = await decide_one(call, case_id, decision, category, reason, note)
    status, message, view = outcome_json(call, outcome)
    return {
        "outcome": status,
        "message": message,
        "case": None if view is None else await full_case(call, view),
    }


async def _escalate(call: Call, case_id: int, note: str | None) -> dict[str, Any]:
    outcome = await escalate(call.services.store, case_id, moderator_of(call), note, call.now)
    call.services.delivery.wake()
    if isinstance(outcome, Done):
        return {
            "outcome": "escalated",
            "message": call.t("console.escalated", case_id=case_id),
            "case": await full_case(call, outcome.view),
        }
    if isinstance(outcome, Refused) and outcome.view is not None:
        return {
            "outcome": "already_decided",
            "message": review_views(call).already(outcome.view),
            "case": await full_case(call, outcome.view),
        }
    if isinstance(outcome, Refused):
        raise ApiError(400, "bad_request", f"review.refused.{outcome.reason.value}")
    return {"outcome": "unknown", "message": call.t("console.error.no_case"), "case": None}


_UNDO_TEXTS: Final = {
    UndoRefusal.NOT_DECIDED: "review.alert.not_decided",
    UndoRefusal.EXPIRED: "review.alert.undo_expired",
    UndoRefusal.NOT_YOURS: "review.alert.undo_not_yours",
    UndoRefusal.NEWER_CASE: "review.newer_case",
    UndoRefusal.LEGAL_REQUEST: "review.legal_request",
}


async def post_undo(call: Call) -> dict[str, Any]:
    case_id = case_id_of(call)
    await call.body(())
    await visible_case(call, case_id)
    settings = call.services.settings
    outcome = await undo(
        call.services.store,
        case_id,
        moderator_of(call),
        undo_window=settings.undo_window,
        now=call.now,
        policy=settings.case_policy,
    )
    if isinstance(outcome, Undone):
        call.services.delivery.wake()
        return {
            "outcome": "undone",
            "message": call.t("review.alert.undone"),
            "case": await full_case(call, outcome.view),
        }
    if isinstance(outcome, UndoRefused):
        return {
            "outcome": "refused",
            "message": call.t(_UNDO_TEXTS[outcome.reason], case_id=case_id),
            "case": await full_case(call, outcome.view),
        }
    raise ApiError(404, "not_found", "console.error.no_case")


async def post_note(call: Call) -> dict[str, Any]:
    case_id = case_id_of(call)
    body = await call.body({"text"}, {"text"})
    text = body["text"]
    if not isinstance(text, str):
        raise ApiError(400, "bad_request", "console.error.bad_field", field="text")
    await visible_case(call, case_id)
    outcome = await add_note(call.services.store, case_id, moderator_of(call), text, call.now)
    if isinstance(outcome, Done):
        call.services.delivery.wake()  # the post shows the notes
        return {"outcome": "added", "case": await full_case(call, outcome.view)}
    if isinstance(outcome, Refused) and outcome.reason in (
        ActionRefusal.EMPTY,
        ActionRefusal.TOO_LONG,
    ):
        raise ApiError(400, "bad_request", f"review.refused.{outcome.reason.value}")
    raise ApiError(404, "not_found", "console.error.no_case")


async def post_bulk(call: Call) -> dict[str, Any]:
    body = await call.body(
        {"case_ids", "decision", "category", "reason", "confirm"}, {"case_ids", "decision"}
    )
    if body.get("confirm") is not True:
        raise ApiError(400, "bad_request", "console.error.confirm")
    ids = body["case_ids"]
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > BULK_MAX
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
    ):
        raise ApiError(400, "bad_request", "console.error.bulk_ids", most=BULK_MAX)
    decision, category, reason = parse_decision(call, body)
    results = []
    for case_id in dict.fromkeys(ids):  # each its own decision and audit row, in the given order
        outcome = await decide_one(call, case_id, decision, category, reason, None)
        status, message, _ = outcome_json(call, outcome)
        results.append({"case_id": case_id, "outcome": status, "message": message})
    return {"results": results}


ROUTES: Final = (
    Route("GET", "/cases/{case_id}", "case", get_case),
    Route("POST", "/cases/{case_id}/decide", "decide", post_decide),
    Route("POST", "/cases/{case_id}/undo", "undo", post_undo),
    Route("POST", "/cases/{case_id}/notes", "notes", post_note),
    Route("POST", "/bulk", "bulk", post_bulk),
)
