"""The bot's own membership changes: logged so operators see where it was added or removed."""

from __future__ import annotations

import structlog
from telegram import Update

from handlers.runtime.context import BotContext
from handlers.runtime.log_pseudonym import chat_for_log

log = structlog.get_logger(__name__)


async def bot_membership_changed(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    is_review_chat = change.chat.id == context.services.settings.review_chat_id
    removed = change.new_chat_member.status in {"left", "kicked"}
    fields = {
        "chat_id": chat_for_log(change.chat.id),
        "chat_type": change.chat.type,
        "old_status": change.old_chat_member.status,
        "new_status": change.new_chat_member.status,
        "review_chat": is_review_chat,
    }
    if is_review_chat and removed:
        log.error("bot_removed_from_review_chat", **fields)
    elif not is_review_chat and not removed and change.chat.type != "private":
        log.info("bot_added_to_chat", hint="put chat_id in REVIEW_CHAT_ID to review here", **fields)
    else:
        log.info("bot_membership_changed", **fields)
