"""Verifying the disclosure ledger: against its key, its checkpoints, the heads the legal
officers were told (moderation/legal/ledger_heads.py), and the disclosed content itself
(`report-bot ledger verify`); the chain and checkpoints alone before every new entry
(`ledger_problems`). The report says how far the tail is proven: up to the newest head given
from outside, else only as far as the checkpoint file on the bot's own host.

Each entry's country, violator, request and period are compared with what the kept disclosure
says (decrypted), so an entry edited to name another country or person is named with what
differs even by someone who could re-chain it; and each disclosure's votes are checked against
the seals its entry recorded and the request as it stands (vote_check.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from moderation.legal.ledger import (
    LEDGER_HEAD_KEY,
    EntryKind,
    Ledger,
    LedgerEntry,
    LedgerHead,
    read_checkpoints,
    verify,
    verify_anchors,
)
from moderation.legal.ledger_heads import GivenHead, check_heads
from moderation.legal.ports import KeyValue, LegalStore, LegalUnit
from moderation.legal.vote_check import vote_problems
from moderation.registry.violators import Sealer
from moderation.sealing import disclosure_context


@dataclass(frozen=True, slots=True)
class LedgerReport:
    entries: int
    problems: tuple[str, ...]
    notes: tuple[str, ...]  # worth knowing, not a sign of tampering
    anchored: bool  # checked against the checkpoint file
    head: tuple[int, str] | None
    heads_given: int = 0  # heads from outside (the officers' messages) checked
    proven: GivenHead | None = None  # the newest of them the ledger holds unchanged
    newest_checkpoint: int | None = None  # the newest entry the checkpoint file names

    @property
    def intact(self) -> bool:
        return not self.problems

    @classmethod
    def of(
        cls,
        entries: Sequence[LedgerEntry],
        problems: Sequence[str],
        notes: Sequence[str],
        *,
        anchored: bool,
    ) -> LedgerReport:
        last = entries[-1] if entries else None
        return cls(
            entries=len(entries),
            problems=tuple(problems),
            notes=tuple(notes),
            anchored=anchored,
            head=None if last is None else (last.seq, last.entry_hash),
        )


async def verify_ledger(
    store: LegalStore,
    sealer: Sealer,
    ledger: Ledger,
    *,
    with_anchors: bool = True,
    heads: Sequence[GivenHead] = (),
) -> LedgerReport:
    """Everything `ledger verify` checks. Without anchors only the chain, the database's head
    and the content are checked: a ledger cut at its end, or re-chained by whoever holds the
    key, passes that; the checkpoints and the officers' heads are what catch it."""
    async with store.reading() as uow:
        entries = await uow.legal.ledger()
        recorded = await uow.legal.recorded_as_disclosed()
        stored = {d.request_id: d for d in await uow.legal.disclosures()}
        notes: list[str] = []
        if with_anchors:
            problems, notes = await ledger_problems(uow, ledger, entries)
        else:
            problems = verify(ledger.keys, entries, await _recorded_head(uow.state))
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
        problems.extend(await vote_problems(uow.legal, sealer, ledger.keys, entries))
    problems.extend(_against_content(entries, stored, contents))
    disclosed = {e.request_id for e in entries if e.kind is EntryKind.DISCLOSURE}
    problems.extend(
        f"request {request_id} was disclosed (audit log, its state or its kept disclosure) but "
        "has no ledger entry"
        for request_id in sorted((recorded | set(stored)) - disclosed)
    )
    told, proven = check_heads(ledger.keys, entries, heads)
    problems.extend(told)
    report = LedgerReport.of(entries, problems, notes, anchored=with_anchors)
    newest = _newest_checkpoint(ledger) if with_anchors else None
    return replace(report, heads_given=len(heads), proven=proven, newest_checkpoint=newest)


async def ledger_problems(
    uow: LegalUnit, ledger: Ledger, entries: list[LedgerEntry]
) -> tuple[list[str], list[str]]:
    """(problems, notes) of the chain and its checkpoints (the content is checked by
    `report-bot ledger verify`, which decrypts every disclosure)."""
    problems = verify(ledger.keys, entries, await _recorded_head(uow.state))
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


def _newest_checkpoint(ledger: Ledger) -> int | None:
    """The newest entry a checkpoint whose MAC holds names (None: no checkpoint file)."""
    lines = ledger.anchor.lines()
    if lines is None:
        return None
    checkpoints, _ = read_checkpoints(ledger.keys, lines)
    return max((c.seq for c in checkpoints), default=None)


async def _recorded_head(state: KeyValue) -> LedgerHead | None:
    head_text = await state.get(LEDGER_HEAD_KEY)
    if head_text is None:
        return None
    data = json.loads(head_text)
    return LedgerHead(int(data["count"]), str(data["last_hash"]))


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
