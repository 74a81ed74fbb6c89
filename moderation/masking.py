"""Phones and IP addresses in free text become [phone] and [ip]: in the free text the console
shows (a report's query or comment, a note; it never shows them outside an approved
disclosure, and a reporter may write one into a comment) and in every log line
(bot/redaction.py). One set of patterns for both, so what the logs hide the console hides."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

PHONE_MASK: Final = "[phone]"
IP_MASK: Final = "[ip]"

# E.164-like numbers with a leading + and grouped national forms such as (555) 123-4567.
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
