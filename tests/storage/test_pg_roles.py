"""PostgreSQL least privilege, on a real server: the bot's own role is refused everything that
would switch off the guards of the append-only tables, yet runs the bot's real flows; db-check
names a superuser, an owner and a privilege beyond the guards.

The insider here is the bot's role itself (whoever holds DATABASE_URL: the bot's host, or the
bot's process turned against it). Until now the bot connected as the tables' owner (Compose:
the superuser), which may `ALTER TABLE disclosure_ledger DISABLE TRIGGER USER`, delete entries,
and enable the trigger again, while db-check said the triggers were present and enabled.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from moderation.legal.approvals import approve, void_officer_approvals
from moderation.legal.ledger_check import verify_ledger
from moderation.rekeying import rotate_everything
from storage import MigrationError, Store
from storage.location import PostgresLocation, parse_location
from storage.pg_maintenance import check_postgres
from storage.pg_roles import bot_grants, grant_bot_role, login_role, scram_verifier
from tests.postgres import PostgresCluster
from tests.storage.legal_fixtures import (
    ADMIN,
    BOB,
    NOW,
    POLICY,
    TEST_LEDGER_KEYS,
    analysed,
    disclosed,
    ledger_for,
    order,
    two_violators,
)
from tests.storage.test_key_rotation import after, before, keys_in_use

pytestmark = pytest.mark.usefixtures("postgres_cluster")


class Roles:
    """One migrated database and the three ways to log in to it."""

    def __init__(self, cluster: PostgresCluster, dsn: str, role: str, password: str) -> None:
        self.superuser = _location(dsn)
        self.bot = _location(cluster.dsn_as(dsn, role, password))
        self.role = role
        self.bot_password = password


def _location(dsn: str) -> PostgresLocation:
    location = parse_location(dsn)
    assert isinstance(location, PostgresLocation)
    return location


@pytest.fixture
async def roles(postgres_cluster: PostgresCluster) -> AsyncIterator[Roles]:
    """A migrated database (the superuser owns its tables, as in Compose) with the bot's
    role granted exactly its privileges, as `report-bot migrate` leaves it."""
    dsn = await postgres_cluster.create_migrated_database()
    role, password = await postgres_cluster.bot_role()
    made = Roles(postgres_cluster, dsn, role, password)
    assert await grant_bot_role(made.superuser, made.bot) is not None
    yield made
    await postgres_cluster.drop_database(dsn)


async def as_bot(roles: Roles, sql: str, *args: Any) -> str:
    conn = await asyncpg.connect(roles.bot.dsn)
    try:
        return str(await conn.execute(sql, *args))
    finally:
        await conn.close()


#: What the owner (or a superuser) would do to silence a guard, each refused to the bot's role.
SWITCHING_OFF = (
    "ALTER TABLE disclosure_ledger DISABLE TRIGGER USER",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete",
    "DROP TRIGGER disclosure_ledger_no_delete ON disclosure_ledger",
    "TRUNCATE disclosure_ledger",
    "TRUNCATE audit_log",
    "DELETE FROM disclosure_ledger",
    "DELETE FROM audit_log",
    "DELETE FROM legal_approvals",
    "DELETE FROM disclosures",
    "UPDATE audit_log SET action = action",
    "UPDATE disclosure_ledger SET entry_hash = entry_hash",
    "UPDATE legal_approvals SET officer_id = officer_id",
    "UPDATE disclosures SET phones = phones",
    "UPDATE observations SET value = value",
    "INSERT INTO schema_version (version, name, checksum, applied_at) VALUES (99, 'x', 'x', 'x')",
    "SET session_replication_role = replica",
    "CREATE TABLE shadow (id integer)",
    "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RETURN NEW; END; $$",
    "CREATE TRIGGER shadow AFTER INSERT ON audit_log EXECUTE FUNCTION refuse_change()",
)


async def test_the_bots_role_is_refused_what_would_switch_off_a_guard(roles: Roles) -> None:
    """Replays issue 27, point 4: as the tables' owner the bot could disable the ledger's
    triggers, delete, and enable them again; as a superuser, SET session_replication_role =
    replica. Its own role gets "permission denied" (or "must be owner") from the privileges,
    before any trigger is asked: each statement on a connection of its own."""
    allowed: list[str] = []
    for statement in SWITCHING_OFF:
        try:
            await as_bot(roles, statement)
        except asyncpg.InsufficientPrivilegeError:
            continue
        allowed.append(statement)
    assert allowed == []


async def test_the_bots_role_may_void_a_vote_and_reseal_but_change_nothing_else(
    roles: Roles,
) -> None:
    """The column-level UPDATEs the code uses are all it holds on the append-only tables."""
    assert await as_bot(roles, "UPDATE legal_approvals SET voided_at = voided_at") == "UPDATE 0"
    assert await as_bot(roles, "UPDATE disclosures SET key_id = key_id") == "UPDATE 0"
    assert await as_bot(roles, "UPDATE observations SET blind_index = blind_index") == "UPDATE 0"
    assert await as_bot(roles, "DELETE FROM observations WHERE id = 0") == "DELETE 0"


async def test_the_grants_follow_the_guard_triggers_of_the_migrations(roles: Roles) -> None:
    conn = await asyncpg.connect(roles.superuser.dsn)
    try:
        grants = {grant.table: grant for grant in await bot_grants(conn)}
    finally:
        await conn.close()
    row = {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert grants["audit_log"].privileges == {"SELECT", "INSERT"}
    assert grants["audit_log"].columns is None
    assert grants["disclosure_ledger"].privileges == {"SELECT", "INSERT"}
    assert grants["legal_approvals"].privileges == {"SELECT", "INSERT"}
    assert {"voided_at", "voided_reason"} <= set(grants["legal_approvals"].columns or ())
    assert "officer_id" not in (grants["legal_approvals"].columns or ())
    assert grants["disclosures"].privileges == {"SELECT", "INSERT"}
    assert {"key_id", "ciphertext"} <= set(grants["disclosures"].columns or ())
    assert grants["observations"].privileges == {"SELECT", "INSERT", "DELETE"}
    assert {"key_id", "ciphertext", "blind_index", "dedupe", "blind_key_id"} == set(
        grants["observations"].columns or ()
    )
    assert "INSERT" not in grants["sealed_before_binding"].privileges
    assert grants["schema_version"].privileges == {"SELECT"}
    assert grants["cases"].privileges == row
    guarded = {table for table, grant in grants.items() if grant.guarded}
    assert {"audit_log", "disclosure_ledger", "legal_approvals", "disclosures"} <= guarded
    assert {"observations", "sealed_before_binding"} <= guarded


async def test_granting_again_is_idempotent_and_reaches_a_table_added_later(
    roles: Roles,
) -> None:
    """A later migration's table gets its grants at the next `migrate`; a privilege someone
    added by hand is taken back."""
    conn = await asyncpg.connect(roles.superuser.dsn)
    try:
        await conn.execute("CREATE TABLE added_later (id integer PRIMARY KEY)")
        await conn.execute(f'GRANT DELETE, TRUNCATE ON audit_log TO "{roles.role}"')
    finally:
        await conn.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_bot(roles, "INSERT INTO added_later VALUES (1)")

    # Instances starting together with the owner's URL each grant: one at a time.
    await asyncio.gather(*(grant_bot_role(roles.superuser, roles.bot) for _ in range(3)))
    await grant_bot_role(roles.superuser, roles.bot)

    assert await as_bot(roles, "INSERT INTO added_later VALUES (1)") == "INSERT 0 1"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_bot(roles, "DELETE FROM audit_log")
    assert (await check_postgres(roles.bot)).warnings == ()


async def test_the_bot_works_end_to_end_as_its_own_role(roles: Roles) -> None:
    """A report filed and decided (the violator confirmed), observations recorded, a legal
    request registered, analysed, approved twice and disclosed, the ledger verified, a vote
    voided, every key rotated: a privilege the code needs and the role lacks fails here."""
    store = await Store.open(roles.bot)
    try:
        assert await as_bot(roles, "SELECT current_user") == "SELECT 1"
        await two_violators(store, before())
        result = await disclosed(store, before())
        assert (result.phones, result.ips) == (1, 2)
        report = await verify_ledger(store, before(), ledger_for(store))
        assert report.intact
        second = await analysed(store, before(), order(reference="P-2"))
        await approve(store, before(), POLICY, TEST_LEDGER_KEYS, second.id, BOB, NOW)
        async with store.transaction() as uow:
            voided = await void_officer_approvals(uow, BOB.user_id, ADMIN.user_id, NOW)
        assert voided == [second.id]
        rotation = await rotate_everything(store, after(), NOW)
        assert rotation.total > 0
        assert (await keys_in_use(store))["disclosures"] == {"k2"}
    finally:
        await store.close()


async def test_the_bots_role_cannot_migrate_and_says_what_to_run(
    roles: Roles, postgres_cluster: PostgresCluster
) -> None:
    """Without DATABASE_OWNER_URL a database behind this code is refused in one line."""
    dsn = await postgres_cluster.create_database()
    try:
        behind = _location(postgres_cluster.dsn_as(dsn, roles.role, roles.bot_password))
        with pytest.raises(MigrationError, match="DATABASE_OWNER_URL") as refused:
            await Store.open(behind)
        assert "run `report-bot migrate`" in str(refused.value)
        store = await Store.open(behind, owner=_location(dsn))
        try:
            assert store.grants is not None
            assert store.grants.role == roles.role == login_role(behind)
        finally:
            await store.close()
        assert (await check_postgres(behind)).ok
    finally:
        await postgres_cluster.drop_database(dsn)


# --- db-check ------------------------------------------------------------------------------


async def test_db_check_passes_for_the_bots_own_role(roles: Roles) -> None:
    report = await check_postgres(roles.bot)
    assert report.problems == ()
    assert report.role == roles.role
    assert report.role_risks == ()


async def test_db_check_fails_for_a_superuser_naming_the_risk(roles: Roles) -> None:
    """Replays issue 27, point 4: Compose's bot connected as the superuser and db-check said ok."""
    report = await check_postgres(roles.superuser)
    assert not report.ok
    (risk,) = report.role_risks
    assert "is a superuser" in risk
    assert "DISABLE TRIGGER" in risk
    assert "report-bot db create-role" in risk


