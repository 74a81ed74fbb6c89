"""Disclosing an approved request, and sending a disclosure again.

The one place a phone number or IP address of the registry is decrypted for anyone to see:
only for a request that passed its checks and holds the approvals of officers who hold the
legal role at this moment, only for the violator it names and the period it covers. Every time
phone numbers or IP addresses leave (the disclosure, and each copy sent again) is a ledger
entry: the ledger is checked first (a broken ledger stops disclosures until someone looks),
the entry is checkpointed outside the database before the transaction commits, and every legal
officer is told its hash in Telegram.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
from datetime import datetime
from typing import Any, Final

from moderation.clock import utc_text
from moderation.legal.analysis import (
    LegalPolicy,
    RequestState,
    country_name,
    day_bounds,
)
from moderation.legal.ledger import (
    Checkpoint,
    CheckpointEvent,
    EntryKind,
    Ledger,
    LedgerEntry,
    LedgerHead,
    checkpoint_line,
    next_entry,
    read_checkpoints,
    verify,
    verify_anchors,
)
from moderation.legal.officers import Officer
from moderation.legal.records import (
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
    opened_request,
    run_step,
    void_lapsed,
)
from moderation.registry.violators import SealedObservation, Sealer, context_of
from moderation.sealing import disclosure_context
from moderation.staff.roles import Role

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
        items, withheld = _open_observations(sealer, violator_id, rows)
        content = _content(request, items, withheld, now)
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
            uow, policy, ledger, EntryKind.DISCLOSURE, request, acting, digest, now
        )
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
                "withheld": len(withheld),
                "approved_by": sorted(request.approvals),
                "before": RequestState.APPROVED.value,
                "after": RequestState.DISCLOSED.value,
            },
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
    _settled(ledger, disclosure, EntryKind.DISCLOSURE, now)
    return disclosure


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
        handled = {request.registered_by, stored.disclosed_to, *request.approvals}
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
        await uow.audit.append(
            at=now,
            actor_id=acting.user_id,
            action="legal.disclosure_retrieved",
            subject_type="legal_request",
            subject_id=request_id,
            details={
                "by": acting.name,
                "content_sha256": stored.content_sha256,
                "ledger_seq": entry.seq,
            },
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
    _settled(ledger, disclosure, EntryKind.COPY, now)
    return disclosure


# --- the ledger entry ----------------------------------------------------------------------


async def _chain(
    uow: LegalUnit,
    policy: LegalPolicy,
    ledger: Ledger,
    kind: EntryKind,
    request: LegalRequest,
    acting: Officer,
    digest: str,
    now: datetime,
) -> LedgerEntry:
    """Appends one ledger entry, after checking the ledger is intact, checkpoints it outside
    the database (before the transaction commits) and tells every legal officer its hash."""
    entries = await uow.legal.ledger()
    problems, _ = await ledger_problems(uow, ledger, entries)
    if problems:
        raise LegalRefused(
            f"the disclosure ledger does not verify ({problems[0]}); nothing was disclosed. "
            "Run report-bot ledger verify and resolve it first"
        )
    last = entries[-1] if entries else None
    if last is not None and last.key_id is None:
        _prepared(ledger, CheckpointEvent.ADOPTED, last, now)
    assert request.violator_id is not None
    entry = next_entry(
        ledger.keys,
        last,
        kind=kind,
        request_id=request.id,
        violator_id=request.violator_id,
        country=request.form.country,
        period=(request.form.period_start.isoformat(), request.form.period_end.isoformat()),
        disclosed_at=utc_text(now),
        disclosed_to=acting.user_id,
        content_sha256=digest,
    )
    await uow.legal.add_ledger_entry(entry)
    await uow.state.put(
        LEDGER_HEAD_KEY, json.dumps({"count": entry.seq, "last_hash": entry.entry_hash}), now
    )
    _prepared(ledger, CheckpointEvent.PREPARED, entry, now)
    officers = set(policy.bootstrap_legal) | set(await uow.roles.holders(Role.LEGAL))
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


async def ledger_problems(
    uow: LegalUnit, ledger: Ledger, entries: list[LedgerEntry]
) -> tuple[list[str], list[str]]:
    """(problems, notes) of the chain and its checkpoints (the content is checked by
    `report-bot ledger verify`, which decrypts every disclosure)."""
    head_text = await uow.state.get(LEDGER_HEAD_KEY)
    head = None
    if head_text is not None:
        data = json.loads(head_text)
        head = LedgerHead(int(data["count"]), str(data["last_hash"]))
    problems = verify(ledger.keys, entries, head)
    lines = ledger.anchor.lines()
    if lines is None:
        if any(entry.key_id is not None for entry in entries):
            problems.append(
                f"the checkpoint file {ledger.anchor.where} is missing, but the ledger holds "
                "keyed entries: restore it, or point LEDGER_ANCHOR_DIR at it"
            )
        return problems, []
    checkpoints, bad = read_checkpoints(ledger.keys, lines)
    anchored, notes = verify_anchors(entries, checkpoints)
    return problems + bad + anchored, notes


def _anchor(
    ledger: Ledger,
    event: CheckpointEvent,
    seq: int,
    entry_hash: str,
    request_id: int,
    kind: EntryKind,
    now: datetime,
) -> None:
    """One checkpoint line; OSError (AnchorUnwritable) as the file system gives it."""
    checkpoint = Checkpoint(event, seq, entry_hash, request_id, kind.value, utc_text(now))
    ledger.anchor.append(checkpoint_line(ledger.keys, checkpoint))


def _prepared(ledger: Ledger, event: CheckpointEvent, entry: LedgerEntry, now: datetime) -> None:
    """Before the commit: no checkpoint, no disclosure."""
    try:
        _anchor(ledger, event, entry.seq, entry.entry_hash, entry.request_id, entry.kind, now)
    except OSError as exc:
        raise LegalRefused(f"{exc}; nothing was disclosed") from None


def _settled(ledger: Ledger, disclosure: Disclosure, kind: EntryKind, now: datetime) -> None:
    """The entry committed: its checkpoint says so. If this line cannot be written, the
    prepared one still vouches for the entry."""
    with contextlib.suppress(OSError):
        _anchor(
            ledger,
            CheckpointEvent.COMMITTED,
            disclosure.ledger_seq,
            disclosure.ledger_hash,
            disclosure.request_id,
            kind,
            now,
        )


def _open_observations(
    sealer: Sealer, violator_id: int, rows: list[SealedObservation]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items disclosed, items withheld). A value that does not open in its row (its
    ciphertext changed, or moved there from another row) is withheld and said so, never
    disclosed as this violator's."""
    items: list[dict[str, Any]] = []
    withheld: list[dict[str, Any]] = []
    for row in rows:
        described = {
            "kind": row.kind.value,
            "observed_at": row.observed_at.isoformat(),
            "source": row.source.value,
        }
        sealed = row.sealed
        try:
            if sealed.ciphertext is None or sealed.key_id is None or row.violator_id != violator_id:
                raise ValueError("not a sealed value of this violator")
            value = sealer.decrypt(sealed.key_id, sealed.ciphertext, context_of(row))
        except Exception:  # anything that does not open is withheld
            withheld.append(
                {
                    **described,
                    "reason": "does not open in its row: changed, moved from another row, or "
                    "its key is missing",
                }
            )
            continue
        items.append({**described, "value": value})
    return items, withheld


def _content(
    request: LegalRequest,
    items: list[dict[str, Any]],
    withheld: list[dict[str, Any]],
    now: datetime,
) -> bytes:
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
    if withheld:
        document["withheld"] = sorted(withheld, key=lambda i: (i["observed_at"], i["kind"]))
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
