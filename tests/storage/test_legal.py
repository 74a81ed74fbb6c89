"""Legal requests against a real database file: a valid order goes from registration through
the legal analysis and two approvals to a disclosure of exactly the phone numbers and IP
addresses observed in the requested period; every failing check, every four-eyes rule and every
role rule stops it with its reason; every step is audited without a value in clear; an open
request holds the violator's metadata; the ledger shows any edit, deletion or reordering."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest

from moderation.legal.approvals import approve, reject
from moderation.legal.disclosure import disclose, retrieve
from moderation.legal.ledger import LEDGER_HEAD_KEY, LedgerKeys, expected_hash, legacy_hash
from moderation.legal.ledger_check import verify_ledger
from moderation.legal.lifecycle import (
    close,
    open_requests,
    override,
    register,
    show,
    write_analysis,
)
from moderation.legal.officers import Officer
from moderation.legal.types import LegalRefused, OrderType, RequestState, Target, TargetKind
from moderation.registry.retention import purge_expired
from moderation.registry.violators import ObservationKind
from moderation.sealing import disclosure_context
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
)
from tests.storage.legal_fixtures import (
    ADMIN,
    ANALYSIS,
    BOB,
    CAROL,
    DOCUMENT,
    INSIDE,
    IP_INSIDE,
    IPV6_LAST_INSTANT,
    LEDGER_GUARDS,
    NOT_LEGAL,
    NOW,
    PERSONAL_VALUES,
    PHONE_FIRST_INSTANT,
    POLICY,
    REGISTRAR,
    SHARED_IP,
    TEST_LEDGER_KEYS,
    actions,
    analysed,
    at,
    audit_log,
    disclosed,
    ledger_for,
    observe,
    order,
    registered,
    tamper,
    two_violators,
)
from tests.storage.stored import Refused, at_rest, outside, unguarded

RETENTION = timedelta(days=90)  # the violators were confirmed 200 days before NOW
REASON = "The order does not name the offence precisely enough."
OVERRIDE = "The subpoena is issued by the investigating judge, a judicial authority here."


@pytest.fixture
async def violators(store: Store, cipher: PersonalDataCipher) -> tuple[int, int]:
    """(@pill_shop, @other_shop): confirmed, each with its timeline (see legal_fixtures)."""
    return await two_violators(store, cipher)


async def ledger_problems(store: Store, cipher: PersonalDataCipher) -> list[str]:
    return list((await verify_ledger(store, cipher, ledger_for(store))).problems)


async def ledger_summary(store: Store, cipher: PersonalDataCipher) -> tuple[int, list[str]]:
    report = await verify_ledger(store, cipher, ledger_for(store))
    return report.entries, list(report.problems)


async def disclosure_count(store: Store) -> tuple[int, int]:
    """(disclosures kept, ledger entries)."""
    async with store.reading() as uow:
        return len(await uow.legal.disclosures()), len(await uow.legal.ledger())


# --- a valid order, all the way -----------------------------------------------------------


async def test_a_valid_order_discloses_exactly_the_phones_and_ips_inside_the_period(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    result = await disclosed(store, cipher)
    content = json.loads(result.content)
    assert content["violator_id"] == pill_shop
    assert content["period"] == {"start": "2026-07-01", "end": "2026-07-31"}
    assert [(i["kind"], i["value"], i["observed_at"]) for i in content["items"]] == [
        ("phone", PHONE_FIRST_INSTANT, "2026-07-01T00:00:00+00:00"),
        ("ip", IP_INSIDE, "2026-07-15T10:00:00+00:00"),
        ("ip", IPV6_LAST_INSTANT, "2026-07-31T23:59:59.999999+00:00"),
    ]
    assert (result.phones, result.ips) == (1, 2)


async def test_nothing_but_phones_and_ips_is_ever_in_a_disclosure(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    result = await disclosed(store, cipher)
    assert {i["kind"] for i in json.loads(result.content)["items"]} == {"phone", "ip"}
    for absent in (b"pill_shop_old", b"Pixel 8", b"device", b"username"):
        assert absent not in result.content
        assert absent not in result.html


async def test_the_disclosure_hash_is_the_ledger_entry_content_hash(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    result = await disclosed(store, cipher)
    digest = hashlib.sha256(result.content).hexdigest()
    async with store.reading() as uow:
        (entry,) = await uow.legal.ledger()
        kept = await uow.legal.disclosure(result.request_id)
        head = json.loads(await uow.state.get(LEDGER_HEAD_KEY) or "null")
    assert result.content_sha256 == digest
    assert entry.content_sha256 == digest
    assert kept is not None
    assert kept.content_sha256 == digest
    assert (entry.seq, entry.request_id, entry.violator_id, entry.country) == (
        result.ledger_seq,
        result.request_id,
        pill_shop,
        "DE",
    )
    assert head == {"count": 1, "last_hash": entry.entry_hash}


async def test_a_disclosed_request_is_in_state_disclosed(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    result = await disclosed(store, cipher)
    request, document = await show(store, cipher, POLICY, result.request_id, BOB, NOW)
    assert request.state is RequestState.DISCLOSED
    assert set(request.approvals) == {BOB.user_id, CAROL.user_id}
    assert document == DOCUMENT
    assert request.document_sha256 == DOCUMENT.sha256


async def test_retrieving_a_disclosure_returns_the_same_bytes(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    result = await disclosed(store, cipher)
    again = await retrieve(
        store, cipher, POLICY, ledger_for(store), result.request_id, BOB, NOW + timedelta(days=3)
    )
    assert (again.content, again.html, again.content_sha256) == (
        result.content,
        result.html,
        result.content_sha256,
    )
    assert actions(await audit_log(store))[-1] == "legal.disclosure_retrieved"
    # Shown again, so a ledger entry of its own, chained after the disclosure.
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
    assert [(e.seq, e.kind.value, e.disclosed_to) for e in entries] == [
        (1, "disclosure", CAROL.user_id),
        (2, "copy", BOB.user_id),
    ]
    assert (again.ledger_seq, again.ledger_hash) == (2, entries[1].entry_hash)
    assert await ledger_problems(store, cipher) == []


async def test_the_html_copy_holds_every_value_escaped(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    authority = "Court <b>Teststadt</b> & Sons"
    result = await disclosed(store, cipher, order(authority=authority))
    page = result.html.decode()
    for value in INSIDE:
        assert f"<td>{html.escape(value)}</td>" in page
    assert html.escape(authority) in page
    assert "<b>Teststadt</b>" not in page
    assert hashlib.sha256(result.content).hexdigest() in page


async def test_a_request_is_disclosed_only_once(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    result = await disclosed(store, cipher)
    with pytest.raises(LegalRefused, match="is disclosed; only an approved request"):
        await disclose(store, cipher, POLICY, ledger_for(store), result.request_id, CAROL, NOW)
    assert await disclosure_count(store) == (1, 1)


async def test_a_phone_target_resolves_to_its_violator_and_is_disclosed(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    form = order(target=Target(TargetKind.PHONE, PHONE_FIRST_INSTANT))
    result = await disclosed(store, cipher, form)
    assert json.loads(result.content)["violator_id"] == pill_shop
    request, _ = await show(store, cipher, POLICY, result.request_id, BOB, NOW)
    assert request.form.target == Target(TargetKind.PHONE, PHONE_FIRST_INSTANT)


# --- each failing check stops it with its reason ------------------------------------------


@pytest.mark.parametrize(
    ("changes", "check", "reason"),
    [
        pytest.param(
            {"order_type": OrderType.SUBPOENA},
            "judicial_authority",
            "subpoena is not an order of a judicial authority under the policy",
            id="subpoena",
        ),
        pytest.param(
            {"offence": "jaywalking"},
            "offence_maps",
            "jaywalking is not on the policy's list of criminal activities",
            id="offence-not-mapped",
        ),
        pytest.param(
            {"country": "KP"},
            "country_allowed",
            "is on the policy's deny list",
            id="denied-country",
        ),
        pytest.param(
            {"period_start": date(2025, 6, 1)},
            "period_bounded",
            "the period spans 426 days; the policy allows at most 366",
            id="period-too-long",
        ),
        pytest.param(
            {"period_end": NOW.date() + timedelta(days=1)},
            "period_bounded",
            "the period ends in the future",
            id="period-ends-in-the-future",
        ),
        pytest.param(
            {"issued_on": NOW.date() + timedelta(days=1)},
            "period_bounded",
            "the order's issue date is in the future",
            id="issued-in-the-future",
        ),
    ],
)
async def test_a_failing_check_stops_approval_with_its_reason(
    store: Store,
    cipher: PersonalDataCipher,
    violators: tuple[int, int],
    changes: dict[str, object],
    check: str,
    reason: str,
) -> None:
    request = await analysed(store, cipher, order(**changes))
    failed = [c for c in request.checks if not c.passed]
    assert [c.key.value for c in failed] == [check]
    assert reason in failed[0].reason
    with pytest.raises(LegalRefused) as refused:
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    assert f"{check}: " in str(refused.value)
    assert reason in str(refused.value)
    assert "an admin may override" in str(refused.value)
    request, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert (request.state, request.votes) == (RequestState.UNDER_ANALYSIS, ())


async def test_a_target_that_is_not_a_violator_stops_approval(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher, order(target=Target(TargetKind.USERNAME, "nobody_x")))
    assert request.violator_id is None
    with pytest.raises(LegalRefused, match="target_resolves: the target is not a confirmed"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)


async def test_a_target_matching_two_violators_stops_approval(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    for violator_id in violators:
        await observe(
            store, cipher, violator_id, ((ObservationKind.IP, SHARED_IP, at(2026, 7, 5)),)
        )
    request = await analysed(store, cipher, order(target=Target(TargetKind.IP, SHARED_IP)))
    assert request.violator_id is None
    with pytest.raises(LegalRefused, match="the target matches 2 confirmed violators"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)


async def test_an_admin_override_lets_a_failed_check_through_and_is_audited(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher, order(order_type=OrderType.SUBPOENA))
    overridden = await override(store, cipher, POLICY, request.id, OVERRIDE, ADMIN, NOW)
    assert overridden.override_reason == OVERRIDE
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    result = await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    assert (result.phones, result.ips) == (1, 2)
    (entry,) = [e for e in await audit_log(store) if e.action == "legal.overridden"]
    assert (entry.actor_id, entry.subject_id) == (ADMIN.user_id, str(request.id))
    assert entry.details == {
        "by": ADMIN.name,
        "failed_checks": ["judicial_authority"],
        "reason": OVERRIDE,
    }


async def test_no_override_gets_past_the_target_check(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    nobody = Target(TargetKind.USERNAME, "nobody_x")
    alone = await analysed(store, cipher, order(target=nobody))
    with_another = await analysed(
        store, cipher, order(target=nobody, reference="AG-2/26", order_type=OrderType.SUBPOENA)
    )
    for request in (alone, with_another):
        with pytest.raises(LegalRefused, match="no override can change that"):
            await override(store, cipher, POLICY, request.id, OVERRIDE, ADMIN, NOW)
        stored, _ = await show(store, cipher, POLICY, request.id, ADMIN, NOW)
        assert stored.override_reason is None
        with pytest.raises(LegalRefused, match="target_resolves"):
            await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    assert "legal.overridden" not in actions(await audit_log(store))


async def test_a_non_admin_cannot_override(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher, order(order_type=OrderType.SUBPOENA))
    with pytest.raises(LegalRefused, match="only an admin can override"):
        await override(store, cipher, POLICY, request.id, OVERRIDE, BOB, NOW)
    stored, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert stored.override_reason is None
    with pytest.raises(LegalRefused, match="judicial_authority"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)


# --- four eyes ----------------------------------------------------------------------------


async def test_the_same_officer_cannot_approve_twice(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher)
    first = await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    assert (first.approvals, first.needed, first.complete) == (1, 2, False)
    with pytest.raises(LegalRefused, match=f"you have already decided on request #{request.id}"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    stored, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert (stored.state, stored.approvals) == (RequestState.UNDER_ANALYSIS, (BOB.user_id,))
    refusal = (await audit_log(store))[-1]
    assert refusal.action == "legal.refused"
    assert refusal.details["step"] == "approve"


async def test_the_registering_officer_cannot_approve(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher)
    with pytest.raises(LegalRefused, match="you registered this request"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, REGISTRAR, NOW)
    stored, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert stored.votes == ()


async def test_the_registering_officer_may_approve_when_the_policy_allows(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    policy = replace(POLICY, registrar_may_approve=True)
    request = await analysed(store, cipher, policy=policy)
    await approve(store, cipher, policy, TEST_LEDGER_KEYS, request.id, REGISTRAR, NOW)
    outcome = await approve(store, cipher, policy, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    assert outcome.complete
    assert outcome.request.state is RequestState.APPROVED
    result = await disclose(store, cipher, policy, ledger_for(store), request.id, BOB, NOW)
    assert result.ledger_seq == 1


async def test_a_rejection_with_a_reason_ends_the_request_and_nothing_is_disclosed(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher)
    rejected = await reject(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, REASON, BOB, NOW)
    assert (rejected.state, rejected.rejected_reason) == (RequestState.REJECTED, REASON)
    with pytest.raises(LegalRefused, match="is rejected; no more decisions"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, CAROL, NOW)
    with pytest.raises(LegalRefused, match="is rejected; only an approved request"):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    with pytest.raises(LegalRefused, match="nothing was disclosed"):
        await retrieve(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    assert await disclosure_count(store) == (0, 0)
    assert await open_requests(store, cipher, POLICY, BOB, NOW) == []


async def test_a_rejection_without_a_reason_is_refused(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher)
    with pytest.raises(LegalRefused, match="say why you reject it"):
        await reject(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, "  no  ", BOB, NOW)
    stored, _ = await show(store, cipher, POLICY, request.id, BOB, NOW)
    assert (stored.state, stored.votes) == (RequestState.UNDER_ANALYSIS, ())


async def test_disclosure_is_refused_before_two_approvals(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher)
    with pytest.raises(LegalRefused, match="only an approved request is disclosed"):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, BOB, NOW)
    await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)
    with pytest.raises(LegalRefused, match="is under_analysis; only an approved request"):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, BOB, NOW)
    assert await disclosure_count(store) == (0, 0)
    refusals = [e for e in await audit_log(store) if e.action == "legal.refused"]
    assert [e.details["step"] for e in refusals] == ["disclose", "disclose"]


async def test_approval_is_refused_before_the_written_analysis(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await registered(store, cipher)
    with pytest.raises(LegalRefused, match="no written legal analysis yet"):
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, BOB, NOW)


async def test_a_non_violator_gets_nothing(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    form = order(target=Target(TargetKind.PHONE, "+447700900555"))  # never observed
    request = await analysed(store, cipher, form)
    assert request.violator_id is None
    for officer in (BOB, CAROL):
        with pytest.raises(LegalRefused, match="not a confirmed violator"):
            await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, officer, NOW)
    with pytest.raises(LegalRefused, match="no override"):
        await override(store, cipher, POLICY, request.id, OVERRIDE, ADMIN, NOW)
    with pytest.raises(LegalRefused):
        await disclose(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    with pytest.raises(LegalRefused, match="nothing was disclosed"):
        await retrieve(store, cipher, POLICY, ledger_for(store), request.id, CAROL, NOW)
    assert await disclosure_count(store) == (0, 0)


# --- who may do what ----------------------------------------------------------------------


async def test_a_duplicate_registration_is_refused(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    first = await registered(store, cipher)
    same_order = order(offence="fraud", period_start=date(2026, 7, 2))
    with pytest.raises(LegalRefused, match=f"already registered as request #{first.id}"):
        await register(store, cipher, POLICY, same_order, DOCUMENT, BOB, NOW)
    assert [r.id for r in await open_requests(store, cipher, POLICY, BOB, NOW)] == [first.id]
    other_court = await registered(store, cipher, order(reference="AG-2/26"))
    assert other_court.id != first.id


@pytest.mark.parametrize(
    "intruder",
    [NOT_LEGAL, Officer(NOT_LEGAL.user_id, "claims to be legal", is_legal=True, is_admin=True)],
    ids=["says-not-legal", "claims-legal-and-admin"],
)
async def test_a_non_legal_officer_is_refused_at_every_step(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int], intruder: Officer
) -> None:
    """The roles table decides, not what the caller says about itself: an id that holds no
    legal role is refused at every step even when the caller claims it does; each refusal is
    audit-logged and nothing else changes."""
    done = await disclosed(store, cipher)
    open_one = await analysed(store, cipher, order(reference="AG-2/26"))
    steps: dict[str, Callable[[], Awaitable[object]]] = {
        "register": lambda: register(
            store, cipher, POLICY, order(reference="AG-3/26"), DOCUMENT, intruder, NOW
        ),
        "write_analysis": lambda: write_analysis(
            store, cipher, POLICY, open_one.id, ANALYSIS, intruder, NOW
        ),
        "approve": lambda: approve(
            store, cipher, POLICY, TEST_LEDGER_KEYS, open_one.id, intruder, NOW
        ),
        "reject": lambda: reject(
            store, cipher, POLICY, TEST_LEDGER_KEYS, open_one.id, REASON, intruder, NOW
        ),
        "disclose": lambda: disclose(
            store, cipher, POLICY, ledger_for(store), open_one.id, intruder, NOW
        ),
        "retrieve": lambda: retrieve(
            store, cipher, POLICY, ledger_for(store), done.request_id, intruder, NOW
        ),
        "close": lambda: close(store, cipher, POLICY, open_one.id, intruder, NOW),
        "show": lambda: show(store, cipher, POLICY, open_one.id, intruder, NOW),
        "open_requests": lambda: open_requests(store, cipher, POLICY, intruder, NOW),
        "override": lambda: override(store, cipher, POLICY, open_one.id, OVERRIDE, intruder, NOW),
    }
    before = await audit_log(store)
    refused = []
    for name, step in steps.items():
        with pytest.raises(LegalRefused, match=r"only (legal officers|an admin)"):
            await step()
        refused.append(name)
    assert refused == list(steps)
    stored, _ = await show(store, cipher, POLICY, open_one.id, BOB, NOW)
    assert (stored.state, stored.votes) == (RequestState.UNDER_ANALYSIS, ())
    assert [r.id for r in await open_requests(store, cipher, POLICY, BOB, NOW)] == [
        done.request_id,
        open_one.id,
    ]
    added = (await audit_log(store))[len(before) :]
    assert [(e.action, e.actor_id) for e in added] == [("legal.refused", intruder.user_id)] * len(
        steps
    )
    assert all("only" in str(e.details["why"]) for e in added)


# --- the audit log ------------------------------------------------------------------------


async def test_every_step_of_a_disclosure_writes_its_audit_entry(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    result = await disclosed(store, cipher)
    await close(store, cipher, POLICY, result.request_id, BOB, NOW)
    entries = [e for e in await audit_log(store) if e.action.startswith("legal.")]
    assert [(e.action, e.actor_id) for e in entries] == [
        ("legal.registered", REGISTRAR.user_id),
        ("legal.analysed", REGISTRAR.user_id),
        ("legal.approved", BOB.user_id),
        ("legal.approved", CAROL.user_id),
        ("legal.disclosed", CAROL.user_id),
        ("legal.closed", BOB.user_id),
    ]
    assert {e.subject_id for e in entries} == {str(result.request_id)}
    registered_entry, analysed_entry, first, second, disclosed_entry, closed_entry = entries
    assert registered_entry.details["document_sha256"] == DOCUMENT.sha256
    assert registered_entry.details["violator_id"] == pill_shop
    assert analysed_entry.details["after"] == "under_analysis"
    assert [(a.details["approvals"], a.details["after"]) for a in (first, second)] == [
        (1, "under_analysis"),
        (2, "approved"),
    ]
    assert disclosed_entry.details == {
        "by": CAROL.name,
        "violator_id": pill_shop,
        "phones": 1,
        "ips": 2,
        "content_sha256": result.content_sha256,
        "ledger_seq": 1,
        "withheld": 0,
        "approved_by": [BOB.user_id, CAROL.user_id],
        "before": "approved",
        "after": "disclosed",
    }
    assert (closed_entry.details["before"], closed_entry.details["after"]) == (
        "disclosed",
        "closed",
    )


async def test_a_rejection_writes_its_audit_entry_with_the_reason(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher)
    await reject(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, REASON, BOB, NOW)
    entry = (await audit_log(store))[-1]
    assert (entry.action, entry.actor_id, entry.subject_id) == (
        "legal.rejected",
        BOB.user_id,
        str(request.id),
    )
    assert entry.details == {
        "by": BOB.name,
        "reason": REASON,
        "before": "under_analysis",
        "after": "rejected",
    }


async def test_a_refused_step_writes_its_audit_entry_with_the_reason(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    request = await analysed(store, cipher)
    with pytest.raises(LegalRefused) as refused:
        await approve(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, REGISTRAR, NOW)
    entry = (await audit_log(store))[-1]
    assert (entry.action, entry.actor_id, entry.subject_id) == (
        "legal.refused",
        REGISTRAR.user_id,
        str(request.id),
    )
    assert entry.details == {"by": REGISTRAR.name, "step": "approve", "why": str(refused.value)}


async def test_no_audit_entry_holds_a_phone_or_ip_in_clear(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    by_phone = order(target=Target(TargetKind.PHONE, PHONE_FIRST_INSTANT))
    by_ip = order(target=Target(TargetKind.IP, IP_INSIDE), reference="AG-2/26")
    for form in (by_phone, by_ip):
        result = await disclosed(store, cipher, form)
        await retrieve(store, cipher, POLICY, ledger_for(store), result.request_id, BOB, NOW)
        await close(store, cipher, POLICY, result.request_id, BOB, NOW)
    subpoena = await analysed(
        store, cipher, order(reference="AG-3/26", order_type=OrderType.SUBPOENA)
    )
    await override(store, cipher, POLICY, subpoena.id, OVERRIDE, ADMIN, NOW)
    await reject(store, cipher, POLICY, TEST_LEDGER_KEYS, subpoena.id, REASON, BOB, NOW)
    with pytest.raises(LegalRefused):
        await register(store, cipher, POLICY, by_phone, DOCUMENT, REGISTRAR, NOW)
    entries = await audit_log(store)
    assert set(actions(entries)) >= {
        "legal.registered",
        "legal.analysed",
        "legal.approved",
        "legal.disclosed",
        "legal.disclosure_retrieved",
        "legal.closed",
        "legal.overridden",
        "legal.rejected",
    }
    written = json.dumps([(e.subject_id, e.details) for e in entries])
    for value in PERSONAL_VALUES:
        assert value not in written
        assert value.lstrip("+") not in written
        assert value.removeprefix("+44") not in written


async def test_the_database_holds_no_disclosed_phone_or_ip_in_clear(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    by_phone = order(target=Target(TargetKind.PHONE, PHONE_FIRST_INSTANT))
    by_ip = order(target=Target(TargetKind.IP, IPV6_LAST_INSTANT), reference="AG-2/26")
    results = [await disclosed(store, cipher, form) for form in (by_phone, by_ip)]
    assert all(value.encode() in results[0].content for value in INSIDE)
    await store.close()
    raw = await at_rest(store)
    assert b"drug_trafficking" in raw  # it is readable: non-personal fields are in clear
    for value in PERSONAL_VALUES:
        for spelling in (value, value.lstrip("+"), value.removeprefix("+44")):
            assert spelling.encode() not in raw, spelling
            assert spelling.encode("utf-16-le") not in raw, spelling


# --- legal hold ---------------------------------------------------------------------------


async def test_an_open_request_keeps_the_violator_out_of_the_purge_until_closed(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, other = violators
    result = await disclosed(store, cipher)
    assert await purge_expired(store, RETENTION, NOW) == 1  # only @other_shop's phone
    async with store.reading() as uow:
        assert len(await uow.registry.timeline(pill_shop)) == 7
        assert await uow.registry.timeline(other) == []
    await close(store, cipher, POLICY, result.request_id, BOB, NOW)
    assert await purge_expired(store, RETENTION, NOW) == 7
    async with store.reading() as uow:
        assert await uow.registry.timeline(pill_shop) == []
    again = await retrieve(store, cipher, POLICY, ledger_for(store), result.request_id, BOB, NOW)
    assert again.content == result.content  # the disclosure outlives the metadata


async def test_a_request_holds_the_metadata_from_registration(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    request = await registered(store, cipher)
    assert request.state is RequestState.RECEIVED
    assert await purge_expired(store, RETENTION, NOW) == 1
    async with store.reading() as uow:
        assert len(await uow.registry.timeline(pill_shop)) == 7


async def test_a_rejected_request_does_not_hold_the_metadata(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    request = await analysed(store, cipher)
    await reject(store, cipher, POLICY, TEST_LEDGER_KEYS, request.id, REASON, BOB, NOW)
    assert await purge_expired(store, RETENTION, NOW) == 8
    async with store.reading() as uow:
        assert await uow.registry.timeline(pill_shop) == []


# --- the ledger ---------------------------------------------------------------------------


def missing_checkpointed(seq: int) -> list[str]:
    """What verify says of an entry its checkpoints name but the ledger no longer holds."""
    return [
        f"entry {seq} is missing (checkpoint {event} at {NOW.isoformat(timespec='microseconds')}): "
        "the ledger was cut or rewritten"
        for event in ("prepared", "committed")
    ]


async def three_disclosures(store: Store, cipher: PersonalDataCipher) -> list[int]:
    """Request ids of three disclosures about @pill_shop, ledger entries 1, 2 and 3."""
    ids = []
    for reference, country in (("AG-1/26", "DE"), ("TJ-2/26", "BR"), ("HC-3/26", "IN")):
        result = await disclosed(store, cipher, order(reference=reference, country=country))
        ids.append(result.request_id)
    assert await ledger_problems(store, cipher) == []
    return ids


async def test_three_disclosures_verify_clean(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    ids = await three_disclosures(store, cipher)
    assert await ledger_summary(store, cipher) == (3, [])
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
    assert [(e.seq, e.request_id, e.country) for e in entries] == [
        (1, ids[0], "DE"),
        (2, ids[1], "BR"),
        (3, ids[2], "IN"),
    ]
    assert [e.prev_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]


async def test_the_ledger_refuses_updates_and_deletes(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    await three_disclosures(store, cipher)
    for statement in (
        "UPDATE disclosure_ledger SET country = 'FR' WHERE seq = 2",
        "DELETE FROM disclosure_ledger WHERE seq = 3",
        "DELETE FROM disclosures",
    ):
        with pytest.raises(Refused, match=r"append-only|are kept"):
            await outside(store, statement)
    assert await ledger_summary(store, cipher) == (3, [])


async def test_an_edited_entry_country_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    await three_disclosures(store, cipher)
    await tamper(store, "UPDATE disclosure_ledger SET country = 'FR' WHERE seq = 2")
    assert await ledger_problems(store, cipher) == [
        "entry 2 was changed after it was written",
        "entry 2: the country is FR in the ledger but BR in the disclosed content",
    ]


async def test_an_edited_entry_content_hash_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    ids = await three_disclosures(store, cipher)
    await tamper(
        store, ("UPDATE disclosure_ledger SET content_sha256 = ? WHERE seq = 2", ("0" * 64,))
    )
    assert await ledger_problems(store, cipher) == [
        "entry 2 was changed after it was written",
        f"entry 2: the disclosed content of request {ids[1]} was changed",
    ]


async def test_an_entry_edited_with_its_hash_recomputed_without_the_key_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    """Someone with the database but not LEDGER_KEY edits entry 2 and recomputes its hash the
    only way they can (plain SHA-256, or a key of their own)."""
    await three_disclosures(store, cipher)
    async with store.reading() as uow:
        second = (await uow.legal.ledger())[1]
    edited = replace(second, country="FR")
    forged_plain = legacy_hash(edited)
    forged_keyed = expected_hash(LedgerKeys("test-ledger", {"test-ledger": b"\x07" * 32}), edited)
    for forged in (forged_plain, forged_keyed):
        await tamper(
            store,
            (
                "UPDATE disclosure_ledger SET country = 'FR', entry_hash = ? WHERE seq = 2",
                (forged,),
            ),
        )
        problems = await ledger_problems(store, cipher)
        assert "entry 2 was changed after it was written" in problems
        assert (
            "entry 2: the country is FR in the ledger but BR in the disclosed content" in problems
        )
        assert any(p.startswith("entry 3 does not follow the entry before it") for p in problems)


async def test_a_deleted_middle_entry_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    ids = await three_disclosures(store, cipher)
    await tamper(store, "DELETE FROM disclosure_ledger WHERE seq = 2")
    problems = await ledger_problems(store, cipher)
    assert "entry 3 is at position 2: an entry before it was deleted or the entries were " in (
        " ".join(problems)
    )
    assert any(p.startswith("entry 3 does not follow the entry before it") for p in problems)
    assert (
        f"request {ids[1]} was disclosed (audit log, its state or its kept disclosure) but has "
        "no ledger entry"
    ) in problems
    assert any("holds 2 entries but 3 were written" in p for p in problems)
    assert set(missing_checkpointed(2)) <= set(problems)


async def test_a_deleted_last_entry_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    ids = await three_disclosures(store, cipher)
    await tamper(store, "DELETE FROM disclosure_ledger WHERE seq = 3")
    assert await ledger_problems(store, cipher) == [
        "the ledger holds 2 entries but 3 were written (entries deleted or added outside the bot)",
        *missing_checkpointed(3),
        f"request {ids[2]} was disclosed (audit log, its state or its kept disclosure) but has "
        "no ledger entry",
    ]


async def test_a_deleted_last_entry_with_a_rewritten_head_is_still_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    ids = await three_disclosures(store, cipher)
    async with store.reading() as uow:
        second = (await uow.legal.ledger())[1]
    head = json.dumps({"count": 2, "last_hash": second.entry_hash})
    await tamper(
        store,
        "DELETE FROM disclosure_ledger WHERE seq = 3",
        ("UPDATE bot_state SET value = ? WHERE key = ?", (head, LEDGER_HEAD_KEY)),
    )
    assert await ledger_problems(store, cipher) == [
        *missing_checkpointed(3),
        f"request {ids[2]} was disclosed (audit log, its state or its kept disclosure) but has "
        "no ledger entry",
    ]


async def test_a_whole_disclosure_erased_with_a_rewritten_head_is_caught_by_its_checkpoints(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    """The ledger entry, the kept disclosure, the request and its audit rows all gone, the
    head rewritten: nothing in the database remembers, the checkpoints outside it do."""
    ids = await three_disclosures(store, cipher)
    async with store.reading() as uow:
        second = (await uow.legal.ledger())[1]
    head = json.dumps({"count": 2, "last_hash": second.entry_hash})
    await unguarded(
        store,
        [*LEDGER_GUARDS, ("audit_log_no_delete", "audit_log")],
        "DELETE FROM disclosure_ledger WHERE seq = 3",
        ("DELETE FROM disclosures WHERE request_id = ?", (ids[2],)),
        ("DELETE FROM audit_log WHERE subject_type = 'legal_request' AND subject_id = ?",
         (str(ids[2]),)),
        ("UPDATE legal_requests SET state = 'closed' WHERE id = ?", (ids[2],)),
        ("UPDATE bot_state SET value = ? WHERE key = ?", (head, LEDGER_HEAD_KEY)),
    )  # fmt: skip
    report = await verify_ledger(store, cipher, ledger_for(store), with_anchors=False)
    assert report.problems == ()
    assert await ledger_problems(store, cipher) == missing_checkpointed(3)


async def test_two_swapped_entries_are_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    await three_disclosures(store, cipher)
    await tamper(
        store,
        "UPDATE disclosure_ledger SET seq = 100 WHERE seq = 1",
        "UPDATE disclosure_ledger SET seq = 1 WHERE seq = 2",
        "UPDATE disclosure_ledger SET seq = 2 WHERE seq = 100",
    )
    problems = await ledger_problems(store, cipher)
    assert problems[:4] == [
        "entry 1 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)",
        "entry 1 was changed after it was written",
        "entry 2 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)",
        "entry 2 was changed after it was written",
    ]
    assert any(p.startswith("entry 3 does not follow") for p in problems)


async def test_a_changed_disclosure_ciphertext_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    ids = await three_disclosures(store, cipher)
    await tamper(
        store,
        ("UPDATE disclosures SET ciphertext = ? WHERE request_id = ?", (b"\x00" * 64, ids[1])),
    )
    assert await ledger_problems(store, cipher) == [
        f"the disclosure of request {ids[1]} cannot be decrypted (changed, or its key is missing)",
    ]


async def test_a_changed_disclosure_content_hash_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    ids = await three_disclosures(store, cipher)
    await tamper(
        store,
        ("UPDATE disclosures SET content_sha256 = ? WHERE request_id = ?", ("0" * 64, ids[1])),
    )
    assert await ledger_problems(store, cipher) == [
        f"the disclosure of request {ids[1]} does not match its recorded hash",
        f"entry 2: the disclosed content of request {ids[1]} was changed",
    ]


async def test_a_disclosure_replaced_by_other_content_is_detected(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    """Someone with the key writes a different disclosure and its matching hash."""
    pill_shop, _ = violators
    ids = await three_disclosures(store, cipher)
    other = json.dumps({"items": [], "request": {"id": ids[1], "country": "BR"}}).encode()
    key_id, blob = cipher.encrypt(other.decode(), disclosure_context(ids[1]))
    await tamper(
        store,
        (
            "UPDATE disclosures SET key_id = ?, ciphertext = ?, content_sha256 = ? "
            "WHERE request_id = ?",
            (key_id, blob, hashlib.sha256(other).hexdigest(), ids[1]),
        ),
    )
    assert await ledger_problems(store, cipher) == [
        f"entry 2: the disclosed content of request {ids[1]} was changed",
        f"entry 2: the violator is {pill_shop} in the ledger but None in the disclosed content",
        "entry 2: the period start is 2026-07-01 in the ledger but None in the disclosed content",
        "entry 2: the period end is 2026-07-31 in the ledger but None in the disclosed content",
    ]
