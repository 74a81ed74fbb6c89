"""Tokens, phone numbers and IP addresses never reach a rendered log line."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from bot.logging_setup import configure_logging
from bot.redaction import PERSONAL_MASK, TOKEN_MASK, Redactor
from bot.settings import LogFormat
from moderation.masking import IP_MASK, PHONE_MASK

TOKEN = "123456789:TEST-loopback-token-not-a-secret-0000"


@pytest.fixture
def log_output() -> io.StringIO:
    stream = io.StringIO()
    configure_logging(log_format=LogFormat.JSON, secrets=[TOKEN], stream=stream)
    return stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    "phone", ["+15550100200", "+1 555 010 0200", "+44 (20) 7946-0958", "(555) 010-0200"]
)
def test_phone_numbers_in_text_are_masked(phone: str) -> None:
    assert Redactor().text(f"call {phone} now") == f"call {PHONE_MASK} now"


@pytest.mark.parametrize(
    "ip", ["203.0.113.9", "2001:db8::1", "::ffff:198.51.100.7", "fe80::1%eth0"]
)
def test_ip_addresses_in_text_are_masked(ip: str) -> None:
    assert IP_MASK in Redactor().text(f"from {ip}.")
    assert ip.split("%")[0] not in Redactor().text(f"from {ip}.")


def test_bot_token_in_url_is_masked_even_when_not_configured() -> None:
    masked = Redactor().text(f"POST https://api.telegram.org/bot{TOKEN}/getMe")
    assert masked == f"POST https://api.telegram.org/bot{TOKEN_MASK}/getMe"


def test_a_url_encoded_token_is_masked_too() -> None:
    url = "https://api.example/file/bot123456789%3ATEST-loopback-token-not-a-secret-0000/doc.pdf"
    for redactor in (Redactor([TOKEN]), Redactor()):
        masked = redactor.text(url)
        assert "TEST-loopback" not in masked
        assert TOKEN_MASK in masked


def test_ids_times_and_dates_are_left_alone() -> None:
    text = "update 912345678 chat -1001234567890 at 2026-11-22T14:02:33 case #42 v1.2"
    assert Redactor().text(text) == text


def test_fields_named_phone_or_ip_are_masked_whatever_their_value() -> None:
    event = Redactor()(None, "info", {"event": "x", "phone_number": "5550100", "client_ip": 1})
    assert event["phone_number"] == PHONE_MASK
    assert event["client_ip"] == IP_MASK


def test_fields_that_hold_names_or_texts_are_masked_whole() -> None:
    fields = {"first_name": "Zephyrine", "username": "zephy_q", "text": "hi", "comment": "c"}
    event = Redactor()(None, "info", {"event": "x", "bot_username": "report_bot", **fields})
    assert {key: event[key] for key in fields} == dict.fromkeys(fields, PERSONAL_MASK)
    assert event["bot_username"] == "report_bot"


def test_integer_ids_stay_readable() -> None:
    event = Redactor()(None, "info", {"event": "x", "chat_id": -1001234567890, "user_id": 77})
    assert event["chat_id"] == -1001234567890


def test_our_events_are_redacted(log_output: io.StringIO) -> None:
    structlog.get_logger("t").info(
        "imported", note="phone +15550100200 from 203.0.113.9", token=TOKEN
    )
    text = log_output.getvalue()
    assert "+15550100200" not in text
    assert "203.0.113.9" not in text
    assert TOKEN not in text


def test_httpx_request_lines_are_redacted(log_output: io.StringIO) -> None:
    logging.getLogger("httpx").warning(
        'HTTP Request: POST %s "HTTP/1.1 200 OK"', f"https://api.telegram.org/bot{TOKEN}/getMe"
    )
    (entry,) = lines(log_output)
    assert TOKEN not in json.dumps(entry)
    assert TOKEN_MASK in str(entry["event"])


def test_exception_text_and_traceback_are_redacted(log_output: io.StringIO) -> None:
    try:
        raise ValueError(f"lookup of +15550100200 via 203.0.113.9 with {TOKEN}")
    except ValueError:
        logging.getLogger("telegram.ext").exception("handler failed")
        structlog.get_logger("t").exception("handler_failed")
    text = log_output.getvalue()
    assert "Traceback" in text
    assert "+15550100200" not in text
    assert "203.0.113.9" not in text
    assert TOKEN not in text


def test_httpx_info_lines_are_silenced_in_production(log_output: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://example.invalid")
    assert log_output.getvalue() == ""