async def test_db_check_fails_for_the_tables_owner_and_for_a_member_of_it(
    postgres_cluster: PostgresCluster,
) -> None:
    """The owner is no superuser here, and still may switch the guards off; so may a role
    that is a member of it. It grants the bot's role as well as a superuser does."""
    dsn = await postgres_cluster.create_database()
    suffix = uuid.uuid4().hex[:8]
    owner, member, password = f"owner_{suffix}", f"member_{suffix}", "owner-test-password"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
        await admin.execute(f"CREATE ROLE {member} LOGIN PASSWORD '{password}' IN ROLE {owner}")
        await admin.execute(f"ALTER SCHEMA public OWNER TO {owner}")
    finally:
        await admin.close()
    try:
        as_owner = _location(postgres_cluster.dsn_as(dsn, owner, password))
        store = await Store.open(as_owner, owner=as_owner)  # one role for both, as before
        await store.close()
        for who in (owner, member):
            report = await check_postgres(_location(postgres_cluster.dsn_as(dsn, who, password)))
            text = "\n".join(report.role_risks)
            assert "owns tables appeals, audit_log" in text, who
            assert "DISABLE TRIGGER" in text
            assert "and functions" in text  # refuse_change() could be replaced
            assert not report.ok
        assert f"(a member of {owner})" in text
        # The same owner (no superuser, nor the database's owner) grants the bot's role.
        role, bot_password = await postgres_cluster.bot_role()
        bot = _location(postgres_cluster.dsn_as(dsn, role, bot_password))
        assert await grant_bot_role(as_owner, bot) is not None
        assert (await check_postgres(bot)).problems == ()
    finally:
        await postgres_cluster.drop_database(dsn)
        admin = await asyncpg.connect(postgres_cluster.admin_dsn)
        try:
            await admin.execute(f"DROP ROLE {member}")
            await admin.execute(f"DROP ROLE {owner}")
        finally:
            await admin.close()


