"""Disclosing an approved request, and sending a disclosure again.

The one place a phone number or IP address of the registry is decrypted for anyone to see:
only for a request that passed its checks and holds the approvals of officers who hold the
legal role at this moment, each sealed over the request as it stands now (vote_seals.py), only
for the violator it names, whose target still resolves to that violator and no other inside
the disclosure's own transaction, and only for the period it covers. Every time
phone numbers or IP addresses leave (the disclosure, and each copy sent again) is a ledger
entry: the ledger is checked first (a broken ledger stops disclosures until someone looks),
the entry is checkpointed outside the database before the transaction commits, and every legal
officer is told its hash in Telegram.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Final

from moderation.legal.analysis import blocking_problem, day_bounds
from moderation.legal.approvals import (
    CountedApprovals,
    counted_approvals,
    grant_checked,
    void_lapsed,
)
from moderation.legal.disclosure_content import disclosure_json, open_observations
from moderation.legal.disclosure_html import render_html
from moderation.legal.ledger import EntryKind, Ledger, LedgerEntry
from moderation.legal.ledger_append import append_entry, settled
from moderation.legal.officers import Officer, legal_officers
from moderation.legal.ports import LegalStore, LegalUnit
from moderation.legal.sealed_parts import opened_request, resolution_problem
from moderation.legal.steps import Refused, audit_step, get_request, run_step
from moderation.legal.types import (
    Disclosure,
    LegalPolicy,
    LegalRefused,
    LegalRequest,
    RequestState,
    StoredDisclosure,
)
from moderation.legal.vote_seals import read_votes_record, votes_record
from moderation.registry.violators import Sealer
from moderation.sealing import disclosure_context

#: The outbox kind of the message that tells legal officers each new ledger head.
LEDGER_CHECKPOINT_KIND: Final = "ledger_checkpoint"


async def disclose(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    ledger: Ledger,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> Disclosure:
    """Discloses the IP addresses and phone numbers of the approved request's violator
    observed within the requested period, and appends the disclosure to the ledger."""

    async def body(uow: LegalUnit, acting: Officer) -> Disclosure | Refused:
        before = await get_request(uow.legal, request_id)
        request = await void_lapsed(uow, policy, before, acting.user_id, now)
        request = opened_request(sealer, request)
        counted = await grant_checked(
            uow.roles, policy, counted_approvals(ledger.keys, policy, request)
        )
        problem = (
            just_voided(before, request)
            or disclosure_problem(request, policy, counted)
            or await resolution_problem(uow.registry, sealer, request)
        )
        if problem is not None:
            return Refused(problem)
        violator_id = request.violator_id
        assert violator_id is not None  # disclosure_problem checked it
        votes = votes_record(counted.counted, policy.approvals_needed, policy.registrar_may_approve)
        start, end = day_bounds(request.form.period_start, request.form.period_end)
        rows = await uow.legal.personal_observations(violator_id, start, end)
        items, withheld = open_observations(sealer, violator_id, rows)
        content = disclosure_json(request, items, withheld, now)
        digest = hashlib.sha256(content).hexdigest()
        key_id, blob = sealer.encrypt(content.decode(), disclosure_context(request_id))
        phones = sum(1 for i in items if i["kind"] == "phone")
        ips = len(items) - phones
        stored = StoredDisclosure(
            request_id, key_id, blob, digest, phones, ips, acting.user_id, now
        )
        await uow.legal.add_disclosure(stored)
        await uow.legal.set_state(request_id, RequestState.DISCLOSED)
        entry = await _chain(
            uow, policy, ledger, EntryKind.DISCLOSURE, request, acting, digest, now, votes
        )
        # Counts and hashes only: the audit log never holds the disclosed values.
        await audit_step(
            uow.audit,
            "legal.disclosed",
            request_id,
            acting,
            now,
            violator_id=violator_id,
            phones=phones,
            ips=ips,
            content_sha256=digest,
            ledger_seq=entry.seq,
            withheld=len(withheld),
            approved_by=counted.officers,
            before=RequestState.APPROVED.value,
            after=RequestState.DISCLOSED.value,
        )
        return Disclosure(
            request_id,
            content,
            digest,
            render_html(content),
            phones,
            ips,
            entry.seq,
            entry.entry_hash,
            len(withheld),
        )

    disclosure = await run_step(store, policy, officer, "disclose", request_id, now, body)
    settled(ledger, disclosure, EntryKind.DISCLOSURE, now)
    return disclosure


def just_voided(before: LegalRequest, after: LegalRequest) -> str | None:
    """Why an approved request stopped being approved in this very step (its approvals voided
    before the disclosure), so the refusal names the cause, not only the state it fell to."""
    if before.state is not RequestState.APPROVED or after.state is RequestState.APPROVED:
        return None
    earlier = {vote.id for vote in before.voided}
    reasons = [
        f"the approval of officer {vote.officer_id} was voided: {vote.voided_reason}"
        for vote in after.voided
        if vote.id not in earlier
    ]
    return (
        f"request #{after.id} went back under analysis ({'; '.join(reasons)}); nothing was "
        "disclosed. Legal officers who count must approve it again"
    )


def disclosure_problem(
    request: LegalRequest, policy: LegalPolicy, counted: CountedApprovals
) -> str | None:
    """Why this request cannot be disclosed now (None: it can); `counted` are its approvals
    whose seals verify against it as it is now."""
    if request.state is not RequestState.APPROVED:
        return (
            f"request #{request.id} is {request.state.value}; only an approved request is "
            f"disclosed (approved by {policy.approvals_needed} legal officers)"
        )
    if len(counted.counted) < policy.approvals_needed:
        why = "".join(f"; {reason}" for reason in counted.not_counted)
        hint = ". Run report-bot ledger verify and report-bot db-check" if why else ""
        return (
            f"request #{request.id} holds {len(counted.counted)} of the "
            f"{policy.approvals_needed} approvals it needs from legal officers who hold the "
            f"role now{why}; nothing was disclosed{hint}"
        )
    if not request.violator_id:
        return f"request #{request.id} names no confirmed violator"
    return blocking_problem(request)


async def retrieve(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    ledger: Ledger,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> Disclosure:
    """A disclosure made earlier, decrypted again for a legal officer: it shows phone numbers
    and IP addresses once more, so it is a ledger entry of its own (a copy)."""

    async def body(uow: LegalUnit, acting: Officer) -> Disclosure:
        stored = await uow.legal.disclosure(request_id)
        request = await uow.legal.request(request_id)
        if stored is None or request is None or request.violator_id is None:
            raise LegalRefused(f"nothing was disclosed for request #{request_id}")
        approvers = await _counted_approvers(uow, request)
        handled = {request.registered_by, stored.disclosed_to, *approvers}
        if acting.user_id not in handled:
            raise LegalRefused(
                f"only the officers who handled request #{request_id} (its registrar, its "
                "approvers and the officer it was disclosed to) may have a copy"
            )
        try:
            content = sealer.decrypt_bytes(
                stored.key_id, stored.ciphertext, disclosure_context(request_id)
            )
        except Exception:  # a disclosure that does not open is refused
            raise LegalRefused(
                f"the kept disclosure of request #{request_id} does not open in its row; run "
                "report-bot ledger verify"
            ) from None
        if hashlib.sha256(content).hexdigest() != stored.content_sha256:
            raise LegalRefused(
                f"the kept disclosure of request #{request_id} does not match its recorded "
                "hash; run report-bot ledger verify"
            )
        entry = await _chain(
            uow, policy, ledger, EntryKind.COPY, request, acting, stored.content_sha256, now
        )
        await audit_step(
            uow.audit,
            "legal.disclosure_retrieved",
            request_id,
            acting,
            now,
            content_sha256=stored.content_sha256,
            ledger_seq=entry.seq,
        )
        return Disclosure(
            request_id,
            content,
            stored.content_sha256,
            render_html(content),
            stored.phones,
            stored.ips,
            entry.seq,
            entry.entry_hash,
            len(json.loads(content).get("withheld", [])),
        )

    disclosure = await run_step(store, policy, officer, "file", request_id, now, body)
    settled(ledger, disclosure, EntryKind.COPY, now)
    return disclosure


async def _counted_approvers(uow: LegalUnit, request: LegalRequest) -> list[int]:
    """The officers whose approvals the disclosure counted, as its ledger entry records them
    (keyed, so a vote written into the database later adds no one); for an entry from before
    votes were sealed, the request's live approvals."""
    for entry in await uow.legal.ledger():
        if entry.kind is not EntryKind.DISCLOSURE or entry.request_id != request.id:
            continue
        if entry.votes is None:
            break
        try:
            return [vote.officer_id for vote in read_votes_record(entry.votes).votes]
        except ValueError:
            return []
    return list(request.approvals)


async def _chain(
    uow: LegalUnit,
    policy: LegalPolicy,
    ledger: Ledger,
    kind: EntryKind,
    request: LegalRequest,
    acting: Officer,
    digest: str,
    now: datetime,
    votes: str | None = None,
) -> LedgerEntry:
    """The ledger entry of values leaving, and every legal officer (bootstrap, or by a grant
    whose seal verifies) told its hash."""
    entry = await append_entry(uow, ledger, kind, request, acting, digest, now, votes)
    officers = await legal_officers(uow.roles, policy)  # a forged grant is told nothing
    for officer_id in sorted(officers):
        await uow.outbox.add(
            dedupe_key=f"ledger:{entry.seq}:{entry.entry_hash[:16]}:{officer_id}",
            kind=LEDGER_CHECKPOINT_KIND,
            chat_id=officer_id,
            payload={
                "seq": entry.seq,
                "entry_hash": entry.entry_hash,
                "request_id": entry.request_id,
                "entry_kind": entry.kind.value,
                "by": acting.user_id,
            },
            at=now,
            not_before=now,
        )
    return entry
