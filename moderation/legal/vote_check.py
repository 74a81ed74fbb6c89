"""`ledger verify`'s check of the votes behind every disclosure.

A disclosure's ledger entry records the seals of the votes it counted (vote_seals.py), under the
entry's keyed hash. For each such entry the votes must still be there, on that request, as
approvals, with the same seals, each verifying against the request as it is stored now, and
from at least as many distinct officers as the rule the entry records asked for. So a request
re-pointed after its disclosure (another violator, target, period or document), a vote moved to
another request, or a vote forged in the database is named, entry by entry.
"""

from __future__ import annotations

import hmac
from typing import Final

from moderation.legal.ledger import EntryKind, LedgerEntry, LedgerKeys
from moderation.legal.ports import LegalRequestRecords
from moderation.legal.sealed_parts import opened_request
from moderation.legal.types import LegalRefused, LegalRequest
from moderation.legal.vote_seals import VotesRecord, read_votes_record, seal_problem
from moderation.registry.violators import Sealer
from moderation.text import counted

#: Four eyes: no disclosure stands on fewer approvals, whatever its entry says was needed
#: (LEGAL_APPROVALS is at least 2).
FOUR_EYES: Final = 2


async def vote_problems(
    records: LegalRequestRecords, sealer: Sealer, keys: LedgerKeys, entries: list[LedgerEntry]
) -> list[str]:
    """Every problem with the votes behind the disclosures in `entries`, each naming its entry."""
    problems: list[str] = []
    recorded_seen = False
    for entry in entries:
        if entry.kind is not EntryKind.DISCLOSURE:
            continue
        if entry.votes is None:
            if recorded_seen:
                problems.append(
                    f"entry {entry.seq} (request {entry.request_id}) records no votes, though "
                    "the disclosures before it do: it was written outside the bot"
                )
            continue
        recorded_seen = True
        try:
            record = read_votes_record(entry.votes)
        except ValueError as exc:
            problems.append(f"entry {entry.seq}: {exc}")
            continue
        stored = await records.request(entry.request_id)
        if stored is None:
            problems.append(f"entry {entry.seq}: request {entry.request_id} is missing")
            continue
        try:
            request = opened_request(sealer, stored)
        except LegalRefused as exc:
            problems.append(f"entry {entry.seq}: {exc}")
            continue
        problems.extend(
            f"entry {entry.seq} (request {entry.request_id}): {problem}"
            for problem in _entry_problems(keys, entry, record, request)
        )
    return problems


def _entry_problems(
    keys: LedgerKeys, entry: LedgerEntry, record: VotesRecord, request: LegalRequest
) -> list[str]:
    form = request.form
    differs = {
        "violator": (entry.violator_id, request.violator_id),
        "country": (entry.country, form.country),
        "period start": (entry.period_start, form.period_start.isoformat()),
        "period end": (entry.period_end, form.period_end.isoformat()),
    }
    changed = "".join(
        f"; its {what} is {now} now, {in_ledger} in the ledger"
        for what, (in_ledger, now) in differs.items()
        if in_ledger != now
    )
    problems: list[str] = []
    rows = {vote.id: vote for vote in request.votes}
    officers: set[int] = set()
    for recorded in record.votes:
        vote = rows.get(recorded.vote_id)
        if vote is None:
            problems.append(
                f"vote {recorded.vote_id} (officer {recorded.officer_id}) is not a vote on this "
                "request (deleted, or moved to another request)"
            )
            continue
        if vote.officer_id != recorded.officer_id or not vote.approve:
            problems.append(
                f"vote {vote.id} is now {'an approval' if vote.approve else 'a rejection'} "
                f"of officer {vote.officer_id}, not the approval of officer "
                f"{recorded.officer_id} the disclosure counted"
            )
            continue
        if (
            vote.seal is None
            or vote.seal_key_id != recorded.key_id
            or not hmac.compare_digest(vote.seal, recorded.seal)
        ):
            problems.append(
                f"the seal of vote {vote.id} (officer {vote.officer_id}) differs from the one "
                "the disclosure counted"
            )
            continue
        problem = seal_problem(keys, request, vote)
        if problem is not None:
            problems.append(problem + changed)
            continue
        if not record.registrar_counts and vote.officer_id == request.registered_by:
            problems.append(
                f"the approval of officer {vote.officer_id} was counted though they registered "
                "the request"
            )
            continue
        officers.add(vote.officer_id)
    needed = max(record.needed, FOUR_EYES)
    if len(officers) < needed:
        problems.append(
            f"it holds {counted(len(officers), 'verified approval')} from distinct officers, "
            f"of the {needed} it needed"
        )
    return problems
