"""The Mini App's signed init data, checked as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the secret is
HMAC-SHA256(key="WebAppData", msg=bot token); the hash is the hex HMAC-SHA256 under it of the
data-check string, every received pair but `hash`, URL-decoded, sorted by key, "key=value"
joined by newlines. The string is built from the RAW pairs the client sent, never from a parsed
and re-serialised copy of the `user` JSON (a different key order or spacing must fail), and the
hashes are compared in constant time. Nothing here trusts a field before the hash verified.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qsl

#: Telegram's init data is a few hundred bytes; a much longer string is not one.
MAX_INIT_DATA: Final = 8192


class InitDataRefusal(StrEnum):
    """Why init data opens no session (the API's error codes)."""

    INVALID = "init_data_invalid"  # malformed, no hash, or the hash does not verify
    EXPIRED = "init_data_expired"  # auth_date outside the freshness window
    REPLAYED = "init_data_replayed"  # this init data already opened a session


@dataclass(frozen=True, slots=True)
class InitData:
    """What verified init data says about who opened the Mini App."""

    user_id: int
    first_name: str
    username: str | None
    language_code: str | None
    auth_date: datetime
    hash: str  # hex; one session per init data (replay protection keys on it)

    @property
    def name(self) -> str:
        """How the review chat names a moderator: @username, else the first name."""
        return f"@{self.username}" if self.username else self.first_name


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def check_init_data(
    raw: str, bot_token: str, *, now: datetime, max_age: timedelta
) -> InitData | InitDataRefusal:
    """The verified init data, or why it is refused."""
    if not raw or len(raw) > MAX_INIT_DATA:
        return InitDataRefusal.INVALID
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return InitDataRefusal.INVALID
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        return InitDataRefusal.INVALID  # a field twice: which one was signed is ambiguous
    fields = dict(pairs)
    received = fields.pop("hash", None)
    if received is None:
        return InitDataRefusal.INVALID
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    expected = hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.lower().encode()):
        return InitDataRefusal.INVALID
    parsed = _parsed(fields, expected)
    if parsed is None:
        return InitDataRefusal.INVALID
    age = now - parsed.auth_date
    if age > max_age or age < -timedelta(minutes=5):  # a few minutes of clock skew, no more
        return InitDataRefusal.EXPIRED
    return parsed


def _parsed(fields: dict[str, str], digest: str) -> InitData | None:
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
    except (KeyError, ValueError, OverflowError, OSError):
        return None
    if not isinstance(user, dict):
        return None
    user_id, first_name = user.get("id"), user.get("first_name")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        return None
    if not isinstance(first_name, str):
        return None
    username = user.get("username")
    language = user.get("language_code")
    return InitData(
        user_id=user_id,
        first_name=first_name,
        username=username if isinstance(username, str) and username else None,
        language_code=language if isinstance(language, str) else None,
        auth_date=auth_date,
        hash=digest,
    )
