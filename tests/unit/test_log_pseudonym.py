"""User ids appear in logs only as an HMAC under a deployment's key, which no one reverses by
hashing every possible id."""

from __future__ import annotations

import hashlib
import hmac
import io
import json

import pytest
import structlog

from bot.logging_setup import bind_update_context, configure_logging
from bot.settings import LogFormat, SettingsError, load_settings
from handlers.runtime.log_pseudonym import DERIVATION_LABEL, log_key_from, user_hash
from storage.crypto import decode_secret, new_secret_text

USER_ID = 5_550_123_456
KEY_A = b"A" * 32
KEY_B = b"B" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))  # no developer .env can leak into load_settings
    for name in ("LOG_PSEUDONYM_KEY", "BLIND_INDEX_KEY", "ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_the_pseudonym_is_an_hmac_sha256_of_the_id_under_the_key() -> None:
    configure_logging(log_format=LogFormat.JSON, stream=io.StringIO(), pseudonym_key=KEY_A)
    expected = hmac.new(KEY_A, f"report-bot-user:{USER_ID}".encode(), hashlib.sha256)
    assert user_hash(USER_ID) == expected.hexdigest()[:16]


def test_two_keys_give_two_pseudonyms_and_neither_is_the_unkeyed_hash() -> None:
    configure_logging(log_format=LogFormat.JSON, stream=io.StringIO(), pseudonym_key=KEY_A)
    under_a = user_hash(USER_ID)
    configure_logging(log_format=LogFormat.JSON, stream=io.StringIO(), pseudonym_key=KEY_B)
    under_b = user_hash(USER_ID)
    unkeyed = hashlib.sha256(f"report-bot-user:{USER_ID}".encode()).hexdigest()
    assert under_a != under_b
    assert not unkeyed.startswith(under_a[:12])
    assert not unkeyed.startswith(under_b[:12])


def test_the_key_is_derived_from_blind_index_key_unless_log_pseudonym_key_is_set() -> None:
    index_text, own_text = new_secret_text(), new_secret_text()
    index_key = decode_secret(index_text, "BLIND_INDEX_KEY")
    derived = log_key_from(load_settings(blind_index_key=index_text))
    assert derived == hmac.new(index_key, DERIVATION_LABEL, hashlib.sha256).digest()
    assert derived != index_key  # the blind index key itself never keys the log
    both = load_settings(blind_index_key=index_text, log_pseudonym_key=own_text)
    assert log_key_from(both) == decode_secret(own_text, "LOG_PSEUDONYM_KEY")
    assert log_key_from(load_settings()) is None


def test_a_malformed_log_pseudonym_key_stops_start_up_naming_the_variable() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(log_pseudonym_key="not base64!")
    assert any(problem.startswith("LOG_PSEUDONYM_KEY:") for problem in raised.value.problems)
    assert "not base64!" not in str(raised.value)


def test_without_a_key_the_process_draws_one_keeps_it_and_says_so_once() -> None:
    stream = io.StringIO()
    configure_logging(log_format=LogFormat.JSON, stream=stream)
    first = user_hash(USER_ID)
    user_hash(USER_ID + 1)
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["log_pseudonym_key_ephemeral"]
    configure_logging(log_format=LogFormat.JSON, stream=io.StringIO())
    assert user_hash(USER_ID) == first  # stable for the process's lifetime
    configure_logging(log_format=LogFormat.JSON, stream=io.StringIO(), pseudonym_key=KEY_A)
    assert user_hash(USER_ID) != first


def test_a_private_chat_is_logged_by_its_pseudonym_and_a_group_by_its_id() -> None:
    stream = io.StringIO()
    configure_logging(log_format=LogFormat.JSON, stream=stream, pseudonym_key=KEY_A)
    bind_update_context(7, USER_ID, USER_ID)
    structlog.get_logger("bot.test").info("private")
    bind_update_context(8, -1001234567890, USER_ID)
    structlog.get_logger("bot.test").info("group")
    private, group = (json.loads(line) for line in stream.getvalue().splitlines())
    assert private["chat_id"] == private["user"] == user_hash(USER_ID)
    assert str(USER_ID) not in json.dumps(private)
    assert group["chat_id"] == -1001234567890
    structlog.contextvars.clear_contextvars()
