"""`report-bot ledger verify`: check the disclosure ledger, its checkpoints and every disclosure.

The answer (intact or not, against what, and how far its tail is proven) goes to stdout; each
problem and note to stderr as `report-bot: ledger verify: ...`. Exit 1 on any problem, 2 on a
--head or --heads that holds no head (or a file that cannot be read).

The checkpoint file is on the bot's own host: without a head from outside, entries after the
newest head the operator holds could have been cut without trace, and the answer says so. Heads
come as `--head` (repeated; `SEQ:HASH`, a signed head, or a pasted Telegram message) and
`--heads FILE` (`-` for stdin), each searched for every head it holds
(moderation/legal/ledger_heads.py: heads_in).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli_kit import Exits, add_command, add_group
from bot.settings import Settings
from bot.stores import run_with_store
from moderation.legal.ledger_check import LedgerReport, verify_ledger
from moderation.legal.ledger_heads import GivenHead, heads_in
from moderation.text import counted
from storage import StorageError, Store

#: What to do when no head from outside was given (printed by `ledger verify`).
GIVE_A_HEAD = "give the newest head you received with --head SEQ:HASH or --heads FILE"


def add_ledger_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    actions = add_group(
        commands,
        "ledger",
        dest="ledger_command",
        help="the disclosure ledger: verify it",
        description="Every time phone numbers or IP addresses left the registry is an entry "
        "keyed under LEDGER_KEY, chained to the one before it and checkpointed in "
        "LEDGER_ANCHOR_DIR, outside the database.",
    )
    verify = add_command(
        actions,
        "verify",
        check_ledger,
        Exits(ok, failed, usage, err),
        help="check the chain, its checkpoints and every disclosure; exit 1 on any change",
        description="Detects a changed, inserted, deleted or reordered entry, a ledger cut at "
        "its end or re-chained (against the checkpoint file and the heads you give), an entry "
        "whose country, violator, request or period differs from the disclosed content, and "
        "a changed disclosure. The checkpoint file is on the bot's own host: the tail is "
        "proven only up to the newest head you give from outside (the legal officers' "
        "Telegram messages).",
    )
    verify.add_argument(
        "--head",
        action="append",
        default=[],
        metavar="HEAD",
        help="a head a legal officer received in Telegram: SEQ:HASH, the bot's signed head "
        "(SEQ:HASH:WHEN:KEY:MAC), or the whole message pasted (every head in it is checked); "
        "repeat for several",
    )
    verify.add_argument(
        "--heads",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="a file of heads or pasted messages, any layout (every head in it is checked); "
        "- reads standard input",
    )
    verify.add_argument(
        "--without-anchors",
        action="store_true",
        help="check the chain and the content only, not the checkpoint file (for a copy of "
        "the database examined without its checkpoints; says so in its answer)",
    )


def check_ledger(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    heads = _given_heads(exits, args.head, args.heads)
    if heads is None:
        return exits.usage
    cipher, ledger_keys = settings.cipher(), settings.ledger()
    with_anchors = not args.without_anchors

    async def work(store: Store) -> LedgerReport:
        return await verify_ledger(
            store, cipher, ledger_keys, with_anchors=with_anchors, heads=heads
        )

    try:
        report = run_with_store(settings, work)
    except StorageError as exc:
        exits.err(f"ledger verify: {exc}")
        return exits.failed
    for problem in report.problems:
        exits.err(f"ledger verify: {problem}")
    for note in report.notes:
        exits.err(f"ledger verify: note: {note}")
    scope = (
        f"checked against {ledger_keys.anchor.where}"
        if report.anchored
        else "NOT checked against the checkpoint file"
    )
    head = f"; head {report.head[0]}:{report.head[1]}" if report.head else ""
    if report.problems:
        print(
            f"ledger: {counted(report.entries, 'entry', 'entries')}, "
            f"{counted(len(report.problems), 'problem')}: NOT intact ({scope})"
        )
    else:
        print(f"ledger: {counted(report.entries, 'entry', 'entries')}, intact ({scope}){head}")
    print(_tail(report))
    return exits.failed if report.problems else exits.ok


def _given_heads(exits: Exits, texts: list[str], files: list[Path]) -> list[GivenHead] | None:
    """Every head in the --head texts and --heads files, in order; None (said why) when one
    holds none or a file cannot be read."""
    heads: list[GivenHead] = []
    for text in texts:
        found = heads_in(text)
        if not found:
            exits.err(
                "ledger verify: --head: no head in it; write the head as SEQ:HASH, e.g. "
                "12:3f9a… (64 hex digits), or paste the officer's whole message"
            )
            return None
        heads.extend(found)
    for file in files:
        name = "standard input" if str(file) == "-" else str(file)
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(errors="replace")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not text"
            exits.err(f"ledger verify: --heads: cannot read {name} ({reason})")
            return None
        found = heads_in(text)
        if not found:
            exits.err(
                f"ledger verify: --heads: {name} holds no head (SEQ:HASH, or the bot's signed "
                "head); put the officers' messages in it as they received them"
            )
            return None
        heads.extend(found)
    return list(dict.fromkeys(heads))


def _tail(report: LedgerReport) -> str:
    """How far the ledger's tail is proven, said plainly."""
    checkpoint = (
        f"the newest checkpoint names entry {report.newest_checkpoint}"
        if report.newest_checkpoint is not None
        else "no checkpoint was checked"
    )
    if report.proven is not None:
        after = (
            f"; entries after {report.proven.seq} rest on the checkpoint file on this host "
            "alone (a newer head would prove them)"
            if report.head is not None and report.head[0] > report.proven.seq
            else ""
        )
        return (
            f"tail: proven up to entry {report.proven.seq} by {report.proven.describe()} "
            f"({counted(report.heads_given, 'head')} from outside checked; {checkpoint}){after}"
        )
    if report.heads_given:
        return (
            f"tail: NOT proven: none of the {counted(report.heads_given, 'head')} you gave "
            f"matched the ledger ({checkpoint})"
        )
    where = (
        f"only as far as the checkpoint file on this host ({checkpoint})"
        if report.newest_checkpoint is not None
        else f"by nothing from outside ({checkpoint})"
    )
    return (
        f"tail: proven {where}, no head from outside given: entries after the last head you "
        f"hold could have been cut without trace; {GIVE_A_HEAD}"
    )
