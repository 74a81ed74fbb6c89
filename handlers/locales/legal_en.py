"""English texts of legal requests and /lookup (merged into the en catalog)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "legal.refused": "⛔ Legal requests are handled by legal officers only.",
    "legal.usage": (
        "<b>Legal requests</b>\n"
        "/legal — open requests\n"
        "/legal new — register a court order (I ask for each field)\n"
        "/legal show &lt;id&gt; — the request, its checklist and the order document\n"
        "/legal analysis &lt;id&gt; &lt;text&gt; — your written legal analysis\n"
        "/legal approve &lt;id&gt; — approve (two officers other than the one who registered "
        "it; the second approval discloses)\n"
        "/legal reject &lt;id&gt; &lt;reason&gt; — reject\n"
        "/legal override &lt;id&gt; &lt;reason&gt; — admins: let failed checks go\n"
        "/legal file &lt;id&gt; — the disclosure again\n"
        "/legal close &lt;id&gt; — close (ends the hold on the violator's data)\n"
        "/lookup &lt;request id&gt; &lt;violator|telegram_id|username|phone|ip&gt; "
        "&lt;value&gt; — look a violator up for a request"
    ),
    "legal.refused_step": "⚠️ Not done: {reason}",
    "legal.bad_id": "⚠️ A request id is a number, like <code>/legal show 12</code>.",
    "legal.list": "<b>Open legal requests</b>\n{rows}\n\n/legal show &lt;id&gt; for details.",
    "legal.list.empty": "No open legal requests. /legal new registers one.",
    "legal.list.row": (
        "#{id} · {state} · {country} · {reference} · approvals {approvals}/{needed}"
        " · failed checks {failed}"
    ),
    "legal.ask.authority": (
        "<b>{step}/{steps}</b> Which authority issued the order? (e.g. Amtsgericht Berlin)"
    ),
    "legal.ask.country": (
        "<b>{step}/{steps}</b> Its country, as an ISO 3166-1 alpha-2 code (e.g. DE, BR, IN)."
    ),
    "legal.ask.reference": "<b>{step}/{steps}</b> The order's reference number.",
    "legal.ask.order_type": (
        "<b>{step}/{steps}</b> The order type: court_order, judicial_warrant, subpoena, "
        "emergency (emergency disclosure request) or other."
    ),
    "legal.ask.issued_on": "<b>{step}/{steps}</b> The date it was issued (YYYY-MM-DD).",
    "legal.ask.offence": (
        "<b>{step}/{steps}</b> The offence, e.g. drug_trafficking, terrorism, fraud."
    ),
    "legal.ask.target": (
        "<b>{step}/{steps}</b> The target: @username or t.me link, a numeric Telegram id, a "
        "phone number starting with + or an IP address."
    ),
    "legal.ask.period": (
        "<b>{step}/{steps}</b> The period of data requested, first and last day: "
        "<code>2026-01-01..2026-06-30</code>"
    ),
    "legal.ask.document": (
        "<b>Last step.</b> Send the order document as a file (PDF or a scan, up to 20 MB)."
    ),
    "legal.draft.started": "📝 New legal request. /cancel stops at any point.",
    "legal.draft.resumed": "📝 Continuing the legal request you started. /cancel drops it.",
    "legal.draft.cancelled": "The legal request you were registering was dropped.",
    "legal.draft.text_expected": "⚠️ Please answer with text.",
    "legal.draft.bad_field": "⚠️ {problem}.",
    "legal.draft.document_expected": (
        "⚠️ Send the order document as a file (📎 → File), or /cancel."
    ),
    "legal.draft.document_too_big": "⚠️ The file is larger than 20 MB; send a smaller scan.",
    "legal.draft.document_failed": (
        "⚠️ I could not download the file from Telegram. Please send it again."
    ),
    "legal.check.line": "{mark} {name}: {reason}",
    "legal.check.judicial_authority": "Judicial authority",
    "legal.check.target_resolves": "Target is one confirmed violator",
    "legal.check.offence_maps": "Offence breaks the Terms of Service",
    "legal.check.country_allowed": "Country not denied",
    "legal.check.period_bounded": "Period bounded, not in the future",
    "legal.card": (
        "<b>Legal request #{id}</b> · {state}\n"
        "{authority}, {country_name} ({country})\n"
        "Reference: {reference} · {order_type} issued {issued_on}\n"
        "Offence: {offence}\n"
        "Target: {target} · violator {violator}\n"
        "Period: {period_start} to {period_end}\n"
        "Order document SHA-256: <code>{sha256}</code>\n\n"
        "<b>Legal analysis checklist</b>\n{checks}\n\n"
        "Approvals: {approvals}/{needed}"
    ),
    "legal.card.analysis": "<b>Written analysis</b>\n{text}",
    "legal.card.override": "<b>Admin override</b>\n{text}",
    "legal.card.rejected": "<b>Rejected</b>\n{text}",
    "legal.card.voided": "Approval by {officer} voided {at}: {reason}",
    "legal.next.received": (
        "Next: write the legal analysis: <code>/legal analysis {id} &lt;text&gt;</code>"
    ),
    "legal.next.under_analysis": (
        "Next: two other legal officers approve (<code>/legal approve {id}</code>) or reject "
        "(<code>/legal reject {id} &lt;reason&gt;</code>)."
    ),
    "legal.next.approved": (
        "Approved. If the disclosure files did not arrive: <code>/legal disclose {id}</code>"
    ),
    "legal.next.disclosed": (
        "Disclosed. <code>/legal file {id}</code> sends it again; "
        "<code>/legal close {id}</code> when the case is over."
    ),
    "legal.next.rejected": "Rejected; nothing is disclosed.",
    "legal.next.closed": "Closed.",
    "legal.state.received": "received",
    "legal.state.under_analysis": "under analysis",
    "legal.state.approved": "approved",
    "legal.state.rejected": "rejected",
    "legal.state.disclosed": "disclosed",
    "legal.state.closed": "closed",
    "legal.order.court_order": "court order",
    "legal.order.judicial_warrant": "judicial warrant",
    "legal.order.subpoena": "subpoena",
    "legal.order.emergency": "emergency disclosure request",
    "legal.order.other": "other order",
    "legal.document_caption": "Order document · SHA-256 {sha256}",
    "legal.approved_one": (
        "✅ Your approval of request #{id} is recorded ({approvals}/{needed}). Another legal "
        "officer must approve too."
    ),
    "legal.disclosed": (
        "🔐 Request #{id} approved by two officers and disclosed: {phones}, {ips} from the "
        "requested period. Ledger entry {seq}, content "
        "SHA-256 <code>{sha256}</code>. The files follow; keep them safe."
    ),
    "notify.ledger.checkpoint": (
        "🔗 Disclosure ledger entry {seq}: {what} of legal request #{request_id}, sent to "
        "{by}.\nEntry hash: <code>{hash}</code>\nKeep this message: "
        "<code>report-bot ledger verify --head {seq}:{hash}</code> checks that the ledger still "
        "holds this entry unchanged. If you did not expect it, tell the other legal officers."
    ),
    "notify.ledger.head": (
        "🔏 Disclosure ledger head, signed by the bot: the ledger holds entry {seq} as its "
        "last, hash <code>{hash}</code> ({at}).\nSigned head: <code>{signed}</code>\nKeep "
        "this message: <code>report-bot ledger verify --head {signed}</code> checks that the "
        "ledger was not cut or rewritten since (or save your ledger messages in a file and run "
        "<code>report-bot ledger verify --heads FILE</code>)."
    ),
    "notify.ledger.head_behind": (
        "⚠️ The ledger no longer holds entry {previous} as the previous signed head named it: "
        "it may have been cut or rewritten. Run <code>report-bot ledger verify --heads "
        "FILE</code> with your earlier ledger messages and tell the other legal officers."
    ),
    "notify.ledger.disclosure": "the disclosure",
    "notify.ledger.copy": "a copy of the disclosure",
    "legal.withheld": Plural(
        one=(
            "⚠️ {count} stored value did not open in its row (changed, or moved there from "
            "another row) and was withheld, not disclosed; the file lists it. Tell the "
            "operators: the database may have been tampered with."
        ),
        other=(
            "⚠️ {count} stored values did not open in their rows (changed, or moved there from "
            "another row) and were withheld, not disclosed; the file lists them. Tell the "
            "operators: the database may have been tampered with."
        ),
    ),
    "legal.count.phones": Plural(one="{count} phone number", other="{count} phone numbers"),
    "legal.count.ips": Plural(one="{count} IP address", other="{count} IP addresses"),
    "legal.file_caption": "Disclosure for legal request #{id} · SHA-256 {sha256}",
    "legal.closed": "Request #{id} is closed; its hold on the violator's data has ended.",
    "legal.rejected": "Request #{id} is rejected. Nothing will be disclosed for it.",
    "review.legal_request": (
        "Case #{case_id} cannot be undone: the violator it confirmed is the subject of a legal "
        "request, so the decision is part of that record."
    ),
    "appeal.refused.legal_request": (
        "The decision cannot be overturned: the violator is the subject of a legal request. "
        "Ask a legal officer."
    ),
    "lookup.refused": "⛔ /lookup is for legal officers, with a legal request id.",
    "lookup.usage": (
        "Usage: <code>/lookup &lt;legal request id&gt; "
        "&lt;violator|telegram_id|username|phone|ip&gt; &lt;value&gt;</code>"
    ),
    "lookup.none": (
        "No match for the subject of legal request #{request}: a lookup answers only for the "
        "violator the request names (lookup logged)."
    ),
    "lookup.header": Plural(
        one="<b>{count} violator</b> · logged for legal request #{request}",
        other="<b>{count} violators</b> · logged for legal request #{request}",
    ),
    "lookup.hold": " · on legal hold",
    "lookup.violator": (
        "<b>Violator #{id}</b> {target} · {category} · confirmed {confirmed}{hold}\n"
        "Cases: {cases}\n"
        "Timeline ({shown} of {total}, latest last):\n<pre>{timeline}</pre>\n{sealed}"
    ),
    "lookup.sealed": (
        "🔒 Sealed: {phones}, {ips} in the period {first} to "
        "{last} ({all_phones} and {all_ips} in all). Phone numbers and IP addresses are shown "
        "only in the disclosure, after two approvals of request #{request}."
    ),
}
