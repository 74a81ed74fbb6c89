"""Read-only records tests get back: what the bot sent, every API call, callback answers."""

from __future__ import annotations

import datetime as dtm
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SentFile:
    file_id: str
    filename: str | None
    mime_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the bot sent, in its state at the time it was read.

    `text` is the plain text after parsing ("" for media), `html` the text as sent (in
    whatever parse_mode), `entities` Telegram's JSON entities.
    """

    message_id: int
    chat_id: int
    thread_id: int | None
    bot_id: int
    text: str
    html: str
    parse_mode: str | None
    entities: tuple[dict[str, Any], ...]
    reply_markup: dict[str, Any] | None
    link_preview_options: dict[str, Any] | None
    disable_web_page_preview: bool | None
    caption: str | None
    caption_entities: tuple[dict[str, Any], ...]
    document: SentFile | None
    photo: SentFile | None
    reply_to_message_id: int | None
    edit_history: tuple[str, ...]
    deleted: bool
    sent_at: dtm.datetime
    edited_at: dtm.datetime | None

    def buttons(self) -> list[dict[str, Any]]:
        """Every inline keyboard button, row by row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button_texts(self) -> list[str]:
        return [str(button.get("text", "")) for button in self.buttons()]


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request as the server handled it.

    `params` holds values as sent on the wire (non-strings JSON-encoded, uploads by file
    name); `dropped` marks a connection closed by a fault (after applying, if `ok`);
    `pending` marks a call still in progress (a long poll), replaced when it completes.
    """

    method: str
    params: Mapping[str, str]
    ok: bool
    error_code: int | None
    description: str | None
    at: dtm.datetime
    bot_id: int | None
    dropped: bool = False
    pending: bool = False
    result: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None = None
