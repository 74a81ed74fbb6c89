"""reply_markup parsing with Telegram's refusals for malformed inline keyboards."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup

from loopback.api_errors import bad_request
from loopback.links import normalize_link
from loopback.request_params import Params

MAX_CALLBACK_DATA_BYTES = 64
_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "callback_game",
    "pay",
    "copy_text",
)


def _validate_button(button: object) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in _ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or normalize_link(url) is None:
            raise bad_request("BUTTON_URL_INVALID")


def parse_reply_markup(params: Params) -> dict[str, Any] | None:
    """The markup as sent (validated), or None when absent."""
    raw = params.json("reply_markup")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array'
            )
        for row in rows:
            for button in row:
                _validate_button(button)
        return raw
    if "keyboard" in raw or "remove_keyboard" in raw or "force_reply" in raw:
        return raw
    raise bad_request("can't parse reply keyboard markup JSON object")


def require_buttons_allowed(markup: dict[str, Any] | None, *, private: bool) -> None:
    """Telegram refuses a `web_app` button outside a private chat with the bot (groups,
    supergroups and channels answer 400 BUTTON_TYPE_INVALID, on a send as on an edit); a URL
    button to the bot's Mini App link (https://t.me/<bot>/<app>) is what works there."""
    if private or markup is None or "inline_keyboard" not in markup:
        return
    for row in markup["inline_keyboard"]:
        for button in row:
            if "web_app" in button:
                raise bad_request("BUTTON_TYPE_INVALID")


def inline_markup(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    """Only inline keyboards are attached to the message Telegram returns."""
    if markup is None or "inline_keyboard" not in markup:
        return None
    return InlineKeyboardMarkup.de_json(markup, None)
