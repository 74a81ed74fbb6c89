"""Data for the data-safety tests: a bot's worth of records written by the real domain code,
and per-schema-version SQL seeds for the migration-with-data tests.

Every personal value is obviously fake: phone numbers from the UK's +44 7700 900xxx drama range,
IP addresses from the documentation range 192.0.2.0/24.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from handlers.runtime.chat_budget import ChatBudget
from moderation.console.init_data import InitData
from moderation.console.sessions import open_session, view_case
from moderation.console.types import OpenedSession, Viewer
from moderation.instances import Instance, LeaseName, Mode, announce, beat
from moderation.legal.approvals import approve
from moderation.legal.disclosure import disclose
from moderation.legal.ledger import Ledger
from moderation.legal.lifecycle import register, write_analysis
from moderation.legal.officers import Officer
from moderation.legal.types import (
    LegalPolicy,
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
    record_observation,
)
from moderation.reporting.drafts import Draft, Step
from moderation.reporting.filing import file_report
from moderation.reporting.people import Visitor, record_visit
from moderation.reporting.targets import TargetKind as ReportTargetKind
from moderation.reporting.targets import TargetRef
from moderation.reporting.types import Filed, NewReport, ReportLimits, ReportSource
from moderation.review.appeals import AppealFiled, NewAppeal, file_appeal
from moderation.review.case_actions import add_note
from moderation.review.case_copies import PostRef, PostRole, pressed_post
from moderation.review.claims import serve_next
from moderation.review.decisions import decide
from moderation.review.delivery import due_posts, record_post, send_begun
from moderation.review.menus import open_menu
from moderation.review.priority import CasePolicy
from moderation.review.severe_waits import SeverePolicy
from moderation.review.types import Decision, Menu, Moderator, RejectReason
from moderation.staff.roles import Role
from moderation.staff.team import block, grant
from storage import Store
from storage.crypto import PersonalDataCipher
from tests.storage.legal_fixtures import ledger_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ADMIN = 910001
MODERATOR = Moderator(910002, "@mod_test")
REPORTERS = (910011, 910012, 910013)
BLOCKED = 910099
NEW_MODERATOR = 910003
OFFICERS = (Officer(910021, "alice", is_legal=True), Officer(910022, "bob", is_legal=True))
OFFICER_C = Officer(910023, "carol", is_legal=True)
PHONE_INSIDE = "+447700900123"
PHONE_AFTER = "+447700900124"
IP_INSIDE = "192.0.2.44"
POLICY = LegalPolicy(
    offences={"drug_trafficking": "drugs"}, bootstrap_legal=frozenset({910021, 910022, 910023})
)
LIMITS = ReportLimits(10, 10)
UNDO_WINDOW = timedelta(minutes=5)
REVIEW_CHAT = -1009100000001


@dataclass(frozen=True, slots=True)
class Seeded:
    """What the scenario wrote: the ids later checks look for."""

    approved_case: int
    rejected_case: int
    pending_case: int
    violator_id: int
    legal_request: int


def new_report(reporter: int, name: str, *, comment: str | None = None) -> NewReport:
    return NewReport(
        reporter_id=reporter,
        language_code="en",
        query="cheap pills",
        target=TargetRef(ReportTargetKind.PUBLIC, username=name),
        category="drugs",
        comment=comment,
        raw_input=f"@{name}",
        source=ReportSource.ONE_MESSAGE,
    )


async def _filed(store: Store, report: NewReport, at: datetime) -> int:
    outcome = await file_report(store, report, LIMITS, at)
    assert isinstance(outcome, Filed), outcome
    return outcome.case_id


async def _decided(store: Store, case_id: int, decision: Decision, at: datetime) -> None:
    await decide(
        store,
        case_id,
        MODERATOR,
        decision,
        category="drugs" if decision is Decision.APPROVED else None,
        reason=None if decision is Decision.APPROVED else RejectReason.NOT_A_VIOLATION,
        undo_window=UNDO_WINDOW,
        now=at,
        policy=CasePolicy(),
    )


async def seed_everything(
    store: Store, cipher: PersonalDataCipher, ledger: Ledger | None = None
) -> Seeded:
    """A realistic history written through the domain functions the bot itself calls: people,
    reports and cases, an approval (violator, blocklist, notifications) with a metadata
    timeline, a rejection and its appeal, a moderator's note, a guided draft, a role grant and
    a block, and a legal request taken through four eyes to a disclosure in the ledger."""
    start = NOW - timedelta(days=200)
    bootstrap = {Role.ADMIN: [ADMIN]}
    for user_id in (ADMIN, MODERATOR.user_id, *REPORTERS, BLOCKED, NEW_MODERATOR):
        await record_visit(store, Visitor(user_id, "en", f"user_{user_id}"), start)

    approved_case = await _filed(
        store, new_report(REPORTERS[0], "pill_shop", comment="sells"), start
    )
    await _filed(store, new_report(REPORTERS[1], "pill_shop"), start + timedelta(minutes=1))
    await add_note(
        store, approved_case, MODERATOR, "Seen the channel; clear case.", start + timedelta(hours=1)
    )
    await _decided(store, approved_case, Decision.APPROVED, start + timedelta(hours=2))
    rejected_case = await _filed(store, new_report(REPORTERS[0], "cooking_club"), start)
    await _decided(store, rejected_case, Decision.REJECTED, start + timedelta(hours=2))
    pending_case = await _filed(
        store, new_report(REPORTERS[2], "gun_store"), NOW - timedelta(hours=1)
    )

    # The pending case's post, sent twice across a restart: the copy above it was pressed.
    [task] = [t for t in await due_posts(store, NOW, timedelta(0), 50) if t.case_id == pending_case]
    await send_begun(store, pending_case, NOW)
    await send_begun(store, pending_case, NOW)
    assert await record_post(store, task, REVIEW_CHAT, 502, NOW)
    copy = PostRef(REVIEW_CHAT, 501)
    assert (await pressed_post(store, pending_case, copy, "press", NOW)).role is PostRole.COPY
    # A moderator pressed Approve on it: the category menu is open (migration 0027).
    await open_menu(store, pending_case, Menu.CATEGORIES, NOW)
    # A moderator reviewing in a private chat was served it (migration 0028).
    served = await serve_next(
        store,
        Moderator(NEW_MODERATOR, "@new_mod"),
        now=NOW,
        claim_for=timedelta(minutes=5),
        severe=SeverePolicy(frozenset(), timedelta(0)),
        via="private",
    )
    assert served is not None
    assert served.id == pending_case
    # A moderator signed in to the console and opened it (migration 0029).
    console_in = InitData(NEW_MODERATOR, "New", "new_mod", "en", NOW, "ab" * 32)
    session = await open_session(
        store,
        console_in,
        b"seed-key",
        language="en",
        now=NOW,
        lasts=timedelta(hours=1),
        max_age=timedelta(hours=1),
    )
    assert isinstance(session, OpenedSession)
    await view_case(store, pending_case, Viewer(NEW_MODERATOR, "@new_mod"), NOW)

    appeal = await file_appeal(
        store,
        NewAppeal(
            REPORTERS[0],
            "en",
            TargetRef(ReportTargetKind.PUBLIC, username="cooking_club"),
            "The club sells more than recipes.",
        ),
        start + timedelta(days=1),
    )
    assert isinstance(appeal, AppealFiled), appeal

    async with store.reading() as uow:
        (violator_id,) = await uow.registry.by_username("pill_shop")
    seen = (
        (ObservationKind.PHONE, PHONE_INSIDE, datetime(2026, 7, 10, tzinfo=UTC)),
        (ObservationKind.IP, IP_INSIDE, datetime(2026, 7, 11, tzinfo=UTC)),
        (ObservationKind.PHONE, PHONE_AFTER, datetime(2026, 8, 2, tzinfo=UTC)),
        (ObservationKind.USERNAME, "pill_shop_old", datetime(2026, 7, 12, tzinfo=UTC)),
    )
    async with store.transaction() as uow:
        for kind, value, at in seen:
            observation = Observation(kind, value, at, ObservationSource.IMPORT)
            assert await record_observation(uow, cipher, violator_id, observation, start)

    async with store.transaction() as uow:
        await uow.drafts.save(
            Draft(
                draft_id=77,
                user_id=REPORTERS[2],
                chat_id=REPORTERS[2],
                step=Step.RESULT,
                language_code="en",
                started_at=NOW,
                updated_at=NOW,
                expires_at=NOW + timedelta(minutes=30),
                query="fake passports",
            )
        )
        await uow.state.put("seed.marker", "kept", NOW)
        await uow.updates.mark_processed(424242, NOW)
        await uow.journal.keep([(424243, None, b'{"update_id": 424243}')], NOW)

    ledger = ledger or ledger_for(store)
    await grant(store, bootstrap, ADMIN, [str(NEW_MODERATOR), "moderator"], NOW, keys=ledger.keys)
    # A legal role one admin proposed, waiting for a second admin (it gives no role yet).
    await grant(store, bootstrap, ADMIN, [str(NEW_MODERATOR), "legal"], NOW, keys=ledger.keys)
    await block(store, bootstrap, ADMIN, [str(BLOCKED), "floods", "reports"], NOW)

    form = RequestForm(
        authority="Amtsgericht Teststadt",
        country="DE",
        reference="AG-1/26",
        order_type=OrderType.COURT_ORDER,
        issued_on=date(2026, 10, 1),
        offence="drug_trafficking",
        target=Target(TargetKind.USERNAME, "pill_shop"),
        period_start=date(2026, 7, 1),
        period_end=date(2026, 7, 31),
    )
    document = OrderDocument("order.pdf", "application/pdf", b"%PDF-1.4 test order, not real")
    alice, bob = OFFICERS
    request = await register(store, cipher, POLICY, form, document, alice, NOW)
    analysis = "A valid court order naming a confirmed violator of the Terms."
    await write_analysis(store, cipher, POLICY, request.id, analysis, alice, NOW)
    await approve(store, cipher, POLICY, ledger.keys, request.id, bob, NOW)
    await approve(store, cipher, POLICY, ledger.keys, request.id, OFFICER_C, NOW)
    await disclose(store, cipher, POLICY, ledger, request.id, OFFICER_C, NOW)

    # The instance that ran all this, leading the jobs, and the review group's budget it spent
    # (two posts, then a 429's pause).
    await announce(
        store, Instance("seed-host:1:abcdef", "seed-host", 1, Mode.POLLING, "1.0", NOW, NOW)
    )
    await beat(store, "seed-host:1:abcdef", NOW, (LeaseName.JOBS, LeaseName.POLLING))
    budget = ChatBudget(store, 20, lambda: NOW.timestamp(), min_gap=0)
    assert await budget.try_spend()
    assert await budget.try_spend()
    await budget.pause(30)
    return Seeded(approved_case, rejected_case, pending_case, violator_id, request.id)
