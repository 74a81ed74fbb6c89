"""What `report-bot db copy` checks with the keys, on both sides, before the copy commits.

With LEDGER_KEY: the ledger verification `report-bot ledger verify` runs (with the registry
keys also the content cross-check against every kept disclosure), on the copy and on the
source; a problem only the copy has fails the copy, one the source had already is a warning
(the copy is faithful; the problem is the source's). With ENCRYPTION_KEY and BLIND_INDEX_KEY:
a sample of sealed observations (spread over their ids) and of disclosures is opened through
the repositories on both sides and compared in memory. Values are never printed: a line names
the table and the row.
"""

from __future__ import annotations

from typing import Final

from moderation.legal.ledger import Ledger
from moderation.legal.ledger_check import LedgerReport, ledger_problems, verify_ledger
from moderation.registry.violators import SealedObservation, Sealer, opened
from moderation.sealing import disclosure_context
from storage.copy import CheckOutcome, Snapshot
from storage.sql import fetch_all, fetch_value

SAMPLE: Final = 25


async def check_copy(
    source: Snapshot,
    target: Snapshot,
    *,
    sealer: Sealer | None,
    ledger: Ledger | None,
    sample: int = SAMPLE,
) -> CheckOutcome:
    outcome = CheckOutcome()
    if ledger is not None:
        await _check_ledger(source, target, sealer, ledger, outcome)
    else:
        outcome.warnings.append(
            "LEDGER_KEY is not set: the ledger's chain was compared entry by entry, not "
            "verified under its key"
        )
    if sealer is not None:
        await _check_observations(source, target, sealer, sample, outcome)
        await _check_disclosures(source, target, sealer, sample, outcome)
    else:
        outcome.warnings.append(
            "ENCRYPTION_KEY and BLIND_INDEX_KEY are not both set: no sealed value was opened "
            "(the ciphertexts were compared byte for byte)"
        )
    return outcome


async def _check_ledger(
    source: Snapshot, target: Snapshot, sealer: Sealer | None, ledger: Ledger, out: CheckOutcome
) -> None:
    if sealer is not None:
        copied = await verify_ledger(target, sealer, ledger)
        before = await verify_ledger(source, sealer, ledger)
        what = "chain, checkpoints and disclosed content"
    else:
        copied = await _chain_only(target, ledger)
        before = await _chain_only(source, ledger)
        what = "chain and checkpoints (no registry keys: content not cross-checked)"
    new = [p for p in copied.problems if p not in before.problems]
    out.problems.extend(f"ledger verify on the copy: {problem}" for problem in new)
    out.warnings.extend(
        f"ledger verify: already in the source: {problem}"
        for problem in copied.problems
        if problem in before.problems
    )
    if not copied.problems:
        head = f", head {copied.head[0]}:{copied.head[1]}" if copied.head else ""
        out.passed.append(
            f"ledger verify on the copy: {copied.entries} entries intact ({what}, against "
            f"{ledger.anchor.where}){head}"
        )


async def _chain_only(side: Snapshot, ledger: Ledger) -> LedgerReport:
    async with side.reading() as uow:
        entries = await uow.legal.ledger()
        problems, notes = await ledger_problems(uow, ledger, entries)
    return LedgerReport.of(entries, problems, notes, anchored=True)


async def _legacy(side: Snapshot, table: str) -> set[int]:
    """Rows still sealed the old way (opened only by the bot's re-sealing, not here)."""
    rows = await fetch_all(
        side.conn, "SELECT row_id FROM sealed_before_binding WHERE table_name = ?", (table,)
    )
    return {int(row["row_id"]) for row in rows}


async def _sampled_ids(side: Snapshot, sample: int, legacy: set[int]) -> list[int]:
    """Up to `sample` sealed observations, spread from the first id to the last."""
    low = await fetch_value(
        side.conn, "SELECT min(id) FROM observations WHERE ciphertext IS NOT NULL"
    )
    high = await fetch_value(
        side.conn, "SELECT max(id) FROM observations WHERE ciphertext IS NOT NULL"
    )
    if low is None or high is None:
        return []
    step = max(1, (int(high) - int(low)) // max(1, sample - 1))
    found: list[int] = []
    for start in range(int(low), int(high) + 1, step):
        row_id = await fetch_value(
            side.conn,
            "SELECT min(id) FROM observations WHERE ciphertext IS NOT NULL AND id >= ?",
            (start,),
        )
        if row_id is not None and int(row_id) not in legacy and int(row_id) not in found:
            found.append(int(row_id))
        if len(found) >= sample:
            break
    return found


async def _observation(side: Snapshot, row_id: int) -> SealedObservation | None:
    violator = await fetch_value(
        side.conn, "SELECT violator_id FROM observations WHERE id = ?", (row_id,)
    )
    if violator is None:
        return None
    async with side.reading() as uow:
        timeline = await uow.registry.timeline(int(violator))
    return next((row for row in timeline if row.id == row_id), None)


async def _check_observations(
    source: Snapshot, target: Snapshot, sealer: Sealer, sample: int, out: CheckOutcome
) -> None:
    ids = await _sampled_ids(source, sample, await _legacy(source, "observations"))
    opened_here = 0
    for row_id in ids:
        before = await _observation(source, row_id)
        after = await _observation(target, row_id)
        if before is None:
            continue
        try:
            expected = opened(sealer, before)
        except Exception:  # a value the source cannot open either: not the copy's doing
            out.warnings.append(
                f"observation {row_id} does not open in the source either (its key missing?)"
            )
            continue
        if after is None:
            out.problems.append(f"observation {row_id} is missing from the copy")
            continue
        try:
            copied = opened(sealer, after)
        except Exception:
            out.problems.append(f"observation {row_id} does not open on the copy")
            continue
        if copied != expected:
            out.problems.append(f"observation {row_id} opens to another value on the copy")
            continue
        opened_here += 1
    if ids:
        out.passed.append(
            f"sealed observations: {opened_here} of a sample of {len(ids)} opened on the copy, "
            "equal to the source"
        )


async def _check_disclosures(
    source: Snapshot, target: Snapshot, sealer: Sealer, sample: int, out: CheckOutcome
) -> None:
    legacy = await _legacy(source, "disclosures")
    async with source.reading() as uow:
        kept = [d for d in await uow.legal.disclosures() if d.request_id not in legacy]
    async with target.reading() as uow:
        copied = {d.request_id: d for d in await uow.legal.disclosures()}
    step = max(1, len(kept) // max(1, sample))
    chosen = kept[::step][:sample]
    opened_here = 0
    for disclosure in chosen:
        context = disclosure_context(disclosure.request_id)
        try:
            expected = sealer.decrypt(disclosure.key_id, disclosure.ciphertext, context)
        except Exception:
            out.warnings.append(
                f"the disclosure of request {disclosure.request_id} does not open in the "
                "source either"
            )
            continue
        twin = copied.get(disclosure.request_id)
        if twin is None:
            out.problems.append(f"the disclosure of request {disclosure.request_id} is missing")
            continue
        try:
            value = sealer.decrypt(twin.key_id, twin.ciphertext, context)
        except Exception:
            out.problems.append(
                f"the disclosure of request {disclosure.request_id} does not open on the copy"
            )
            continue
        if value != expected or twin != disclosure:
            out.problems.append(
                f"the disclosure of request {disclosure.request_id} differs on the copy"
            )
            continue
        opened_here += 1
    if chosen:
        out.passed.append(
            f"disclosures: {opened_here} of a sample of {len(chosen)} opened on the copy, "
            "equal to the source"
        )
