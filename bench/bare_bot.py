"""The baseline for bench/reporting.py: a bare python-telegram-bot bot that answers every
message with one sendMessage (same concurrency as the report bot, no storage, no logic).

    python bench/bare_bot.py TOKEN BASE_URL
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

CONCURRENCY = 64


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("ok")


def main(token: str, base_url: str) -> None:
    application = (
        ApplicationBuilder().token(token).base_url(base_url).concurrent_updates(CONCURRENCY).build()
    )
    application.add_handler(MessageHandler(filters.ALL, answer))
    application.run_polling(poll_interval=0.0, timeout=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
