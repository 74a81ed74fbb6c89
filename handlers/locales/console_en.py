"""English texts of the moderators' console's API (merged into the en catalog)."""

from typing import Final

from handlers.plurals import Text

TEXTS: Final[dict[str, Text]] = {
    "console.error.init_data_invalid": (
        "Telegram's sign-in data for this page did not check out. Close the console and open it "
        "again from the bot."
    ),
    "console.error.init_data_expired": (
        "The sign-in data from Telegram is too old. Close the console and open it again from "
        "the bot."
    ),
    "console.error.init_data_replayed": (
        "This sign-in was used already. Close the console and open it again from the bot."
    ),
    "console.error.not_staff": (
        "The console is for moderators, admins and legal officers. Ask an admin for a role if "
        "you need one."
    ),
    "console.error.no_session": "You are not signed in. Open the console again from the bot.",
    "console.error.session_expired": (
        "Your console session has ended. Close the console and open it again from the bot."
    ),
    "console.error.session_forged": (
        "This console session is not one the bot issued. Close the console and open it again "
        "from the bot."
    ),
    "console.error.forbidden": (
        "Your role does not allow this. Ask an admin if you think it should."
    ),
    "console.error.unknown_field": "The request has a field “{field}” the console does not take.",
    "console.error.missing_field": "The request lacks the field “{field}”.",
    "console.error.bad_field": "The field “{field}” is missing or not valid here.",
    "console.error.not_json": "The request is not a JSON object.",
    "console.error.not_found": "There is nothing here. Reload the console.",
    "console.error.method_not_allowed": "That is not how this part of the console is used.",
    "console.error.too_large": "The request is too large.",
    "console.error.internal": (
        "Something went wrong on the bot's side; nothing was changed by this request. Try again "
        "in a moment."
    ),
    "console.error.no_case": "There is no such case. Reload the queue.",
    "console.error.confirm": "Bulk decisions need a confirmation: confirm and send again.",
    "console.error.bulk_ids": "Choose between 1 and {most} cases for a bulk decision.",
    "console.error.bad_kind": (
        "The target kind “{kind}” is not one the queue knows; use one of: {kinds}."
    ),
    "console.error.bad_filter": "The queue filter “{field}” is not valid; clear it and try again.",
    "console.decided.approved": "Case #{case_id} approved.",
    "console.decided.rejected": "Case #{case_id} rejected.",
    "console.escalated": "Case #{case_id} escalated to admins and legal officers.",
}
