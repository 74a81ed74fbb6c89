"""What a legal officer does from the shell: see a request, disclose an approved one to a
folder, close it.

The shell cannot prove who types, so it never approves: the two approvals come from the
officers' own Telegram accounts (`/legal approve`). `--by` names the officer acting; the legal
flow checks that id against the roles table like any other step, and every step, refusals
included, is audit-logged. A disclosure written here is a ledger entry like one sent in the
chat, and the legal officers are told of it in Telegram.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.cli_kit import Exits, add_command, cli_officer
from bot.settings import Settings
from bot.stores import run_with_store
from moderation.clock import SystemClock
from moderation.legal.disclosure import disclose, retrieve
from moderation.legal.lifecycle import close, show
from moderation.legal.types import Disclosure, LegalRefused, LegalRequest
from moderation.text import counted
from storage import StorageError, Store
from storage.files import write_private_file


def add_officer_commands(actions: Any, exits: Exits) -> None:
    """`legal show`, `legal disclose` and `legal close`, added to `legal`'s actions."""
    shown = add_command(
        actions,
        "show",
        show_request,
        exits,
        help="a legal request: its order, checklist, analysis and approvals",
        description="Print a legal request as legal officers see it in the chat.",
    )
    shown.add_argument("request", type=int, metavar="ID")
    shown.add_argument("--by", type=int, required=True, help="your Telegram id (legal officer)")
    out = add_command(
        actions,
        "disclose",
        disclose_request,
        exits,
        help="write an approved request's disclosure (JSON and HTML) to a folder",
        description="For a request two legal officers approved in the chat: disclose it "
        "(or, once disclosed, write another copy) into FOLDER as disclosure-ID.json and "
        "disclosure-ID.html, readable by you only. Refused unless the request holds its "
        "approvals from officers who hold the role now. Each copy is a ledger entry.",
    )
    out.add_argument("request", type=int, metavar="ID")
    out.add_argument("--by", type=int, required=True, help="your Telegram id (legal officer)")
    out.add_argument("--to", type=Path, required=True, metavar="FOLDER", help="where to write")
    closing = add_command(
        actions,
        "close",
        close_request,
        exits,
        help="close a legal request (ends its hold on the violator's data)",
        description="Close a request that is not rejected or closed already.",
    )
    closing.add_argument("request", type=int, metavar="ID")
    closing.add_argument("--by", type=int, required=True, help="your Telegram id (legal officer)")


def show_request(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    cipher = settings.cipher()

    async def work(store: Store) -> LegalRequest:
        policy, officer = settings.legal_policy(), cli_officer(args.by)
        request, _ = await show(store, cipher, policy, args.request, officer, _now())
        return request

    try:
        request = run_with_store(settings, work)
    except (LegalRefused, StorageError) as exc:
        exits.err(f"legal show: {exc}")
        return exits.failed
    print(render_request(request, settings.legal_policy().approvals_needed))
    return exits.ok


def disclose_request(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    folder: Path = args.to
    problem = _writable_folder(folder, args.request)
    if problem is not None:
        exits.err(f"legal disclose: {problem}")
        return exits.usage
    cipher, ledger = settings.cipher(), settings.ledger()

    async def work(store: Store) -> Disclosure:
        policy, officer, now = settings.legal_policy(), cli_officer(args.by), _now()
        async with store.reading() as uow:
            done = await uow.legal.disclosure(args.request) is not None
        if done:  # disclosed before: this is a copy
            return await retrieve(store, cipher, policy, ledger, args.request, officer, now)
        return await disclose(store, cipher, policy, ledger, args.request, officer, now)

    try:
        disclosure = run_with_store(settings, work)
    except (LegalRefused, StorageError) as exc:
        exits.err(f"legal disclose: {exc}")
        return exits.failed
    try:
        written = _write_files(folder, disclosure)
    except OSError as exc:
        exits.err(
            f"legal disclose: ledger entry {disclosure.ledger_seq} was made but the files "
            f"could not be written to {folder} ({exc.strerror or type(exc).__name__}); run "
            "the command again with another --to folder to write a copy"
        )
        return exits.failed
    print(
        f"request #{disclosure.request_id}: {counted(disclosure.phones, 'phone number')}, "
        f"{counted(disclosure.ips, 'IP address', 'IP addresses')}; "
        f"ledger entry {disclosure.ledger_seq}; content SHA-256 {disclosure.content_sha256}"
    )
    for path in written:
        print(f"  wrote {path}")
    return exits.ok


def close_request(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    cipher = settings.cipher()

    async def work(store: Store) -> LegalRequest:
        policy, officer = settings.legal_policy(), cli_officer(args.by)
        return await close(store, cipher, policy, args.request, officer, _now())

    try:
        request = run_with_store(settings, work)
    except (LegalRefused, StorageError) as exc:
        exits.err(f"legal close: {exc}")
        return exits.failed
    print(f"legal request #{request.id} is {request.state.value}")
    return exits.ok


def render_request(request: LegalRequest, approvals_needed: int) -> str:
    form = request.form
    lines = [
        f"legal request #{request.id} · {request.state.value}",
        f"  {form.authority}, {form.country} · reference {form.reference} · "
        f"{form.order_type.value} issued {form.issued_on.isoformat()}",
        f"  offence: {form.offence}",
        f"  target: {form.target.kind.value} {form.target.shown()} · violator "
        + (f"#{request.violator_id}" if request.violator_id else "-"),
        f"  period: {form.period_start.isoformat()} to {form.period_end.isoformat()}",
        f"  order document SHA-256: {request.document_sha256 or '-'}",
        "  checks:",
        *(
            f"    {'pass' if c.passed else 'FAIL'}  {c.key.value}: {c.reason}"
            for c in request.checks
        ),
        f"  approvals: {len(request.approvals)}/{approvals_needed}"
        + (f" ({', '.join(str(o) for o in request.approvals)})" if request.approvals else ""),
        *(
            f"    voided: approval by {v.officer_id}"
            + (f" at {v.voided_at:%Y-%m-%d %H:%M} UTC" if v.voided_at else "")
            + f": {v.voided_reason}"
            for v in request.voided
        ),
    ]
    if request.analysis:
        lines.append(f"  analysis: {request.analysis}")
    if request.override_reason:
        lines.append(f"  admin override: {request.override_reason}")
    if request.rejected_reason:
        lines.append(f"  rejected: {request.rejected_reason}")
    return "\n".join(lines)


def _now() -> datetime:
    return SystemClock().now()


def _writable_folder(folder: Path, request_id: int) -> str | None:
    if not folder.is_dir():
        return f"{folder} is not a folder; create it first (readable by you only: mkdir -m 700)"
    for suffix in ("json", "html"):
        path = folder / f"disclosure-{request_id}.{suffix}"
        if path.exists():
            return f"{path} exists already; move it away or choose another folder"
    return None


def _write_files(folder: Path, disclosure: Disclosure) -> list[Path]:
    """Readable by the operator's user only, never over an existing file."""
    written = []
    for suffix, data in (("json", disclosure.content), ("html", disclosure.html)):
        path = folder / f"disclosure-{disclosure.request_id}.{suffix}"
        write_private_file(path, data, replace=False)
        written.append(path)
    return written
