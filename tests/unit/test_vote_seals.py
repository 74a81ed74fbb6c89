"""What a vote's seal covers: every part of the request the disclosure depends on, the officer,
the decision and the time, and a phone or IP target never in clear."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from moderation.legal.ledger import LedgerKeys
from moderation.legal.types import (
    CheckKey,
    CheckResult,
    LegalRequest,
    OrderType,
    RequestForm,
    RequestState,
    Target,
    TargetKind,
    Vote,
)
from moderation.legal.vote_seals import (
    read_votes_record,
    seal_problem,
    seal_vote,
    vote_message,
    votes_record,
)

KEYS = LedgerKeys("l1", {"l1": os.urandom(32)})
AT = datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=UTC)
PHONE = "+15555550123"  # a fictional 555-01xx number

FORM = RequestForm(
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
REQUEST = LegalRequest(
    id=1,
    form=FORM,
    state=RequestState.UNDER_ANALYSIS,
    violator_id=1,
    checks=(CheckResult(CheckKey.TARGET, True, "the target is confirmed violator #1", False),),
    analysis="A valid court order naming a confirmed violator.",
    override_reason=None,
    registered_by=101,
    registered_at=AT - timedelta(days=1),
    rejected_reason=None,
    document_sha256="a" * 64,
    votes=(),
)


def sealed_vote(request: LegalRequest = REQUEST) -> Vote:
    seal = seal_vote(KEYS, request, 102, True, None, AT)
    return Vote(7, 102, True, None, AT, seal=seal.seal, seal_key_id=seal.key_id)


def test_a_sealed_vote_verifies_against_its_request() -> None:
    assert seal_problem(KEYS, REQUEST, sealed_vote()) is None


@pytest.mark.parametrize(
    "change",
    [
        {"id": 2},
        {"violator_id": 2},
        {"analysis": "Another analysis."},
        {"override_reason": "An override written later."},
        {"checks": ()},
        {"registered_by": 102},
        {"document_sha256": "b" * 64},
        {"form": dataclasses.replace(FORM, period_start=date(2026, 1, 1))},
        {"form": dataclasses.replace(FORM, period_end=date(2026, 9, 30))},
        {"form": dataclasses.replace(FORM, target=Target(TargetKind.USERNAME, "other_shop"))},
        {"form": dataclasses.replace(FORM, country="US")},
        {"form": dataclasses.replace(FORM, reference="AG-2/26")},
        {"form": dataclasses.replace(FORM, offence="fraud")},
        {"form": dataclasses.replace(FORM, order_type=OrderType.SUBPOENA)},
        {"form": dataclasses.replace(FORM, authority="Another court")},
        {"form": dataclasses.replace(FORM, issued_on=date(2026, 9, 1))},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_change_to_the_request_stops_the_seal_verifying(change: dict[str, Any]) -> None:
    problem = seal_problem(KEYS, dataclasses.replace(REQUEST, **change), sealed_vote())
    assert problem is not None
    assert "does not match request" in problem


@pytest.mark.parametrize(
    "change",
    [{"officer_id": 103}, {"approve": False}, {"reason": "x"}, {"at": AT + timedelta(seconds=1)}],
    ids=lambda change: next(iter(change)),
)
def test_a_change_to_the_vote_stops_the_seal_verifying(change: dict[str, Any]) -> None:
    assert seal_problem(KEYS, REQUEST, dataclasses.replace(sealed_vote(), **change)) is not None


def test_an_unsealed_vote_and_an_unknown_key_are_named() -> None:
    unsealed = Vote(7, 102, True, None, AT)
    assert "carries no seal" in (seal_problem(KEYS, REQUEST, unsealed) or "")
    other = LedgerKeys("l2", {"l2": os.urandom(32)})
    assert "ledger key 'l1', which is not configured" in (
        seal_problem(other, REQUEST, sealed_vote()) or ""
    )


def test_a_phone_target_is_sealed_by_a_keyed_index_never_in_clear() -> None:
    request = dataclasses.replace(
        REQUEST, form=dataclasses.replace(FORM, target=Target(TargetKind.PHONE, PHONE))
    )
    message = vote_message(KEYS, "l1", request, 102, True, None, AT)
    assert message is not None
    assert PHONE.encode() not in message
    assert b"5555550123" not in message
    vote = sealed_vote(request)
    assert seal_problem(KEYS, request, vote) is None
    other_phone = dataclasses.replace(
        request, form=dataclasses.replace(FORM, target=Target(TargetKind.PHONE, "+15555550199"))
    )
    assert seal_problem(KEYS, other_phone, vote) is not None
    with pytest.raises(ValueError, match="opened request"):
        vote_message(
            KEYS,
            "l1",
            dataclasses.replace(
                REQUEST, form=dataclasses.replace(FORM, target=Target(TargetKind.PHONE, ""))
            ),
            102,
            True,
            None,
            AT,
        )


def test_the_ledger_record_of_the_votes_reads_back() -> None:
    vote = sealed_vote()
    record = read_votes_record(votes_record([vote], 2, registrar_counts=False))
    assert (record.needed, record.registrar_counts) == (2, False)
    (recorded,) = record.votes
    assert (recorded.vote_id, recorded.officer_id, recorded.key_id, recorded.seal) == (
        7,
        102,
        "l1",
        vote.seal,
    )
    with pytest.raises(ValueError, match="not one the bot writes"):
        read_votes_record('{"votes": [{"id": "x"}]}')
