"""`report-bot ledger verify`: the ledger against its key, its checkpoints, the heads the
legal officers were told, and the disclosed content itself.

Each entry's country, violator, request and period are compared with what the kept disclosure
says (decrypted), so an entry edited to name another country or person is named with what
differs even by someone who could re-chain it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from moderation.legal.disclosure import ledger_problems
from moderation.legal.ledger import EntryKind, Ledger, LedgerEntry, LedgerHead, verify
from moderation.legal.records import LEDGER_HEAD_KEY, LegalStore
from moderation.registry.violators import Sealer
from moderation.sealing import disclosure_context


@dataclass(frozen=True, slots=True)
class LedgerReport:
    entries: int
    problems: tuple[str, ...]
    notes: tuple[str, ...]  # worth knowing, not a sign of tampering
    anchored: bool  # checked against the checkpoint file
    head: tuple[int, str] | None

    @property
    def intact(self) -> bool:
        return not self.problems


async def verify_ledger(
    store: LegalStore,
    sealer: Sealer,
    ledger: Ledger,
    *,
    with_anchors: bool = True,
    heads: tuple[tuple[int, str], ...] = (),
) -> LedgerReport:
    """Everything `ledger verify` checks. Without anchors only the chain, the database's head
    and the content are checked: a ledger cut at its end, or re-chained by whoever holds the
    key, passes that; the checkpoints and the officers' heads are what catch it."""
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
        recorded = await uow.legal.recorded_as_disclosed()
        stored = {d.request_id: d for d in await uow.legal.disclosures()}
        head_text = await uow.state.get(LEDGER_HEAD_KEY)
        notes: list[str] = []
        if with_anchors:
            problems, notes = await ledger_problems(uow, ledger, entries)
        else:
            head = None
            if head_text is not None:
                data = json.loads(head_text)
                head = LedgerHead(int(data["count"]), str(data["last_hash"]))
            problems = verify(ledger.keys, entries, head)
        contents: dict[int, dict[str, Any]] = {}
        for request_id, disclosure in sorted(stored.items()):
            try:
                plain = sealer.decrypt(
                    disclosure.key_id, disclosure.ciphertext, disclosure_context(request_id)
                )
            except Exception:
                problems.append(
                    f"the disclosure of request {request_id} cannot be decrypted (changed, or "
                    "its key is missing)"
                )
                continue
            if hashlib.sha256(plain.encode()).hexdigest() != disclosure.content_sha256:
                problems.append(
                    f"the disclosure of request {request_id} does not match its recorded hash"
                )
            contents[request_id] = json.loads(plain)
    problems.extend(_against_content(entries, stored, contents))
    disclosed = {e.request_id for e in entries if e.kind is EntryKind.DISCLOSURE}
    problems.extend(
        f"request {request_id} was disclosed (audit log, its state or its kept disclosure) but "
        "has no ledger entry"
        for request_id in sorted((recorded | set(stored)) - disclosed)
    )
    by_seq = {e.seq: e for e in entries}
    for seq, digest in heads:
        entry = by_seq.get(seq)
        if entry is None:
            problems.append(f"the head you gave, entry {seq}, is not in the ledger (cut?)")
        elif entry.entry_hash != digest:
            problems.append(
                f"entry {seq} is not the one whose hash you were given: the ledger was rewritten"
            )
    last = entries[-1] if entries else None
    return LedgerReport(
        entries=len(entries),
        problems=tuple(problems),
        notes=tuple(notes),
        anchored=with_anchors,
        head=None if last is None else (last.seq, last.entry_hash),
    )


def _against_content(
    entries: list[LedgerEntry],
    stored: dict[int, Any],
    contents: dict[int, dict[str, Any]],
) -> list[str]:
    problems: list[str] = []
    for entry in entries:
        kept = stored.get(entry.request_id)
        if kept is None:
            problems.append(
                f"entry {entry.seq}: the disclosure of request {entry.request_id} is missing"
            )
            continue
        if entry.content_sha256 != kept.content_sha256:
            problems.append(
                f"entry {entry.seq}: the disclosed content of request {entry.request_id} was "
                "changed"
            )
        content = contents.get(entry.request_id)
        if content is None:
            continue
        request = content.get("request", {})
        period = content.get("period", {})
        said = {
            "request": (entry.request_id, request.get("id")),
            "country": (entry.country, request.get("country")),
            "violator": (entry.violator_id, content.get("violator_id")),
        }
        if entry.period_start is not None:
            said["period start"] = (entry.period_start, period.get("start"))
            said["period end"] = (entry.period_end, period.get("end"))
        for what, (in_ledger, disclosed) in said.items():
            if in_ledger != disclosed:
                problems.append(
                    f"entry {entry.seq}: the {what} is {in_ledger} in the ledger but "
                    f"{disclosed} in the disclosed content"
                )
    return problems
