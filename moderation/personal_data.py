"""Phone numbers and IP addresses in one canonical spelling, so that the same number or address
always finds the same record (the blind index is computed over this form).
"""

from __future__ import annotations

import ipaddress

import phonenumbers


class NotPersonalData(ValueError):
    """The value is not a phone number / IP address we can store; the message says why."""


def normalize_phone(text: str) -> str:
    """E.164 (+4915123456789). Numbers must carry their country code: Telegram's do."""
    raw = text.strip()
    if not raw:
        raise NotPersonalData("empty phone number")
    candidate = raw if raw.startswith("+") else f"+{raw}"
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException as exc:
        raise NotPersonalData("not a phone number with a country code") from exc
    if not phonenumbers.is_possible_number(number):
        raise NotPersonalData("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def canonical_ip(text: str) -> str:
    """The compressed canonical form; an IPv4-mapped IPv6 address becomes its IPv4 address."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError as exc:
        raise NotPersonalData("not an IPv4 or IPv6 address") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
