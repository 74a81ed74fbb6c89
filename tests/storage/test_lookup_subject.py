"""A lookup under a legal request answers only for that request's violator, on both engines.

The insider attack it replays (issue 27, point 6): a legal officer with one open request about
violator #1 looks up any phone number, IP address, username or id under it, to learn whether
the registry knows it. Before, another violator's phone found that violator's file and an
unknown phone said "no match": a membership test of the registry, audited but answered. Now
both get the same empty answer; the subject's own values are still found, and the audit row
says whether the query matched the subject.
"""

from __future__ import annotations

import json

import pytest

from moderation.legal.lookup import LookupKind, LookupResult, lookup
from moderation.legal.types import Target, TargetKind
from moderation.registry.violators import ObservationKind
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
)
from tests.storage.legal_fixtures import (
    BOB,
    IP_INSIDE,
    NOW,
    OTHER,
    OTHER_PHONE,
    PHONE_FIRST_INSTANT,
    POLICY,
    SHARED_IP,
    VIOLATOR,
    at,
    audit_log,
    observe,
    order,
    registered,
    two_violators,
)

UNKNOWN_PHONE = "+447700900177"  # in nobody's timeline
UNKNOWN_IP = "192.0.2.199"
OTHER_IP = "198.51.100.77"  # @other_shop's alone


@pytest.fixture
async def violators(store: Store, cipher: PersonalDataCipher) -> tuple[int, int]:
    """(@pill_shop, @other_shop), and a request (#1) about @pill_shop."""
    pill_shop, other = await two_violators(store, cipher)
    await observe(
        store,
        cipher,
        other,
        (
            (ObservationKind.IP, SHARED_IP, at(2026, 7, 5)),
            (ObservationKind.IP, OTHER_IP, at(2026, 7, 6)),
        ),
    )
    await observe(store, cipher, pill_shop, ((ObservationKind.IP, SHARED_IP, at(2026, 7, 6)),))
    request = await registered(store, cipher)
    assert request.violator_id == pill_shop
    return pill_shop, other


async def ask(
    store: Store, cipher: PersonalDataCipher, kind: LookupKind, query: str, request_id: int = 1
) -> LookupResult:
    return await lookup(store, cipher, POLICY, kind, query, BOB, request_id, NOW)


async def test_another_violators_values_get_the_same_answer_as_unknown_ones(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    """Under request #1 (about @pill_shop), @other_shop's phone, IP, username and id answer
    exactly as values nobody has: no file, the same result."""
    _, other = violators
    for kind, known, nobody in (
        (LookupKind.PHONE, OTHER_PHONE, UNKNOWN_PHONE),
        (LookupKind.IP, OTHER_IP, UNKNOWN_IP),
        (LookupKind.USERNAME, OTHER, "nobody_at_all"),
        (LookupKind.VIOLATOR, str(other), "999"),
    ):
        answer = await ask(store, cipher, kind, known)
        assert answer == await ask(store, cipher, kind, nobody), kind
        assert answer.files == ()


async def test_the_subjects_own_values_are_found_and_only_its_file_is_shown(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    for kind, query in (
        (LookupKind.PHONE, PHONE_FIRST_INSTANT),
        (LookupKind.IP, IP_INSIDE),
        (LookupKind.USERNAME, VIOLATOR),
        (LookupKind.VIOLATOR, str(pill_shop)),
        (LookupKind.IP, SHARED_IP),  # @other_shop's too: only the subject's file is shown
    ):
        found = await ask(store, cipher, kind, query)
        assert [f.violator.id for f in found.files] == [pill_shop], query


async def test_a_request_naming_no_single_violator_finds_nobody(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    """A request whose target resolves to no confirmed violator (or to two) is no key to the
    registry: even a known violator's values answer "no match"."""
    pill_shop, _ = violators
    nobody = await registered(
        store, cipher, order(reference="R-2", target=Target(TargetKind.USERNAME, "nobody_x"))
    )
    shared = await registered(
        store, cipher, order(reference="R-3", target=Target(TargetKind.IP, SHARED_IP))
    )
    for request in (nobody, shared):
        assert request.violator_id is None
        for kind, known, unknown in (
            (LookupKind.PHONE, PHONE_FIRST_INSTANT, UNKNOWN_PHONE),
            (LookupKind.VIOLATOR, str(pill_shop), "999"),
        ):
            found = await ask(store, cipher, kind, known, request.id)
            assert found.files == ()
            assert found == await ask(store, cipher, kind, unknown, request.id)


async def test_every_lookup_is_audited_with_whether_it_matched_the_subject(
    store: Store, cipher: PersonalDataCipher, violators: tuple[int, int]
) -> None:
    pill_shop, _ = violators
    await ask(store, cipher, LookupKind.PHONE, PHONE_FIRST_INSTANT)
    await ask(store, cipher, LookupKind.PHONE, OTHER_PHONE)
    await ask(store, cipher, LookupKind.PHONE, UNKNOWN_PHONE)
    rows = [e for e in await audit_log(store) if e.action == "registry.lookup"]
    assert [(r.details["matched_subject"], r.details["shown"]) for r in rows] == [
        (True, [pill_shop]),
        (False, []),
        (False, []),
    ]
    assert {r.details["subject_violator"] for r in rows} == {pill_shop}
    assert all(str(r.details["query"]).startswith("index:") for r in rows)
    logged = json.dumps([r.details for r in rows])
    for value in (PHONE_FIRST_INSTANT, OTHER_PHONE, UNKNOWN_PHONE):
        assert value.lstrip("+") not in logged
