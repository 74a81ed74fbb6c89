"""Data safety (issue 9, section 6): a backup restores to an identical database; every earlier
schema version migrates to the latest with its data; a full disk is a clear error that
corrupts nothing, loses nothing acknowledged, and work resumes when space returns."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loopback import LoopbackServer, UserHandle
from moderation.instances import LeaseName
from moderation.registry.violators import ObservationKind, opened
from moderation.reporting.filing import file_report
from moderation.reporting.types import Filed
from moderation.review.case_copies import PostRef
from moderation.review.types import ClaimHolder, Menu, OpenMenu
from moderation.sealing import target_context, upgrade_seals
from moderation.staff.roles import Role
from storage import Database, Store, UnitOfWork, check_database, latest_version, migrate
from storage.crypto import (
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)
from tests.conftest import MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter
from tests.helpers import cli_env, database_in, run_cli
from tests.reliability.seeds import LIMITS, NOW, REPORTERS, new_report, seed_everything

# Tables the bot writes that a seeded database must fill; a new table fails the check below
# until the scenario in seeds.py writes to it too (or it is named here with the reason).
ALLOWED_EMPTY: frozenset[str] = frozenset(
    # Rows sealed before migration 0018, waiting to be re-sealed bound to their row: a
    # database the current code wrote never has any (the migration tests fill it).
    {"sealed_before_binding"}
)

Dump = dict[str, list[tuple[Any, ...]]]


def logical_dump(path: Path) -> Dump:
    """The schema and every table's rows in rowid order, read without changing the file."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        schema = list(
            conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        )
        dump: Dump = {"<schema>": schema}
        dump["<user_version>"] = list(conn.execute("PRAGMA user_version"))
        tables = [name for kind, name, _, _ in schema if kind == "table"]
        for table in tables:
            dump[table] = list(conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'))  # noqa: S608
        return dump
    finally:
        conn.close()


def pragma_rows(path: Path, pragma: str) -> list[tuple[Any, ...]]:
    return query_rows(path, f"PRAGMA {pragma}")


def query_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql))


# --- 1. backup and restore ----------------------------------------------------------------


async def test_a_backup_restores_to_an_identical_database_the_bot_runs_on(
    tmp_path: Path,
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
) -> None:
    key, index_key = new_key_text("restore"), new_secret_text()
    ledger_key = new_key_text("restore-ledger")
    cipher = PersonalDataCipher(parse_key(key), [], decode_secret(index_key, "index"))
    live = database_in(tmp_path)
    keys = {"ENCRYPTION_KEY": key, "BLIND_INDEX_KEY": index_key, "LEDGER_KEY": ledger_key}
    env = cli_env(DATABASE_PATH=str(live), **keys)
    settings = make_settings(
        database_path=live, encryption_key=key, blind_index_key=index_key, ledger_key=ledger_key
    )
    store = await Store.open(live)
    try:
        seeded = await seed_everything(store, cipher, settings.ledger())
        # Taken while the bot's connections are open and the latest commits sit in the WAL.
        assert Path(f"{live}-wal").stat().st_size > 0
        backups = tmp_path / "backups"
        backups.mkdir()
        backup = backups / "reportbot-2026-11-20.sqlite3"
        code, out, err = await run_cli(env, tmp_path, "backup", str(backup))
        assert code == 0, err
    finally:
        await store.close()

    empty = [table for table, rows in logical_dump(live).items() if not rows]
    assert set(empty) <= ALLOWED_EMPTY, f"the seed scenario leaves {empty} empty"

    # The restore procedure (docs/deploying.md, Operating): bot stopped; check the copy; move
    # the old files aside; copy the backup to DATABASE_PATH; db-check; start the bot.
    assert check_database(backup).ok
    aside = tmp_path / "aside"
    aside.mkdir()
    for companion in live.parent.glob(live.name + "*"):
        companion.rename(aside / companion.name)
    original = aside / live.name
    shutil.copyfile(backup, live)
    code, out, err = await run_cli(env, tmp_path, "db-check")
    assert code == 0, err + out

    before, after = logical_dump(original), logical_dump(live)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], f"{table} differs after the restore"
    tables = [name for name in before if not name.startswith("<")]
    rows = sum(len(before[name]) for name in tables)
    objects = len(before["<schema>"])
    print(f"backup restored: {len(tables)} tables, {rows} rows, {objects} schema objects")  # noqa: T201
    assert pragma_rows(live, "user_version") == pragma_rows(original, "user_version")
    assert pragma_rows(live, "integrity_check") == [("ok",)]
    assert pragma_rows(live, "foreign_key_check") == []
    code, out, err = await run_cli(env, tmp_path, "ledger", "verify")
    assert code == 0, err
    assert "ledger: 1 entry, intact" in out

    bot: RunningBot = await start_bot(settings)
    reporter = loopback.add_user(first_name="Rita", language_code="en", user_id=REPORTERS[0])
    await reporter.send("/myreports")
    texts = [(await reporter.next_message(timeout=15)).text for _ in range(3)]
    # The outcome notifications still owed when the backup was taken go out after the restore.
    assert sum("Your report #" in text for text in texts) == 2
    (answer,) = [text for text in texts if "Your report #" not in text]
    assert "@pill_shop" in answer
    assert "@cooking_club" in answer
    async with bot.application.bot_data.services.store.reading() as uow:
        timeline = await uow.registry.timeline(seeded.violator_id)
    assert len(timeline) == 4


