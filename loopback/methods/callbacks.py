"""answerCallbackQuery, with Telegram's expiry: once, and within the answer window."""

from __future__ import annotations

from typing import Any

from loopback.api_errors import bad_request
from loopback.links import normalize_link
from loopback.methods.context import CallContext
from loopback.records import CallbackAnswer

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_MAX_ANSWER_TEXT = 200


async def answer_callback_query(ctx: CallContext) -> Any:
    record = ctx.bot.callbacks.get(ctx.params.text("callback_query_id") or "")
    if (
        record is None
        or record.answer is not None
        or ctx.world.clock() - record.pressed_at > ctx.callback_query_ttl
    ):
        raise bad_request(QUERY_TOO_OLD)
    text = ctx.params.text("text") or None
    if text is not None and len(text) > _MAX_ANSWER_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    url = ctx.params.text("url") or None
    if url is not None and normalize_link(url) is None:
        raise bad_request("URL_INVALID")
    record.answer = CallbackAnswer(
        text=text,
        show_alert=ctx.params.flag("show_alert"),
        url=url,
        cache_time=ctx.params.integer("cache_time"),
    )
    record.answered.set()
    ctx.world.changed()
    return True
