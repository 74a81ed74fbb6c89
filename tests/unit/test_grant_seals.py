"""What a grant's seal covers: the person, the role, who proposed it and when, who confirmed it
and when; a proposal's likewise. A change to any of them, a seal from another key or a grant's
seal presented as a proposal's stops it verifying; an earlier key still verifies after a
rotation."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from moderation.legal.ledger import LedgerKeys
from moderation.staff.grant_seals import (
    counts,
    grant_problem,
    proposal_problem,
    seal_grant,
    seal_proposal,
    verified_holders,
)
from moderation.staff.roles import PendingGrant, Role, RoleGrant

SECRET = os.urandom(32)
KEYS = LedgerKeys("l1", {"l1": SECRET})
AT = datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=UTC)
GRANT = RoleGrant(
    user_id=40,
    role=Role.LEGAL,
    granted_by=1,
    granted_at=AT - timedelta(hours=3),
    confirmed_by=4,
    confirmed_at=AT,
)
PROPOSAL = PendingGrant(user_id=40, role=Role.LEGAL, proposed_by=1, proposed_at=AT)


def sealed(grant: RoleGrant, keys: LedgerKeys = KEYS) -> RoleGrant:
    seal = seal_grant(keys, grant)
    return dataclasses.replace(grant, seal=seal.seal, seal_key_id=seal.key_id)


def test_a_grant_sealed_by_the_bot_verifies() -> None:
    assert grant_problem(KEYS, sealed(GRANT)) is None
    assert counts(KEYS, sealed(GRANT))


@pytest.mark.parametrize(
    "change",
    [
        {"user_id": 41},
        {"role": Role.ADMIN},
        {"granted_by": 2},
        {"granted_at": AT - timedelta(hours=2)},
        {"confirmed_by": 5},
        {"confirmed_by": None},
        {"confirmed_at": AT - timedelta(days=30)},
    ],
)
def test_every_part_the_rules_read_is_covered(change: dict[str, Any]) -> None:
    edited = dataclasses.replace(sealed(GRANT), **change)
    problem = grant_problem(KEYS, edited)
    assert problem is not None
    assert "does not match its seal" in problem


def test_an_unsealed_grant_or_one_under_an_unknown_key_does_not_count() -> None:
    problem = grant_problem(KEYS, GRANT)
    assert problem is not None
    assert "carries no seal" in problem
    other = LedgerKeys("l2", {"l2": os.urandom(32)})
    foreign = grant_problem(KEYS, sealed(GRANT, other))
    assert foreign is not None
    assert "'l2', which is not configured" in foreign
    assert grant_problem(None, sealed(GRANT)) == (
        "the legal grant of 40 cannot be verified: LEDGER_KEY is not set"
    )


def test_an_earlier_ledger_key_still_verifies_after_a_rotation() -> None:
    old = sealed(GRANT)
    rotated = LedgerKeys("l2", {"l2": os.urandom(32), "l1": SECRET})  # l1 now a previous key
    assert grant_problem(rotated, old) is None


def test_a_proposal_is_sealed_apart_from_a_grant() -> None:
    """A grant's seal presented as a proposal's does not verify (their tags differ)."""
    seal = seal_proposal(KEYS, PROPOSAL)
    proposal = dataclasses.replace(PROPOSAL, seal=seal.seal, seal_key_id=seal.key_id)
    assert proposal_problem(KEYS, proposal) is None
    assert proposal_problem(KEYS, dataclasses.replace(proposal, user_id=41)) is not None
    assert proposal_problem(KEYS, dataclasses.replace(proposal, proposed_by=2)) is not None
    as_grant = RoleGrant(40, Role.LEGAL, 1, AT, seal=seal.seal, seal_key_id=seal.key_id)
    assert grant_problem(KEYS, as_grant) is not None


def test_only_verified_holders_are_counted_and_moderators_are_not_sealed() -> None:
    forged = dataclasses.replace(GRANT, user_id=41)
    moderator = RoleGrant(42, Role.MODERATOR, 1, AT)
    grants = [sealed(GRANT), forged, moderator]
    assert verified_holders(KEYS, grants, Role.LEGAL) == {40}
    assert verified_holders(KEYS, grants, Role.MODERATOR) == {42}
