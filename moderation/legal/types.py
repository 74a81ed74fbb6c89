"""What the legal flow keeps and passes around: an order's form and document, the request with
its checks and votes, the policy, and a disclosure as kept and as handed out.

Plain records only, so storage and the screens can use them without the flow's rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from moderation.legal.ledger import LedgerKeys
from moderation.registry.violators import SealedValue


class LegalRefused(Exception):
    """A step is not allowed now; the message says why and what would make it possible."""


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
    # LEGAL_GRANT_COOL_OFF_HOURS: a legal role granted from the bot counts for approvals only
    # this long after its confirmation (bootstrap officers have none).
    grant_cool_off: timedelta = timedelta(hours=24)
    # LEDGER_KEY's keys, which seal legal and admin grants (moderation/staff/grant_seals.py):
    # a granted role counts in the legal flow only when its seal verifies under them (None:
    # LEDGER_KEY unset, so only the bootstrap ids count).
    grant_keys: LedgerKeys | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Vote:
    id: int
    officer_id: int
    approve: bool
    reason: str | None
    at: datetime
    voided_at: datetime | None = None
    voided_reason: str | None = None
    # The vote's seal under LEDGER_KEY (moderation/legal/vote_seals.py) and that key's id;
    # None in votes from before migration 0023.
    seal: str | None = None
    seal_key_id: str | None = None

    @property
    def live(self) -> bool:
        return self.voided_at is None


@dataclass(frozen=True, slots=True)
class LegalRequest:
    id: int
    form: RequestForm  # a phone or IP target is decrypted only when opened for an officer
    state: RequestState
    violator_id: int | None
    checks: tuple[CheckResult, ...]
    analysis: str | None
    override_reason: str | None
    registered_by: int
    registered_at: datetime
    rejected_reason: str | None
    document_sha256: str | None
    votes: tuple[Vote, ...]
    target_sealed: SealedValue | None = None

    @property
    def approvals(self) -> tuple[int, ...]:
        """Officers whose approval counts: live votes only (a voided one is kept, not counted)."""
        return tuple(v.officer_id for v in self.votes if v.approve and v.live)

    @property
    def voided(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if not v.live)


@dataclass(frozen=True, slots=True)
class SealedDocument:
    """An order document as kept: encrypted, bound to its request and its SHA-256."""

    file_name: str
    mime_type: str | None
    sha256: str
    key_id: str | None  # None: kept in clear from before migration 0018, not yet re-sealed
    blob: bytes
    telegram_file_id: str | None


@dataclass(frozen=True, slots=True)
class StoredDisclosure:
    request_id: int
    key_id: str
    ciphertext: bytes
    content_sha256: str
    phones: int
    ips: int
    disclosed_to: int
    disclosed_at: datetime


@dataclass(frozen=True, slots=True)
class Disclosure:
    request_id: int
    content: bytes  # canonical JSON, what content_sha256 is the hash of
    content_sha256: str
    html: bytes
    phones: int
    ips: int
    ledger_seq: int
    ledger_hash: str  # the ledger entry's keyed hash: the head the officers are told
    withheld: int = 0  # values that did not open in their row: named in the content, not shown