# --- 2. migrations with data --------------------------------------------------------------

# :t0 ... :t6 in the seeds: 1 to 7 July 2026, 10:00 UTC, in the bot's stored time format.
TIMES = {f"t{day - 1}": f"2026-07-0{day}T10:00:00.000000+00:00" for day in range(1, 8)}
SEED_PHONE = "+447700900131"
SEED_LEGAL_PHONE = "+447700900132"

# Rows a deployment at each schema version could hold, keyed by the version that introduced
# the tables and columns they use; each entry is applied at exactly that version, on top of
# the earlier ones. A new migration that adds a table or column adds an entry here (and a read
# in READS below). Named parameters (:phone_cipher ...) are sealed with the test's own keys.
SEEDS: dict[int, tuple[str, ...]] = {
    1: (
        "INSERT INTO users (user_id, language_code, first_seen_at, last_seen_at) VALUES "
        "(920001, 'en', :t0, :t0), (920002, 'ru', :t0, :t1), "
        "(920003, NULL, :t0, :t0), (920004, 'en', :t0, :t0)",
        "INSERT INTO bot_state (key, value, updated_at) VALUES ('seed.v1', 'kept', :t0)",
    ),
    2: (
        "INSERT INTO audit_log (at, actor_id, action, subject_type, subject_id, details) "
        "VALUES (:t0, 920002, 'access.denied', 'command', 'queue', "
        """'{"command":"queue"}')""",
    ),
    3: ("INSERT INTO processed_updates (update_id, processed_at) VALUES (5001, :t0)",),
    4: (
        "UPDATE users SET notify_outcomes = 0 WHERE user_id = 920002",
        "INSERT INTO blocked_users (user_id, blocked_by, blocked_at, reason) "
        "VALUES (920003, 920002, :t0, 'floods reports')",
        "INSERT INTO targets (id, key, kind, username, created_at, updated_at) VALUES "
        "(1, '@pill_shop', 'public', 'pill_shop', :t0, :t0), "
        "(2, '@gun_store', 'public', 'gun_store', :t0, :t0)",
        "INSERT INTO cases (id, target_id, category, opened_at, updated_at) VALUES "
        "(1, 1, 'drugs', :t0, :t0), (2, 2, 'weapons', :t0, :t0)",
        "INSERT INTO reports (id, case_id, target_id, reporter_id, category, query, raw_input, "
        "source, forward_origin, comment, language_code, created_at, update_id, draft_id) VALUES "
        "(1, 1, 1, 920001, 'drugs', 'cheap pills', '@pill_shop', 'one_message', NULL, "
        "'sells pills', 'en', :t0, 5001, NULL), "
        "(2, 2, 2, 920002, 'weapons', 'rifles', 'https://t.me/gun_store', 'guided', "
        """'{"type":"channel","chat_id":-100777,"username":"gun_store"}', NULL, 'ru', """
        ":t0, 5002, 11)",
        "INSERT INTO report_drafts (user_id, draft_id, chat_id, step, data, language_code, "
        "started_at, updated_at, expires_at) VALUES (920001, 12, 920001, 'result', "
        """'{"source":"guided","query":"fake ids","comment_done":false}', 'en', """
        ":t0, :t0, :t1)",
    ),
    5: (
        "UPDATE cases SET status = 'approved', version = 1, decision_category = 'weapons', "
        "decided_at = :t2, decided_by = 920002, decided_by_name = '@mod', "
        "updated_at = :t2 WHERE id = 2",
        "UPDATE case_posts SET message_id = 77, chat_id = -100500, posted_at = :t1, "
        "shown_version = 1, edited_at = :t2 WHERE case_id = 2",
        "INSERT INTO outbox (dedupe_key, kind, chat_id, payload, status, created_at, "
        "next_attempt_at) VALUES ('outcome:2:920002', 'outcome', 920002, "
        """'{"case_id":2}', 'pending', :t2, :t2)""",
        "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at) "
        "VALUES (2, '@gun_store', 2, 'weapons', :t2)",
        "INSERT INTO violators (id, target_id, category, case_id, confirmed_by, confirmed_at) "
        "VALUES (1, 2, 'weapons', 2, 920002, :t2)",
    ),
    7: (
        "UPDATE cases SET priority = 5, escalated_at = :t3, escalated_by = 920002, "
        "escalated_by_name = '@mod', escalation_note = 'needs a second look', "
        "provisionally_hidden_at = :t3 WHERE id = 1",
        "UPDATE case_posts SET requested_at = :t3 WHERE case_id = 1",
        "INSERT INTO search_blocklist (target_id, target_key, case_id, category, hidden_at, "
        "provisional) VALUES (1, '@pill_shop', 1, 'drugs', :t3, 1)",
        "INSERT INTO case_notes (case_id, author_id, author_name, text, created_at) VALUES "
        "(1, 920002, '@mod', 'checked the channel', :t3)",
    ),
    8: (
        "INSERT INTO appeals (case_id, appellant_id, language_code, statement, original_status, "
        "original_decided_by, original_decided_at, created_at, update_id, next_attempt_at) "
        "VALUES (2, 920004, 'en', 'We only sell airsoft replicas.', 'approved', 920002, "
        ":t2, :t4, 5003, :t4)",
    ),
    9: (
        "INSERT INTO observations (violator_id, kind, value, observed_at, source, recorded_at, "
        "dedupe) VALUES (1, 'username', 'gun_store_old', :t1, 'import', :t4, X'01')",
        "INSERT INTO observations (violator_id, kind, ciphertext, key_id, blind_index, "
        "observed_at, source, recorded_at, dedupe) VALUES (1, 'phone', :phone_cipher, :key_id, "
        ":phone_blind, :t1, 'import', :t4, X'02')",
        "UPDATE violators SET legal_hold = 1 WHERE id = 1",
    ),
    10: ("UPDATE violators SET last_observed_at = :t5 WHERE id = 1",),
    11: (
        "INSERT INTO role_grants (user_id, role, granted_by, granted_at) "
        "VALUES (920004, 'moderator', 920009, :t5), (920005, 'legal', 920009, :t5)",
        "UPDATE users SET username = 'rita_test' WHERE user_id = 920001",
    ),
    12: (
        "INSERT INTO legal_requests (id, authority, country, reference, order_type, issued_on, "
        "offence, target_kind, target_cipher, target_key_id, target_blind, period_start, "
        "period_end, state, violator_id, analysis, analysis_by, analysis_at, registered_by, "
        "registered_at) VALUES (1, 'Amtsgericht Teststadt', 'DE', 'AG-1/26', 'court_order', "
        "'2026-07-01', 'drug_trafficking', 'phone', :legal_cipher, :key_id, :legal_blind, "
        "'2026-06-01', '2026-06-30', 'disclosed', 1, 'A valid order.', 920021, "
        ":t6, 920021, :t6)",
        "INSERT INTO legal_documents (request_id, file_name, mime_type, size, sha256, content, "
        "stored_at) VALUES (1, 'order.pdf', 'application/pdf', 4, 'ab12', X'25504446', :t6)",
        "INSERT INTO legal_approvals (request_id, officer_id, decision, decided_at) VALUES "
        "(1, 920022, 'approve', :t6), (1, 920023, 'approve', :t6)",
        # Placeholder hashes: these rows check survival, not the ledger (test 1 does that).
        "INSERT INTO disclosures (request_id, ciphertext, key_id, content_sha256, phones, ips, "
        "disclosed_to, disclosed_at) VALUES (1, X'0102', :key_id, 'cd34', 1, 0, 920023, :t6)",
        "INSERT INTO disclosure_ledger (seq, request_id, violator_id, country, disclosed_at, "
        "content_sha256, prev_hash, entry_hash) VALUES (1, 1, 1, 'DE', :t6, 'cd34', "
        "'genesis', 'ef56')",
    ),
    14: (
        # An update taken but not handled when the bot stopped, and a handled one's tombstone.
        "INSERT INTO update_journal (update_id, key_id, payload, received_at, released_at) "
        "VALUES (51, NULL, CAST('{\"update_id\":51}' AS BLOB), :t6, NULL), "
        "(50, NULL, NULL, :t6, :t6)",
    ),
    19: (
        # Case 2's post (message 77) had a copy above it, found by a press, not yet retired.
        "UPDATE case_posts SET copies_unknown = 1, copy_since = :t1 WHERE case_id = 2",
        "INSERT INTO case_post_copies (chat_id, message_id, case_id, found_at, found_by, "
        "next_attempt_at) VALUES (-100500, 76, 2, :t6, 'press', :t6)",
    ),
    20: (
        # An instance that stopped, and the jobs lease it left behind (lapsed long ago).
        "INSERT INTO instances (id, host, pid, mode, version, started_at, seen_at, stopped_at) "
        "VALUES ('seed-host:4242:abcdef', 'seed-host', 4242, 'polling', '0.9', :t0, :t6, :t6)",
        "INSERT INTO leases (name, holder, acquired_at, expires_at) "
        "VALUES ('jobs', 'seed-host:4242:abcdef', :t0, :t6)",
    ),
    22: (
        # Two messages the review group's budget counted, and a pause after a 429.
        "INSERT INTO chat_sends (budget, sent_ms) VALUES ('review', 1000), ('review', 2000)",
        "INSERT INTO chat_pauses (budget, until_ms) VALUES ('review', 3000)",
    ),
    24: (
        # A legal role one admin proposed, waiting for a second admin.
        "INSERT INTO pending_grants (user_id, role, proposed_by, proposed_at) "
        "VALUES (920006, 'legal', 920009, :t6)",
    ),
    27: (
        # The category menu a moderator opened on pending case 1's post.
        "INSERT INTO case_menus (case_id, menu, opened_at, open_until) "
        "VALUES (1, 'categories', :t5, :t6)",
    ),
    28: (
        # Pending case 1 served to a moderator in a private chat, and skipped by another.
        "INSERT INTO review_claims (case_id, moderator_id, moderator_name, kind, via, "
        "claimed_at, claimed_until) VALUES (1, 920004, '@mod', 'claim', 'private', :t5, :t6), "
        "(1, 920007, '@other', 'skip', 'console', :t5, :t6)",
    ),
    29: (
        # A console session (only its token's hash), the init data that opened it, and the
        # moderator viewing pending case 1.
        "INSERT INTO console_sessions (token_hash, user_id, name, language, created_at, "
        "expires_at) VALUES ('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', "
        "920004, '@mod', 'en', :t5, :t6)",
        "INSERT INTO console_init_data (hash, user_id, used_at, keep_until) "
        "VALUES ('5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8', 920004, "
        ":t5, :t6)",
        "INSERT INTO console_viewers (case_id, user_id, name, seen_at) "
        "VALUES (1, 920004, '@mod', :t6)",
    ),
}

