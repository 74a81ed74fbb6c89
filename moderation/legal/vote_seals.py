"""Sealed votes: what makes an approval evidence that only its officer, through the bot, gave.

A vote is sealed, when it is cast, with an HMAC-SHA256 under LEDGER_KEY (its key id kept with
it, so after a rotation LEDGER_PREVIOUS_KEYS keeps old seals verifiable) over a canonical JSON
of the request as the officer decided on it: its id, the decision (and a rejection's reason),
the confirmed violator it names, its order (authority, country, reference, type, issue date,
offence, registrar), its target, its period, the order document's SHA-256, a hash of its
analysis (the written analysis, the checks' results, an override's reason), the officer and
the vote's time. A phone or IP target enters only as an index keyed like the seal (an HMAC of
the opened value under the same LEDGER_KEY): never in clear, and, unlike the registry's blind
index, unchanged by a BLIND_INDEX_KEY rotation; a username or Telegram id enters as its
normalised value.

Someone who can write the database but lacks the key can therefore neither forge a vote,
move one to another request, nor change the request under it (re-point its violator, target,
period or document): the seal stops verifying. A disclosure counts only votes whose seal
verifies against the request as it stands (`seal_problem`), and its ledger entry records the
seals it counted (`votes_record`), which `ledger verify` checks again (vote_check.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from moderation.clock import utc_text
from moderation.legal.ledger import LedgerKeys, canonical
from moderation.legal.types import LegalRequest, Target, Vote

#: The domain tags that keep a vote's seal apart from every other MAC under LEDGER_KEY.
VOTE_TAG: Final = "legal-vote"
TARGET_TAG: Final = "legal-vote-target"
#: The version of the ledger's record of the votes a disclosure counted.
RECORD_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class VoteSeal:
    key_id: str  # the LEDGER_KEY that made it
    seal: str  # HMAC-SHA256, hex


@dataclass(frozen=True, slots=True)
class RecordedVote:
    """A counted vote as the ledger entry of its disclosure names it."""

    vote_id: int
    officer_id: int
    key_id: str
    seal: str


@dataclass(frozen=True, slots=True)
class VotesRecord:
    """What a disclosure's ledger entry records of the votes it counted, and the rule they
    were counted under (so a later change of LEGAL_APPROVALS does not reopen old entries)."""

    needed: int
    registrar_counts: bool
    votes: tuple[RecordedVote, ...]


def analysis_sha256(request: LegalRequest) -> str:
    """The hash of what the officers approved as the analysis: the written analysis, every
    check's result and an admin's override reason."""
    analysed = {
        "analysis": request.analysis,
        "checks": [check.to_json() for check in request.checks],
        "override": request.override_reason,
    }
    return hashlib.sha256(canonical(analysed)).hexdigest()


def _target(keys: LedgerKeys, key_id: str, target: Target) -> dict[str, str] | None:
    if not target.kind.personal:
        return {"kind": target.kind.value, "value": target.value}
    if not target.value:
        raise ValueError("a vote is sealed over the opened request (its target is still sealed)")
    index = keys.mac(key_id, canonical([TARGET_TAG, target.kind.value, target.value]))
    return None if index is None else {"kind": target.kind.value, "index": index}


def vote_message(
    keys: LedgerKeys,
    key_id: str,
    request: LegalRequest,
    officer_id: int,
    approve: bool,
    reason: str | None,
    at: datetime,
) -> bytes | None:
    """What a vote's seal covers (`request` opened); None when `key_id` is not configured."""
    target = _target(keys, key_id, request.form.target)
    if target is None:
        return None
    form = request.form
    body: dict[str, Any] = {
        "request": request.id,
        "decision": "approve" if approve else "reject",
        "reason": reason,
        "violator": request.violator_id,
        "order": {
            "authority": form.authority,
            "country": form.country,
            "reference": form.reference,
            "order_type": form.order_type.value,
            "issued_on": form.issued_on.isoformat(),
            "offence": form.offence,
            "registered_by": request.registered_by,
        },
        "target": target,
        "period": [form.period_start.isoformat(), form.period_end.isoformat()],
        "document_sha256": request.document_sha256,
        "analysis_sha256": analysis_sha256(request),
        "officer": officer_id,
        "at": utc_text(at),
    }
    return canonical([VOTE_TAG, body])


def seal_vote(
    keys: LedgerKeys,
    request: LegalRequest,
    officer_id: int,
    approve: bool,
    reason: str | None,
    at: datetime,
) -> VoteSeal:
    """The seal of a vote cast now, under the current LEDGER_KEY (`request` opened)."""
    message = vote_message(keys, keys.current_id, request, officer_id, approve, reason, at)
    assert message is not None  # the current key is always configured
    return VoteSeal(keys.current_id, keys.sign(message))


def seal_problem(keys: LedgerKeys, request: LegalRequest, vote: Vote) -> str | None:
    """Why `vote` does not stand as a vote on `request` as it is now (opened); None: its seal
    verifies."""
    who = f"the {'approval' if vote.approve else 'rejection'} of officer {vote.officer_id}"
    if vote.seal is None or vote.seal_key_id is None:
        return (
            f"{who} carries no seal (given before votes were sealed, or written outside the "
            "bot) and does not count"
        )
    message = vote_message(
        keys, vote.seal_key_id, request, vote.officer_id, vote.approve, vote.reason, vote.at
    )
    verifies = None if message is None else keys.verifies(vote.seal_key_id, message, vote.seal)
    if verifies is None:
        return (
            f"{who} is sealed with ledger key {vote.seal_key_id!r}, which is not configured "
            "(add it to LEDGER_PREVIOUS_KEYS)"
        )
    if not verifies:
        return (
            f"{who} does not match request #{request.id} as it stands: the request was changed "
            "after it was approved, or the vote was written outside the bot"
        )
    return None


# --- the ledger's record of the counted votes -----------------------------------------------


def votes_record(votes: Sequence[Vote], needed: int, registrar_counts: bool) -> str:
    """The canonical JSON text a disclosure's ledger entry keeps (and its hash covers)."""
    recorded = []
    for vote in sorted(votes, key=lambda v: v.id):
        # Only sealed votes are counted.
        assert vote.seal is not None
        assert vote.seal_key_id is not None
        recorded.append(
            {
                "id": vote.id,
                "officer": vote.officer_id,
                "key_id": vote.seal_key_id,
                "seal": vote.seal,
            }
        )
    body = {
        "v": RECORD_VERSION,
        "needed": needed,
        "registrar_counts": registrar_counts,
        "votes": recorded,
    }
    return canonical(body).decode()


def read_votes_record(text: str) -> VotesRecord:
    """The record as a ledger entry keeps it; ValueError when it is not one."""
    try:
        data = json.loads(text)
        votes = tuple(
            RecordedVote(int(v["id"]), int(v["officer"]), str(v["key_id"]), str(v["seal"]))
            for v in data["votes"]
        )
        return VotesRecord(int(data["needed"]), bool(data["registrar_counts"]), votes)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("the record of the votes is not one the bot writes") from exc
