"""What a disclosure holds: the violator's phone numbers and IP addresses of the period,
opened one by one in their rows, as the canonical JSON that is hashed, kept and handed out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moderation.legal.types import LegalRequest
from moderation.registry.violators import SealedObservation, Sealer, context_of


def open_observations(
    sealer: Sealer, violator_id: int, rows: list[SealedObservation]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items disclosed, items withheld). A value that does not open in its row (its
    ciphertext changed, or moved there from another row) is withheld and said so, never
    disclosed as this violator's."""
    items: list[dict[str, Any]] = []
    withheld: list[dict[str, Any]] = []
    for row in rows:
        described = {
            "kind": row.kind.value,
            "observed_at": row.observed_at.isoformat(),
            "source": row.source.value,
        }
        sealed = row.sealed
        try:
            if sealed.ciphertext is None or sealed.key_id is None or row.violator_id != violator_id:
                raise ValueError("not a sealed value of this violator")
            value = sealer.decrypt(sealed.key_id, sealed.ciphertext, context_of(row))
        except Exception:  # anything that does not open is withheld
            withheld.append(
                {
                    **described,
                    "reason": "does not open in its row: changed, moved from another row, or "
                    "its key is missing",
                }
            )
            continue
        items.append({**described, "value": value})
    return items, withheld


def disclosure_json(
    request: LegalRequest,
    items: list[dict[str, Any]],
    withheld: list[dict[str, Any]],
    now: datetime,
) -> bytes:
    """The disclosure as canonical JSON: what its SHA-256, the ledger entry and the kept copy
    are over."""
    form = request.form
    document: dict[str, Any] = {
        "request": {
            "id": request.id,
            "authority": form.authority,
            "country": form.country,
            "reference": form.reference,
            "order_type": form.order_type.value,
            "issued_on": form.issued_on.isoformat(),
            "offence": form.offence,
            "document_sha256": request.document_sha256,
        },
        "violator_id": request.violator_id,
        "period": {"start": form.period_start.isoformat(), "end": form.period_end.isoformat()},
        "disclosed_at": now.isoformat(),
        "disclosed": "IP addresses and phone numbers observed within the period; nothing else",
        "items": sorted(items, key=lambda i: (i["observed_at"], i["kind"], i["value"])),
    }
    if withheld:
        document["withheld"] = sorted(withheld, key=lambda i: (i["observed_at"], i["kind"]))
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()
