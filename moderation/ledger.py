"""The disclosure ledger: a hash chain over every disclosure ever made.

Each entry hashes its own fields, the disclosed content's SHA-256 and the previous entry's hash,
so changing, deleting or reordering any entry breaks the chain from that point on. The head
(count and last hash) is also kept apart from the table, so cutting entries off the end shows
too, and each entry's content hash is compared with the stored disclosure itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

GENESIS: Final = "0" * 64


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    seq: int
    request_id: int
    violator_id: int
    country: str
    disclosed_at: str  # exactly as stored, so the hash is over the stored text
    content_sha256: str
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True, slots=True)
class LedgerHead:
    count: int
    last_hash: str


def entry_hash(
    seq: int,
    request_id: int,
    violator_id: int,
    country: str,
    disclosed_at: str,
    content_sha256: str,
    prev_hash: str,
) -> str:
    fields = [seq, request_id, violator_id, country, disclosed_at, content_sha256, prev_hash]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def next_entry(
    head: LedgerEntry | None,
    request_id: int,
    violator_id: int,
    country: str,
    disclosed_at: str,
    content_sha256: str,
) -> LedgerEntry:
    seq = 1 if head is None else head.seq + 1
    prev = GENESIS if head is None else head.entry_hash
    return LedgerEntry(
        seq=seq,
        request_id=request_id,
        violator_id=violator_id,
        country=country,
        disclosed_at=disclosed_at,
        content_sha256=content_sha256,
        prev_hash=prev,
        entry_hash=entry_hash(
            seq, request_id, violator_id, country, disclosed_at, content_sha256, prev
        ),
    )


def verify(
    entries: list[LedgerEntry],
    head: LedgerHead | None,
    content_hashes: Mapping[int, str],
) -> list[str]:
    """Every problem found, each naming the entry; an empty list means the ledger is intact.

    `entries` in stored order (by seq); `content_hashes` maps a request id to the SHA-256 of
    the disclosure content actually stored for it.
    """
    problems: list[str] = []
    previous = GENESIS
    for position, entry in enumerate(entries, 1):
        if entry.seq != position:
            problems.append(
                f"entry {entry.seq} is at position {position}: an entry before it was "
                "deleted or the entries were reordered"
            )
        if entry.prev_hash != previous:
            problems.append(
                f"entry {entry.seq} does not follow the entry before it (reordered, or an "
                "earlier entry was changed or deleted)"
            )
        expected = entry_hash(
            entry.seq,
            entry.request_id,
            entry.violator_id,
            entry.country,
            entry.disclosed_at,
            entry.content_sha256,
            entry.prev_hash,
        )
        if expected != entry.entry_hash:
            problems.append(f"entry {entry.seq} was changed after it was written")
        stored = content_hashes.get(entry.request_id)
        if stored is None:
            problems.append(
                f"entry {entry.seq}: the disclosure of request {entry.request_id} is missing"
            )
        elif stored != entry.content_sha256:
            problems.append(
                f"entry {entry.seq}: the disclosed content of request {entry.request_id} was "
                "changed"
            )
        previous = entry.entry_hash
    listed = {entry.request_id for entry in entries}
    for request_id in sorted(set(content_hashes) - listed):
        problems.append(f"the disclosure of request {request_id} has no ledger entry (deleted?)")
    if head is not None:
        if head.count != len(entries):
            problems.append(
                f"the ledger holds {len(entries)} entries but {head.count} were written "
                "(entries deleted or added outside the bot)"
            )
        elif entries and head.last_hash != entries[-1].entry_hash:
            problems.append("the last entry is not the one the bot wrote last")
    elif entries:
        problems.append("the ledger's head record is missing")
    return problems
