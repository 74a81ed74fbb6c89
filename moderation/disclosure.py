"""Disclosing an approved request, retrieving it again, verifying the ledger, re-keying."""

from __future__ import annotations

import hashlib
import html
import json
from datetime import datetime
from typing import Any

from moderation.ledger import LedgerHead, next_entry, verify
from moderation.legal import (
    LegalPolicy,
    RequestState,
    country_name,
    day_bounds,
)
from moderation.legal_officers import Officer
from moderation.legal_records import (
    LEDGER_HEAD_KEY,
    Disclosure,
    LegalRefused,
    LegalRequest,
    LegalStore,
    LegalUnit,
    Refused,
    StoredDisclosure,
    blocking_problem,
    get_request,
    ledger_time,
    observation_kind,
    opened_request,
    run_step,
    void_lapsed,
)
from moderation.registry import Sealer

# --- disclosure -------------------------------------------------------------------------


async def disclose(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> Disclosure:
    """Discloses the IP addresses and phone numbers of the approved request's violator
    observed within the requested period, and appends the disclosure to the ledger.

    The one place a phone number or IP address of the registry is decrypted: only for a
    request that passed its checks and holds the approvals of officers who hold the legal role
    at this moment, only for the violator it names and the period it covers."""

    async def body(uow: LegalUnit, acting: Officer) -> Disclosure | Refused:
        request = await void_lapsed(
            uow, policy, await get_request(uow.legal, request_id), acting.user_id, now
        )
        request = opened_request(sealer, request)
        problem = disclosure_problem(request, policy)
        if problem is not None:
            return Refused(problem)
        violator_id = request.violator_id
        assert violator_id is not None  # disclosure_problem checked it
        start, end = day_bounds(request.form.period_start, request.form.period_end)
        rows = await uow.legal.personal_observations(violator_id, start, end)
        items = []
        for row in rows:
            if row.sealed.ciphertext is None or row.sealed.key_id is None:
                continue
            items.append(
                {
                    "kind": row.kind.value,
                    "value": sealer.decrypt(row.sealed.key_id, row.sealed.ciphertext, row.kind),
                    "observed_at": row.observed_at.isoformat(),
                    "source": row.source.value,
                }
            )
        content = _content(request, items, now)
        digest = hashlib.sha256(content).hexdigest()
        key_id, blob = sealer.encrypt(content.decode(), "disclosure")
        phones = sum(1 for i in items if i["kind"] == "phone")
        ips = len(items) - phones
        stored = StoredDisclosure(
            request_id, key_id, blob, digest, phones, ips, acting.user_id, now
        )
        await uow.legal.add_disclosure(stored)
        entry = next_entry(
            await uow.legal.ledger_last(),
            request_id,
            violator_id,
            request.form.country,
            ledger_time(now),
            digest,
        )
        await uow.legal.add_ledger_entry(entry)
        await uow.state.put(
            LEDGER_HEAD_KEY,
            json.dumps({"count": entry.seq, "last_hash": entry.entry_hash}),
            now,
        )
        await uow.legal.set_state(request_id, RequestState.DISCLOSED)
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.disclosed",
            subject_type="legal_request",
            subject_id=request_id,
            # Counts and hashes only: the audit log never holds the disclosed values.
            details={
                "by": acting.name,
                "violator_id": violator_id,
                "phones": phones,
                "ips": ips,
                "content_sha256": digest,
                "ledger_seq": entry.seq,
                "approved_by": sorted(request.approvals),
                "before": RequestState.APPROVED.value,
                "after": RequestState.DISCLOSED.value,
            },
        )
        return Disclosure(request_id, content, digest, render_html(content), phones, ips, entry.seq)

    return await run_step(store, policy, officer, "disclose", request_id, now, body)


def disclosure_problem(request: LegalRequest, policy: LegalPolicy) -> str | None:
    """Why this request cannot be disclosed now (None: it can)."""
    if request.state is not RequestState.APPROVED:
        return (
            f"request #{request.id} is {request.state.value}; only an approved request is "
            f"disclosed (approved by {policy.approvals_needed} legal officers)"
        )
    approvers = set(request.approvals)
    if not policy.registrar_may_approve:
        approvers.discard(request.registered_by)
    if len(approvers) < policy.approvals_needed:
        return (
            f"request #{request.id} holds {len(approvers)} of the {policy.approvals_needed} "
            "approvals it needs from legal officers who hold the role now"
        )
    if not request.violator_id:
        return f"request #{request.id} names no confirmed violator"
    return blocking_problem(request)


async def retrieve(
    store: LegalStore,
    sealer: Sealer,
    policy: LegalPolicy,
    request_id: int,
    officer: Officer,
    now: datetime,
) -> Disclosure:
    """A disclosure made earlier, decrypted again for a legal officer (audit-logged)."""

    async def body(uow: LegalUnit, acting: Officer) -> Disclosure:
        stored = await uow.legal.disclosure(request_id)
        if stored is None:
            raise LegalRefused(f"nothing was disclosed for request #{request_id}")
        content = sealer.decrypt(stored.key_id, stored.ciphertext, "disclosure").encode()
        seq = next((e.seq for e in await uow.legal.ledger() if e.request_id == request_id), 0)
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.disclosure_retrieved",
            subject_type="legal_request",
            subject_id=request_id,
            details={"by": acting.name, "content_sha256": stored.content_sha256},
        )
        return Disclosure(
            request_id,
            content,
            stored.content_sha256,
            render_html(content),
            stored.phones,
            stored.ips,
            seq,
        )

    return await run_step(store, policy, officer, "file", request_id, now, body)


