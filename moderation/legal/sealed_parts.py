"""A request's sealed parts: its phone or IP target and its order document, sealed bound to
their request and opened only for the legal officers handling it; and the target resolved to
violators through the blind index, never by decrypting the registry."""

from __future__ import annotations

from dataclasses import replace

from moderation.legal.ports import TargetFinder
from moderation.legal.types import (
    LegalRefused,
    LegalRequest,
    OrderDocument,
    SealedDocument,
    Target,
    TargetKind,
)
from moderation.registry.violators import ObservationKind, Sealer
from moderation.sealing import document_context, target_context


def observation_kind(kind: TargetKind) -> ObservationKind:
    return ObservationKind.PHONE if kind is TargetKind.PHONE else ObservationKind.IP


async def resolve_target(finder: TargetFinder, sealer: Sealer, target: Target) -> list[int]:
    if target.kind is TargetKind.TELEGRAM_ID:
        return sorted(set(await finder.by_telegram_id(int(target.value))))
    if target.kind is TargetKind.USERNAME:
        return sorted(set(await finder.by_username(target.value)))
    kind = observation_kind(target.kind)
    indexes = sealer.blind_indexes(kind, target.value)
    return sorted(set(await finder.by_blind_index(kind, indexes)))


async def resolution_problem(
    finder: TargetFinder, sealer: Sealer, request: LegalRequest
) -> str | None:
    """Why the (opened) request's target does not resolve, now, to exactly the violator it
    names (None: it does). Run inside the disclosure's transaction, through the blind index,
    so a registry or request changed since the analysis is caught before anything leaves."""
    target = request.form.target
    sealed = request.target_sealed
    if target.kind.personal and sealed is not None and sealed.blind_index is not None:
        kind = observation_kind(target.kind)
        if sealed.blind_index not in sealer.blind_indexes(kind, target.value):
            return (
                f"the blind index kept with the target of request #{request.id} does not "
                "match its sealed target (changed outside the bot); nothing was disclosed. "
                "Run report-bot db-check and report-bot ledger verify"
            )
    found = await resolve_target(finder, sealer, target)
    if found != [request.violator_id]:
        now = ", ".join(f"#{v}" for v in found) or "no confirmed violator"
        return (
            f"request #{request.id} names confirmed violator #{request.violator_id}, but its "
            f"target now resolves to {now} in the registry; nothing was disclosed. If the "
            "registry was changed outside the bot, run report-bot db-check; otherwise close "
            "the request and register the order again"
        )
    return None


def opened_request(sealer: Sealer, request: LegalRequest) -> LegalRequest:
    """The request with its phone or IP target opened for the legal officers handling it (the
    order's own words, not registry data)."""
    sealed = request.target_sealed
    if sealed is None or sealed.ciphertext is None or sealed.key_id is None:
        return request
    context = target_context(request.id, request.form.target.kind.value)
    try:
        value = sealer.decrypt(sealed.key_id, sealed.ciphertext, context)
    except Exception:  # a value that does not open in its row is refused
        raise LegalRefused(
            f"the target of request #{request.id} does not open in its row (changed, moved "
            "from another row, or its key is missing); run report-bot ledger verify and "
            "report-bot db-check"
        ) from None
    return replace(
        request, form=replace(request.form, target=Target(request.form.target.kind, value))
    )


def sealed_document(sealer: Sealer, request_id: int, document: OrderDocument) -> SealedDocument:
    key_id, blob = sealer.encrypt_bytes(
        document.content, document_context(request_id, document.sha256)
    )
    return SealedDocument(
        document.file_name,
        document.mime_type,
        document.sha256,
        key_id,
        blob,
        document.telegram_file_id,
    )


def opened_document(sealer: Sealer, request_id: int, sealed: SealedDocument) -> OrderDocument:
    """The order document, after checking it opens in its row and matches its SHA-256."""
    problem = f"the order document of request #{request_id} "
    if sealed.key_id is None:
        raise LegalRefused(
            problem + "is still stored in clear; run report-bot migrate (with the registry "
            "keys set) to encrypt it"
        )
    try:
        content = sealer.decrypt_bytes(
            sealed.key_id, sealed.blob, document_context(request_id, sealed.sha256)
        )
    except Exception:  # a document that does not open is refused
        raise LegalRefused(
            problem + "does not open in its row (changed, moved, or its key is missing)"
        ) from None
    return OrderDocument(sealed.file_name, sealed.mime_type, content, sealed.telegram_file_id)
