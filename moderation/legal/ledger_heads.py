"""Ledger heads from outside the host: the ones the legal officers received in Telegram, given
back to `report-bot ledger verify`, and the periodic signed head the bot sends them.

The checkpoint file proves the ledger's tail only to someone who trusts the host it is on:
whoever can write the database and that file as the bot's user deletes the last entries, fixes
the head in `bot_state` and cuts the file's last lines, and the ledger verifies. A head an
officer holds in a Telegram message is out of that reach: the ledger must still hold that entry,
unchanged. So every legal officer is told each entry's head as it is written (the per-disclosure
message, moderation/legal/disclosure.py), and, when the ledger moved, a periodic head (daily by
default) signed with an HMAC under LEDGER_KEY (tag "ledger-head", over the seq, the entry's
hash and the time): a signed head that verifies is the bot's own word that the ledger held
that entry then, whoever pastes it.

A signed head reads `SEQ:HASH:WHEN:KEY_ID:MAC` (WHEN as 20261207T100000Z): one word, so an
officer can paste the whole message and `heads_in` finds every head in it, signed or plain
`SEQ:HASH`.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from moderation.clock import utc_text
from moderation.legal.ledger import LedgerEntry, LedgerKeys, canonical
from moderation.legal.ports import LegalStore, LegalUnit
from moderation.staff.grant_seals import legal_officers_among

#: The outbox kind of the periodic signed head sent to every legal officer.
PERIODIC_HEAD_KIND: Final = "ledger_head"
#: The `bot_state` key of the last periodic head sent (seq, hash, when).
PERIODIC_HEAD_KEY: Final = "ledger_periodic_head"
_SIGNED_TIME: Final = "%Y%m%dT%H%M%SZ"
_SIGNED = re.compile(
    r"(?<![0-9A-Za-z:])(\d{1,12}):([0-9a-fA-F]{64}):(\d{8}T\d{6}Z):([A-Za-z0-9_-]{1,16}):"
    r"([0-9a-fA-F]{64})(?![0-9A-Za-z])"
)
_PLAIN = re.compile(r"(?<![0-9A-Za-z:])(\d{1,12}):([0-9a-fA-F]{64})(?![0-9A-Za-z])")


@dataclass(frozen=True, slots=True)
class GivenHead:
    """A ledger head from outside: `SEQ:HASH`, or signed by the bot (`signed_at`, `key_id`
    and `mac` set)."""

    seq: int
    entry_hash: str
    signed_at: str | None = None  # e.g. 20261207T100000Z
    key_id: str | None = None
    mac: str | None = None

    @property
    def signed(self) -> bool:
        return self.mac is not None

    def text(self) -> str:
        if self.mac is None:
            return f"{self.seq}:{self.entry_hash}"
        return f"{self.seq}:{self.entry_hash}:{self.signed_at}:{self.key_id}:{self.mac}"

    def describe(self) -> str:
        """How a report names it: short, without the MAC."""
        what = "the signed head" if self.signed else "the head"
        when = f" of {self.signed_at}" if self.signed_at else ""
        return f"{what} {self.seq}:{self.entry_hash[:12]}…{when}"


def _head_message(seq: int, entry_hash: str, at: str) -> bytes:
    """What a signed head's MAC is over."""
    return canonical(["ledger-head", seq, entry_hash.lower(), at])


def sign_head(keys: LedgerKeys, seq: int, entry_hash: str, now: datetime) -> GivenHead:
    at = now.astimezone(UTC).strftime(_SIGNED_TIME)
    mac = keys.sign(_head_message(seq, entry_hash, at))
    return GivenHead(seq, entry_hash.lower(), at, keys.current_id, mac)


def heads_in(text: str) -> list[GivenHead]:
    """Every head in `text`, in order, each once: signed ones, then plain `SEQ:HASH` outside
    them. The text may be a head, a pasted Telegram message or a file of either."""
    found: list[GivenHead] = []
    rest = text
    for match in _SIGNED.finditer(text):
        seq, digest, at, key_id, mac = match.groups()
        found.append(GivenHead(int(seq), digest.lower(), at, key_id, mac.lower()))
        rest = rest.replace(match.group(0), " ")
    found.extend(GivenHead(int(seq), digest.lower()) for seq, digest in _PLAIN.findall(rest))
    return list(dict.fromkeys(found))


