"""Appending one entry to the disclosure ledger, in the transaction of the disclosure it records.

The ledger is verified first (a broken ledger stops disclosures until someone looks) and the
entry is checkpointed outside the database before the transaction commits: no checkpoint, no
disclosure. After the commit a second checkpoint line says it committed.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime

from moderation.clock import utc_text
from moderation.legal.ledger import (
    LEDGER_HEAD_KEY,
    Checkpoint,
    CheckpointEvent,
    EntryKind,
    Ledger,
    LedgerEntry,
    checkpoint_line,
    next_entry,
)
from moderation.legal.ledger_check import ledger_problems
from moderation.legal.officers import Officer
from moderation.legal.ports import LegalUnit
from moderation.legal.types import Disclosure, LegalRefused, LegalRequest


async def append_entry(
    uow: LegalUnit,
    ledger: Ledger,
    kind: EntryKind,
    request: LegalRequest,
    acting: Officer,
    digest: str,
    now: datetime,
    votes: str | None = None,
) -> LedgerEntry:
    """Appends one ledger entry, after checking the ledger is intact, and checkpoints it
    outside the database (before the transaction commits). `votes`: a disclosure's record of
    the sealed votes it counted."""
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
        votes=votes,
    )
    await uow.legal.add_ledger_entry(entry)
    await uow.state.put(
        LEDGER_HEAD_KEY, json.dumps({"count": entry.seq, "last_hash": entry.entry_hash}), now
    )
    _prepared(ledger, CheckpointEvent.PREPARED, entry, now)
    return entry


def settled(ledger: Ledger, disclosure: Disclosure, kind: EntryKind, now: datetime) -> None:
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
