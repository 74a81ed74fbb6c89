"""English texts (the fallback for every language we do not have)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "start.greeting": (
        "👋 Hello, {name}!\n\n"
        "I help keep Telegram search safe. If a search showed you a channel, group, bot, user "
        "or post with illegal content, or a search term that is itself illegal, you can report "
        "it to our moderators here. Every report is reviewed, and your identity is never shown "
        "to the people you report.\n\n"
        "Send /help to see what I can do."
    ),
    "help.private": (
        "<b>What I can do</b>\n\n"
        "/start — what this bot is for\n"
        "/help — this list\n\n"
        "Reports are reviewed by the platform's trust-and-safety moderators. Personal data is "
        "only ever disclosed to authorities through a valid court order and a legal review."
    ),
    "help.group": ("I review reports in private. Open a chat with me: @{bot_username}"),
    "error.generic": (
        "⚠️ Something went wrong on our side. Nothing you sent was lost. "
        "Please try again in a minute."
    ),
    "command.description.start": "What this bot is for",
    "command.description.help": "What I can do",
}
