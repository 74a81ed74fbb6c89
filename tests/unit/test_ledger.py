"""The disclosure ledger on plain data: a keyed chain, verify() naming the entry behind every
edit, deletion or reordering, and the checkpoints outside the database catching what a chain
alone cannot (a cut end, a re-chain by whoever holds the key)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from moderation.legal.ledger import (
    GENESIS,
    Checkpoint,
    CheckpointEvent,
    EntryKind,
    LedgerEntry,
    LedgerHead,
    LedgerKeys,
    checkpoint_line,
    expected_hash,
    legacy_hash,
    next_entry,
    parse_head,
    read_checkpoints,
    verify,
    verify_anchors,
)

AT = "2026-11-20T12:00:00.000000+00:00"
KEYS = LedgerKeys("l1", {"l1": b"k" * 16 + b"\x01" * 16})
OTHER_KEYS = LedgerKeys("l1", {"l1": b"x" * 16 + b"\x02" * 16})


def content(request_id: int) -> str:
    return hashlib.sha256(f"disclosure {request_id}".encode()).hexdigest()


def chain(count: int = 3, keys: LedgerKeys = KEYS) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for request_id in range(1, count + 1):
        entries.append(
            next_entry(
                keys,
                entries[-1] if entries else None,
                kind=EntryKind.DISCLOSURE,
                request_id=request_id,
                violator_id=40 + request_id,
                country="DE",
                period=("2026-07-01", "2026-07-31"),
                disclosed_at=AT,
                disclosed_to=7,
                content_sha256=content(request_id),
            )
        )
    return entries


def head(entries: list[LedgerEntry]) -> LedgerHead:
    return LedgerHead(len(entries), entries[-1].entry_hash)


def rechained(entries: list[LedgerEntry], keys: LedgerKeys) -> list[LedgerEntry]:
    """What someone with the key could do after editing entries: recompute every hash."""
    out: list[LedgerEntry] = []
    for entry in entries:
        draft = replace(entry, prev_hash=out[-1].entry_hash if out else GENESIS)
        digest = expected_hash(keys, draft)
        assert digest is not None
        out.append(replace(draft, entry_hash=digest))
    return out


def checkpoints(entries: list[LedgerEntry]) -> list[Checkpoint]:
    return [
        Checkpoint(event, e.seq, e.entry_hash, e.request_id, e.kind.value, AT)
        for e in entries
        for event in (CheckpointEvent.PREPARED, CheckpointEvent.COMMITTED)
    ]


def test_the_first_entry_follows_the_genesis_hash_and_is_keyed() -> None:
    (first,) = chain(1)
    assert (first.seq, first.prev_hash, first.key_id) == (1, GENESIS, "l1")
    assert first.entry_hash == expected_hash(KEYS, first)
    assert first.entry_hash != expected_hash(OTHER_KEYS, first)


def test_the_entry_hash_covers_every_field() -> None:
    (entry,) = chain(1)
    changes: dict[str, Any] = {
        "seq": 2,
        "kind": EntryKind.COPY,
        "request_id": 9,
        "violator_id": 99,
        "country": "US",
        "period_start": "2026-06-01",
        "period_end": "2026-08-31",
        "disclosed_at": AT.replace("12:", "13:"),
        "disclosed_to": 8,
        "content_sha256": content(9),
        "prev_hash": "1" * 64,
        "votes": '{"votes":[]}',  # a disclosure's record of its votes, when it has one
    }
    assert set(changes) | {"entry_hash", "key_id"} == {f.name for f in dataclasses.fields(entry)}
    for name, value in changes.items():
        assert expected_hash(KEYS, replace(entry, **{name: value})) != entry.entry_hash, name


def test_an_intact_ledger_verifies_clean() -> None:
    entries = chain()
    assert verify(KEYS, entries, head(entries)) == []
    assert verify(KEYS, [], None) == []


def test_an_edit_rechained_without_the_key_is_named() -> None:
    """Country DE -> US, every hash recomputed with plain SHA-256 or another key: the entries
    do not verify under LEDGER_KEY."""
    entries = chain()
    entries[1] = replace(entries[1], country="US")
    forged = rechained(entries, OTHER_KEYS)
    problems = verify(KEYS, forged, head(forged))
    assert problems == [f"entry {n} was changed after it was written" for n in (1, 2, 3)]


def test_an_edit_rechained_with_the_key_passes_the_chain_but_not_the_checkpoints() -> None:
    entries = chain()
    anchored = checkpoints(entries)
    entries[1] = replace(entries[1], country="US")
    forged = rechained(entries, KEYS)
    assert verify(KEYS, forged, head(forged)) == []
    problems, notes = verify_anchors(forged, anchored)
    assert notes == []
    assert problems[0].startswith("entry 2 differs from the one checkpointed")
    assert any(p.startswith("entry 3 differs") for p in problems)
    assert "entry 2 has no checkpoint: it was written outside the bot" in problems


def test_a_cut_end_passes_the_chain_with_a_rewritten_head_but_not_the_checkpoints() -> None:
    entries = chain()
    anchored = checkpoints(entries)
    cut = entries[:2]
    assert verify(KEYS, cut, head(cut)) == []
    problems, _ = verify_anchors(cut, anchored)
    assert problems == [
        f"entry 3 is missing (checkpoint {event} at {AT}): the ledger was cut or rewritten"
        for event in ("prepared", "committed")
    ]


def test_a_prepared_checkpoint_whose_disclosure_never_committed_is_a_note() -> None:
    entries = chain(2)
    crashed = Checkpoint(CheckpointEvent.PREPARED, 2, "f" * 64, 2, "disclosure", AT)
    anchored = [*checkpoints(entries[:1]), crashed, *checkpoints(entries[1:])]
    problems, notes = verify_anchors(entries, anchored)
    assert problems == []
    assert notes == [f"entry 2 (request 2) was prepared at {AT} but its disclosure did not commit"]


def test_deleted_and_reordered_entries_are_named() -> None:
    entries = chain(4)
    problems = verify(KEYS, [entries[0], entries[2], entries[3]], head(entries))
    assert "entry 3 is at position 2: an entry before it was deleted or the entries were " in (
        problems[0] + " "
    ) or problems[0].startswith("entry 3 is at position 2")
    swapped = [entries[0], entries[2], entries[1], entries[3]]
    assert any("does not follow the entry before it" in p for p in verify(KEYS, swapped, None))


def test_the_head_record_catches_a_cut_end_written_without_the_key() -> None:
    entries = chain()
    assert verify(KEYS, entries[:2], head(entries)) == [
        "the ledger holds 2 entries but 3 were written (entries deleted or added outside the bot)"
    ]
    assert verify(KEYS, entries, None) == ["the ledger's head record is missing"]


def test_old_unkeyed_entries_verify_as_a_prefix_only() -> None:
    old = LedgerEntry(1, EntryKind.DISCLOSURE, 1, 41, "DE", None, None, AT, None, content(1),
                      GENESIS, "", None)  # fmt: skip
    old = replace(old, entry_hash=legacy_hash(old))
    new = next_entry(
        KEYS,
        old,
        kind=EntryKind.DISCLOSURE,
        request_id=2,
        violator_id=42,
        country="DE",
        period=("2026-07-01", "2026-07-31"),
        disclosed_at=AT,
        disclosed_to=7,
        content_sha256=content(2),
    )
    assert verify(KEYS, [old, new], LedgerHead(2, new.entry_hash)) == []
    late = replace(old, seq=3, prev_hash=new.entry_hash)
    late = replace(late, entry_hash=legacy_hash(late))
    problems = verify(KEYS, [old, new, late], LedgerHead(3, late.entry_hash))
    assert problems == [
        "entry 3 is in the old unkeyed form after keyed entries: it was written outside the bot"
    ]
    adopted = [Checkpoint(CheckpointEvent.ADOPTED, 1, old.entry_hash, 1, "disclosure", AT)]
    assert verify_anchors([old, new], adopted + checkpoints([new])) == ([], [])


def test_an_unknown_ledger_key_is_named_not_taken_for_tampering() -> None:
    entries = chain(1, OTHER_KEYS)
    renamed = replace(entries[0], key_id="l0")
    assert verify(KEYS, [renamed], head([renamed])) == [
        "entry 1 is keyed with ledger key 'l0', which is not configured (add it to "
        "LEDGER_PREVIOUS_KEYS)"
    ]


def test_checkpoint_lines_are_keyed() -> None:
    (entry,) = chain(1)
    checkpoint = Checkpoint(CheckpointEvent.COMMITTED, 1, entry.entry_hash, 1, "disclosure", AT)
    line = checkpoint_line(KEYS, checkpoint)
    assert read_checkpoints(KEYS, [line, ""]) == ([checkpoint], [])
    data = json.loads(line)
    data["entry_hash"] = "0" * 64
    assert read_checkpoints(KEYS, [json.dumps(data)]) == (
        [],
        ["checkpoint line 1 was altered after it was written"],
    )
    assert read_checkpoints(OTHER_KEYS, [line])[1] == [
        "checkpoint line 1 was altered after it was written"
    ]
    assert read_checkpoints(KEYS, ["{not json"])[1] == [
        "checkpoint line 1 is not a checkpoint (edited?)"
    ]


def test_a_head_is_written_seq_colon_hash() -> None:
    assert parse_head(f"12:{'AB' * 32}") == (12, "ab" * 32)
    for bad in ("12", f"x:{'a' * 64}", "12:abc", f"12:{'g' * 64}"):
        with pytest.raises(ValueError, match=r"SEQ:HASH|hex"):
            parse_head(bad)
