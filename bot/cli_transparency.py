"""`report-bot transparency export`: one period's transparency report as CSV or JSON.

The report goes to stdout (or --out FILE); problems go to stderr as `report-bot: ...`. The
output holds counts only, never who: the same data gives the same bytes, so a published report
can be re-created and compared. --out is created 0600 like every file the bot writes: it is
for publishing, but only once someone decides to publish it.
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
from moderation.clock import SystemClock
from moderation.legal.transparency import (
    BadPeriod,
    TransparencyReport,
    build_report,
    period_or_default,
    to_csv,
    to_json,
)
from storage import StorageError, Store
from storage.files import write_private_file


def add_transparency_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    actions = add_group(
        commands,
        "transparency",
        dest="transparency_command",
        help="the transparency report: export a period as CSV or JSON",
        description="Legal requests per country and period: received, fulfilled, rejected "
        "and users whose data was disclosed, counted from the requests and the disclosure "
        "ledger (docs/due-process.md: Transparency report).",
    )
    export = add_command(
        actions,
        "export",
        export_report,
        Exits(ok, failed, usage, err),
        help="print (or write) one period's report",
        description="Periods: 2026Q3 (a quarter), 2026H1 (a half year), 2026 (a year); "
        "UTC, start inclusive, end exclusive. The JSON also has telegram_format, the shape "
        "of Telegram's own published reports.",
    )
    export.add_argument(
        "--period", default=None, help="e.g. 2026Q3 (default: the current quarter, to date)"
    )
    export.add_argument("--format", choices=("csv", "json"), default="json", help="default json")
    export.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="write here instead of stdout"
    )


def export_report(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    try:
        period = period_or_default(args.period, SystemClock().now())
    except BadPeriod as exc:
        exits.err(f"transparency export: --period {args.period}: {exc}")
        return exits.usage

    async def work(store: Store) -> TransparencyReport:
        return await build_report(store, period)

    try:
        report = run_with_store(settings, work)
    except StorageError as exc:
        exits.err(f"transparency export: {exc}")
        return exits.failed
    text = to_csv(report) if args.format == "csv" else to_json(report) + "\n"
    if report.ledger_head is not None:
        # The JSON carries it; for the CSV it goes beside the table. Publishing it pins the
        # ledger: `report-bot ledger verify --head SEQ:HASH` checks it later.
        seq, digest = report.ledger_head
        print(f"ledger head {seq}:{digest}", file=sys.stderr)
    out: Path | None = args.out
    if out is None:
        print(text, end="")
        return exits.ok
    try:
        write_private_file(out, text)
    except OSError as exc:
        exits.err(f"transparency export: cannot write {out}: {exc.strerror or exc}")
        return exits.failed
    print(
        f"transparency report {period.label} ({args.format}, "
        f"{len(report.countries)} countries) written to {out}"
    )
    return exits.ok
