"""English texts of review in a private chat (/review; merged into the en catalog)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "command.description.review": "Review cases here, one at a time (/review stop ends)",
    "review.private.not_moderator": (
        "Only moderators, admins, the review chat's administrators and legal officers can "
        "review cases. If you report something, use /report."
    ),
    "review.private.claimed": (
        "🔒 Yours until {until}: nobody else is served this case meanwhile. Decide it, or "
        "Skip to pass it on."
    ),
    "review.private.decided": "Decided here. The review chat's post and the reporters follow.",
    "review.private.empty": (
        "✅ No case is waiting for you now. Press Next to look again, or send /review later."
    ),
    "review.private.stopped": (
        "⏹ Review stopped: any case you held is back in the queue. Send /review to start again."
    ),
    "review.private.escalated": (
        "⚠️ Escalated: the case waits for an admin or a legal officer. Press Next for another."
    ),
    "review.private.button.start": "🗂 Review cases",
    "review.private.button.skip": "⏭ Skip",
    "review.private.button.next": "➡️ Next",
    "review.private.button.stop": "⏹ Stop",
    "review.private.decided_next": (
        "☑️ Case #{case_id} {status} here: the review chat's post and the reporters follow. Next:"
    ),
    "review.private.button.undo_case": "↩️ Undo #{case_id} (until {until})",
    "review.private.explain_ask": (
        "☑️ Case #{case_id} rejected here as “other”.\n\n✍️ Why? Send the explanation as your "
        "next message here (up to {limit} characters): it is kept on the case for the team. "
        "/cancel leaves it without one; the case stays rejected."
    ),
    "review.private.explained": "✍️ Explanation recorded on case #{case_id}. Next:",
    "review.private.explain_cancelled": (
        "Case #{case_id} stays rejected as “other”, without an explanation. Next:"
    ),
    "review.private.explain_too_long": (
        "That is too long: an explanation takes up to {limit} characters (yours has {length}). "
        "Send a shorter one, or /cancel to leave it without."
    ),
    "review.private.explain_undone": "Case #{case_id} was undone meanwhile: it is pending again.",
    "review.private.explain_dropped": "No explanation recorded on case #{case_id}. Next:",
}
