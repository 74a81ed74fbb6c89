"""The baseline for bench/reporting.py: a bare python-telegram-bot bot that answers every
message with one sendMessage (no storage, no logic).

    python bench/bare_bot.py TOKEN BASE_URL CONCURRENCY

CONCURRENCY 0 keeps python-telegram-bot's default (one update at a time); a number runs that
many updates at once, like the report bot's MAX_CONCURRENT_UPDATES.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("ok")


def main(token: str, base_url: str, concurrency: int) -> None:
    builder = ApplicationBuilder().token(token).base_url(base_url)
    if concurrency > 0:
        builder = builder.concurrent_updates(concurrency)
    application = builder.build()
    application.add_handler(MessageHandler(filters.ALL, answer))
    application.run_polling(poll_interval=0.0, timeout=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
