"""Legal commands of `report-bot`: register a request from a JSON file, list open requests.

`legal add` is the batch twin of the guided /legal new conversation: the same validation, the
same checklist, the same audit entry; the registering officer is named with --by and must be a
legal officer. The officer's other steps (show, disclose, close) are in bot/cli_legal_officer.py.
"""

from __future__ import annotations

import argparse
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli_kit import Exits, add_command, add_group, cli_officer
from bot.cli_legal_officer import add_officer_commands
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
from moderation.legal.lifecycle import open_requests, register
from moderation.legal.types import LegalRefused, LegalRequest, OrderDocument
from storage import StorageError, Store
from storage.files import UnsafeFile, read_file_inside, read_regular_file


def add_legal_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    exits = Exits(ok, failed, usage, err)
    actions = add_group(
        commands,
        "legal",
        dest="legal_command",
        help="legal requests: add one from a JSON file, list open ones",
        description="Court orders and other legal requests (docs/due-process.md: Legal requests).",
    )
    add = add_command(
        actions,
        "add",
        add_request,
        exits,
        help="register a legal request from a JSON file",
        description="Keys: authority, country, reference, order_type, issued_on, offence, "
        "target, period (or period_start and period_end), document (a path, relative to "
        "the JSON file). Every problem is listed; nothing is stored unless all are fixed.",
    )
    add.add_argument("file", type=Path, metavar="FILE.json")
    add.add_argument("--by", type=int, required=True, help="the registering legal officer's id")
    listing = add_command(
        actions,
        "list",
        list_requests,
        exits,
        help="open legal requests",
        description="Print the legal requests still open, as legal officers see them with "
        "/legal list in the chat.",
    )
    listing.add_argument("--by", type=int, required=True, help="your legal officer id")
    add_officer_commands(actions, exits)


def add_request(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    try:
        values = read_request_file(path)
    except UnsafeFile as exc:
        exits.err(f"legal add: {path}: {exc}")
        return exits.failed
    form, problems = form_from(values)
    document: OrderDocument | None = None
    try:
        document = order_document(path, values.get("document"))
    except UnsafeFile as exc:
        problems.append(FieldProblem("document", str(exc)))
    if problems or form is None or document is None:
        for problem in problems:
            exits.err(f"legal add: {problem.field}: {problem}")
        return exits.failed
    cipher = settings.cipher()

    async def work(store: Store) -> LegalRequest:
        officer = cli_officer(args.by)
        policy, now = settings.legal_policy(), SystemClock().now()
        return await register(store, cipher, policy, form, document, officer, now)

    try:
        request = run_with_store(settings, work)
    except (LegalRefused, StorageError, FieldProblem) as exc:
        exits.err(f"legal add: {exc}")
        return exits.failed
    print(f"registered legal request #{request.id} ({request.state.value})")
    for check in request.checks:
        print(f"  {'pass' if check.passed else 'FAIL'}  {check.key.value}: {check.reason}")
    return exits.ok


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


def list_requests(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    cipher = settings.cipher()

    async def work(store: Store) -> list[LegalRequest]:
        policy, officer, now = settings.legal_policy(), cli_officer(args.by), SystemClock().now()
        return await open_requests(store, cipher, policy, officer, now, limit=1000)

    try:
        requests = run_with_store(settings, work)
    except (LegalRefused, StorageError) as exc:
        exits.err(f"legal list: {exc}")
        return exits.failed
    for r in requests:
        print(
            f"#{r.id}\t{r.state.value}\t{r.form.country}\t{r.form.reference}\t"
            f"approvals {len(r.approvals)}"
        )
    return exits.ok