async def verify_ledger(store: LegalStore, sealer: Sealer) -> tuple[int, list[str]]:
    """(entries checked, problems); every disclosure's stored content is hashed again."""
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
        recorded = await uow.legal.recorded_as_disclosed()
        head_text = await uow.state.get(LEDGER_HEAD_KEY)
        hashes: dict[int, str] = {}
        problems: list[str] = []
        for stored in await uow.legal.disclosures():
            try:
                content = sealer.decrypt(stored.key_id, stored.ciphertext, "disclosure")
            except Exception:
                problems.append(
                    f"the disclosure of request {stored.request_id} cannot be decrypted "
                    "(changed, or its key is missing)"
                )
                continue
            actual = hashlib.sha256(content.encode()).hexdigest()
            if actual != stored.content_sha256:
                problems.append(
                    f"the disclosure of request {stored.request_id} does not match its "
                    "recorded hash"
                )
            hashes[stored.request_id] = actual
    head = None
    if head_text is not None:
        data = json.loads(head_text)
        head = LedgerHead(int(data["count"]), str(data["last_hash"]))
    in_ledger = {entry.request_id for entry in entries}
    problems.extend(
        f"request {request_id} was disclosed (audit log or its state) but has no ledger entry"
        for request_id in sorted(recorded - in_ledger)
    )
    return len(entries), problems + verify(entries, head, hashes)


async def rotate_legal_keys(store: LegalStore, sealer: Sealer, current_key_id: str) -> int:
    """Re-encrypts kept disclosures and phone/IP request targets under the current key (the
    registry's rotation does the observations); their hashes are over the plaintext, so the
    ledger stays valid."""
    total = 0
    while True:
        async with store.transaction() as uow:
            disclosures = await uow.legal.sealed_under_other_keys(current_key_id, 100)
            for stored in disclosures:
                plain = sealer.decrypt(stored.key_id, stored.ciphertext, "disclosure")
                key_id, blob = sealer.encrypt(plain, "disclosure")
                await uow.legal.reseal(stored.request_id, key_id, blob)
            targets = await uow.legal.targets_under_other_keys(current_key_id, 100)
            for request_id, kind, old_key, blob in targets:
                observation = observation_kind(kind)
                plain = sealer.decrypt(old_key, blob, observation)
                key_id, sealed = sealer.encrypt(plain, observation)
                await uow.legal.reseal_target(request_id, key_id, sealed)
        total += len(disclosures) + len(targets)
        if not disclosures and not targets:
            return total


def _content(request: LegalRequest, items: list[dict[str, Any]], now: datetime) -> bytes:
    form = request.form
    document: dict[str, Any] = {
        "request": {
            "id": request.id,
            "authority": form.authority,
            "country": form.country,
            "reference": form.reference,
            "order_type": form.order_type.value,
            "issued_on": form.issued_on.isoformat(),
            "offence": form.offence,
            "document_sha256": request.document_sha256,
        },
        "violator_id": request.violator_id,
        "period": {"start": form.period_start.isoformat(), "end": form.period_end.isoformat()},
        "disclosed_at": now.isoformat(),
        "disclosed": "IP addresses and phone numbers observed within the period; nothing else",
        "items": sorted(items, key=lambda i: (i["observed_at"], i["kind"], i["value"])),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()


def render_html(content: bytes) -> bytes:
    """The human-readable copy of a disclosure, generated from its JSON."""
    data = json.loads(content)
    req = data["request"]

    def esc(value: object) -> str:
        return html.escape(str(value))

    rows = (
        "\n".join(
            f"<tr><td>{esc(i['kind'])}</td><td>{esc(i['value'])}</td>"
            f"<td>{esc(i['observed_at'])}</td><td>{esc(i['source'])}</td></tr>"
            for i in data["items"]
        )
        or '<tr><td colspan="4">Nothing was observed within the period.</td></tr>'
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Disclosure for legal request #{esc(req["id"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}</style></head><body>
<h1>Disclosure for legal request #{esc(req["id"])}</h1>
<p>{esc(req["authority"])}, {esc(country_name(req["country"]))} ({esc(req["country"])}),
reference {esc(req["reference"])}, {esc(req["order_type"])} issued {esc(req["issued_on"])},
offence {esc(req["offence"])}.</p>
<p>Violator #{esc(data["violator_id"])}; period {esc(data["period"]["start"])} to
{esc(data["period"]["end"])}; disclosed {esc(data["disclosed_at"])}.</p>
<p>{esc(data["disclosed"])}.</p>
<table><tr><th>Kind</th><th>Value</th><th>Observed at (UTC)</th><th>Source</th></tr>
{rows}
</table>
<p>SHA-256 of the JSON disclosure: {hashlib.sha256(content).hexdigest()}</p>
</body></html>
"""
    return page.encode()
