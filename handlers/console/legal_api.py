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

from collections.abc import Callable
from typing import Any, Final

from handlers.console.router import ApiError, Call, Route
from moderation.legal.approvals import approve, reject
from moderation.legal.overview import LegalOverview, RequestOverview, overview
from moderation.legal.types import LegalRefused, Target, TargetKind, Vote

#: The fields a vote may carry; anything else is refused as a bad request.
VOTE_FIELDS: Final = frozenset({"vote", "reason"})

Texts = Callable[..., str]


async def get_legal(call: Call) -> dict[str, Any]:
    """GET /console/api/legal: the open requests (legal officers; admins read only)."""
    services = call.services
    try:
        found = await overview(
            services.store, services.settings.legal_policy, call.actor.officer, call.now
        )
    except LegalRefused as exc:
        raise ApiError(403, "forbidden", "console.legal.refused", reason=str(exc)) from None
    return overview_json(found, call.t)


async def post_vote(call: Call) -> dict[str, Any]:
    """POST /console/api/legal/{request_id}/vote {"vote": "approve"|"reject", "reason"?}."""
    request_id = request_id_of(call)
    approving, reason = _parse_vote(await call.body(VOTE_FIELDS, ("vote",)))
    services, officer, now = call.services, call.actor.officer, call.now
    policy = services.settings.legal_policy
    keys = None if services.ledger is None else services.ledger.keys
    cipher = services.cipher
    try:
        if cipher is None:
            raise LegalRefused("the registry keys are not configured")
        if approving:
            outcome = await approve(services.store, cipher, policy, keys, request_id, officer, now)
            key = "console.legal.due" if outcome.complete else "console.legal.recorded"
            message = call.t(key, id=request_id, approvals=outcome.approvals, needed=outcome.needed)
            return {"outcome": "approved" if outcome.complete else "recorded", "message": message}
        await reject(services.store, cipher, policy, keys, request_id, reason, officer, now)
    except LegalRefused as exc:
        return {"outcome": "refused", "message": call.t("console.legal.refused", reason=str(exc))}
    return {"outcome": "rejected", "message": call.t("console.legal.rejected", id=request_id)}


def request_id_of(call: Call) -> int:
    try:
        request_id = int(call.request.match_info["request_id"])
    except ValueError:
        raise ApiError(404, "not_found", "console.error.not_found") from None
    if request_id <= 0:
        raise ApiError(404, "not_found", "console.error.not_found")
    return request_id


def _parse_vote(body: dict[str, Any]) -> tuple[bool, str]:
    vote, reason = body.get("vote"), body.get("reason", "")
    if vote not in ("approve", "reject") or not isinstance(reason, str):
        raise ApiError(400, "bad_request", "console.legal.bad_vote")
    if vote == "reject" and not reason.strip():
        raise ApiError(400, "bad_request", "console.legal.bad_vote")
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


ROUTES: Final = (
    Route("GET", "/legal", "legal", get_legal),
    Route("POST", "/legal/{request_id}/vote", "legal.vote", post_vote),
)
