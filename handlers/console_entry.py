"""Ways into the moderators' console (a Telegram Mini App) from the chats, shown only while it is
on (CONSOLE_URL): a `web_app` button in a private chat, and in the review chat, where Telegram
refuses `web_app` buttons (400 BUTTON_TYPE_INVALID in groups), a URL button to the bot's Mini App
link, which Telegram opens as the same app with the same signed init data."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from handlers.i18n import Catalog
from handlers.runtime.settings import ConsoleSettings


def console_link(console: ConsoleSettings, bot_username: str) -> str:
    """The direct link to the Mini App named in BotFather (CONSOLE_APP_NAME), else the link to
    the bot's Main Mini App (set in BotFather's bot settings to the console's URL)."""
    if console.app_name:
        return f"https://t.me/{bot_username}/{console.app_name}"
    return f"https://t.me/{bot_username}?startapp"


def console_button(
    console: ConsoleSettings, texts: Catalog, language: str | None, *, private: bool, bot: str
) -> InlineKeyboardButton:
    """Opens the console: a `web_app` button in a private chat, the app's link elsewhere."""
    label = texts.render(language, "console.open")
    if private:
        return InlineKeyboardButton(label, web_app=WebAppInfo(console.url))
    return InlineKeyboardButton(label, url=console_link(console, bot))


def with_console(
    markup: InlineKeyboardMarkup | None,
    console: ConsoleSettings | None,
    texts: Catalog,
    language: str | None,
    *,
    private: bool,
    bot: str,
) -> InlineKeyboardMarkup | None:
    """`markup` with a last row opening the console, when it is on."""
    if console is None:
        return markup
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    rows.append([console_button(console, texts, language, private=private, bot=bot)])
    return InlineKeyboardMarkup(rows)