# What must hold after migrating any seeded version to the latest (each query lists offenders):
# rows the migrations derive from older ones (0005 posts every pending case, 0009 links each
# violator to its confirming case and dates its last confirmation) and defaults of new columns.
INVARIANTS: dict[str, str] = {
    "a pending case without its post (0005)": (
        "SELECT id FROM cases WHERE status = 'pending' "
        "AND id NOT IN (SELECT case_id FROM case_posts)"
    ),
    "a violator not linked to its confirming case (0009)": (
        "SELECT v.id FROM violators v WHERE NOT EXISTS (SELECT 1 FROM violator_cases c "
        "WHERE c.violator_id = v.id AND c.case_id = v.case_id AND c.category = v.category "
        "AND c.confirmed_by = v.confirmed_by AND c.confirmed_at = v.confirmed_at)"
    ),
    "a violator without its last confirmation (0009)": (
        "SELECT id FROM violators WHERE last_confirmed_at IS NULL "
        "OR last_confirmed_at < confirmed_at"
    ),
    "a user whose notification choice is unset (0004)": (
        "SELECT user_id FROM users WHERE notify_outcomes IS NULL"
    ),
}


async def read_v1(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    user = await uow.users.get(920002)
    assert user is not None
    assert user.language_code == "ru"
    assert user.last_seen_at == datetime(2026, 7, 2, 10, 0, tzinfo=UTC)
    assert await uow.users.notify_enabled(920001)
    assert await uow.state.get("seed.v1") == "kept"


async def read_v2(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    (entry,) = await uow.audit.for_subject("command", "queue")
    assert (entry.action, entry.actor_id) == ("access.denied", 920002)


async def read_v3(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    assert await uow.updates.was_processed(5001)


async def read_v4(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    assert not await uow.users.notify_enabled(920002)
    assert await uow.blocks.is_blocked(920003)
    (report,) = await uow.reports.recent_by_reporter(920001, 10)
    assert (report.id, report.target.username, report.category) == (1, "pill_shop", "drugs")
    assert await uow.reports.id_for_draft(11) == 2
    draft = await uow.drafts.get(920001)
    assert draft is not None
    assert (draft.draft_id, draft.query) == (12, "fake ids")
    case = await uow.review.view(1)
    assert case is not None
    assert case.status.value == "pending"


async def read_v5(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    case = await uow.review.view(2)
    assert case is not None
    assert (case.status.value, case.decided_by_name) == ("approved", "@mod")
    assert "@gun_store" in {row["target_key"] for row in await uow.blocklist.entries()}
    violator = await uow.registry.violator(1)
    assert violator is not None
    assert await uow.registry.by_username("gun_store") == [1]
    assert await uow.operating.outbox_pending() == 1


async def read_v7(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    case = await uow.review.view(1)
    assert case is not None
    assert case.priority == 5
    assert case.notes_total == 1


async def read_v8(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    appeal = await uow.appeals.get(1)
    assert appeal is not None
    assert appeal.case_id == 2


async def read_v9(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    timeline = [opened(cipher, row) for row in await uow.registry.timeline(1)]
    assert {(o.kind.value, o.value) for o in timeline} == {
        ("username", "gun_store_old"),
        ("phone", SEED_PHONE),
    }
    blind = cipher.blind_index("phone", SEED_PHONE)
    assert await uow.registry.by_blind_index(ObservationKind.PHONE, [blind]) == [1]


async def read_v11(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    assert await uow.roles.granted_roles(920004) == frozenset({Role.MODERATOR})
    # A legal grant made by one admin before confirmations existed stays in force, marked
    # legacy (confirmed by nobody); a moderator grant never needed a confirmation.
    legal = await uow.roles.grant_record(920005, Role.LEGAL)
    assert legal is not None
    assert (legal.legacy, legal.confirmed_by, legal.granted_by) == (True, None, 920009)
    moderator = await uow.roles.grant_record(920004, Role.MODERATOR)
    assert moderator is not None
    assert not moderator.legacy
    assert await uow.users.id_by_username("rita_test") == 920001


async def read_v12(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    request = await uow.legal.request(1)
    assert request is not None
    assert (request.state.value, request.violator_id, len(request.votes)) == ("disclosed", 1, 2)
    sealed = request.target_sealed
    assert sealed is not None
    assert sealed.ciphertext is not None
    assert sealed.key_id is not None
    context = target_context(1, "phone")
    assert cipher.decrypt(sealed.key_id, sealed.ciphertext, context) == SEED_LEGAL_PHONE
    assert [entry.seq for entry in await uow.legal.ledger()] == [1]


async def read_v14(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    assert await uow.journal.unreleased() == [(51, None, b'{"update_id":51}')]


async def read_v19(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    (task,) = await uow.copies.due(datetime(2026, 7, 7, 10, tzinfo=UTC), 10)
    assert (task.copy, task.case_id, task.live) == (PostRef(-100500, 76), 2, PostRef(-100500, 77))


async def read_v20(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    assert await uow.instances.live(datetime(2000, 1, 1, tzinfo=UTC)) == []  # it had stopped
    lease = await uow.leases.get(LeaseName.JOBS)
    assert lease is not None
    assert lease.holder == "seed-host:4242:abcdef"


async def read_v22(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    assert await uow.sends.sent_since("review", 0) == [1000, 2000]
    assert await uow.sends.paused_until("review") == 3000


async def read_v24(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    pending = await uow.roles.pending(920006, Role.LEGAL)
    assert pending is not None
    assert pending.proposed_by == 920009
    assert await uow.roles.granted_roles(920006) == frozenset()


async def read_v27(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    open_until = datetime(2026, 7, 7, 10, tzinfo=UTC)
    assert await uow.menus.of(1) == OpenMenu(1, Menu.CATEGORIES, open_until)
    assert await uow.menus.expired(open_until) == []
    assert await uow.menus.expired(open_until + timedelta(seconds=1)) == [(1, True)]


async def read_v28(uow: UnitOfWork, cipher: PersonalDataCipher) -> None:
    until = datetime(2026, 7, 7, 10, tzinfo=UTC)
    holders = await uow.claims.holders([1], until - timedelta(seconds=1))
    assert holders == {1: ClaimHolder(920004, "@mod", "private", until)}
    assert await uow.claims.holders([1], until) == {}


# Reads through the bot's repositories, keyed like SEEDS: every seeded version must be readable.
READS: dict[int, Callable[[UnitOfWork, PersonalDataCipher], Awaitable[None]]] = {
    1: read_v1,
    2: read_v2,
    3: read_v3,
    4: read_v4,
    5: read_v5,
    7: read_v7,
    8: read_v8,
    9: read_v9,
    11: read_v11,
    12: read_v12,
    14: read_v14,
    19: read_v19,
    20: read_v20,
    22: read_v22,
    24: read_v24,
    27: read_v27,
    28: read_v28,
}

LATEST = latest_version()


def sealed_params(cipher: PersonalDataCipher) -> dict[str, Any]:
    key_id, phone_cipher = cipher.encrypt(SEED_PHONE, "phone")
    _, legal_cipher = cipher.encrypt(SEED_LEGAL_PHONE, "phone")
    return {
        **TIMES,
        "key_id": key_id,
        "phone_cipher": phone_cipher,
        "phone_blind": cipher.blind_index("phone", SEED_PHONE),
        "legal_cipher": legal_cipher,
        "legal_blind": cipher.blind_index("phone", SEED_LEGAL_PHONE),
    }


def apply_seed(path: Path, version: int, params: dict[str, Any]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")
        for statement in SEEDS.get(version, ()):
            conn.execute(statement, params)
        conn.execute("COMMIT")
    finally:
        conn.close()


def table_rows(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Each table's column names and rows (rowid order)."""
    with sqlite3.connect(path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
            )
        ]
        found: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in tables:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            found[table] = (columns, select(conn, table, columns))
        return found


def select(conn: sqlite3.Connection, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    names = ", ".join(f'"{column}"' for column in columns)
    return list(conn.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid'))  # noqa: S608


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(
        parse_key(new_key_text("seed")), [], decode_secret(new_secret_text(), "index")
    )


async def test_the_seeds_fill_every_table_of_the_latest_schema(tmp_path: Path) -> None:
    """A new table fails here until SEEDS writes to it at the version that creates it."""
    path = tmp_path / "db.sqlite3"
    key = new_key_text("seed")
    cipher = PersonalDataCipher(parse_key(key), [], decode_secret(new_secret_text(), "index"))
    params = sealed_params(cipher)
    for version in range(1, LATEST + 1):
        await migrate(path, target=version)
        apply_seed(path, version, params)
    empty = [table for table, (_, rows) in table_rows(path).items() if not rows]
    assert empty == []
    assert pragma_rows(path, "foreign_key_check") == []
    assert set(READS) <= set(SEEDS)


@pytest.mark.parametrize("version", range(1, LATEST))
async def test_every_earlier_schema_version_migrates_to_the_latest_with_its_data(
    version: int, tmp_path: Path, cipher: PersonalDataCipher
) -> None:
    path = tmp_path / "db.sqlite3"
    params = sealed_params(cipher)
    for step in range(1, version + 1):
        await migrate(path, target=step)
        apply_seed(path, step, params)
    before = table_rows(path)

    report = await migrate(path)

    assert (report.from_version, report.to_version) == (version, LATEST)
    after = table_rows(path)
    with sqlite3.connect(path) as conn:
        for table, (columns, rows) in before.items():
            assert table in after, f"{table} is gone"
            kept = select(conn, table, columns)
            if table == "schema_migrations":
                kept = kept[: len(rows)]  # the migrations just applied add their rows
            assert kept == rows, f"{table} changed its rows while migrating from {version}"
        for problem, query in INVARIANTS.items():
            assert list(conn.execute(query)) == [], problem
    assert pragma_rows(path, "integrity_check") == [("ok",)]
    assert pragma_rows(path, "foreign_key_check") == []
    assert pragma_rows(path, "user_version") == [(LATEST,)]

    store = await Store.open(path)
    try:
        # What the bot does first at start-up: values sealed before the row binding (all of
        # these seeds) are re-sealed bound to their rows; the seeded placeholder disclosure
        # (not a ciphertext) does not open and is named.
        upgrade = await upgrade_seals(store, cipher)
        assert set(upgrade.unopenable) <= {"disclosures 1"}
        async with store.reading() as uow:
            assert await uow.seals.pending() == 0
            for seeded, read in READS.items():
                if seeded <= version:
                    await read(uow, cipher)
        # And the bot writes on top of what it found: a new report joins the open case.
        filed = await file_report(store, new_report(920005, "pill_shop"), LIMITS, NOW)
        assert isinstance(filed, Filed)
    finally:
        await store.close()
    reports_on_case = query_rows(path, "SELECT case_id, count(*) FROM reports GROUP BY 1")
    assert (filed.case_id, 2 if version >= 4 else 1) in reports_on_case
    assert check_database(path).ok


# --- 3. a full disk -------------------------------------------------------------------------

FILL_ATTEMPTS = 60  # one-message reports sent until one is refused (about 13 fit)
ATTEMPTS_WHILE_FULL = 5
STORAGE_FULL = "our storage is full at the moment"
RECEIPT = re.compile(r"Report #(\d+) received")


async def set_page_limit(store: Store, pages_more: int | None) -> None:
    """Caps the database's growth on the bot's own writer connection (test-only: SQLite's
    max_page_count stands in for a full disk); None lifts the cap again."""
    database = store._db  # the writer is private to storage; only this test reaches for it
    assert isinstance(database, Database)  # a SQLite store
    if pages_more is not None:
        # Free pages inside the file (a migration that rebuilt a table leaves some) would be
        # reused past the cap: compact the file first, so the cap is a full disk.
        async with database._write_lock:
            await database._writer.execute("VACUUM")
    async with database.transaction() as conn:
        row = (await conn.fetch_all("PRAGMA page_count"))[0]
        limit = 1_073_741_823 if pages_more is None else int(row[0]) + pages_more
        await conn.fetch_all(f"PRAGMA max_page_count = {limit}")


async def one_message_report(user: UserHandle, target: str) -> str:
    await user.send(f"/report @{target} drugs cheap pills " + "x" * 200)
    return (await user.next_message(timeout=15)).text


def stored_reports(database: Path) -> dict[int, str]:
    return dict(
        query_rows(
            database,
            "SELECT r.id, t.username FROM reports r JOIN targets t ON t.id = r.target_id",
        )
    )


def events(bot: RunningBot, name: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in bot.log_text().splitlines() if line.startswith("{")]
    return [event for event in found if event.get("event") == name]


async def test_a_full_disk_is_explained_loses_nothing_acknowledged_and_work_resumes(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
) -> None:
    moderator = loopback.add_user(first_name="Mona", language_code="en", user_id=MODERATOR_ID)
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    bot: RunningBot = await start_bot(make_settings(review_chat_id=chat.id))
    store: Store = bot.application.bot_data.services.store
    database = bot.settings.database_path

    # A guided report (long answers: it needs more room than the reports that fill the disk)
    # waits at its summary while the disk fills.
    guided = Reporter(loopback.add_user(first_name="Gil", language_code="en"), loopback)
    await guided.say("/report")
    await guided.say("cheap pills " + "q" * 240)
    prompt = await guided.say("@guided_shop")
    prompt = await guided.tap(prompt, "Illegal drugs")
    summary = await guided.say("They sell pills. " + "c" * 980)
    await set_page_limit(store, 0)

    acknowledged: dict[int, str] = {}  # report id -> target, from the receipts
    refused: list[str] = []
    for attempt in range(1, FILL_ATTEMPTS + 1):
        target = f"shop_{attempt:03d}"
        user = loopback.add_user(first_name=f"R{attempt}", language_code="en")
        answer = await one_message_report(user, target)
        if (receipt := RECEIPT.search(answer)) is not None:
            acknowledged[int(receipt.group(1))] = target
            continue
        assert STORAGE_FULL in answer, answer
        refused.append(target)
        break
    assert refused, f"{FILL_ATTEMPTS} reports fit; the database never filled"
    for attempt in range(ATTEMPTS_WHILE_FULL):
        target = f"late_{attempt}"
        user = loopback.add_user(first_name=f"L{attempt}", language_code="en")
        assert STORAGE_FULL in await one_message_report(user, target)
        refused.append(target)
    alert = await guided.tap_for_alert(summary, "✅ Submit")
    assert alert.text is not None
    assert STORAGE_FULL in alert.text
    assert alert.show_alert

    # Every receipt is backed by a stored report; nothing refused was half written.
    assert stored_reports(database) == acknowledged
    assert check_database(database).ok
    full = events(bot, "database_full")
    assert len(full) == len(refused) + 1
    assert all("is full" in event["error"] for event in full)
    assert "Traceback" not in json.dumps(full)
    assert not events(bot, "update_failed")

    await set_page_limit(store, None)  # space returns
    submitted = await guided.tap(guided.current(summary), "✅ Submit")
    assert RECEIPT.search(submitted.text) is not None
    retried = loopback.add_user(first_name="Again", language_code="en")
    again = RECEIPT.search(await one_message_report(retried, refused[0]))
    assert again is not None
    assert stored_reports(database)[int(again.group(1))] == refused[0]
    cases = len(acknowledged) + 2
    await loopback.wait_for(lambda: len(chat.messages()) >= cases, timeout=15)
    titles = [message.text.split("\n", 1)[0] for message in chat.messages()]
    assert len(titles) == len(set(titles)) == cases  # each case posted once
    assert check_database(database).ok


@pytest.mark.slow
async def test_a_post_telegram_accepted_while_the_database_was_locked_is_not_posted_again(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
) -> None:
    """Another process (a backup, an import, an operator's sqlite3 shell) holds the write lock
    longer than the bot's busy timeout while a case post is on its way: Telegram accepts the
    post, its record cannot be written. Once the lock is gone the post is recorded, not sent
    a second time (the same holds for a full disk that refuses even an in-place update)."""
    moderator = loopback.add_user(first_name="Mona", language_code="en", user_id=MODERATOR_ID)
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    bot: RunningBot = await start_bot(make_settings(review_chat_id=chat.id))
    database = bot.settings.database_path
    held = loopback.faults.inject("sendMessage", kind="hold", chat_id=chat.id, times=1)
    reporter = Reporter(loopback.add_user(first_name="Rita", language_code="en"), loopback)
    assert "received" in (await reporter.say("/report @locked_shop drugs cheap pills")).text
    # The send is written down before it goes out (0019): the lock is taken once it is on
    # its way, held up by the hold above, which lets it go on once the lock is taken.
    begun = "SELECT sends_unsettled FROM case_posts"
    await loopback.wait_for(lambda: query_rows(database, begun) == [(1,)], timeout=15)

    blocker = sqlite3.connect(database, timeout=30, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    held.release()
    try:
        await loopback.wait_for(lambda: len(chat.messages()) == 1, timeout=15)
        await loopback.wait_for(lambda: bool(events(bot, "delivery_failed")), timeout=30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    [posted] = chat.messages()
    recorded = "SELECT message_id FROM case_posts"
    await loopback.wait_for(
        lambda: query_rows(database, recorded) == [(posted.message_id,)], timeout=30
    )
    assert len(events(bot, "case_post_recorded_late")) == 1
    # The case lives on in that message: pressing its buttons edits it, nothing is posted again.
    moderator_view = chat.messages()[0]
    press = await moderator.press(moderator_view, text="❌ Reject")
    await press.answered(timeout=15)
    await loopback.wait_for(lambda: chat.messages()[0].buttons() != posted.buttons(), timeout=15)
    assert len(chat.messages()) == 1
    assert check_database(database).ok
