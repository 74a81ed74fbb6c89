"""Legal commands of `report-bot`: register a request from a JSON file, list open requests,
verify the disclosure ledger.

`legal add` is the batch twin of the guided /legal new conversation: the same validation, the
same checklist, the same audit entry; the registering officer is named with --by and must be a
legal officer.
"""

from __future__ import annotations

import argparse
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli_legal_officer import add_officer_commands, cli_officer
from bot.settings import Settings
from bot.stores import run_with_store
from moderation.bounded_json import BadJson, parse
from moderation.clock import SystemClock
from moderation.legal.form import (
    DOCUMENT_MAX_BYTES,
    REQUEST_FILE_MAX_BYTES,
    REQUEST_MAX_DEPTH,
    FieldProblem,
    check_document,
    form_from,
)
from moderation.legal.ledger import parse_head
from moderation.legal.ledger_check import LedgerReport, verify_ledger
from moderation.legal.lifecycle import open_requests, register
from moderation.legal.types import LegalRefused, LegalRequest, OrderDocument
from storage import StorageError, Store
from storage.files import UnsafeFile, read_file_inside, read_regular_file


def add_legal_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    legal = commands.add_parser(
        "legal",
        help="legal requests: add one from a JSON file, list open ones",
        description="Court orders and other legal requests (README: Legal requests).",
    )
    legal_commands = legal.add_subparsers(dest="legal_command", required=True, metavar="ACTION")
    add = legal_commands.add_parser(
        "add",
        help="register a legal request from a JSON file",
        description="Keys: authority, country, reference, order_type, issued_on, offence, "
        "target, period (or period_start and period_end), document (a path, relative to "
        "the JSON file). Every problem is listed; nothing is stored unless all are fixed.",
    )
    add.add_argument("file", type=Path, metavar="FILE.json")
    add.add_argument("--by", type=int, required=True, help="the registering legal officer's id")

    def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
        path: Path = args.file
        try:
            values = read_request_file(path)
        except UnsafeFile as exc:
            err(f"legal add: {path}: {exc}")
            return failed
        form, problems = form_from(values)
        document: OrderDocument | None = None
        try:
            document = order_document(path, values.get("document"))
        except UnsafeFile as exc:
            problems.append(FieldProblem("document", str(exc)))
        if problems or form is None or document is None:
            for problem in problems:
                err(f"legal add: {problem.field}: {problem}")
            return failed
        cipher = settings.cipher()

        async def work(store: Store) -> LegalRequest:
            officer = cli_officer(args.by)
            return await register(
                store,
                cipher,
                settings.legal_policy(),
                form,
                document,
                officer,
                SystemClock().now(),
            )

        try:
            request = run_with_store(settings, work)
        except (LegalRefused, StorageError, FieldProblem) as exc:
            err(f"legal add: {exc}")
            return failed
        print(f"registered legal request #{request.id} ({request.state.value})")
        for check in request.checks:
            print(f"  {'pass' if check.passed else 'FAIL'}  {check.key.value}: {check.reason}")
        return ok

    add.set_defaults(handler=cmd_add)

    listing = legal_commands.add_parser("list", help="open legal requests")
    listing.add_argument("--by", type=int, required=True, help="your legal officer id")

    def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
        cipher = settings.cipher()

        async def work(store: Store) -> list[LegalRequest]:
            return await open_requests(
                store,
                cipher,
                settings.legal_policy(),
                cli_officer(args.by),
                SystemClock().now(),
                limit=1000,
            )

        try:
            requests = run_with_store(settings, work)
        except (LegalRefused, StorageError) as exc:
            err(f"legal list: {exc}")
            return failed
        for r in requests:
            print(
                f"#{r.id}\t{r.state.value}\t{r.form.country}\t{r.form.reference}\t"
                f"approvals {len(r.approvals)}"
            )
        return ok

    listing.set_defaults(handler=cmd_list)
    add_officer_commands(legal_commands, ok=ok, failed=failed, usage=usage, err=err)

    ledger = commands.add_parser(
        "ledger",
        help="the disclosure ledger: verify it",
        description="Every time phone numbers or IP addresses left the registry is an entry "
        "keyed under LEDGER_KEY, chained to the one before it and checkpointed in "
        "LEDGER_ANCHOR_DIR, outside the database.",
    )
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    verify = ledger_commands.add_parser(
        "verify",
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

    def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
        try:
            heads = tuple(parse_head(text) for text in args.head)
        except ValueError as exc:
            err(f"ledger verify: --head: {exc}")
            return usage
        cipher, ledger_keys = settings.cipher(), settings.ledger()

        async def work(store: Store) -> LedgerReport:
            return await verify_ledger(
                store,
                cipher,
                ledger_keys,
                with_anchors=not args.without_anchors,
                heads=heads,
            )

        try:
            report = run_with_store(settings, work)
        except StorageError as exc:
            err(f"ledger verify: {exc}")
            return failed
        for problem in report.problems:
            err(f"ledger verify: {problem}")
        for note in report.notes:
            err(f"ledger verify: note: {note}")
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
            return failed
        print(f"ledger: {report.entries} entries, intact ({scope}){head}")
        return ok

    verify.set_defaults(handler=cmd_verify)


def read_request_file(path: Path) -> dict[str, Any]:
    """The request file's one JSON object; UnsafeFile says why it cannot be used."""
    content = read_regular_file(path, REQUEST_FILE_MAX_BYTES, shown="the file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsafeFile(f"not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None
    try:
        values = parse(text, max_depth=REQUEST_MAX_DEPTH)
    except BadJson as exc:
        raise UnsafeFile(str(exc)) from None
    if not isinstance(values, dict):
        raise UnsafeFile("the file must hold one JSON object")
    return values


def order_document(request_file: Path, raw: object) -> OrderDocument:
    """The order document the request names: a regular file inside the request file's own
    folder, at most 20 MB (what the chat accepts), never a path that leads elsewhere (it
    would be stored and later sent to legal officers in Telegram)."""
    if not isinstance(raw, str) or not raw.strip():
        raise UnsafeFile("the path of the order document (relative to the request file) is missing")
    _, content = read_file_inside(request_file.parent, raw, DOCUMENT_MAX_BYTES)
    name = Path(raw).name
    document = OrderDocument(name, mimetypes.guess_type(name)[0], content)
    try:
        check_document(document)  # empty
    except FieldProblem as exc:
        raise UnsafeFile(str(exc)) from None
    return document
