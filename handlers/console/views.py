"""Cases as the console's JSON: the same facts as the case post, never a reporter's identity,
the target as text with its canonical key (the page shows no preview or media of it)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from handlers.console.router import Call
from handlers.report_views import ReportViews
from handlers.review_views import ReviewViews
from handlers.target_views import target_html
from moderation.console.types import CaseRecord, Viewer
from moderation.masking import mask_optional, mask_personal
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.reporting.types import CaseStatus
from moderation.review.types import CaseView, RejectReason
from moderation.review.undo_window import undo_deadline


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def review_views(call: Call) -> ReviewViews:
    services = call.services
    reports = ReportViews(
        services.texts, services.settings.report_categories, call.application.bot.username or ""
    )
    return ReviewViews(services.texts, reports, call.language)


def category_label(call: Call, key: str) -> str:
    return review_views(call).reports.category_label(key, call.language)


def target_json(call: Call, target: TargetRef) -> dict[str, Any]:
    words = target_html(call.services.texts, target, call.language)
    kind = "term" if target.kind is TargetKind.SEARCH_TERM else target.kind.value
    display, key = _text(words), target.key
    if target.kind is TargetKind.SEARCH_TERM:  # free text: it may be a phone number
        display, key = mask_personal(display), mask_personal(key)
    return {"kind": kind, "display": display, "key": key}


def _text(markup: str) -> str:
    """Telegram HTML as plain text (the target's words may carry a link: the page shows text)."""
    out, inside = [], False
    for char in markup:
        if char == "<":
            inside = True
        elif char == ">":
            inside = False
        elif not inside:
            out.append(char)
    return html.unescape("".join(out))


def categories_json(call: Call) -> list[dict[str, str]]:
    return [
        {"key": category.key, "label": category_label(call, category.key)}
        for category in call.services.settings.report_categories
    ]


def reasons_json(call: Call) -> list[dict[str, str]]:
    return [
        {"key": reason.value, "label": call.t(f"review.reason.{reason.value}")}
        for reason in RejectReason
    ]


def state_of(view: CaseView) -> str:
    if view.status is CaseStatus.PENDING:
        return "escalated" if view.escalated else "pending"
    return view.status.value


def case_json(call: Call, view: CaseView, record: CaseRecord | None = None) -> dict[str, Any]:
    window = call.services.settings.undo_window
    deadline = undo_deadline(view, window)
    open_undo = deadline is not None and deadline > call.now
    names = dict(record.names) if record else {}
    decided = None
    if view.status is not CaseStatus.PENDING and view.decided_at is not None:
        decided = {
            "by": view.decided_by_name or str(view.decided_by),
            "decision": view.status.value,
            "category": view.decision_category,
            "reason": view.reject_reason.value if view.reject_reason else None,
            "at": iso(view.decided_at),
        }
    body: dict[str, Any] = {
        "id": view.id,
        "status": state_of(view),
        "version": view.version,
        "category": view.category,
        "category_label": category_label(call, view.category),
        "target": target_json(call, view.target),
        "reports_count": view.reports,
        "reporters": view.reporters,
        "priority": view.priority,
        "escalated": view.escalated,
        "provisional": view.provisionally_hidden_at is not None,
        "notes": [
            {"author": note.author_name, "text": mask_personal(note.text), "at": iso(note.at)}
            for note in view.notes
        ],
        "decided": decided,
        "undo_until": iso(deadline) if open_undo else None,
        "snapshots": [],
    }
    if view.escalation is not None:
        body["escalation"] = {
            "by": view.escalation.by_name,
            "at": iso(view.escalation.at),
            "note": mask_optional(view.escalation.note),
        }
    if record is not None:
        body["reports"] = [
            {
                "query": mask_personal(line.query),
                "comment": mask_optional(line.comment),
                "at": iso(line.at),
            }
            for line in record.reports
        ]
        body["history"] = [
            {
                "case_id": line.case_id,
                "status": line.status,
                "decision": line.status if line.status != "pending" else None,
                "category": line.decision_category or line.category,
                "at": iso(line.at),
            }
            for line in record.history
        ]
        body["appeals"] = [
            {
                "id": line.appeal_id,
                "status": line.status,
                "at": iso(line.at),
                "outcome": None if line.status == "pending" else line.status,
            }
            for line in record.appeals
        ]
        body["audit"] = [
            {
                "at": iso(line.at),
                "action": line.action,
                "actor": _actor(names, line.actor_id),
            }
            for line in record.trail
        ]
    else:
        body["reports"] = [
            {"query": mask_personal(query), "comment": None, "at": None}
            for query in view.sample_queries
        ]
    return body


def _actor(names: dict[int, str], actor_id: int | None) -> str | None:
    if actor_id is None:
        return None
    return names.get(actor_id, f"#{actor_id}")


def viewer_names(viewers: list[Viewer]) -> list[str]:
    return [viewer.name for viewer in viewers]
