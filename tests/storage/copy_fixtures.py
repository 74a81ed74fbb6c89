"""A SQLite database with something of everything the copy must carry over: reports, cases,
confirmed violators with sealed phones and IPs, legal requests with their order documents,
approvals, two disclosures and their ledger entries (checkpointed beside the database)."""

from __future__ import annotations

from pathlib import Path

from moderation.legal.disclosure import disclose
from moderation.legal.ledger import Ledger, LedgerKeys
from moderation.legal.types import Target, TargetKind
from storage import Store
from storage.crypto import PersonalDataCipher, parse_index_key, parse_key
from storage.legal.ledger_anchor import FileAnchor
from storage.location import SqliteLocation
from tests.storage.legal_fixtures import CAROL, NOW, OTHER, POLICY, approved, order, two_violators

#: Every table the copy carries rows into, in a filled database (others may stay empty).
FILLED_TABLES = (
    "audit_log",
    "cases",
    "disclosure_ledger",
    "disclosures",
    "legal_approvals",
    "legal_documents",
    "legal_requests",
    "observations",
    "reports",
    "targets",
    "violators",
)


def keys_from(
    encryption: str, blind_index: str, ledger_key: str, anchors: Path
) -> tuple[PersonalDataCipher, Ledger]:
    """The cipher and ledger the settings make of these key texts (as the CLI would)."""
    cipher = PersonalDataCipher(parse_key(encryption), [], parse_index_key(blind_index))
    key = parse_key(ledger_key, "LEDGER_KEY")
    return cipher, Ledger(LedgerKeys(key.key_id, {key.key_id: key.secret}), FileAnchor(anchors))


def anchors_beside(database: Path) -> Path:
    """Where the settings keep the ledger's checkpoints for a SQLite database."""
    return database.parent / "ledger-anchors"


async def filled_sqlite(path: Path, cipher: PersonalDataCipher, ledger: Ledger) -> None:
    store = await Store.open(SqliteLocation(path))
    try:
        await two_violators(store, cipher)
        for form in (
            order(),
            order(reference="AG-2/26", target=Target(TargetKind.USERNAME, OTHER)),
        ):
            request = await approved(store, cipher, form, keys=ledger.keys)
            await disclose(store, cipher, POLICY, ledger, request.id, CAROL, NOW)
    finally:
        await store.close()
