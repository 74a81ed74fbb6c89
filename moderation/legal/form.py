"""What an order must say: each field of a legal request parsed and validated.

Every field is validated with a message that says what is wrong and how to write it; the same
parsers serve the guided conversation (one field at a time) and `report-bot legal add FILE.json`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import date
from typing import Final

import iso3166

from moderation.legal.types import OrderDocument, OrderType, RequestForm, Target, TargetKind
from moderation.personal_data import NotPersonalData
from moderation.registry.violators import ObservationKind, normalize_value

TEXT_MAX: Final = 500
DOCUMENT_MAX_BYTES: Final = 20 * 1024 * 1024  # the Bot API's download limit
#: `legal add FILE.json`: a request is a few hundred bytes; its deepest part is `target` or
#: `period` given as an object (depth 2), with room for an extra wrapper.
REQUEST_FILE_MAX_BYTES: Final = 1024 * 1024
REQUEST_MAX_DEPTH: Final = 4
#: Dates an order may carry: nothing about Telegram predates 1970, and a far-future date is a
#: typo (and 9999-12-31 would overflow the period's end-of-day bound).
EARLIEST_DATE: Final = date(1970, 1, 1)
LATEST_DATE: Final = date(2999, 12, 31)
_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")
_LINK = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/([A-Za-z][A-Za-z0-9_]{3,31})/?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

#: The order in which the guided conversation asks, and the JSON file's keys.
FIELDS: Final = (
    "authority",
    "country",
    "reference",
    "order_type",
    "issued_on",
    "offence",
    "target",
    "period",
)


class FieldProblem(ValueError):
    """One field cannot be accepted; `field` names it, the message says how to fix it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def clean_text(field_name: str, raw: object, *, minimum: int = 2, maximum: int = TEXT_MAX) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # a JSON form may give a reference or a Telegram id as a number
    if not isinstance(raw, str):
        raise FieldProblem(field_name, f"{field_name} must be text")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800" in a JSON file
        raise FieldProblem(field_name, f"{field_name} is not valid text (not UTF-8)") from None
    text = " ".join(_CONTROL.sub(" ", raw).split())
    if len(text) < minimum:
        raise FieldProblem(field_name, f"{field_name} is missing or too short")
    if len(text) > maximum:
        raise FieldProblem(field_name, f"{field_name} is longer than {maximum} characters")
    return text


def parse_country(raw: object) -> str:
    text = clean_text("country", raw, minimum=2, maximum=2).upper()
    if text not in iso3166.countries_by_alpha2:
        raise FieldProblem(
            "country", "country must be an ISO 3166-1 alpha-2 code such as DE, BR or IN"
        )
    return text


def country_name(code: str) -> str:
    """The ISO 3166-1 name of an alpha-2 code; the code itself when ISO has none."""
    country = iso3166.countries_by_alpha2.get(code.upper())
    return country.name if country is not None else code


def parse_order_type(raw: object) -> OrderType:
    text = clean_text("order_type", raw).lower().replace(" ", "_").replace("-", "_")
    try:
        return _ORDER_ALIASES.get(text) or OrderType(text)
    except ValueError:
        raise FieldProblem(
            "order_type",
            "order_type must be one of: court_order, judicial_warrant, subpoena, emergency, other",
        ) from None


_ORDER_ALIASES: Final = {
    "court": OrderType.COURT_ORDER,
    "warrant": OrderType.JUDICIAL_WARRANT,
    "emergency_disclosure": OrderType.EMERGENCY,
    "emergency_disclosure_request": OrderType.EMERGENCY,
}


def parse_date(field_name: str, raw: object) -> date:
    text = clean_text(field_name, raw, minimum=8, maximum=10)
    if not _ISO_DATE.fullmatch(text):  # fromisoformat also takes 20260331 and 2026-W01
        raise FieldProblem(field_name, f"{field_name} must be a date like 2026-03-31")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FieldProblem(field_name, f"{field_name} must be a date like 2026-03-31") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise FieldProblem(
            field_name,
            f"{field_name} must be a date between {EARLIEST_DATE.isoformat()} and "
            f"{LATEST_DATE.isoformat()}",
        )
    return day


def parse_offence(raw: object) -> str:
    """The offence as a key (`drug_trafficking`); free text is folded into one."""
    text = clean_text("offence", raw, minimum=3, maximum=100).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def parse_target(raw: object) -> Target:
    """@username or t.me link, a numeric Telegram id, a phone number with +, or an IP address."""
    if isinstance(raw, Mapping):
        kind_text, value = raw.get("kind"), raw.get("value")
        try:
            kind = TargetKind(kind_text if isinstance(kind_text, str) else "")
        except ValueError:
            raise FieldProblem(
                "target", "target kind must be username, telegram_id, phone or ip"
            ) from None
        return _target_of_kind(kind, value)
    text = clean_text("target", raw, minimum=1, maximum=100)
    if text.startswith("+"):
        return _target_of_kind(TargetKind.PHONE, text)
    if text.isdigit():
        return _target_of_kind(TargetKind.TELEGRAM_ID, text)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return _target_of_kind(TargetKind.USERNAME, text)
    return _target_of_kind(TargetKind.IP, text)


