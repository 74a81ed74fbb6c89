"""The disclosure ledger: a keyed hash chain over every time a phone number or IP address left
the registry, anchored outside the database.

Each entry is an HMAC-SHA256, under LEDGER_KEY (kept apart from the encryption and blind-index
keys), of its own fields and the previous entry's hash, so someone who can write the database
but lacks the key cannot change, insert or re-chain an entry. Cutting entries off the end needs
no key, and whoever holds the key could re-chain everything: so every entry is also written,
before its transaction commits, as a checkpoint line (itself keyed) to an append-only file in
LEDGER_ANCHOR_DIR, outside the database, and its hash goes to every legal officer in Telegram.
`verify` checks the chain, `verify_anchors` the chain against those checkpoints.

Entries written before the chain was keyed (`key_id` None) keep their unkeyed SHA-256 chain;
they may only precede keyed entries, and the first keyed disclosure adopts their head into the
checkpoint file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final, Protocol

GENESIS: Final = "0" * 64
#: The `bot_state` key of the head the database last recorded (count and last hash).
LEDGER_HEAD_KEY: Final = "disclosure_ledger_head"
CHECKPOINT_VERSION: Final = 1


class EntryKind(StrEnum):
    DISCLOSURE = "disclosure"  # the disclosure of an approved request
    COPY = "copy"  # the same content shown again (`/legal file`, `legal disclose` once more)


class CheckpointEvent(StrEnum):
    PREPARED = "prepared"  # written before the entry's transaction commits
    COMMITTED = "committed"  # written after it committed
    ADOPTED = "adopted"  # the head of the entries written before the chain was keyed


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    seq: int
    kind: EntryKind
    request_id: int
    violator_id: int
    country: str
    period_start: str | None  # ISO dates; None only in entries from before the keyed chain
    period_end: str | None
    disclosed_at: str  # exactly as stored, so the hash is over the stored text
    disclosed_to: int | None  # the officer who received it; None in old entries
    content_sha256: str
    prev_hash: str
    entry_hash: str
    key_id: str | None  # the LEDGER_KEY that keyed it; None: an old unkeyed entry
    # A disclosure's record of the sealed votes it counted (vote_seals.py: votes_record),
    # exactly as stored; None in copies and in entries from before migration 0023.
    votes: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerHead:
    count: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    event: CheckpointEvent
    seq: int
    entry_hash: str
    request_id: int | None
    kind: str | None
    at: str


class LedgerKeys:
    """The current LEDGER_KEY keys new entries; earlier ones only verify."""

    def __init__(self, current_id: str, secrets: Mapping[str, bytes]) -> None:
        if current_id not in secrets:
            raise ValueError("the current ledger key must be among the secrets")
        self.current_id = current_id
        self._secrets = dict(secrets)

    def mac(self, key_id: str, message: bytes) -> str | None:
        secret = self._secrets.get(key_id)
        if secret is None:
            return None
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    def knows(self, key_id: str) -> bool:
        return key_id in self._secrets

    def sign(self, message: bytes) -> str:
        """The MAC of `message` under the current key (recorded as `current_id`)."""
        return hmac.new(self._secrets[self.current_id], message, hashlib.sha256).hexdigest()

    def verifies(self, key_id: str, message: bytes, mac: str) -> bool | None:
        """Whether `mac` is the MAC of `message` under `key_id`, compared in constant time;
        None when that key is not configured."""
        expected = self.mac(key_id, message)
        return None if expected is None else hmac.compare_digest(expected, mac)


class LedgerAnchor(Protocol):
    """An append-only place outside the database for the checkpoints."""

    @property
    def where(self) -> str: ...
    def append(self, line: str) -> None: ...
    def lines(self) -> list[str] | None: ...  # None: nothing was ever anchored here


@dataclass(frozen=True, slots=True)
class Ledger:
    keys: LedgerKeys
    anchor: LedgerAnchor = field(repr=False)


def _fields(entry: LedgerEntry) -> list[Any]:
    """What an entry's keyed hash covers: every field but the hash and the key id (the votes
    only when the entry records them, so entries from before keep their hash)."""
    votes = [] if entry.votes is None else [entry.votes]
    return [
        entry.seq,
        entry.kind.value,
        entry.request_id,
        entry.violator_id,
        entry.country,
        entry.period_start,
        entry.period_end,
        entry.disclosed_at,
        entry.disclosed_to,
        entry.content_sha256,
        entry.prev_hash,
        *votes,
    ]


def canonical(value: object) -> bytes:
    """The one byte form every MAC under LEDGER_KEY is taken over."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def legacy_hash(entry: LedgerEntry) -> str:
    """The unkeyed hash of entries written before the chain was keyed."""
    fields = [
        entry.seq,
        entry.request_id,
        entry.violator_id,
        entry.country,
        entry.disclosed_at,
        entry.content_sha256,
        entry.prev_hash,
    ]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def expected_hash(keys: LedgerKeys, entry: LedgerEntry) -> str | None:
    """What the entry's hash must be; None when its key is not configured."""
    if entry.key_id is None:
        return legacy_hash(entry)
    return keys.mac(entry.key_id, canonical(["ledger-entry", *_fields(entry)]))


