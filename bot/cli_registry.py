"""Registry commands of `report-bot`: import the platform's metadata export, look a violator up
for a legal request, hold or purge metadata, export the search blocklist.

Each prints its answer on stdout and problems on stderr as `report-bot: ...`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.cli_kit import Exits, add_command, add_group, cli_officer
from bot.settings import Settings
from bot.stores import run_with_store
from moderation.clock import SystemClock
from moderation.legal.lookup import (
    BadLookup,
    LookupKind,
    LookupRefused,
    LookupResult,
    ViolatorFile,
    lookup,
)
from moderation.registry.metadata_import import ImportSummary, import_lines, read_lines
from moderation.registry.retention import BadHold, HoldRefused, purge_expired, set_legal_hold
from moderation.text import counted
from storage import StorageError, Store

BLOCKLIST_FIELDS = [
    "target_key",
    "kind",
    "username",
    "telegram_id",
    "post_id",
    "category",
    "provisional",
    "case_id",
    "hidden_at",
]


def add_registry_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    exits = Exits(ok, failed, usage, err)
    _add_import(commands, exits)
    _add_lookup(commands, exits)
    _add_hold(commands, exits)
    add_command(
        commands,
        "purge",
        purge,
        exits,
        help="purge metadata past REGISTRY_RETENTION_DAYS now (the bot also does it daily)",
        description="Delete the metadata of violators whose last confirmed case is older than "
        "REGISTRY_RETENTION_DAYS, except those under a legal hold.",
    )
    blocklist = add_group(
        commands,
        "blocklist",
        dest="blocklist_command",
        help="the targets hidden from search",
        description="What the platform's search must hide.",
    )
    export = add_command(
        blocklist,
        "export",
        export_blocklist,
        exits,
        help="print hidden targets as JSON Lines or CSV",
        description="One line per hidden target: key, kind, username, telegram id, post id, "
        "category, whether provisional, case id and when it was hidden.",
    )
    export.add_argument("--format", choices=("json", "csv"), default="json")


def _add_import(commands: Any, exits: Exits) -> None:
    metadata = add_group(
        commands,
        "metadata",
        dest="metadata_command",
        help="confirmed violators' metadata: import the platform's export",
        description="The registry keeps a metadata timeline for confirmed violators only.",
    )
    importer = add_command(
        metadata,
        "import",
        import_metadata,
        exits,
        help="read a JSON Lines export into the registry (idempotent)",
        description="One observation per line (schema in docs/registry.md). Bad lines are reported "
        "with their number and skipped; observations of anyone who is not a confirmed "
        "violator are counted and dropped. Exit 1 when any line was bad.",
    )
    importer.add_argument("file", type=Path, metavar="FILE", help="the JSON Lines file")
    importer.add_argument(
        "--dry-run", action="store_true", help="validate and count; store nothing"
    )


def import_metadata(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    cipher = settings.cipher()
    path: Path = args.file
    if not path.is_file():  # also refuses a FIFO, which would block the read
        exits.err(f"metadata import: {path} is not a regular file")
        return exits.failed
    total = path.stat().st_size

    async def work(store: Store) -> ImportSummary:
        # surrogateescape: a line that is not UTF-8 reaches the parser, which names it;
        # utf-8-sig: an export saved with a byte-order mark reads like one without.
        with (
            path.open(encoding="utf-8-sig", errors="surrogateescape") as stream,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc="importing",
                file=sys.stderr,
                disable=None,  # no bar when stderr is not a terminal
            ) as bar,
        ):
            lines = read_lines(stream, bar.update)
            now = SystemClock().now()
            return await import_lines(store, cipher, lines, now, dry_run=args.dry_run)

    try:
        summary = run_with_store(settings, work)
    except StorageError as exc:
        exits.err(f"metadata import: {exc}")
        return exits.failed
    except OSError as exc:
        exits.err(
            f"metadata import: cannot read {path}: {exc.strerror or exc}; fix that and run "
            "the import again (it adds only what is missing)"
        )
        return exits.failed
    _print_import(exits, path, summary, dry_run=args.dry_run)
    return exits.failed if summary.bad_count else exits.ok


def _print_import(exits: Exits, path: Path, summary: ImportSummary, *, dry_run: bool) -> None:
    for number, reason in summary.bad:
        exits.err(f"{path.name}: line {number}: {reason}")
    if summary.bad_count > len(summary.bad):
        exits.err(f"... and {summary.bad_count - len(summary.bad)} more bad lines")
    verb = "would add" if dry_run else "added"
    print(
        f"{summary.lines} lines: {verb} {summary.added}, already recorded "
        f"{summary.already_recorded}, not confirmed violators (dropped) "
        f"{summary.not_violators}, bad {summary.bad_count}"
        + (" (dry run: nothing stored)" if dry_run else "")
    )


def _add_lookup(commands: Any, exits: Exits) -> None:
    finder = add_command(
        commands,
        "lookup",
        look_up,
        exits,
        help="a confirmed violator, its cases and metadata, for a legal request (audit-logged)",
        description="Look a violator up by exactly one key, for an open legal request, as a "
        "registered legal officer. Only the violator the request names is found: any other "
        "value, known or not, gets the same 'no match' answer. Phone numbers and IP "
        "addresses are shown only as sealed counts: they leave the registry only in the "
        "disclosure of an approved request "
        "(report-bot legal disclose). Every lookup and refusal is audit-logged.",
    )
    keys_group = finder.add_mutually_exclusive_group(required=True)
    for kind in LookupKind:
        keys_group.add_argument(
            f"--{kind.value.replace('_', '-')}", dest=kind.value, metavar="VALUE"
        )
    finder.add_argument(
        "--request", type=int, required=True, metavar="ID", help="the open legal request's id"
    )
    finder.add_argument(
        "--by", type=int, required=True, metavar="ID", help="your Telegram id (a legal officer)"
    )


def look_up(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    cipher = settings.cipher()
    kind = next(k for k in LookupKind if getattr(args, k.value) is not None)

    async def work(store: Store) -> LookupResult:
        return await lookup(
            store,
            cipher,
            settings.legal_policy(),
            kind,
            getattr(args, kind.value),
            cli_officer(args.by),
            args.request,
            SystemClock().now(),
        )

    try:
        result = run_with_store(settings, work)
    except BadLookup as exc:
        exits.err(f"lookup: {exc}")
        return exits.usage
    except (LookupRefused, StorageError) as exc:
        exits.err(f"lookup: {exc}")
        return exits.failed
    if not result.files:
        print(
            f"no match for the subject of legal request #{result.request_id}: a lookup "
            "answers only for the violator the request names (logged)"
        )
    for record in result.files:
        print(render_file(record, result))
    return exits.ok


def render_file(record: ViolatorFile, result: LookupResult) -> str:
    violator = record.violator
    target = violator.target
    name = f"@{target.username}" if target.username else (target.title or "")
    first, last = result.period
    lines = [
        f"violator #{violator.id}: {target.kind.value} {name} telegram id "
        f"{target.chat_id if target.chat_id is not None else 'unknown'} · {violator.category}"
        + (" · LEGAL HOLD" if violator.legal_hold else ""),
        "  cases:",
        *(
            f"    #{case.case_id} {case.category} confirmed by {case.confirmed_by} at "
            f"{case.confirmed_at:%Y-%m-%d %H:%M} UTC"
            for case in record.cases
        ),
        "  timeline:" if record.timeline else "  timeline: (none)",
        *(
            f"    {item.observed_at:%Y-%m-%d %H:%M} UTC {item.kind.value:<12} {item.value} "
            f"({item.source.value}, recorded {item.recorded_at:%Y-%m-%d})"
            for item in record.timeline
        ),
        f"  sealed: {counted(record.in_period.phones, 'phone number')}, "
        f"{counted(record.in_period.ips, 'IP address', 'IP addresses')} in {first}..{last} "
        f"({record.all_time.phones} and {record.all_time.ips} "
        f"in all); shown only in the disclosure of approved request #{result.request_id}",
    ]
    return "\n".join(lines)


def _add_hold(commands: Any, exits: Exits) -> None:
    hold = add_command(
        commands,
        "hold",
        legal_hold,
        exits,
        help="set or clear a legal hold (keeps a violator's metadata past retention)",
        description="A legal hold exempts a violator's metadata from the retention purge. "
        "Like the legal commands, --by names the person acting, checked against the roles "
        "(a legal officer or an admin, from the settings or a grant made in the bot); setting, "
        "clearing and a refusal are audit-logged.",
    )
    hold.add_argument("action", choices=("set", "clear"))
    hold.add_argument("--violator", type=int, required=True, metavar="ID")
    hold.add_argument(
        "--reason",
        default=None,
        help="why: a legal request id or ticket (required to set; recorded when clearing)",
    )
    hold.add_argument(
        "--by",
        type=int,
        required=True,
        metavar="ID",
        help="your Telegram id (a legal officer or an admin)",
    )


def legal_hold(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    setting = args.action == "set"
    if setting and not (args.reason or "").strip():
        exits.err("hold set: --reason is required: say why, e.g. a legal request id or ticket")
        return exits.usage

    async def work(store: Store) -> bool:
        return await set_legal_hold(
            store,
            settings.legal_policy(),
            args.violator,
            setting,
            cli_officer(args.by),
            args.reason,
            SystemClock().now(),
        )

    try:
        changed = run_with_store(settings, work)
    except BadHold as exc:
        exits.err(f"hold {args.action}: {exc}")
        return exits.usage
    except (HoldRefused, StorageError) as exc:
        exits.err(f"hold {args.action}: {exc}")
        return exits.failed
    if not changed:
        exits.err(f"hold {args.action}: there is no confirmed violator #{args.violator}")
        return exits.failed
    state = "set" if setting else "cleared"
    print(f"legal hold {state} on violator #{args.violator}")
    return exits.ok


def purge(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    days = settings.registry_retention_days

    async def work(store: Store) -> int:
        return await purge_expired(store, timedelta(days=days), SystemClock().now())

    try:
        purged = run_with_store(settings, work)
    except StorageError as exc:
        exits.err(f"purge: {exc}")
        return exits.failed
    print(f"purged {counted(purged, 'observation')} past {days} days")
    return exits.ok


def export_blocklist(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> list[dict[str, Any]]:
        async with store.reading() as uow:
            return await uow.blocklist.entries()

    try:
        rows = run_with_store(settings, work)
    except StorageError as exc:
        exits.err(f"blocklist export: {exc}")
        return exits.failed
    if args.format == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, sort_keys=True))
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=BLOCKLIST_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return exits.ok
