"""Libraries' records reach the log without message texts, names, user ids or SQL values, at
every level; LOG_UNSAFE_DEBUG lets them through for a developer, and says so."""

from __future__ import annotations

import functools
import io
import json
import logging
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from telegram import Chat, Message, Update, User

from bot.logging_setup import configure_logging
from bot.settings import LogFormat, LogLevel

NAME, TEXT, USER_ID = "Zephyrine", "velvet marmalade lanterns", 7_318_402_955
SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SQL = "INSERT INTO comments (user_id, text) VALUES (?, ?)"


def an_update() -> Update:
    user = User(id=USER_ID, first_name=NAME, is_bot=False)
    chat = Chat(id=USER_ID, type="private", first_name=NAME)
    message = Message(message_id=3, date=SENT, chat=chat, from_user=user, text=TEXT)
    return Update(update_id=41, message=message)


def log_all(stream: io.StringIO) -> list[dict[str, object]]:
    """Logs records shaped as the libraries log them; returns the rendered events."""
    connection = sqlite3.connect(":memory:")
    statement = functools.partial(connection.execute, SQL, (USER_ID, TEXT))
    logging.getLogger("aiosqlite").debug("executing %s", statement)
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", an_update())
    logging.getLogger("telegram.ext.ExtBot").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": USER_ID, "text": f"Hello, {NAME}!"},
    )
    logging.getLogger("telegram.ext.Updater").error(
        "Error while parsing updates! Received data was %r", [{"message": {"text": TEXT}}]
    )
    logging.getLogger("telegram.ext.ConversationHandler").debug(
        "Selecting conversation %s with state %s", str((USER_ID, USER_ID)), "NAME"
    )
    logging.getLogger("hpack.hpack").debug("Decoded %s, consumed %d", (b"x-name", NAME), Decimal(7))
    logging.getLogger("some.new.library").warning(
        "saw %(who)s say %(what)s", {"who": NAME, "what": TEXT}
    )
    connection.close()
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_library_records_keep_their_facts_and_lose_their_data() -> None:
    stream = io.StringIO()
    configure_logging(level=LogLevel.DEBUG, log_format=LogFormat.JSON, stream=stream)
    events = log_all(stream)
    text = stream.getvalue()
    for value in (NAME, TEXT, str(USER_ID), SQL):
        assert value not in text, value
    shown = {event["logger"]: event["event"] for event in events}
    assert shown["aiosqlite"] == "executing execute()"
    assert shown["telegram.ext.Application"] == "Processing update <Update 41>"
    assert shown["telegram.ext.ExtBot"] == (
        "Calling Bot API endpoint `sendMessage` with parameters `<dict>`"
    )
    assert shown["telegram.ext.Updater"] == "Error while parsing updates! Received data was <list>"
    assert shown["telegram.ext.ConversationHandler"] == (
        "Selecting conversation <str> with state <str>"
    )
    # A %d given a number of a type of its own: the placeholders go after the template.
    assert shown["hpack.hpack"] == "Decoded %s, consumed %d [<tuple>, <Decimal>]"
    assert shown["some.new.library"] == "saw <str> say <str>"


def test_the_unsafe_override_lets_library_records_through_and_warns() -> None:
    stream = io.StringIO()
    configure_logging(
        level=LogLevel.DEBUG, log_format=LogFormat.JSON, stream=stream, unsafe_debug=True
    )
    events = log_all(stream)
    assert events[0]["event"] == "log_unsafe_debug_enabled"
    assert events[0]["level"] == "warning"
    assert any(TEXT in str(event["event"]) for event in events if event["logger"] == "aiosqlite")


@pytest.mark.parametrize(
    ("logger", "template", "args"),
    [
        (
            "httpx",
            'HTTP Request: %s %s "%s %d %s"',
            ("POST", "http://x/getMe", "HTTP/1.1", 200, "OK"),
        ),
        ("apscheduler.scheduler", 'Added job "%s" to job store "%s"', ("drafts", "default")),
    ],
)
def test_loggers_that_carry_only_urls_statuses_and_job_names_pass_unchanged(
    logger: str, template: str, args: tuple[object, ...]
) -> None:
    stream = io.StringIO()
    configure_logging(level=LogLevel.DEBUG, log_format=LogFormat.JSON, stream=stream)
    logging.getLogger(logger).info(template, *args)
    [event] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert event["event"] == template % args