def next_entry(
    keys: LedgerKeys,
    last: LedgerEntry | None,
    *,
    kind: EntryKind,
    request_id: int,
    violator_id: int,
    country: str,
    period: tuple[str, str],
    disclosed_at: str,
    disclosed_to: int,
    content_sha256: str,
    votes: str | None = None,
) -> LedgerEntry:
    seq = 1 if last is None else last.seq + 1
    draft = LedgerEntry(
        seq=seq,
        kind=kind,
        request_id=request_id,
        violator_id=violator_id,
        country=country,
        period_start=period[0],
        period_end=period[1],
        disclosed_at=disclosed_at,
        disclosed_to=disclosed_to,
        content_sha256=content_sha256,
        prev_hash=GENESIS if last is None else last.entry_hash,
        entry_hash="",
        key_id=keys.current_id,
        votes=votes,
    )
    digest = expected_hash(keys, draft)
    assert digest is not None  # the current key is always configured
    return replace(draft, entry_hash=digest)


def verify(
    keys: LedgerKeys,
    entries: list[LedgerEntry],
    head: LedgerHead | None,
) -> list[str]:
    """Every problem of the chain itself, each naming the entry; [] means it is intact.

    `entries` in stored order (by seq); `head` is the database's own record of the last entry.
    """
    problems: list[str] = []
    previous = GENESIS
    keyed_seen = False
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
        if entry.key_id is None and keyed_seen:
            problems.append(
                f"entry {entry.seq} is in the old unkeyed form after keyed entries: it was "
                "written outside the bot"
            )
        keyed_seen = keyed_seen or entry.key_id is not None
        expected = expected_hash(keys, entry)
        if expected is None:
            problems.append(
                f"entry {entry.seq} is keyed with ledger key {entry.key_id!r}, which is not "
                "configured (add it to LEDGER_PREVIOUS_KEYS)"
            )
        elif not hmac.compare_digest(expected, entry.entry_hash):
            problems.append(f"entry {entry.seq} was changed after it was written")
        previous = entry.entry_hash
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


# --- checkpoints outside the database ------------------------------------------------------


def checkpoint_line(keys: LedgerKeys, checkpoint: Checkpoint) -> str:
    body = {
        "v": CHECKPOINT_VERSION,
        "event": checkpoint.event.value,
        "seq": checkpoint.seq,
        "entry_hash": checkpoint.entry_hash,
        "request_id": checkpoint.request_id,
        "kind": checkpoint.kind,
        "at": checkpoint.at,
        "key_id": keys.current_id,
    }
    mac = keys.mac(keys.current_id, canonical(["ledger-checkpoint", body]))
    return json.dumps({**body, "mac": mac}, separators=(",", ":"), sort_keys=True)


