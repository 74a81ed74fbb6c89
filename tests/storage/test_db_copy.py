"""`db copy`'s storage side: a real SQLite file into a real, empty PostgreSQL database, every row
with its ids in one transaction, verified before it commits; a target that is not empty, a
source that is behind, and a copy a guard trigger refuses leave the target without a row."""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path

import pytest

from moderation.legal.ledger import Ledger
from moderation.legal.ledger_check import verify_ledger
from moderation.registry.violators import opened
from moderation.reporting.targets import TargetKind, TargetRef
from storage import Store
from storage.copy import CheckOutcome, CopyFailed, CopyRefused, Snapshot, copy_to_postgres
from storage.copy_checks import check_copy
from storage.crypto import PersonalDataCipher, new_key_text, new_secret_text
from storage.location import PostgresLocation, SqliteLocation, parse_location
from storage.migrations import latest_version, migrate
from storage.pg_maintenance import PgCheckReport, check_postgres
from tests.engines import execute, rows
from tests.storage.copy_fixtures import FILLED_TABLES, anchors_beside, filled_sqlite, keys_from
from tests.storage.legal_fixtures import NOW


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def keys(source: Path) -> tuple[PersonalDataCipher, Ledger]:
    return keys_from(
        new_key_text("test"), new_secret_text(), new_key_text("ledger"), anchors_beside(source)
    )


@pytest.fixture
def target(postgres_dsn: str) -> PostgresLocation:
    location = parse_location(postgres_dsn)
    assert isinstance(location, PostgresLocation)
    return location


def _tables(location: SqliteLocation | PostgresLocation) -> dict[str, int]:
    if isinstance(location, SqliteLocation):
        names = rows(
            location,
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT IN ('schema_migrations', 'sqlite_sequence')",
        )
    else:
        names = rows(
            location,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_name <> 'schema_version'",
        )
    return {
        str(name): int(rows(location, f"SELECT count(*) FROM {name}")[0][0])  # noqa: S608
        for (name,) in names
    }


async def test_every_row_goes_over_with_its_ids_and_verifies(
    source: Path, keys: tuple[PersonalDataCipher, Ledger], target: PostgresLocation
) -> None:
    cipher, ledger = keys
    await filled_sqlite(source, cipher, ledger)

    report = await copy_to_postgres(
        source, target, check=partial(check_copy, sealer=cipher, ledger=ledger), batch=3
    )

    before = _tables(SqliteLocation(source))
    assert {t: n for t, n in before.items() if n} == {
        t.name: t.rows for t in report.tables if t.rows
    }
    assert _tables(target) == before
    assert all(before[name] for name in FILLED_TABLES)
    assert report.schema_version == latest_version()
    assert report.migration.from_version == 0
    assert report.migration.applied
    for table, key in (("observations", "id"), ("audit_log", "id"), ("disclosure_ledger", "seq")):
        sql = f"SELECT {key} FROM {table} ORDER BY {key}"  # noqa: S608
        assert rows(target, sql) == rows(SqliteLocation(source), sql)
    assert report.ledger_entries == 2
    assert report.ledger_head is not None
    passed = " | ".join(report.checks.passed)
    assert "ledger verify on the copy: 2 entries intact" in passed
    assert "sealed observations:" in passed
    assert "disclosures: 2 of a sample of 2" in passed
    assert report.checks.problems == []
    assert report.checks.warnings == []

    # The bot on the copy: the ledger verifies, sealed values open, new rows get fresh ids.
    store = await Store.open(target)
    try:
        verified = await verify_ledger(store, cipher, ledger)
        assert verified.intact
        assert verified.entries == 2
        async with store.reading() as uow:
            timeline = await uow.registry.timeline(1)
        assert any(row.sealed.ciphertext for row in timeline)
        assert all(opened(cipher, row).value for row in timeline)
        async with store.transaction() as uow:
            fresh = await uow.targets.find_or_create(
                TargetRef(TargetKind.PUBLIC, username="fresh_after_copy"), NOW
            )
        largest = rows(SqliteLocation(source), "SELECT max(id) FROM targets")[0][0]
        assert fresh == largest + 1
    finally:
        await store.close()
    assert_checked(await check_postgres(target))


