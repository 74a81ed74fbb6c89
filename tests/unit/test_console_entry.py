"""The console's buttons: a `web_app` button only in a private chat, elsewhere the Mini App's
t.me link (the app BotFather knows by CONSOLE_APP_NAME, else the bot's Main Mini App), and
nothing at all while the console is off."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from handlers.console_entry import console_link, with_console
from handlers.i18n import default_catalog
from handlers.runtime.settings import ConsoleSettings

URL = "https://mod.example.org/console/"
POST = InlineKeyboardMarkup([[InlineKeyboardButton("📤 #4", callback_data="r1:post:4")]])


def test_the_link_names_the_app_or_opens_the_main_mini_app() -> None:
    assert console_link(ConsoleSettings(URL, app_name="console"), "a_bot") == (
        "https://t.me/a_bot/console"
    )
    assert console_link(ConsoleSettings(URL), "a_bot") == "https://t.me/a_bot?startapp"


def test_a_web_app_button_only_in_a_private_chat_and_none_while_off() -> None:
    texts = default_catalog()
    on = ConsoleSettings(URL)
    private = with_console(None, on, texts, "ru", private=True, bot="a_bot")
    assert private is not None
    assert private.inline_keyboard == (
        (InlineKeyboardButton("🖥 Открыть консоль", web_app=WebAppInfo(URL)),),
    )
    group = with_console(POST, on, texts, "en", private=False, bot="a_bot")
    assert group is not None
    assert group.inline_keyboard == (
        POST.inline_keyboard[0],
        (InlineKeyboardButton("🖥 Open the console", url="https://t.me/a_bot?startapp"),),
    )
    assert with_console(POST, None, texts, "en", private=False, bot="a_bot") is POST
    assert with_console(None, None, texts, "en", private=True, bot="a_bot") is None
