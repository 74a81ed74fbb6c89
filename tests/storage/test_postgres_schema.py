"""PostgreSQL's schema: its migrations apply like SQLite's, mean the same, and guard the same.

The comparison reads both engines' catalogues after every migration (tests/storage/
schema_shapes.py) and fails with the facts only one side has; the altered-schema cases below
show that it notices each kind of drift.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from storage import DatabaseTooNewError, MigrationError, latest_version, migrate
from storage.migrations import MIGRATIONS_DIR, Migration, load_migrations
from storage.pg_migrations import (
    PG_MIGRATIONS_DIR,
    load_pg_migrations,
    migrate_postgres,
    pg_latest_version,
    schema_version,
)
from tests.storage.schema_shapes import diff, read_postgres, read_sqlite

LATEST = latest_version()
TIME = "2025-01-02T03:04:05.000000Z"


@pytest.fixture
async def pg(postgres_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh database brought to the latest schema."""
    conn = await asyncpg.connect(postgres_dsn)
    await migrate_postgres(conn)
    yield conn
    await conn.close()


@pytest.fixture
async def sqlite_schema(tmp_path: Path) -> Path:
    path = tmp_path / "schema.sqlite3"
    await migrate(path)
    return path


def test_both_engines_have_the_same_migrations_by_number_and_name() -> None:
    def names(migrations: tuple[Migration, ...]) -> list[str]:
        return [m.filename for m in migrations]

    assert names(load_pg_migrations()) == names(load_migrations())
    assert pg_latest_version() == LATEST
    assert sorted(p.name for p in PG_MIGRATIONS_DIR.glob("*.sql")) == sorted(
        p.name for p in MIGRATIONS_DIR.glob("*.sql")
    )


async def test_migrations_apply_from_empty_and_again_as_a_no_op(postgres_dsn: str) -> None:
    first = await migrate_postgres(postgres_dsn)
    assert (first.from_version, first.to_version) == (0, LATEST)
    assert first.applied == tuple(m.filename for m in load_migrations())
    again = await migrate_postgres(postgres_dsn)
    assert (again.from_version, again.to_version, again.applied) == (LATEST, LATEST, ())
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await schema_version(conn) == LATEST
        recorded = await conn.fetch("SELECT version, name, checksum FROM schema_version")
    finally:
        await conn.close()
    assert [tuple(r) for r in recorded] == [
        (m.version, m.name, m.checksum) for m in load_pg_migrations()
    ]


async def test_a_lower_target_stops_there_and_the_rest_follows_later(postgres_dsn: str) -> None:
    partial = await migrate_postgres(postgres_dsn, target=5)
    assert (partial.from_version, partial.to_version, len(partial.applied)) == (0, 5, 5)
    rest = await migrate_postgres(postgres_dsn)
    assert (rest.from_version, rest.to_version, len(rest.applied)) == (5, LATEST, LATEST - 5)


async def test_two_instances_migrating_at_once_apply_each_file_once(postgres_dsn: str) -> None:
    first, second = await asyncio.gather(
        migrate_postgres(postgres_dsn), migrate_postgres(postgres_dsn)
    )
    assert sorted(first.applied + second.applied) == sorted(
        m.filename for m in load_pg_migrations()
    )
    assert first.to_version == second.to_version == LATEST


