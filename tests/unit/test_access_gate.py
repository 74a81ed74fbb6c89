"""The access gate knows every command and button the bot registers: a handler for one the
table does not know stops the bot at start-up, and every command and button handler of the
answering group runs behind the gate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import build_application
from bot.settings import Settings
from handlers.runtime.context import BotContext
from handlers.runtime.gate import ANSWERING_GROUP, UnknownAccess, guard, is_gated
from handlers.runtime.permissions import ACCESS, BUTTONS


async def _answer(update: Update, context: BotContext) -> None:
    del update, context


def test_every_command_and_button_handler_that_answers_is_behind_the_gate(
    make_settings: Callable[..., Settings],
) -> None:
    application = build_application(make_settings())
    commands: set[str] = set()
    prefixes: set[str] = set()
    for handler in application.handlers[ANSWERING_GROUP]:
        if isinstance(handler, CommandHandler):
            assert is_gated(handler.callback), handler.commands
            commands |= handler.commands
        elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
            assert is_gated(handler.callback), handler.pattern
            prefixes.add(str(getattr(handler.pattern, "pattern", "")).strip("^:"))
    assert commands == set(ACCESS)
    assert prefixes == {key.split(":")[0] for key in BUTTONS}


@pytest.mark.parametrize(
    "handler",
    [
        CommandHandler("frobnicate", _answer),
        CommandHandler(["help", "frobnicate"], _answer),
        CallbackQueryHandler(_answer, pattern="^z9:"),
    ],
    ids=["command", "one of several commands", "button prefix"],
)
def test_a_handler_for_something_the_table_does_not_know_stops_the_start(
    make_settings: Callable[..., Settings], handler: Any
) -> None:
    application = build_application(make_settings())
    application.add_handler(handler, group=5)  # in any group
    with pytest.raises(UnknownAccess):
        guard(application)


def test_guarding_twice_does_not_put_a_handler_behind_the_gate_twice(
    make_settings: Callable[..., Settings],
) -> None:
    application = build_application(make_settings())
    before = [h.callback for h in application.handlers[ANSWERING_GROUP]]
    guard(application)
    assert [h.callback for h in application.handlers[ANSWERING_GROUP]] == before
