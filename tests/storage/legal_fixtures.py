"""Building blocks for the legal-request tests: confirmed violators with a metadata timeline,
orders, officers, and a request taken through its steps with the real flow.

Every personal value is obviously fake: phone numbers from the UK's +44 7700 900xxx drama range,
IP addresses from the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from moderation.audit import AuditEntry
from moderation.legal.approvals import approve
from moderation.legal.disclosure import disclose
from moderation.legal.ledger import Ledger, LedgerKeys
from moderation.legal.lifecycle import register, write_analysis
from moderation.legal.officers import Officer
from moderation.legal.types import (
    Disclosure,
    LegalPolicy,
    LegalRequest,
    OrderDocument,
    OrderType,
    RequestForm,
    Target,
    TargetKind,
)
from moderation.registry.violators import (
    Observation,
    ObservationKind,
    ObservationSource,
    Sealer,
    normalize_value,
    record_observation,
)
from moderation.reporting.filing import file_report
from moderation.reporting.targets import TargetKind as ReportTargetKind
from moderation.reporting.targets import TargetRef
from moderation.reporting.types import Filed, NewReport, ReportLimits, ReportSource
from moderation.review.decisions import decide
from moderation.review.priority import CasePolicy
from moderation.review.types import Decision, Moderator
from moderation.staff.commands import RoleStore
from moderation.staff.grant_seals import seal_grant
from moderation.staff.roles import Role, RoleGrant
from storage import Store
from storage.legal.ledger_anchor import FileAnchor
from storage.location import SqliteLocation
from tests.storage.stored import Statement, unguarded

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CONFIRMED_AT = NOW - timedelta(days=200)
MODERATOR = Moderator(7, "@mod")

#: A ledger key made up for the tests (random per run, never a real-looking value).
TEST_LEDGER_KEYS = LedgerKeys("test-ledger", {"test-ledger": os.urandom(32)})

POLICY = LegalPolicy(
    offences={"drug_trafficking": "drugs", "fraud": "scam"},
    denied_countries=frozenset({"KP"}),
    bootstrap_legal=frozenset({101, 102, 103, 900}),
    bootstrap_admins=frozenset({900}),
    grant_keys=TEST_LEDGER_KEYS,  # granted roles count only when sealed under this key
)


async def sealed_grant(
    roles: RoleStore,
    user_id: int,
    role: Role,
    *,
    by: int,
    at: datetime,
    confirmed_by: int | None = None,
    keys: LedgerKeys = TEST_LEDGER_KEYS,
) -> RoleGrant:
    """A legal or admin role as the two-admin flow leaves it (proposed by `by` at `at`,
    confirmed by `confirmed_by`, default `by + 1`, at the same moment), sealed under `keys` as
    the bot seals it: for tests about what a genuine grant allows, not about granting."""
    grant = RoleGrant(
        user_id,
        role,
        granted_by=by,
        granted_at=at,
        confirmed_by=by + 1 if confirmed_by is None else confirmed_by,
        confirmed_at=at,
    )
    await roles.grant(
        user_id,
        role,
        by=grant.granted_by,
        at=grant.granted_at,
        confirmed_by=grant.confirmed_by,
        confirmed_at=grant.confirmed_at,
        seal=seal_grant(keys, grant),
    )
    return grant


REGISTRAR = Officer(101, "registrar", is_legal=True)
BOB = Officer(102, "bob", is_legal=True)
CAROL = Officer(103, "carol", is_legal=True)
ADMIN = Officer(900, "admin", is_legal=True, is_admin=True)
NOT_LEGAL = Officer(500, "moderator", is_legal=False)
ANALYSIS = "The order is a valid court order naming a confirmed violator of the Terms."

VIOLATOR = "pill_shop"
OTHER = "other_shop"

# pill_shop's timeline around the requested period, July 2026 (both days included).
PHONE_FIRST_INSTANT = "+447700900101"  # 2026-07-01T00:00:00: inside
IP_INSIDE = "192.0.2.10"  # 2026-07-15: inside
IPV6_LAST_INSTANT = "2001:db8::10"  # 2026-07-31T23:59:59.999999: inside
PHONE_JUST_BEFORE = "+447700900102"  # 2026-06-30T23:59:59.999999: outside
IP_JUST_AFTER = "198.51.100.20"  # 2026-08-01T00:00:00: outside
OLD_USERNAME = "pill_shop_old"  # inside, but a username: never disclosed
DEVICE = "Pixel 8 (test)"  # inside, but a device: never disclosed
# other_shop, inside the period: never disclosed for pill_shop.
OTHER_PHONE = "+447700900199"
SHARED_IP = "192.0.2.77"  # seen for both violators (the target that matches two)

INSIDE = (PHONE_FIRST_INSTANT, IP_INSIDE, IPV6_LAST_INSTANT)
OUTSIDE = (PHONE_JUST_BEFORE, IP_JUST_AFTER, OTHER_PHONE)
PERSONAL_VALUES = (*INSIDE, *OUTSIDE, SHARED_IP)


def ledger_for(store: Store) -> Ledger:
    """The test ledger: its checkpoints in a folder beside the test database (for a
    PostgreSQL one, a folder named after its database, unique to the test)."""
    location = store.location
    if isinstance(location, SqliteLocation):
        folder = location.path.parent / "ledger-anchors"
    else:
        name = location.describe().rsplit("/", 1)[-1]
        folder = Path(tempfile.gettempdir()) / "report-bot-tests" / name / "ledger-anchors"
    return Ledger(TEST_LEDGER_KEYS, FileAnchor(folder))


DOCUMENT = OrderDocument("order.pdf", "application/pdf", b"%PDF-1.4 test order, not a real one")


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


PILL_SHOP_TIMELINE = (
    (ObservationKind.PHONE, PHONE_FIRST_INSTANT, at(2026, 7, 1)),
    (ObservationKind.IP, IP_INSIDE, at(2026, 7, 15, 10, 0)),
    (ObservationKind.IP, IPV6_LAST_INSTANT, at(2026, 7, 31, 23, 59, 59, 999999)),
    (ObservationKind.PHONE, PHONE_JUST_BEFORE, at(2026, 6, 30, 23, 59, 59, 999999)),
    (ObservationKind.IP, IP_JUST_AFTER, at(2026, 8, 1)),
    (ObservationKind.USERNAME, OLD_USERNAME, at(2026, 7, 10)),
    (ObservationKind.DEVICE, DEVICE, at(2026, 7, 12)),
)


def order(**changes: Any) -> RequestForm:
    """A valid court order about @pill_shop for July 2026; `changes` replace fields."""
    form = RequestForm(
        authority="Amtsgericht Teststadt",
        country="DE",
        reference="AG-1/26",
        order_type=OrderType.COURT_ORDER,
        issued_on=date(2026, 10, 1),
        offence="drug_trafficking",
        target=Target(TargetKind.USERNAME, VIOLATOR),
        period_start=date(2026, 7, 1),
        period_end=date(2026, 7, 31),
    )
    return dataclasses.replace(form, **changes)


async def confirmed(store: Store, name: str) -> int:
    """The violator id of @name after a moderator approved a report on it."""
    filed = await file_report(
        store,
        NewReport(
            reporter_id=1,
            language_code="en",
            query="q",
            target=TargetRef(ReportTargetKind.PUBLIC, username=name),
            category="drugs",
            comment=None,
            raw_input=f"@{name}",
            source=ReportSource.ONE_MESSAGE,
        ),
        ReportLimits(10, 10),
        CONFIRMED_AT,
    )
    assert isinstance(filed, Filed)
    await decide(
        store,
        filed.case_id,
        MODERATOR,
        Decision.APPROVED,
        category="drugs",
        reason=None,
        undo_window=timedelta(minutes=5),
        now=CONFIRMED_AT,
        policy=CasePolicy(),
    )
    async with store.reading() as uow:
        (violator_id,) = await uow.registry.by_username(name)
    return violator_id


async def observe(
    store: Store,
    sealer: Sealer,
    violator_id: int,
    seen: tuple[tuple[ObservationKind, str, datetime], ...],
) -> None:
    async with store.transaction() as uow:
        for kind, raw, when in seen:
            observation = Observation(
                kind, normalize_value(kind, raw), when, ObservationSource.IMPORT
            )
            assert await record_observation(uow, sealer, violator_id, observation, CONFIRMED_AT)


async def two_violators(store: Store, sealer: Sealer) -> tuple[int, int]:
    """(pill_shop, other_shop), each confirmed with its timeline."""
    pill_shop = await confirmed(store, VIOLATOR)
    await observe(store, sealer, pill_shop, PILL_SHOP_TIMELINE)
    other = await confirmed(store, OTHER)
    await observe(store, sealer, other, ((ObservationKind.PHONE, OTHER_PHONE, at(2026, 7, 20)),))
    return pill_shop, other


async def registered(
    store: Store,
    sealer: Sealer,
    form: RequestForm | None = None,
    policy: LegalPolicy = POLICY,
    by: Officer = REGISTRAR,
) -> LegalRequest:
    return await register(store, sealer, policy, form or order(), DOCUMENT, by, NOW)


async def analysed(
    store: Store,
    sealer: Sealer,
    form: RequestForm | None = None,
    policy: LegalPolicy = POLICY,
) -> LegalRequest:
    request = await registered(store, sealer, form, policy)
    return await write_analysis(store, sealer, policy, request.id, ANALYSIS, REGISTRAR, NOW)


async def approved(
    store: Store,
    sealer: Sealer,
    form: RequestForm | None = None,
    policy: LegalPolicy = POLICY,
    keys: LedgerKeys = TEST_LEDGER_KEYS,
) -> LegalRequest:
    """Analysed and approved by BOB and CAROL, their votes sealed under `keys`."""
    request = await analysed(store, sealer, form, policy)
    await approve(store, sealer, policy, keys, request.id, BOB, NOW)
    outcome = await approve(store, sealer, policy, keys, request.id, CAROL, NOW)
    assert outcome.complete
    return outcome.request


async def disclosed(
    store: Store,
    sealer: Sealer,
    form: RequestForm | None = None,
    policy: LegalPolicy = POLICY,
) -> Disclosure:
    request = await approved(store, sealer, form, policy)
    return await disclose(store, sealer, policy, ledger_for(store), request.id, CAROL, NOW)


async def audit_log(store: Store) -> list[AuditEntry]:
    """Every audit entry, oldest first."""
    async with store.reading() as uow:
        return sorted(await uow.audit.recent(10_000), key=lambda e: e.id)


def actions(entries: list[AuditEntry], prefix: str = "legal.") -> list[str]:
    return [e.action for e in entries if e.action.startswith(prefix)]


#: The disclosure ledger's guards, as (trigger, table): an insider drops them first.
LEDGER_GUARDS = (
    ("disclosure_ledger_no_update", "disclosure_ledger"),
    ("disclosure_ledger_no_delete", "disclosure_ledger"),
    ("disclosure_ledger_no_replace", "disclosure_ledger"),
    ("disclosures_no_delete", "disclosures"),
    ("disclosures_only_reseal", "disclosures"),
)


async def tamper(store: Store, *statements: Statement) -> None:
    """What someone with write access to the database could do, on either engine: drop the
    append-only triggers, then edit rows. A statement is SQL, or (SQL, parameters)."""
    await unguarded(store, LEDGER_GUARDS, *statements)
