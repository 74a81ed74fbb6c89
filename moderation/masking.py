"""Phones and IP addresses in free text the console shows (a report's query or comment, a note)
become [phone] and [ip]: the console never shows them outside an approved disclosure, and a
reporter may write one into a comment. The patterns are those the logs are masked with
(bot/redaction.py), which the domain may not import."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

PHONE_MASK: Final = "[phone]"
IP_MASK: Final = "[ip]"

_PHONE = re.compile(
    r"(?<![\w+])\+[0-9][0-9 ().-]{5,18}[0-9](?![0-9])"
    r"|(?<![\w.])\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{2,4}(?:[ .-][0-9]{2})?(?![\w])"
)
_IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])")
_IPV6 = re.compile(r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?")


def _ipv4(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv4Address(match.group(0))
    except ValueError:
        return match.group(0)
    return IP_MASK


def _ipv6(match: re.Match[str]) -> str:
    candidate = match.group(0)
    if candidate.count(":") < 2:
        return candidate
    try:
        ipaddress.IPv6Address(candidate.split("%", 1)[0])
    except ValueError:
        return candidate
    return IP_MASK


def mask_personal(text: str) -> str:
    text = _IPV6.sub(_ipv6, text)
    text = _IPV4.sub(_ipv4, text)
    return _PHONE.sub(PHONE_MASK, text)


def mask_optional(text: str | None) -> str | None:
    return None if text is None else mask_personal(text)