async def test_a_migration_edited_after_it_was_applied_is_refused(
    postgres_dsn: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("CREATE TABLE kept (id bigint PRIMARY KEY);")
    await migrate_postgres(postgres_dsn, directory=folder)
    (folder / "0001_first.sql").write_text("CREATE TABLE kept (id bigint PRIMARY KEY, x text);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate_postgres(postgres_dsn, directory=folder)


async def test_a_database_newer_than_the_code_is_refused_untouched(
    pg: asyncpg.Connection,
) -> None:
    await pg.execute(
        "INSERT INTO schema_version (version, name, checksum, applied_at) "
        "VALUES ($1, 'from_the_future', '-', $2)",
        LATEST + 1,
        TIME,
    )
    with pytest.raises(DatabaseTooNewError) as refused:
        await migrate_postgres(pg)
    message = str(refused.value)
    assert f"schema version {LATEST + 1}" in message
    assert f"only knows up to {LATEST}" in message
    assert await schema_version(pg) == LATEST + 1


async def test_a_failing_migration_is_rolled_back_whole(postgres_dsn: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("CREATE TABLE kept (id bigint PRIMARY KEY);")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE half (id bigint);\nINSERT INTO nowhere VALUES (1);"
    )
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed and was rolled back"):
        await migrate_postgres(postgres_dsn, directory=folder)
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await schema_version(conn) == 1
        assert await conn.fetchval("SELECT to_regclass('kept') IS NOT NULL")
        assert not await conn.fetchval("SELECT to_regclass('half') IS NOT NULL")
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "sql",
    ["COMMIT;", "CREATE TABLE t (id bigint);\nBEGIN;", "VACUUM;", "DELETE FROM schema_version;"],
)
def test_transaction_control_in_a_file_is_refused(tmp_path: Path, sql: str) -> None:
    (tmp_path / "0001_bad.sql").write_text(sql)
    with pytest.raises(MigrationError, match=r"0001_bad\.sql"):
        load_pg_migrations(tmp_path)


def test_a_function_body_is_not_transaction_control(tmp_path: Path) -> None:
    (tmp_path / "0001_fn.sql").write_text(
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
        "    PERFORM 1;\nEND;\n$$;\n"
    )
    assert [m.version for m in load_pg_migrations(tmp_path)] == [1]


async def test_both_schemas_mean_the_same(sqlite_schema: Path, pg: asyncpg.Connection) -> None:
    sqlite, postgres = read_sqlite(sqlite_schema), await read_postgres(pg)
    # The reader read it all: 20 CREATE TRIGGERs, three of them re-created by a later file.
    assert len(sqlite.columns) >= 25
    assert len(sqlite.guards) == 17
    differences = diff(sqlite, postgres)
    assert not differences, f"the two engines' schemas differ:\n{differences}"


@pytest.mark.parametrize(
    ("alteration", "noticed"),
    [
        ("DROP INDEX cases_status", "index cases_status"),
        ("DROP INDEX cases_one_open_per_target", "unique index cases_one_open_per_target"),
        ("ALTER TABLE reports ALTER COLUMN query DROP NOT NULL", "column reports.query"),
        ("ALTER TABLE outbox ALTER COLUMN attempts SET DEFAULT 1", "column outbox.attempts"),
        ("ALTER TABLE targets DROP CONSTRAINT targets_key_key", "unique targets"),
        ("ALTER TABLE cases DROP CONSTRAINT cases_status_check", "check cases"),
        ("ALTER TABLE violators DROP CONSTRAINT violators_case_id_fkey", "foreign key violators"),
        ("DROP TRIGGER audit_log_no_delete ON audit_log", "trigger audit_log_no_delete"),
        (
            "DROP INDEX outbox_due; CREATE INDEX outbox_due ON outbox (next_attempt_at)",
            "index outbox_due",
        ),
        ("ALTER TABLE appeals ADD COLUMN extra text", "column appeals.extra"),
    ],
)
async def test_the_comparison_notices_a_drifted_schema(
    sqlite_schema: Path, pg: asyncpg.Connection, alteration: str, noticed: str
) -> None:
    await pg.execute(alteration)
    differences = diff(read_sqlite(sqlite_schema), await read_postgres(pg))
    assert noticed in differences, differences


# The guards, enforced by PostgreSQL itself ---------------------------------------------------


async def test_every_table_kept_from_deletes_is_kept_from_truncate(pg: asyncpg.Connection) -> None:
    """TRUNCATE skips row triggers, and SQLite has no TRUNCATE: PostgreSQL's own guard."""
    guarded = {
        guard.table
        for guard in (await read_postgres(pg)).guards.values()
        if guard.event == "DELETE"
    }
    truncate_guarded = {
        row[0]
        for row in await pg.fetch(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgtype & 32 <> 0"
        )
    }
    assert (
        guarded
        == truncate_guarded
        == {
            "audit_log",
            "disclosure_ledger",
            "disclosures",
            "legal_approvals",
        }
    )


async def _audit_row(pg: asyncpg.Connection) -> int:
    row_id: int = await pg.fetchval(
        "INSERT INTO audit_log (at, action, details) VALUES ($1, 'test', '{}') RETURNING id", TIME
    )
    return row_id


async def test_the_audit_log_is_append_only(pg: asyncpg.Connection) -> None:
    row_id = await _audit_row(pg)
    for statement in (
        "UPDATE audit_log SET action = 'rewritten'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="append-only"):
            await pg.execute(statement)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="append-only"):
        await pg.execute(
            "INSERT INTO audit_log (id, at, action) VALUES ($1, $2, 'again')", row_id, TIME
        )
    assert await pg.fetchval("SELECT action FROM audit_log") == "test"


async def test_json_columns_refuse_text_that_is_not_json(pg: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await pg.execute(
            "INSERT INTO audit_log (at, action, details) VALUES ($1, 'x', '{not json')", TIME
        )


async def _legal_request(pg: asyncpg.Connection) -> int:
    request_id: int = await pg.fetchval(
        "INSERT INTO legal_requests (authority, country, reference, order_type, issued_on, "
        "offence, target_kind, target_value, period_start, period_end, registered_by, "
        "registered_at) VALUES ('court', 'DE', 'ref-1', 'court_order', '2025-01-01', 'x', "
        "'username', 'someone', '2024-01-01', '2024-12-31', 1, $1) RETURNING id",
        TIME,
    )
    return request_id


async def _ledger_entry(pg: asyncpg.Connection, seq: int, request_id: int) -> None:
    await pg.execute(
        "INSERT INTO disclosure_ledger (seq, kind, request_id, violator_id, country, "
        "disclosed_at, content_sha256, prev_hash, entry_hash) "
        "VALUES ($1, 'copy', $2, 1, 'DE', $3, 'c', 'p', $4)",
        seq,
        request_id,
        TIME,
        f"hash-{seq}",
    )


async def test_the_disclosure_ledger_is_append_only_at_the_end_of_the_chain(
    pg: asyncpg.Connection,
) -> None:
    request_id = await _legal_request(pg)
    await _ledger_entry(pg, 1, request_id)
    await _ledger_entry(pg, 2, request_id)
    for statement in (
        "UPDATE disclosure_ledger SET country = 'FR'",
        "DELETE FROM disclosure_ledger WHERE seq = 2",
        "TRUNCATE disclosure_ledger",
    ):
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="append-only"):
            await pg.execute(statement)
    for seq in (2, 4):  # a rewrite, and a gap in the chain
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="append-only"):
            await _ledger_entry(pg, seq, request_id)
    assert await pg.fetchval("SELECT count(*) FROM disclosure_ledger") == 2


