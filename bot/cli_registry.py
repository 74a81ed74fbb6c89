"""Registry commands of `report-bot`: keys (generate, rotate) and the search blocklist export.

Each prints its answer on stdout and problems on stderr as `report-bot: ...`; keys are only ever
printed by `keys generate`, which exists to print them.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

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
from moderation.legal.officers import Officer
from moderation.registry.metadata_import import ImportSummary, import_lines, read_lines
from moderation.registry.retention import purge_expired, set_legal_hold
from moderation.rekeying import Rotation, rotate_everything
from storage import StorageError, Store
from storage.crypto import DecryptionFailed, new_key_text, new_secret_text


def add_registry_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    keys = commands.add_parser(
        "keys",
        help="encryption keys for personal data: generate, rotate",
        description="Personal data (phone numbers, IP addresses) is encrypted under "
        "ENCRYPTION_KEY and found through a blind index under BLIND_INDEX_KEY.",
    )
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = key_commands.add_parser(
        "generate",
        help="print a new ENCRYPTION_KEY, BLIND_INDEX_KEY and LEDGER_KEY for .env",
        description="Print fresh random keys in the format the settings expect.",
    )
    generate.add_argument("--key-id", default="k1", help="id of the new encryption key")

    def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
        print(f"ENCRYPTION_KEY={new_key_text(args.key_id)}")
        print(f"BLIND_INDEX_KEY={new_secret_text()}")
        print(f"LEDGER_KEY={new_key_text('l1')}")
        return ok

    generate.set_defaults(handler=cmd_generate)

    rotate = key_commands.add_parser(
        "rotate",
        help="re-encrypt every stored value under the current keys; rebuild blind indexes",
        description="Put the new key in ENCRYPTION_KEY and the old one in "
        "ENCRYPTION_PREVIOUS_KEYS (likewise BLIND_INDEX_KEY as <new id>:<key> and the old one "
        "in BLIND_INDEX_PREVIOUS_KEYS), run this, then drop the old keys. Every sealed column "
        "is re-encrypted (observations, disclosures, request targets, order documents, "
        "journaled updates, legal drafts) and every index rebuilt, in batches: safe to re-run, "
        "and a run that was killed carries on where it stopped.",
    )

    def cmd_rotate(args: argparse.Namespace, settings: Settings) -> int:
        cipher = settings.cipher()

        async def work(store: Store) -> Rotation:
            return await rotate_everything(store, cipher, SystemClock().now())

        try:
            done = run_with_store(settings, work)
        except StorageError as exc:
            err(f"keys rotate: {exc}")
            return failed
        except DecryptionFailed as exc:
            err(
                f"keys rotate: {exc}; put the key that sealed it in ENCRYPTION_PREVIOUS_KEYS and "
                "run this again (what was done so far is kept)"
            )
            return failed
        print(
            f"re-encrypted {done.total - done.indexes} value(s) under key "
            f"{cipher.current_key_id} (observations {done.observations}, legal "
            f"{done.legal}, journal {done.journal}, drafts {done.drafts}); "
            f"re-indexed {done.indexes} under blind index key {cipher.current_index_key_id}"
        )
        return ok

    rotate.set_defaults(handler=cmd_rotate)

    metadata = commands.add_parser(
        "metadata",
        help="confirmed violators' metadata: import the platform's export",
        description="The registry keeps a metadata timeline for confirmed violators only.",
    )
    meta_commands = metadata.add_subparsers(
        dest="metadata_command", required=True, metavar="ACTION"
    )
    importer = meta_commands.add_parser(
        "import",
        help="read a JSON Lines export into the registry (idempotent)",
        description="One observation per line (schema in the README). Bad lines are reported "
        "with their number and skipped; observations of anyone who is not a confirmed "
        "violator are counted and dropped. Exit 1 when any line was bad.",
    )
    importer.add_argument("file", type=Path, metavar="FILE", help="the JSON Lines file")
    importer.add_argument(
        "--dry-run", action="store_true", help="validate and count; store nothing"
    )

    def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
        cipher = settings.cipher()
        path: Path = args.file
        if not path.is_file():  # also refuses a FIFO, which would block the read
            err(f"metadata import: {path} is not a regular file")
            return failed
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
                return await import_lines(
                    store,
                    cipher,
                    read_lines(stream, bar.update),
                    SystemClock().now(),
                    dry_run=args.dry_run,
                )

        try:
            summary = run_with_store(settings, work)
        except StorageError as exc:
            err(f"metadata import: {exc}")
            return failed
        except OSError as exc:
            err(
                f"metadata import: cannot read {path}: {exc.strerror or exc}; fix that and run "
                "the import again (it adds only what is missing)"
            )
            return failed
        for number, reason in summary.bad:
            err(f"{path.name}: line {number}: {reason}")
        if summary.bad_count > len(summary.bad):
            err(f"... and {summary.bad_count - len(summary.bad)} more bad lines")
        verb = "would add" if args.dry_run else "added"
        print(
            f"{summary.lines} lines: {verb} {summary.added}, already recorded "
            f"{summary.already_recorded}, not confirmed violators (dropped) "
            f"{summary.not_violators}, bad {summary.bad_count}"
            + (" (dry run: nothing stored)" if args.dry_run else "")
        )
        return failed if summary.bad_count else ok

    importer.set_defaults(handler=cmd_import)

    finder = commands.add_parser(
        "lookup",
        help="a confirmed violator, its cases and metadata, for a legal request (audit-logged)",
        description="Look a violator up by exactly one key, for an open legal request, as a "
        "registered legal officer. Phone numbers and IP addresses are shown only as sealed "
        "counts: they leave the registry only in the disclosure of an approved request "
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

    def cmd_lookup(args: argparse.Namespace, settings: Settings) -> int:
        cipher = settings.cipher()
        kind = next(k for k in LookupKind if getattr(args, k.value) is not None)

        async def work(store: Store) -> LookupResult:
            return await lookup(
                store,
                cipher,
                settings.legal_policy(),
                kind,
                getattr(args, kind.value),
                Officer(args.by, f"id {args.by} (command line)"),
                args.request,
                SystemClock().now(),
            )

        try:
            result = run_with_store(settings, work)
        except BadLookup as exc:
            err(f"lookup: {exc}")
            return usage
        except LookupRefused as exc:
            err(f"lookup: {exc}")
            return failed
        except StorageError as exc:
            err(f"lookup: {exc}")
            return failed
        if not result.files:
            print(f"no confirmed violator matches (logged for legal request #{result.request_id})")
        for record in result.files:
            print(render_file(record, result))
        return ok

    finder.set_defaults(handler=cmd_lookup)

    hold = commands.add_parser(
        "hold",
        help="set or clear a legal hold (keeps a violator's metadata past retention)",
        description="A legal hold exempts a violator's metadata from the retention purge.",
    )
    hold.add_argument("action", choices=("set", "clear"))
    hold.add_argument("--violator", type=int, required=True, metavar="ID")
    hold.add_argument("--reason", required=True, help="why: a legal request id or ticket")
    hold.add_argument("--by", default=None, help="who (default: the OS user)")

    def cmd_hold(args: argparse.Namespace, settings: Settings) -> int:
        async def work(store: Store) -> bool:
            return await set_legal_hold(
                store,
                args.violator,
                args.action == "set",
                args.by or os_user(),
                args.reason,
                SystemClock().now(),
            )

        try:
            changed = run_with_store(settings, work)
        except StorageError as exc:
            err(f"hold: {exc}")
            return failed
        if not changed:
            err(f"hold: there is no confirmed violator #{args.violator}")
            return failed
        state = "set" if args.action == "set" else "cleared"
        print(f"legal hold {state} on violator #{args.violator}")
        return ok

    hold.set_defaults(handler=cmd_hold)

    purge = commands.add_parser(
        "purge",
        help="purge metadata past REGISTRY_RETENTION_DAYS now (the bot also does it daily)",
        description="Delete the metadata of violators whose last confirmed case is older than "
        "REGISTRY_RETENTION_DAYS, except those under a legal hold.",
    )

    def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
        async def work(store: Store) -> int:
            return await purge_expired(
                store,
                timedelta(days=settings.registry_retention_days),
                SystemClock().now(),
            )

        try:
            purged = run_with_store(settings, work)
        except StorageError as exc:
            err(f"purge: {exc}")
            return failed
        print(f"purged {purged} observation(s) past {settings.registry_retention_days} days")
        return ok

    purge.set_defaults(handler=cmd_purge)

    blocklist = commands.add_parser(
        "blocklist",
        help="the targets hidden from search",
        description="What the platform's search must hide.",
    )
    block_commands = blocklist.add_subparsers(
        dest="blocklist_command", required=True, metavar="ACTION"
    )
    export = block_commands.add_parser(
        "export",
        help="print hidden targets as JSON Lines or CSV",
        description="One line per hidden target: key, kind, username, telegram id, post id, "
        "category, whether provisional, case id and when it was hidden.",
    )
    export.add_argument("--format", choices=("json", "csv"), default="json")

    def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
        async def work(store: Store) -> list[dict[str, Any]]:
            async with store.reading() as uow:
                return await uow.blocklist.entries()

        try:
            rows = run_with_store(settings, work)
        except StorageError as exc:
            err(f"blocklist export: {exc}")
            return failed
        if args.format == "json":
            for row in rows:
                print(json.dumps(row, ensure_ascii=False, sort_keys=True))
        else:
            writer = csv.DictWriter(sys.stdout, fieldnames=BLOCKLIST_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        return ok

    export.set_defaults(handler=cmd_export)


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
        f"  sealed: {record.in_period.phones} phone number(s), {record.in_period.ips} IP "
        f"address(es) in {first}..{last} ({record.all_time.phones} and {record.all_time.ips} "
        f"in all); shown only in the disclosure of approved request #{result.request_id}",
    ]
    return "\n".join(lines)


def os_user() -> str:
    """The OS user's name, or its uid where it has none (a container run with --user 4242)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # getpwuid() finds no entry for the uid
        return f"uid {os.getuid()}"
