"""The disclosure ledger on plain data: each entry chains to the one before it, and verify()
names the entry behind every edit, deletion or reordering."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from moderation.ledger import GENESIS, LedgerEntry, LedgerHead, entry_hash, next_entry, verify

AT = "2026-11-20T12:00:00.000000+00:00"


def content(request_id: int) -> str:
    return hashlib.sha256(f"disclosure {request_id}".encode()).hexdigest()


def chain(count: int = 3) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for request_id in range(1, count + 1):
        last = entries[-1] if entries else None
        entries.append(next_entry(last, request_id, 40 + request_id, "DE", AT, content(request_id)))
    return entries


def hashes(entries: list[LedgerEntry]) -> dict[int, str]:
    return {e.request_id: e.content_sha256 for e in entries}


def head(entries: list[LedgerEntry]) -> LedgerHead:
    return LedgerHead(len(entries), entries[-1].entry_hash)


def test_the_first_entry_follows_the_genesis_hash() -> None:
    first = next_entry(None, 5, 41, "DE", AT, content(5))
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert first.entry_hash == entry_hash(1, 5, 41, "DE", AT, content(5), GENESIS)


def test_each_entry_holds_the_hash_of_the_one_before() -> None:
    entries = chain()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.prev_hash for e in entries] == [GENESIS, entries[0].entry_hash, entries[1].entry_hash]
    assert len({e.entry_hash for e in entries}) == 3


def test_the_entry_hash_covers_every_field() -> None:
    base = (2, 7, 41, "DE", AT, content(7), GENESIS)
    original = entry_hash(*base)
    for position, other in enumerate(
        (3, 8, 42, "FR", AT.replace("12:", "13:"), content(8), "1" * 64)
    ):
        changed = list(base)
        changed[position] = other
        assert entry_hash(*changed) != original, position  # type: ignore[arg-type]


def test_an_intact_ledger_verifies_clean() -> None:
    entries = chain()
    assert verify(entries, head(entries), hashes(entries)) == []


def test_an_empty_ledger_without_a_head_verifies_clean() -> None:
    assert verify([], None, {}) == []


def test_an_edited_field_names_the_entry() -> None:
    entries = chain()
    entries[1] = replace(entries[1], country="FR")
    assert verify(entries, head(entries), hashes(chain())) == [
        "entry 2 was changed after it was written"
    ]


def test_an_edit_with_a_recomputed_hash_breaks_the_link_to_the_next_entry() -> None:
    entries = chain()
    edited = replace(entries[1], country="FR")
    entries[1] = replace(
        edited,
        entry_hash=entry_hash(
            edited.seq,
            edited.request_id,
            edited.violator_id,
            edited.country,
            edited.disclosed_at,
            edited.content_sha256,
            edited.prev_hash,
        ),
    )
    problems = verify(entries, LedgerHead(3, entries[2].entry_hash), hashes(entries))
    assert problems == [
        "entry 3 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)"
    ]


def test_a_changed_content_hash_names_the_entry_and_the_request() -> None:
    entries = chain()
    stored = hashes(entries)
    stored[2] = content(99)
    assert verify(entries, head(entries), stored) == [
        "entry 2: the disclosed content of request 2 was changed"
    ]


def test_a_missing_disclosure_names_the_entry() -> None:
    entries = chain()
    stored = hashes(entries)
    del stored[3]
    assert verify(entries, head(entries), stored) == [
        "entry 3: the disclosure of request 3 is missing"
    ]


def test_a_deleted_middle_entry_is_named() -> None:
    entries = chain()
    full_head, stored = head(entries), hashes(entries)
    del entries[1]
    assert verify(entries, full_head, stored) == [
        "entry 3 is at position 2: an entry before it was deleted or the entries were reordered",
        "entry 3 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)",
        "the disclosure of request 2 has no ledger entry (deleted?)",
        "the ledger holds 2 entries but 3 were written (entries deleted or added outside the bot)",
    ]


def test_a_deleted_first_entry_is_named() -> None:
    entries = chain()
    full_head, stored = head(entries), hashes(entries)
    del entries[0]
    problems = verify(entries, full_head, stored)
    assert problems[:2] == [
        "entry 2 is at position 1: an entry before it was deleted or the entries were reordered",
        "entry 2 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)",
    ]


def test_a_deleted_last_entry_shows_against_the_head() -> None:
    entries = chain()
    full_head = head(entries)
    del entries[2]
    assert verify(entries, full_head, hashes(entries)) == [
        "the ledger holds 2 entries but 3 were written (entries deleted or added outside the bot)"
    ]


def test_a_deleted_last_entry_with_its_head_rewritten_shows_by_its_disclosure() -> None:
    entries = chain()
    stored = hashes(entries)
    del entries[2]
    assert verify(entries, head(entries), stored) == [
        "the disclosure of request 3 has no ledger entry (deleted?)"
    ]


def test_a_last_entry_replaced_by_another_shows_against_the_head() -> None:
    entries = chain()
    full_head = head(entries)
    entries[2] = next_entry(entries[1], 3, 99, "DE", AT, content(3))
    assert verify(entries, full_head, hashes(entries)) == [
        "the last entry is not the one the bot wrote last"
    ]


def test_two_swapped_entries_are_named() -> None:
    entries = chain()
    first, second = entries[0], entries[1]
    # Swapping their seq values, as an UPDATE on the table would: stored order is by seq.
    entries[0], entries[1] = replace(second, seq=1), replace(first, seq=2)
    problems = verify(entries, head(entries), hashes(entries))
    assert problems == [
        "entry 1 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)",
        "entry 1 was changed after it was written",
        "entry 2 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)",
        "entry 2 was changed after it was written",
        "entry 3 does not follow the entry before it (reordered, or an earlier entry was "
        "changed or deleted)",
    ]


def test_entries_in_the_wrong_order_are_named_by_position() -> None:
    entries = chain()
    reordered = [entries[1], entries[0], entries[2]]
    problems = verify(reordered, head(entries), hashes(entries))
    assert problems[0] == (
        "entry 2 is at position 1: an entry before it was deleted or the entries were reordered"
    )
    assert "entry 1 is at position 2: an entry before it was deleted or the entries were " in (
        " ".join(problems)
    )


def test_a_missing_head_is_reported_when_there_are_entries() -> None:
    entries = chain()
    assert verify(entries, None, hashes(entries)) == ["the ledger's head record is missing"]


def test_an_entry_added_outside_the_bot_shows_against_the_head() -> None:
    entries = chain()
    written = head(entries)
    entries.append(next_entry(entries[-1], 4, 44, "DE", AT, content(4)))
    assert verify(entries, written, hashes(entries)) == [
        "the ledger holds 4 entries but 3 were written (entries deleted or added outside the bot)"
    ]