async def _observation(pg: asyncpg.Connection) -> int:
    target = await pg.fetchval(
        "INSERT INTO targets (key, kind, created_at, updated_at) "
        "VALUES ('user:x', 'user', $1, $1) RETURNING id",
        TIME,
    )
    case = await pg.fetchval(
        "INSERT INTO cases (target_id, category, opened_at, updated_at) "
        "VALUES ($1, 'spam', $2, $2) RETURNING id",
        target,
        TIME,
    )
    violator = await pg.fetchval(
        "INSERT INTO violators (target_id, category, case_id, confirmed_by, confirmed_at) "
        "VALUES ($1, 'spam', $2, 1, $3) RETURNING id",
        target,
        case,
        TIME,
    )
    row_id: int = await pg.fetchval(
        "INSERT INTO observations (violator_id, kind, ciphertext, key_id, blind_index, "
        "observed_at, source, recorded_at, dedupe) "
        "VALUES ($1, 'phone', 'sealed', 'k1', 'index', $2, 'bot', $2, 'dedupe') RETURNING id",
        violator,
        TIME,
    )
    return row_id


@pytest.mark.parametrize(
    "update",
    [
        "UPDATE observations SET observed_at = '2020-01-01T00:00:00.000000Z'",
        "UPDATE observations SET kind = 'ip'",
        "UPDATE observations SET blind_index = 'other'",
        "UPDATE observations SET blind_index = 'other', dedupe = 'other'",
    ],
)
async def test_an_observation_cannot_be_rewritten(pg: asyncpg.Connection, update: str) -> None:
    await _observation(pg)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="append-only"):
        await pg.execute(update)


async def test_an_observation_may_be_resealed_and_reindexed_under_a_new_key(
    pg: asyncpg.Connection,
) -> None:
    await _observation(pg)
    await pg.execute("UPDATE observations SET ciphertext = 'resealed', key_id = 'k2'")
    await pg.execute(
        "UPDATE observations SET blind_index = 'new', dedupe = 'new', blind_key_id = 'b2'"
    )
    row = await pg.fetchrow("SELECT key_id, blind_index, blind_key_id FROM observations")
    assert row is not None
    assert tuple(row) == ("k2", b"new", "b2")
