"""Masks secrets and personal data in log events before anything is rendered.

Bot tokens, phone numbers and IP addresses must never reach a log line: httpx alone logs every
request URL, and the URL carries the token. Masking is by key (a field named like `phone` or `ip`
is masked whole) and by pattern inside every string, including formatted exceptions and foreign
(stdlib) records. Integer values are left alone so that chat and update ids stay readable.
Names and message texts have no pattern: our events never carry them, and a field named like one
(`first_name`, `text`, `comment`...) is masked whole should one ever be added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import quote

from moderation.masking import IP_MASK, PHONE_MASK, mask_personal

TOKEN_MASK = "[token]"  # noqa: S105 - a placeholder, not a credential
SECRET_MASK = "[secret]"  # noqa: S105 - a placeholder, not a credential
PERSONAL_MASK = "[personal]"

# The colon may be URL-encoded (%3A) where a library quotes the URL, e.g. file downloads.
_TOKEN = re.compile(r"(?<![0-9])[0-9]{3,20}(?::|%3[Aa])[A-Za-z0-9_-]{20,}")
# structlog's bookkeeping for stdlib records; the formatted message itself is in "event".
_PASSTHROUGH = frozenset({"_record", "_from_structlog"})
_PHONE_KEYS = ("phone", "msisdn")
_IP_KEYS = ("ip", "ip_address", "ipv4", "ipv6", "remote_addr", "client_ip")
_SECRET_KEYS = ("token", "secret", "password", "encryption_key", "api_key", "authorization")
# Exact names only: `bot_username` (the bot's own) stays readable.
_PERSONAL_KEYS = frozenset(
    {"first_name", "last_name", "full_name", "username", "text", "caption", "comment", "note"}
)


class Redactor:
    """A structlog processor; also usable directly on any string."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        given = {s for s in secrets if s}
        quoted = {quote(s, safe="") for s in given}  # as it appears inside a quoted URL
        self._secrets = tuple(sorted(given | quoted, key=len, reverse=True))

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> dict[str, Any]:
        return {
            key: value if key in _PASSTHROUGH else self._value(key, value)
            for key, value in event_dict.items()
        }

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, TOKEN_MASK)
        value = _TOKEN.sub(TOKEN_MASK, value)
        return mask_personal(value)

    def _value(self, key: str, value: Any) -> Any:
        lowered = key.lower()
        if value is not None and not isinstance(value, bool):
            if _matches(lowered, _PHONE_KEYS):
                return PHONE_MASK
            if lowered in _IP_KEYS or lowered.endswith("_ip"):
                return IP_MASK
            if _matches(lowered, _SECRET_KEYS) and not isinstance(value, int):
                return SECRET_MASK
            if lowered in _PERSONAL_KEYS:
                return PERSONAL_MASK
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, Mapping):
            return {k: self._value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._walk(item) for item in value]
        if isinstance(value, BaseException):
            return self.text(f"{type(value).__name__}: {value}")
        return self.text(str(value))


def _matches(key: str, names: tuple[str, ...]) -> bool:
    return any(key == name or key.endswith("_" + name) or key.startswith(name) for name in names)