async def test_db_check_names_privileges_beyond_the_guards(roles: Roles) -> None:
    conn = await asyncpg.connect(roles.superuser.dsn)
    try:
        await conn.execute(f'GRANT DELETE ON audit_log TO "{roles.role}"')
        await conn.execute(f'GRANT UPDATE (officer_id) ON legal_approvals TO "{roles.role}"')
        await conn.execute(f'GRANT TRUNCATE ON disclosure_ledger TO "{roles.role}"')
        await conn.execute("ALTER TABLE disclosure_ledger DISABLE TRIGGER USER")
    finally:
        await conn.close()

    report = await check_postgres(roles.bot)

    text = "\n".join(report.problems)
    assert "holds DELETE on audit_log" in text
    assert "holds UPDATE (officer_id) on legal_approvals" in text
    assert "may TRUNCATE (or add triggers to) disclosure_ledger" in text
    assert "guard trigger disclosure_ledger_no_delete on disclosure_ledger is disabled" in text
    assert "report-bot migrate` with DATABASE_OWNER_URL" in text


def test_the_password_is_sent_as_a_verifier_that_answers_rfc_7677s_exchange() -> None:
    """The verifier `db create-role` sends (never the password): RFC 7677's example exchange
    (password "pencil", its salt and nonces) checks against it as the server checks a login."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt=salt)
    assert verifier.startswith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")
    stored_key, server_key = (base64.b64decode(k) for k in verifier.split("$")[2].split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth = (
        f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        f"c=biws,r={nonce}"
    ).encode()
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored_key, auth, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    server_signature = hmac.new(server_key, auth, hashlib.sha256).digest()
    assert base64.b64encode(server_signature) == b"6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    assert "pencil" not in verifier
