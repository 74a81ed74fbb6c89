"""Link validation the way Telegram applies it to text links and URL buttons."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit, urlunsplit

_LABEL = r"(?:[^\W_]|[^\W_][\w-]{0,61}[^\W_])"
_HOST = re.compile(rf"(?:{_LABEL}\.)+[^\W\d_]{{2,63}}|\d{{1,3}}(?:\.\d{{1,3}}){{3}}|localhost")
_APP_SCHEMES = frozenset({"tg", "ton", "tonsite"})


def normalize_link(url: str) -> str | None:
    """The URL Telegram would store, or None when Telegram rejects it.

    Scheme-less links get http://, and an empty path becomes "/" (as Telegram returns them).
    """
    candidate = url.strip()
    if not candidate or any(char.isspace() for char in candidate):
        return None
    scheme, _, rest = candidate.partition(":")
    if scheme.lower() in _APP_SCHEMES:
        return candidate if rest.strip("/") else None
    if "://" not in candidate:
        candidate = f"http://{candidate}"
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in {"http", "https"}:
        return None
    try:
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if not host or not _HOST.fullmatch(host) or parts.username or parts.password:
        return None
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, parts.fragment)
    )


def mentioned_user_id(url: str) -> int | None:
    """The user id of a tg://user?id=N link, which Telegram turns into a text mention."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "tg" or parts.netloc.lower() != "user":
        return None
    values = parse_qs(parts.query).get("id", [])
    if len(values) == 1 and values[0].isdigit():
        return int(values[0])
    return None
