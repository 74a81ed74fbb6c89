"""The console's legal panel: GET /console/api/legal and POST /console/api/legal/{id}/vote.

Thin glue, as the chat's /legal is: parse, one domain call (moderation/legal/overview.py to
list, moderation/legal/approvals.py to vote: the same sealed, attributable vote as
`/legal approve` and `/legal reject`, checked and audited in the same transaction), render.
Nothing here opens a sealed value: a phone or IP target is named by its kind only, and a
disclosure by its status and time; its content reaches the officer only through /legal in the
private chat. The domain's refusals (four eyes: the registrar, the same person twice, a
grant's cool-off or origin) come back as messages in the officer's language, audited by the
domain as in chat.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from handlers.i18n import Catalog
from handlers.runtime.context import Services
from moderation.legal.approvals import approve, reject
from moderation.legal.officers import Officer
from moderation.legal.overview import LegalOverview, RequestOverview, overview
from moderation.legal.types import LegalRefused, Target, TargetKind, Vote

#: The fields a vote may carry; anything else is refused as a bad request.
VOTE_FIELDS: Final = frozenset({"vote", "reason"})


class ConsoleRefusal(Exception):
    """An answer other than 200: its HTTP status, error code and message (user's language)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, str]:
        return {"error": self.error, "message": self.message}


@dataclass(frozen=True, slots=True)
class Texts:
    """The catalog in one reader's language, as plain text (the page sets it as text)."""

    catalog: Catalog
    language: str | None

    def __call__(self, key: str, **params: object) -> str:
        return html.unescape(self.catalog.render(self.language, key, **params))


async def legal_requests(
    services: Services, officer: Officer, language: str | None
) -> dict[str, Any]:
    """GET /console/api/legal: the open requests (legal officers; admins read only)."""
    texts = Texts(services.texts, language)
    try:
        found = await overview(
            services.store, services.settings.legal_policy, officer, services.clock.now()
        )
    except LegalRefused as exc:
        message = texts("console.legal.refused", reason=str(exc))
        raise ConsoleRefusal(403, "forbidden", message) from None
    return overview_json(found, texts)


async def legal_vote(
    services: Services,
    officer: Officer,
    language: str | None,
    request_id: int,
    body: object,
) -> dict[str, Any]:
    """POST /console/api/legal/{id}/vote {"vote": "approve"|"reject", "reason"?}."""
    texts = Texts(services.texts, language)
    approving, reason = _parse_vote(body, texts)
    policy, now = services.settings.legal_policy, services.clock.now()
    keys = None if services.ledger is None else services.ledger.keys
    if services.cipher is None:
        message = texts("console.legal.refused", reason="the registry keys are not configured")
        return {"outcome": "refused", "message": message}
    try:
        if approving:
            outcome = await approve(
                services.store, services.cipher, policy, keys, request_id, officer, now
            )
            key = "console.legal.due" if outcome.complete else "console.legal.recorded"
            message = texts(key, id=request_id, approvals=outcome.approvals, needed=outcome.needed)
            return {"outcome": "approved" if outcome.complete else "recorded", "message": message}
        await reject(
            services.store, services.cipher, policy, keys, request_id, reason, officer, now
        )
    except LegalRefused as exc:
        return {"outcome": "refused", "message": texts("console.legal.refused", reason=str(exc))}
    return {"outcome": "rejected", "message": texts("console.legal.rejected", id=request_id)}


def _parse_vote(body: object, texts: Texts) -> tuple[bool, str]:
    bad = ConsoleRefusal(400, "bad_request", texts("console.legal.bad_vote"))
    if not isinstance(body, Mapping) or set(body) - VOTE_FIELDS:
        raise bad
    vote, reason = body.get("vote"), body.get("reason", "")
    if vote not in ("approve", "reject") or not isinstance(reason, str):
        raise bad
    if vote == "reject" and not reason.strip():
        raise bad
    return vote == "approve", reason


# --- rendering ---------------------------------------------------------------------------------


def overview_json(found: LegalOverview, texts: Texts) -> dict[str, Any]:
    return {
        "requests": [request_json(item, found.needed, texts) for item in found.requests],
        "needed": found.needed,
        "may_vote": found.may_vote,
    }


def request_json(item: RequestOverview, needed: int, texts: Texts) -> dict[str, Any]:
    request, form = item.request, item.request.form
    disclosure = item.disclosure
    return {
        "id": request.id,
        "status": request.state.value,
        "status_label": texts(f"legal.state.{request.state.value}"),
        "reference": form.reference,
        "authority": form.authority,
        "country": form.country,
        "order_type": texts(f"legal.order.{form.order_type.value}"),
        "offence": form.offence,
        "target": target_text(form.target, texts),
        "violator_id": request.violator_id,
        "period": {"start": form.period_start.isoformat(), "end": form.period_end.isoformat()},
        "registered": {"by": item.name(request.registered_by), "at": _iso(request.registered_at)},
        "analysis_written": request.analysis is not None,
        "overridden": request.override_reason is not None,
        "checklist": [
            {
                "item": check.key.value,
                "label": texts(f"legal.check.{check.key.value}"),
                "ok": check.passed,
                "note": check.reason,
            }
            for check in request.checks
        ],
        "approvals": [vote_json(item, vote) for vote in request.votes],
        "approved": len(request.approvals),
        "needed": needed,
        "disclosure": None
        if disclosure is None
        else {
            "status": disclosure.state.value,
            "at": None if disclosure.at is None else _iso(disclosure.at),
        },
    }


def vote_json(item: RequestOverview, vote: Vote) -> dict[str, Any]:
    return {
        "by": item.name(vote.officer_id),
        "at": _iso(vote.at),
        "vote": "approve" if vote.approve else "reject",
        "reason": vote.reason,
        "voided": None
        if vote.live or vote.voided_at is None
        else {"at": _iso(vote.voided_at), "reason": vote.voided_reason},
    }


def target_text(target: Target, texts: Texts) -> str:
    """The order's target as the console names it: a phone number or IP address never
    (not even sealed, only its kind), a username or Telegram id as written."""
    if target.kind is TargetKind.PHONE:
        return texts("console.legal.target.phone")
    if target.kind is TargetKind.IP:
        return texts("console.legal.target.ip")
    return f"@{target.value}" if target.kind is TargetKind.USERNAME else target.value


def _iso(value: Any) -> str:
    return str(value.isoformat())
