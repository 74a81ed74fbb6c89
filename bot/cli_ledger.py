"""`report-bot ledger verify`: check the disclosure ledger, its checkpoints and every disclosure.

The answer (intact or not, and against what) goes to stdout; each problem and note to stderr
as `report-bot: ledger verify: ...`. Exit 1 on any problem, 2 on a malformed --head.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bot.cli_kit import Exits, add_command, add_group
from bot.settings import Settings
from bot.stores import run_with_store
from moderation.legal.ledger import parse_head
from moderation.legal.ledger_check import LedgerReport, verify_ledger
from storage import StorageError, Store


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
        "a changed disclosure.",
    )
    verify.add_argument(
        "--head",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="an entry hash a legal officer was told in Telegram (or a transparency export "
        "printed); repeat for several",
    )
    verify.add_argument(
        "--without-anchors",
        action="store_true",
        help="check the chain and the content only, not the checkpoint file (for a copy of "
        "the database examined without its checkpoints; says so in its answer)",
    )


def check_ledger(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    try:
        heads = tuple(parse_head(text) for text in args.head)
    except ValueError as exc:
        exits.err(f"ledger verify: --head: {exc}")
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
            f"ledger: {report.entries} entries, {len(report.problems)} problem(s): "
            f"NOT intact ({scope})"
        )
        return exits.failed
    print(f"ledger: {report.entries} entries, intact ({scope}){head}")
    return exits.ok