def read_checkpoints(keys: LedgerKeys, lines: Iterable[str]) -> tuple[list[Checkpoint], list[str]]:
    """(checkpoints whose MAC holds, problems with the others, by line number)."""
    found: list[Checkpoint] = []
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            mac = data.pop("mac")
            key_id = str(data["key_id"])
            expected = keys.mac(key_id, canonical(["ledger-checkpoint", data]))
            checkpoint = Checkpoint(
                event=CheckpointEvent(data["event"]),
                seq=int(data["seq"]),
                entry_hash=str(data["entry_hash"]),
                request_id=None if data["request_id"] is None else int(data["request_id"]),
                kind=None if data["kind"] is None else str(data["kind"]),
                at=str(data["at"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"checkpoint line {number} is not a checkpoint (edited?)")
            continue
        if expected is None:
            problems.append(
                f"checkpoint line {number} is keyed with ledger key {key_id!r}, which is not "
                "configured (add it to LEDGER_PREVIOUS_KEYS)"
            )
        elif not isinstance(mac, str) or not hmac.compare_digest(expected, mac):
            problems.append(f"checkpoint line {number} was altered after it was written")
        else:
            found.append(checkpoint)
    return found, problems


def verify_anchors(
    entries: list[LedgerEntry], checkpoints: list[Checkpoint]
) -> tuple[list[str], list[str]]:
    """(problems, notes) of the ledger against its checkpoints.

    A committed or adopted checkpoint whose entry is missing or differs means the ledger was
    cut or rewritten; a keyed entry no checkpoint names was written outside the bot. A prepared
    checkpoint without its entry and without a committed line is a disclosure whose commit did
    not happen (the process died or the write failed): a note, not a problem.
    """
    by_seq = {entry.seq: entry for entry in entries}
    problems: list[str] = []
    notes: list[str] = []
    settled = {
        (c.seq, c.entry_hash) for c in checkpoints if c.event is not CheckpointEvent.PREPARED
    }
    for checkpoint in checkpoints:
        entry = by_seq.get(checkpoint.seq)
        if entry is not None and entry.entry_hash == checkpoint.entry_hash:
            continue
        if (
            checkpoint.event is CheckpointEvent.PREPARED
            and (checkpoint.seq, checkpoint.entry_hash) not in settled
        ):
            notes.append(
                f"entry {checkpoint.seq} (request {checkpoint.request_id}) was prepared at "
                f"{checkpoint.at} but its disclosure did not commit"
            )
            continue
        what = "is missing" if entry is None else "differs from the one checkpointed"
        problems.append(
            f"entry {checkpoint.seq} {what} (checkpoint {checkpoint.event.value} at "
            f"{checkpoint.at}): the ledger was cut or rewritten"
        )
    named = {(c.seq, c.entry_hash) for c in checkpoints}
    adopted = max((c.seq for c in checkpoints if c.event is CheckpointEvent.ADOPTED), default=0)
    for entry in entries:
        if entry.key_id is None:
            if entry.seq > adopted and any(e.key_id is not None for e in entries):
                problems.append(
                    f"entry {entry.seq} (unkeyed) is not covered by the adopted checkpoint"
                )
            continue
        if (entry.seq, entry.entry_hash) not in named:
            problems.append(f"entry {entry.seq} has no checkpoint: it was written outside the bot")
    return problems, notes


def parse_head(text: str) -> tuple[int, str]:
    """`SEQ:HASH`, as the legal officers' checkpoint messages and the transparency export
    give it; ValueError says what is wrong."""
    seq_text, sep, digest = text.strip().partition(":")
    if not sep or not seq_text.isdigit() or len(digest) != 64:
        raise ValueError("write the head as SEQ:HASH, e.g. 12:3f9a… (64 hex digits)")
    try:
        int(digest, 16)
    except ValueError:
        raise ValueError("the hash must be 64 hex digits") from None
    return int(seq_text), digest.lower()