def _target_of_kind(kind: TargetKind, raw: object) -> Target:
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise FieldProblem("target", "target value must be text (or a Telegram id as a number)")
    text = clean_text("target", raw, minimum=1, maximum=100)
    if kind is TargetKind.TELEGRAM_ID:
        # ASCII digits only ("²".isdigit() is true but int() refuses it), and within SQLite's
        # INTEGER range, which the lookup by id binds it to.
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
            raise FieldProblem("target", "a Telegram id is a positive whole number")
        return Target(kind, str(int(text)))
    if kind is TargetKind.USERNAME:
        match = _USERNAME.fullmatch(text) or _LINK.fullmatch(text)
        if match is None:
            raise FieldProblem(
                "target",
                "target must be an @username or t.me link, a Telegram id, a phone number "
                "starting with + or an IP address",
            )
        return Target(kind, match.group(1).lower())
    observation = ObservationKind.PHONE if kind is TargetKind.PHONE else ObservationKind.IP
    try:
        return Target(kind, normalize_value(observation, text))
    except NotPersonalData as exc:
        raise FieldProblem("target", str(exc)) from None


def parse_period(raw: object) -> tuple[date, date]:
    """`2026-01-01..2026-06-30` (or `2026-01-01 to 2026-06-30`), both days included."""
    if isinstance(raw, Mapping):
        start, end = parse_date("period", raw.get("start")), parse_date("period", raw.get("end"))
    else:
        text = clean_text("period", raw, minimum=8, maximum=40)
        parts = [
            p for p in re.split(r"\s*(?:\.\.|–|—|\bto\b|\s)\s*", text, flags=re.IGNORECASE) if p
        ]
        if len(parts) != 2:
            raise FieldProblem(
                "period", "period must be two dates, first and last day: 2026-01-01..2026-06-30"
            )
        start, end = parse_date("period", parts[0]), parse_date("period", parts[1])
    if end < start:
        raise FieldProblem("period", "the period ends before it starts")
    return start, end


def parse_field(name: str, raw: object) -> object:
    """One field of the form, parsed; raises FieldProblem."""
    if name == "authority":
        return clean_text("authority", raw, minimum=3, maximum=200)
    if name == "country":
        return parse_country(raw)
    if name == "reference":
        return clean_text("reference", raw, minimum=1, maximum=100)
    if name == "order_type":
        return parse_order_type(raw)
    if name == "issued_on":
        return parse_date("issued_on", raw)
    if name == "offence":
        return parse_offence(raw)
    if name == "target":
        return parse_target(raw)
    if name == "period":
        return parse_period(raw)
    raise KeyError(name)


def form_from(values: Mapping[str, object]) -> tuple[RequestForm | None, list[FieldProblem]]:
    """All fields at once (the JSON file); every problem is reported, not just the first."""
    parsed: dict[str, object] = {}
    problems: list[FieldProblem] = []
    for name in FIELDS:
        raw: object = values.get(name)
        if name == "period" and raw is None and "period_start" in values:
            raw = {"start": values.get("period_start"), "end": values.get("period_end")}
        if raw is None:
            problems.append(FieldProblem(name, f"{name} is missing"))
            continue
        try:
            parsed[name] = parse_field(name, raw)
        except FieldProblem as exc:
            problems.append(exc)
    if problems:
        return None, problems
    return form_of(parsed), []


def form_of(parsed: Mapping[str, object]) -> RequestForm:
    period = parsed["period"]
    assert isinstance(period, tuple)
    issued_on, target = parsed["issued_on"], parsed["target"]
    assert isinstance(issued_on, date)
    assert isinstance(target, Target)
    return RequestForm(
        authority=str(parsed["authority"]),
        country=str(parsed["country"]),
        reference=str(parsed["reference"]),
        order_type=OrderType(str(parsed["order_type"])),
        issued_on=issued_on,
        offence=str(parsed["offence"]),
        target=target,
        period_start=period[0],
        period_end=period[1],
    )


def check_document(document: OrderDocument) -> None:
    if not document.content:
        raise FieldProblem("document", "the order document is empty")
    if len(document.content) > DOCUMENT_MAX_BYTES:
        raise FieldProblem("document", "the order document is larger than 20 MB")