def check_heads(
    keys: LedgerKeys, entries: Sequence[LedgerEntry], heads: Iterable[GivenHead]
) -> tuple[list[str], GivenHead | None]:
    """(problems, the newest head the ledger holds unchanged) of the ledger against heads from
    outside. A head beyond the ledger's end means it was cut; a signed head whose MAC does not
    verify was altered or not made by this bot, and proves nothing."""
    problems: list[str] = []
    proven: GivenHead | None = None
    by_seq = {entry.seq: entry for entry in entries}
    end = entries[-1].seq if entries else 0
    for head in heads:
        forged = _signature_problem(keys, head)
        if forged is not None:
            problems.append(forged)
            continue
        entry = by_seq.get(head.seq)
        if entry is None and head.seq > end:
            ends = f"ends at entry {end}" if end else "holds no entry"
            problems.append(
                f"{head.describe()} names entry {head.seq}, but the ledger {ends}: entries "
                f"after {end} were cut off its end (truncated)"
            )
        elif entry is None:
            problems.append(f"the head you gave, entry {head.seq}, is not in the ledger (cut?)")
        elif not hmac.compare_digest(entry.entry_hash, head.entry_hash):
            problems.append(
                f"entry {head.seq} is not the one whose hash you were given: the ledger was "
                "rewritten"
            )
        elif proven is None or head.seq > proven.seq:
            proven = head
    return problems, proven


def _signature_problem(keys: LedgerKeys, head: GivenHead) -> str | None:
    if head.mac is None or head.key_id is None or head.signed_at is None:
        return None
    message = _head_message(head.seq, head.entry_hash, head.signed_at)
    verifies = keys.verifies(head.key_id, message, head.mac)
    if verifies is None:
        return (
            f"{head.describe()} is signed with ledger key {head.key_id!r}, which is not "
            "configured (add it to LEDGER_PREVIOUS_KEYS)"
        )
    if not verifies:
        return (
            f"{head.describe()} does not verify under the ledger key: it was altered, or not "
            "made by this bot"
        )
    return None


# --- the periodic signed head ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodicHead:
    head: GivenHead
    officers: int  # how many legal officers it was queued for
    behind: int | None  # the previous periodic head's seq, when the ledger no longer holds it


@dataclass(frozen=True, slots=True)
class _Sent:
    seq: int
    entry_hash: str
    at: datetime


async def queue_periodic_head(
    store: LegalStore,
    keys: LedgerKeys,
    bootstrap_legal: frozenset[int],
    every: timedelta,
    now: datetime,
) -> PeriodicHead | None:
    """The ledger's head, signed, queued in the outbox for every legal officer (bootstrap, and
    granted by a grant whose seal verifies under `keys`), when the ledger moved since the last
    periodic head and `every` has passed since it; None when nothing is owed. One read when
    nothing is, which is nearly always."""
    async with store.reading() as uow:
        if not await _owed(uow, every, now):
            return None
    async with store.transaction() as uow:
        if not await _owed(uow, every, now):
            return None  # another instance sent it meanwhile
        entries = await uow.legal.ledger()
        last = entries[-1]
        sent = _sent(await uow.state.get(PERIODIC_HEAD_KEY))
        behind = None
        if sent is not None:
            kept = next((e for e in entries if e.seq == sent.seq), None)
            if kept is None or kept.entry_hash != sent.entry_hash:
                behind = sent.seq
        head = sign_head(keys, last.seq, last.entry_hash, now)
        grants = await uow.roles.grants()
        officers = sorted(legal_officers_among(keys, grants, bootstrap_legal))
        for officer_id in officers:
            await uow.outbox.add(
                dedupe_key=f"ledger-head:{head.seq}:{head.entry_hash[:16]}:{officer_id}",
                kind=PERIODIC_HEAD_KIND,
                chat_id=officer_id,
                payload={
                    "seq": head.seq,
                    "entry_hash": head.entry_hash,
                    "signed": head.text(),
                    "at": utc_text(now),
                    "behind": behind,
                },
                at=now,
                not_before=now,
            )
        await uow.state.put(
            PERIODIC_HEAD_KEY,
            json.dumps({"seq": head.seq, "entry_hash": head.entry_hash, "at": utc_text(now)}),
            now,
        )
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="legal.ledger_head_sent",
            subject_type="disclosure_ledger",
            subject_id=head.seq,
            details={
                "seq": head.seq,
                "entry_hash": head.entry_hash,
                "officers": len(officers),
                "behind": behind,
            },
        )
    return PeriodicHead(head, len(officers), behind)


async def _owed(uow: LegalUnit, every: timedelta, now: datetime) -> bool:
    last = await uow.legal.ledger_last()
    if last is None:
        return False
    sent = _sent(await uow.state.get(PERIODIC_HEAD_KEY))
    if sent is None:
        return True
    moved = (sent.seq, sent.entry_hash) != (last.seq, last.entry_hash)
    return moved and now - sent.at >= every


def _sent(text: str | None) -> _Sent | None:
    if text is None:
        return None
    data = json.loads(text)
    return _Sent(int(data["seq"]), str(data["entry_hash"]), datetime.fromisoformat(str(data["at"])))
