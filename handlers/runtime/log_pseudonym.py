"""Keyed pseudonyms for Telegram user ids in logs.

A bare hash of a user id is no pseudonym: ids are integers below about 10^10, so hashing every
candidate finds the id behind any hash in minutes. An HMAC under a secret key cannot be reversed
that way by someone who reads the logs but not the key. The key is LOG_PSEUDONYM_KEY when set,
otherwise derived from BLIND_INDEX_KEY under a label of its own (operators need no new secret, and
the two uses never share a key); a deployment keeps the same pseudonyms across restarts. Without
either key (a command run without keys) the process draws a random key of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol

import structlog
from pydantic import SecretStr

from storage.crypto import KEY_BYTES, decode_secret, parse_index_key

#: Feeds BLIND_INDEX_KEY through HMAC with this label to get the log key (an HKDF-Expand step).
DERIVATION_LABEL = b"report-bot log pseudonym v1"
_DOMAIN = "report-bot-user:"
#: 64 bits: collisions among a deployment's users stay negligible, lines stay short.
PSEUDONYM_HEX_DIGITS = 16
_PROCESS_KEY = secrets.token_bytes(KEY_BYTES)


def derive_log_key(blind_index_key: bytes) -> bytes:
    return hmac.new(blind_index_key, DERIVATION_LABEL, hashlib.sha256).digest()


class PseudonymKeys(Protocol):
    """The two settings a log key may come from (bot/settings.py's Settings has both)."""

    @property
    def log_pseudonym_key(self) -> SecretStr | None: ...
    @property
    def blind_index_key(self) -> SecretStr | None: ...


def log_key_from(settings: PseudonymKeys) -> bytes | None:
    """The configured key, or None when the settings hold neither key."""
    if settings.log_pseudonym_key is not None:
        return decode_secret(settings.log_pseudonym_key.get_secret_value(), "LOG_PSEUDONYM_KEY")
    if settings.blind_index_key is not None:
        index_key = parse_index_key(settings.blind_index_key.get_secret_value())
        return derive_log_key(index_key.secret)
    return None


#: Pseudonyms kept at hand (a few hundred KB at most).
_REMEMBERED = 10_000


class Pseudonyms:
    """User id -> pseudonym under one key; `ephemeral` when the key is this process's own."""

    def __init__(self, key: bytes | None) -> None:
        self.ephemeral = key is None
        self._key = _PROCESS_KEY if key is None else key
        self._known: dict[int, str] = {}  # every update names its user twice or more

    def of(self, user_id: int) -> str:
        known = self._known.get(user_id)
        if known is not None:
            return known
        digest = hmac.new(self._key, f"{_DOMAIN}{user_id}".encode(), hashlib.sha256)
        pseudonym = digest.hexdigest()[:PSEUDONYM_HEX_DIGITS]
        if len(self._known) >= _REMEMBERED:
            self._known.clear()  # bounded: a report wave of new users does not grow it forever
        self._known[user_id] = pseudonym
        return pseudonym


log = structlog.get_logger(__name__)
_pseudonyms = Pseudonyms(None)
_ephemeral_noted = False


def use_log_key(key: bytes | None) -> None:
    """The key this process's pseudonyms are made under (set when logging is configured)."""
    global _pseudonyms, _ephemeral_noted
    _pseudonyms = Pseudonyms(key)
    _ephemeral_noted = False


def user_hash(user_id: int) -> str:
    """A stable pseudonym for a user id in logs: correlates events without naming anyone."""
    global _ephemeral_noted
    if _pseudonyms.ephemeral and not _ephemeral_noted:
        _ephemeral_noted = True
        log.info(
            "log_pseudonym_key_ephemeral",
            hint="no LOG_PSEUDONYM_KEY or BLIND_INDEX_KEY: user pseudonyms in this process's "
            "log do not match those of other runs",
        )
    return _pseudonyms.of(user_id)


def chat_for_log(chat_id: int) -> int | str:
    """A group's id as it is; a private chat's id is its user's id, so it gets the pseudonym."""
    return user_hash(chat_id) if chat_id > 0 else chat_id