async def test_a_target_with_rows_is_refused_and_left_as_it_was(
    source: Path, keys: tuple[PersonalDataCipher, Ledger], target: PostgresLocation
) -> None:
    await filled_sqlite(source, *keys)
    await copy_to_postgres(source, target)
    after_first = _tables(target)

    with pytest.raises(CopyRefused) as refused:
        await copy_to_postgres(source, target)

    message = str(refused.value)
    assert "is not empty" in message
    assert "nothing was changed" in message
    assert "observations (" in message
    assert "disclosure_ledger (2 rows)" in message
    assert _tables(target) == after_first


async def test_a_source_behind_this_release_is_refused_before_the_target_is_touched(
    source: Path, target: PostgresLocation
) -> None:
    await migrate(source, target=latest_version() - 1)

    with pytest.raises(CopyRefused, match=r"run `report-bot migrate` on it first"):
        await copy_to_postgres(source, target)

    assert rows(
        target,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    ) == [(0,)]


async def test_a_row_a_guard_trigger_refuses_rolls_the_whole_copy_back(
    source: Path, keys: tuple[PersonalDataCipher, Ledger], target: PostgresLocation
) -> None:
    """A ledger with a gap (entry 2 renumbered 5 by hand in the SQLite file): PostgreSQL's
    append-only trigger refuses the entry, and nothing of the copy stays."""
    await filled_sqlite(source, *keys)
    with sqlite3.connect(source) as conn:
        conn.execute("DROP TRIGGER disclosure_ledger_no_update")
        conn.execute("UPDATE disclosure_ledger SET seq = 5 WHERE seq = 2")

    with pytest.raises(CopyFailed) as failed:
        await copy_to_postgres(source, target)

    assert "rolled back" in str(failed.value)
    assert "append-only" in str(failed.value)
    assert set(_tables(target).values()) == {0}
    assert rows(target, "SELECT max(version) FROM schema_version") == [(latest_version(),)]


async def test_a_failed_verification_rolls_the_copy_back(
    source: Path, keys: tuple[PersonalDataCipher, Ledger], target: PostgresLocation
) -> None:
    await filled_sqlite(source, *keys)

    async def disagreeing(source_side: Snapshot, target_side: Snapshot) -> CheckOutcome:
        async with target_side.reading() as uow:
            entries = await uow.legal.ledger()
        return CheckOutcome(problems=[f"the copy's ledger has {len(entries)} entries"])

    with pytest.raises(CopyFailed, match="verification failed: the copy's ledger has 2 entries"):
        await copy_to_postgres(source, target, check=disagreeing)

    assert set(_tables(target).values()) == {0}


async def test_values_still_sealed_the_old_way_go_over_on_their_closed_list(
    source: Path, keys: tuple[PersonalDataCipher, Ledger], target: PostgresLocation
) -> None:
    """The list refuses every insert on both engines; the copy fills it with its trigger
    paused inside the transaction, and leaves the trigger on."""
    cipher, ledger = keys
    await filled_sqlite(source, cipher, ledger)
    with sqlite3.connect(source) as conn:
        conn.execute("DROP TRIGGER sealed_before_binding_closed")
        conn.execute(
            "INSERT INTO sealed_before_binding (table_name, row_id) "
            "SELECT 'observations', min(id) FROM observations WHERE ciphertext IS NOT NULL"
        )

    report = await copy_to_postgres(
        source, target, check=partial(check_copy, sealer=cipher, ledger=ledger)
    )

    assert report.paused_triggers == ("sealed_before_binding_closed",)
    assert rows(target, "SELECT table_name FROM sealed_before_binding") == [("observations",)]
    assert_checked(await check_postgres(target))
    with pytest.raises(Exception, match="only rows sealed before migration 0018"):
        execute(
            target,
            "INSERT INTO sealed_before_binding (table_name, row_id) VALUES (?, ?)",
            ("observations", 999),
        )


async def test_a_target_holding_other_tables_is_refused(
    source: Path, keys: tuple[PersonalDataCipher, Ledger], target: PostgresLocation
) -> None:
    await filled_sqlite(source, *keys)
    execute(target, "CREATE TABLE invoices (id bigint PRIMARY KEY)")

    with pytest.raises(CopyRefused, match=r"tables the bot does not have \(invoices\)"):
        await copy_to_postgres(source, target)

    assert rows(
        target,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    ) == [(1,)]


def assert_checked(report: PgCheckReport) -> None:
    """db-check passes but for the role it ran as: the copy's owner, the tests' admin role (the
    bot's own role is granted by `report-bot migrate`, tests/storage/test_pg_roles.py)."""
    assert report.problems == report.role_risks
    (risk,) = report.role_risks
    assert "report-bot db create-role" in risk
