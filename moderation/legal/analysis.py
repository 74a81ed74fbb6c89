"""Legal requests: what an order must say, and the legal analysis run on it.

Every field is validated with a message that says what is wrong and how to write it; the same
parsers serve the guided conversation (one field at a time) and `report-bot legal add FILE.json`.
The analysis is a checklist of pass / fail items, each with its reason; the policy behind it is
configuration, so the process is the same everywhere and cannot be bent per country.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final

import iso3166

from moderation.personal_data import NotPersonalData
from moderation.registry.violators import ObservationKind, normalize_value

TEXT_MAX: Final = 500
REASON_MIN: Final = 10
ANALYSIS_MIN: Final = 20
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


class OrderType(StrEnum):
    COURT_ORDER = "court_order"
    JUDICIAL_WARRANT = "judicial_warrant"
    SUBPOENA = "subpoena"
    EMERGENCY = "emergency"
    OTHER = "other"


class RequestState(StrEnum):
    RECEIVED = "received"
    UNDER_ANALYSIS = "under_analysis"
    APPROVED = "approved"
    REJECTED = "rejected"
    DISCLOSED = "disclosed"
    CLOSED = "closed"

    @property
    def open(self) -> bool:
        return self not in (RequestState.REJECTED, RequestState.CLOSED)


class TargetKind(StrEnum):
    USERNAME = "username"
    TELEGRAM_ID = "telegram_id"
    PHONE = "phone"
    IP = "ip"

    @property
    def personal(self) -> bool:
        return self in (TargetKind.PHONE, TargetKind.IP)


class CheckKey(StrEnum):
    JUDICIAL = "judicial_authority"
    TARGET = "target_resolves"
    OFFENCE = "offence_maps"
    COUNTRY = "country_allowed"
    PERIOD = "period_bounded"


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


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    value: str  # normalised: username without @ lower-cased, digits, E.164, canonical IP

    def shown(self) -> str:
        """How the target is named on screen. A phone number or IP address is never shown,
        not even the one the order names: it is in the order document, and the screen says
        only what kind of target it is."""
        if self.kind is TargetKind.USERNAME:
            return f"@{self.value}"
        if self.kind is TargetKind.PHONE:
            return "a phone number (sealed; as the order document names it)"
        if self.kind is TargetKind.IP:
            return "an IP address (sealed; as the order document names it)"
        return self.value


@dataclass(frozen=True, slots=True)
class OrderDocument:
    file_name: str
    mime_type: str | None
    content: bytes
    telegram_file_id: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True, slots=True)
class RequestForm:
    authority: str
    country: str
    reference: str
    order_type: OrderType
    issued_on: date
    offence: str
    target: Target
    period_start: date
    period_end: date


@dataclass(frozen=True, slots=True)
class CheckResult:
    key: CheckKey
    passed: bool
    reason: str
    overridable: bool = True  # the target check never is: nothing goes to a non-violator

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.value,
            "passed": self.passed,
            "reason": self.reason,
            "overridable": self.overridable,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            CheckKey(data["key"]),
            bool(data["passed"]),
            str(data["reason"]),
            bool(data.get("overridable", True)),
        )


@dataclass(frozen=True, slots=True)
class LegalPolicy:
    """What the analysis accepts; LEGAL_* settings fill it in."""

    judicial_order_types: frozenset[OrderType] = frozenset(
        {OrderType.COURT_ORDER, OrderType.JUDICIAL_WARRANT}
    )
    offences: Mapping[str, str] = field(default_factory=dict)  # offence key -> category key
    denied_countries: frozenset[str] = frozenset()
    max_period_days: int = 366
    approvals_needed: int = 2
    registrar_may_approve: bool = False
    # LEGAL_OFFICER_IDS and ADMIN_IDS: roles that hold without a grant in the database.
    bootstrap_legal: frozenset[int] = frozenset()
    bootstrap_admins: frozenset[int] = frozenset()


# --- parsing one field ------------------------------------------------------------------


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
    country = iso3166.countries_by_alpha2.get(code.upper())
    return country.name if country else code


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


# --- the legal analysis -------------------------------------------------------------------


def analyse(
    form: RequestForm,
    policy: LegalPolicy,
    violators: list[int],
    today: date,
) -> tuple[CheckResult, ...]:
    """The automatic checklist; `violators` are the confirmed violators the target matches."""
    return (
        _judicial(form, policy),
        _target(violators),
        _offence(form, policy),
        _country(form, policy),
        _period(form, policy, today),
    )


def _judicial(form: RequestForm, policy: LegalPolicy) -> CheckResult:
    accepted = ", ".join(sorted(t.value for t in policy.judicial_order_types)) or "none"
    if form.order_type in policy.judicial_order_types:
        return CheckResult(
            CheckKey.JUDICIAL, True, f"{form.order_type.value} is issued by a judicial authority"
        )
    return CheckResult(
        CheckKey.JUDICIAL,
        False,
        f"{form.order_type.value} is not an order of a judicial authority under the policy "
        f"(accepted: {accepted})",
    )


def _target(violators: list[int]) -> CheckResult:
    if len(violators) == 1:
        return CheckResult(
            CheckKey.TARGET,
            True,
            f"the target is confirmed violator #{violators[0]}",
            overridable=False,
        )
    if not violators:
        return CheckResult(
            CheckKey.TARGET,
            False,
            "the target is not a confirmed violator; nothing is ever disclosed about anyone else",
            overridable=False,
        )
    return CheckResult(
        CheckKey.TARGET,
        False,
        f"the target matches {len(violators)} confirmed violators; it must name exactly one",
        overridable=False,
    )


def _offence(form: RequestForm, policy: LegalPolicy) -> CheckResult:
    category = policy.offences.get(form.offence)
    if category is not None:
        return CheckResult(
            CheckKey.OFFENCE,
            True,
            f"{form.offence} is a criminal activity that breaks the Terms of Service "
            f"(category {category})",
        )
    return CheckResult(
        CheckKey.OFFENCE,
        False,
        f"{form.offence} is not on the policy's list of criminal activities that break the "
        "Terms of Service",
    )


def _country(form: RequestForm, policy: LegalPolicy) -> CheckResult:
    if form.country in policy.denied_countries:
        return CheckResult(
            CheckKey.COUNTRY,
            False,
            f"{form.country} ({country_name(form.country)}) is on the policy's deny list",
        )
    return CheckResult(
        CheckKey.COUNTRY,
        True,
        f"{form.country} ({country_name(form.country)}) is not on the deny list",
    )


def _period(form: RequestForm, policy: LegalPolicy, today: date) -> CheckResult:
    days = (form.period_end - form.period_start).days + 1
    if form.period_end > today:
        return CheckResult(CheckKey.PERIOD, False, "the period ends in the future")
    if form.issued_on > today:
        return CheckResult(CheckKey.PERIOD, False, "the order's issue date is in the future")
    if days > policy.max_period_days:
        return CheckResult(
            CheckKey.PERIOD,
            False,
            f"the period spans {days} days; the policy allows at most {policy.max_period_days}",
        )
    return CheckResult(
        CheckKey.PERIOD,
        True,
        f"{form.period_start.isoformat()} to {form.period_end.isoformat()} ({days} days)",
    )


def blocking(checks: tuple[CheckResult, ...], overridden: bool) -> list[CheckResult]:
    """The checks that stop a disclosure: failed ones, unless an admin overrode them (the
    target check cannot be overridden)."""
    return [c for c in checks if not c.passed and (not overridden or not c.overridable)]


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The requested period as [first instant, first instant after the last day) in UTC."""
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )
