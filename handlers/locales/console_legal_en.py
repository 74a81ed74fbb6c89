"""English texts of the console's legal and admin answers (merged into the en catalog).

Shown as plain text by the page (never as HTML): no tags here."""

from typing import Final

from handlers.plurals import Text

TEXTS: Final[dict[str, Text]] = {
    "console.legal.recorded": (
        "Your approval of request #{id} is recorded ({approvals}/{needed}). Another legal "
        "officer must approve too."
    ),
    "console.legal.due": (
        "Request #{id} is approved ({approvals}/{needed}). The disclosure is never shown in "
        "the console: send /legal disclose {id} to the bot in your private chat to receive it."
    ),
    "console.legal.rejected": "Request #{id} is rejected. Nothing will be disclosed for it.",
    "console.legal.refused": "Not done: {reason}",
    "console.legal.bad_vote": (
        'Send {{"vote": "approve"}} or {{"vote": "reject", "reason": "…"}}: '
        "a rejection needs its reason."
    ),
    "console.legal.target.phone": "a phone number (sealed; as the order document names it)",
    "console.legal.target.ip": "an IP address (sealed; as the order document names it)",
    "console.stats.bad_window": "There is no window {given}: ask for 7d, 30d or all.",
}
