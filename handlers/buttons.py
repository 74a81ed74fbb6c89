"""The last callback handler: data that matches none of our button prefixes."""

from __future__ import annotations

import structlog
from telegram import Update

from handlers.runtime.context import BotContext

log = structlog.get_logger(__name__)


async def foreign_button(update: Update, context: BotContext) -> None:
    """Callback data we never put on a button (a modified client, an old bot's message):
    refused with an answer, so the client stops waiting, and logged without the data itself."""
    query, user = update.callback_query, update.effective_user
    if query is None:
        return
    data = query.data or ""
    log.warning(
        "callback_data_refused",
        reason="no button of ours carries it",
        data_length=len(data),
        user_id=user.id if user else None,
    )
    language = user.language_code if user else None
    await query.answer(context.services.texts.render(language, "button.unknown"), show_alert=True)
