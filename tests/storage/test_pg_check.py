"""`db-check` on PostgreSQL: a freshly migrated database passes, checked as the bot's own role;
a disabled or dropped guard trigger, an unvalidated foreign key, an edited migration's checksum
and an invalid index are each named (read from a real server, changed as someone with its
password would). What the role itself may do is tests/storage/test_pg_roles.py's."""

from __future__ import annotations

import pytest

from storage.location import PostgresLocation, parse_location
from storage.pg_maintenance import check_postgres, expected_triggers
from storage.pg_migrations import load_pg_migrations, migrate_postgres
from storage.pg_roles import grant_bot_role
from tests.engines import execute
from tests.postgres import PostgresCluster


@pytest.fixture
async def migrated(postgres_dsn: str) -> PostgresLocation:
    """The database migrated by its owner (the tests' superuser), who also changes it."""
    location = parse_location(postgres_dsn)
    assert isinstance(location, PostgresLocation)
    await migrate_postgres(location)
    return location


@pytest.fixture
async def as_bot(
    postgres_cluster: PostgresCluster, postgres_dsn: str, migrated: PostgresLocation
) -> PostgresLocation:
    """The same database as the bot's own role sees it, granted as `report-bot migrate` does."""
    role, password = await postgres_cluster.bot_role()
    location = parse_location(postgres_cluster.dsn_as(postgres_dsn, role, password))
    assert isinstance(location, PostgresLocation)
    await grant_bot_role(migrated, location)
    return location


def test_the_expected_triggers_follow_the_migrations_drops_and_recreations() -> None:
    names = expected_triggers()
    assert {"audit_log_no_update", "audit_log_no_truncate", "disclosure_ledger_no_replace"} <= names
    assert "observations_append_only" in names  # dropped by 0018 and created again
    assert expected_triggers(load_pg_migrations()[:17]) < names


async def test_a_migrated_database_passes(as_bot: PostgresLocation) -> None:
    report = await check_postgres(as_bot)

    assert report.problems == ()
    assert report.warnings == ()
    assert report.version == report.latest
    assert report.triggers == len(expected_triggers())
    assert report.foreign_keys > 10
    assert report.settings["synchronous_commit"] == "on"
    assert report.settings["fsync"] in {"on", "off"}


async def test_each_weakened_guard_is_named(
    migrated: PostgresLocation, as_bot: PostgresLocation
) -> None:
    execute(migrated, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    execute(migrated, "ALTER TABLE disclosures ENABLE REPLICA TRIGGER disclosures_no_delete")
    # Fires in every mode, replica included: still a guard.
    execute(migrated, "ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_delete")
    execute(migrated, "DROP TRIGGER disclosure_ledger_no_truncate ON disclosure_ledger")
    execute(
        migrated,
        "ALTER TABLE reports ADD CONSTRAINT reports_case_again FOREIGN KEY (case_id) "
        "REFERENCES cases (id) NOT VALID",
    )
    execute(migrated, "UPDATE schema_version SET checksum = 'edited' WHERE version = 3")
    execute(
        migrated,
        "UPDATE pg_index SET indisvalid = false "
        "WHERE indexrelid = 'disclosure_ledger_time'::regclass",
    )

    report = await check_postgres(as_bot)

    problems = "\n".join(report.problems)
    assert "guard trigger audit_log_no_update on audit_log is disabled" in problems
    assert "disclosures_no_delete on disclosures is set to fire only on a replica" in problems
    assert "guard trigger disclosure_ledger_no_truncate is missing" in problems
    assert "audit_log_no_delete" not in problems
    assert "foreign key reports_case_again on reports is not validated" in problems
    assert "0003_processed_updates.sql was changed after it was applied" in problems
    assert "index disclosure_ledger_time on disclosure_ledger is invalid" in problems
    assert len(report.problems) == 6
    assert not report.ok


async def test_an_empty_database_is_behind_this_code(
    postgres_cluster: PostgresCluster, postgres_dsn: str
) -> None:
    role, password = await postgres_cluster.bot_role()
    location = parse_location(postgres_cluster.dsn_as(postgres_dsn, role, password))
    assert isinstance(location, PostgresLocation)

    report = await check_postgres(location)

    assert report.version == 0
    assert report.problems == (
        f"schema version 0, this code {report.latest}: run `report-bot migrate`",
    )
