"""The small repositories' guarantees: audit log, redelivered updates, users, state, encoding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from moderation.audit import AuditEntry
from moderation.reporting.people import KnownUser
from storage import Store
from storage.codec import decode_json, decode_time, encode_time
from storage.location import Location, PostgresLocation, SqliteLocation
from storage.migrations import migrate
from storage.pg_migrations import migrate_postgres
from tests.storage.sqlite_files import NOW, STAMP
from tests.storage.stored import Refused, outside, outside_all, stored

MOSCOW = timezone(timedelta(hours=3))

# --- audit log ------------------------------------------------------------------------------


async def test_audit_append_returns_increasing_ids_and_reads_back_typed_entries(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        first = await uow.audit.append(
            at=NOW, actor_id=7, action="case.decided", subject_type="case", subject_id=1
        )
        second = await uow.audit.append(
            at=(NOW + timedelta(minutes=1)).astimezone(MOSCOW),
            actor_id=8,
            action="case.undone",
            subject_type="case",
            subject_id="1",
            details={"why": "ошибка", "nested": {"n": [1, 2]}},
        )
        third = await uow.audit.append(at=NOW, actor_id=None, action="bot.started")
    assert first < second < third

    async with store.reading() as uow:
        entries = await uow.audit.for_subject("case", 1)
        latest = await uow.audit.recent(limit=2)
        everything = await uow.audit.recent()
    assert entries == [
        AuditEntry(first, NOW, 7, "case.decided", "case", "1", {}),
        AuditEntry(
            second,
            NOW + timedelta(minutes=1),
            8,
            "case.undone",
            "case",
            "1",
            {"why": "ошибка", "nested": {"n": [1, 2]}},
        ),
    ]
    for entry in everything:
        assert isinstance(entry, AuditEntry)
        assert entry.at.tzinfo is UTC
    assert [e.id for e in latest] == [third, second]  # newest first
    assert [e.id for e in everything] == [third, second, first]
    assert latest[0] == AuditEntry(third, NOW, None, "bot.started", None, None, {})


async def test_audit_entries_of_a_rolled_back_transaction_are_not_kept(store: Store) -> None:
    async def decide_and_fail() -> None:
        async with store.transaction() as uow:
            await uow.audit.append(at=NOW, actor_id=7, action="case.decided")
            raise RuntimeError("decision failed")

    with pytest.raises(RuntimeError, match="decision failed"):
        await decide_and_fail()
    async with store.transaction() as uow:
        kept = await uow.audit.append(at=NOW, actor_id=7, action="case.decided")
    async with store.reading() as uow:
        assert [e.id for e in await uow.audit.recent()] == [kept]


async def test_the_audit_log_refuses_update_and_delete_even_outside_the_bot(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.audit.append(at=NOW, actor_id=7, action="case.decided", subject_id=3)
    before = await stored(store, "SELECT * FROM audit_log")
    with pytest.raises(Refused, match="append-only"):
        await outside(store, "UPDATE audit_log SET action = 'case.forged'")
    with pytest.raises(Refused, match="append-only"):
        await outside(store, "DELETE FROM audit_log")
    with pytest.raises(Refused, match="append-only"):
        await outside(
            store,
            "INSERT INTO audit_log (id, at, action) VALUES (1, 'x', 'y') "
            "ON CONFLICT (id) DO UPDATE SET action = excluded.action",
        )
    assert await stored(store, "SELECT * FROM audit_log") == before


@pytest.mark.engines("sqlite")  # REPLACE is SQLite's; PostgreSQL has only the upsert above
async def test_the_audit_log_refuses_replacing_an_entry(store: Store) -> None:
    async with store.transaction() as uow:
        entry = await uow.audit.append(at=NOW, actor_id=7, action="case.decided")
    with pytest.raises(Refused, match="append-only"):
        await outside(
            store,
            "REPLACE INTO audit_log (id, at, action) VALUES (?, ?, 'case.forged')",
            (entry, STAMP),
        )


async def test_audit_details_must_be_json_objects(store: Store) -> None:
    with pytest.raises(Refused, match=r"(?i)check"):
        await outside(
            store,
            "INSERT INTO audit_log (at, action, details) VALUES (?, 'x', 'not json')",
            (STAMP,),
        )


# --- processed updates ----------------------------------------------------------------------


async def test_a_redelivered_update_is_recognised_across_transactions(store: Store) -> None:
    async with store.transaction() as uow:
        assert await uow.updates.mark_processed(100, NOW) is True
    async with store.transaction() as uow:
        assert await uow.updates.mark_processed(100, NOW + timedelta(minutes=5)) is False
        assert await uow.updates.was_processed(100)
        assert not await uow.updates.was_processed(101)
    assert await stored(store, "SELECT update_id, processed_at FROM processed_updates") == [
        (100, STAMP)  # the redelivery did not move the first mark
    ]


async def test_an_update_whose_transaction_failed_is_not_marked(store: Store) -> None:
    async def handle_and_fail() -> None:
        async with store.transaction() as uow:
            assert await uow.updates.mark_processed(100, NOW)
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        await handle_and_fail()
    async with store.transaction() as uow:
        assert await uow.updates.mark_processed(100, NOW)  # processed again after redelivery


async def test_forgetting_old_updates_removes_only_marks_older_than_the_cutoff(
    store: Store,
) -> None:
    cutoff = NOW + timedelta(days=1)
    async with store.transaction() as uow:
        await uow.updates.mark_processed(1, NOW)
        await uow.updates.mark_processed(2, cutoff - timedelta(microseconds=1))
        await uow.updates.mark_processed(3, cutoff)
        await uow.updates.mark_processed(4, NOW + timedelta(days=3))
        assert await uow.updates.forget_before(cutoff) == 2
    async with store.reading() as uow:
        assert [await uow.updates.was_processed(n) for n in (1, 2, 3, 4)] == [
            False,
            False,
            True,
            True,
        ]
    async with store.transaction() as uow:
        assert await uow.updates.forget_before(cutoff) == 0
        assert await uow.updates.mark_processed(1, NOW)  # forgotten: would be processed again


# --- updates of two bots --------------------------------------------------------------------

OLD_BOT, NEW_BOT = 111111, 222222


async def test_two_bots_marks_and_journal_rows_with_one_update_id_are_kept_apart(
    store: Store,
) -> None:
    """issue 28, point 6: update ids are numbered per bot, so a database moved to another bot
    sees ids the old bot used; keyed by update_id alone, the new bot's were taken for
    redeliveries and dropped."""
    store.serve_bot(OLD_BOT)
    async with store.transaction() as uow:
        assert await uow.updates.mark_processed(7, NOW)
        assert await uow.journal.keep([(7, None, b"old 7"), (8, None, b"old 8")], NOW) == []
        assert await uow.journal.keep_for_claim(6, None, b"old 6", "1:1", NOW)
        await uow.journal.release([7], NOW)
    store.serve_bot(NEW_BOT)
    async with store.transaction() as uow:
        assert not await uow.updates.was_processed(7)
        assert await uow.updates.mark_processed(7, NOW)  # not a redelivery: another bot's 7
        assert await uow.journal.keep([(7, None, b"new 7")], NOW) == []
        assert await uow.journal.keep_for_claim(8, None, b"new 8", "1:1", NOW)
        assert await uow.journal.keep([(7, None, b"new 7")], NOW) == [7]  # its own again
        assert await uow.journal.unreleased() == [(7, None, b"new 7"), (8, None, b"new 8")]
        assert await uow.journal.adopt_unclaimable() == 1  # its 7; the old bot's 8 stays
        claimed = await uow.journal.claim("instance-a", NOW - timedelta(minutes=1), NOW, 10)
        # 8 does not wait for the old bot's unhandled 6 of a conversation with the same name
        assert [(update_id, payload) for update_id, _, payload, _ in claimed] == [
            (7, b"new 7"),
            (8, b"new 8"),
        ]
        await uow.journal.release([7, 8], NOW)
    store.serve_bot(OLD_BOT)
    async with store.reading() as uow:
        assert await uow.updates.was_processed(7)
        assert await uow.journal.unreleased() == [(6, None, b"old 6"), (8, None, b"old 8")]
    assert await stored(
        store, "SELECT bot_id, update_id FROM processed_updates ORDER BY bot_id"
    ) == [(OLD_BOT, 7), (NEW_BOT, 7)]


async def test_marks_and_journal_rows_from_before_the_bot_was_recorded_match_no_bot(
    empty_store_location: Location,
) -> None:
    """issue 28, point 6: rows written before migration 0026 belong to a bot whose id was never
    recorded; they get the sentinel 0, so they never match a bot's update."""
    location = empty_store_location
    if isinstance(location, SqliteLocation):
        await migrate(location.path, target=25)
    else:
        await migrate_postgres(location, target=25)
    await outside_all(
        location,
        ("INSERT INTO processed_updates (update_id, processed_at) VALUES (7, ?)", (STAMP,)),
        (
            "INSERT INTO update_journal (update_id, key_id, payload, received_at) "
            "VALUES (8, NULL, ?, ?)",
            (b"left", STAMP),
        ),
    )
    store = await Store.open(
        location, owner=location if isinstance(location, PostgresLocation) else None
    )
    try:
        assert await stored(store, "SELECT bot_id, update_id FROM processed_updates") == [(0, 7)]
        assert await stored(store, "SELECT bot_id, update_id FROM update_journal") == [(0, 8)]
        store.serve_bot(NEW_BOT)
        async with store.transaction() as uow:
            assert await uow.updates.mark_processed(7, NOW)
            assert await uow.journal.keep([(8, None, b"new")], NOW) == []
            assert await uow.journal.unreleased() == [(8, None, b"new")]
    finally:
        await store.close()


# --- users ----------------------------------------------------------------------------------


async def test_touch_records_a_new_user(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(5, "ru", NOW)
    async with store.reading() as uow:
        assert await uow.users.get(5) == KnownUser(5, "ru", NOW, NOW)
        assert await uow.users.language_of(5) == "ru"


async def test_touch_updates_the_language_and_the_last_visit_but_not_the_first(
    store: Store,
) -> None:
    later = NOW + timedelta(days=2)
    async with store.transaction() as uow:
        await uow.users.touch(5, "ru", NOW)
    async with store.transaction() as uow:
        await uow.users.touch(5, "en", later)
    async with store.reading() as uow:
        assert await uow.users.get(5) == KnownUser(5, "en", NOW, later)
    assert await stored(store, "SELECT count(*) FROM users") == [(1,)]


async def test_a_missing_language_keeps_the_one_we_knew(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(5, "ru", NOW)
        await uow.users.touch(5, None, NOW + timedelta(hours=1))
        assert await uow.users.language_of(5) == "ru"
        known = await uow.users.get(5)
    assert known == KnownUser(5, "ru", NOW, NOW + timedelta(hours=1))


async def test_an_older_update_arriving_late_does_not_move_the_last_visit_back(
    store: Store,
) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(5, "ru", NOW)
        await uow.users.touch(5, None, NOW - timedelta(minutes=3))
        known = await uow.users.get(5)
    assert known is not None
    assert known.last_seen_at == NOW


async def test_visits_in_other_time_zones_are_stored_as_utc(store: Store) -> None:
    async with store.transaction() as uow:
        await uow.users.touch(5, None, NOW.astimezone(MOSCOW))
        known = await uow.users.get(5)
    assert known is not None
    assert known.first_seen_at == NOW
    assert known.first_seen_at.tzinfo is UTC
    assert await stored(store, "SELECT first_seen_at FROM users") == [(STAMP,)]


async def test_unknown_users_have_no_language(store: Store) -> None:
    async with store.reading() as uow:
        assert await uow.users.get(404) is None
        assert await uow.users.language_of(404) is None


async def test_a_naive_datetime_is_refused_and_nothing_of_the_transaction_is_written(
    store: Store,
) -> None:
    async def touch_aware_then_naive() -> None:
        async with store.transaction() as uow:
            await uow.users.touch(6, "en", NOW)
            await uow.users.touch(7, "en", datetime(2026, 1, 1))  # noqa: DTZ001 - the point

    with pytest.raises(ValueError, match="naive datetime"):
        await touch_aware_then_naive()
    async with store.reading() as uow:
        assert await uow.users.get(6) is None
        assert await uow.users.get(7) is None
    assert await stored(store, "SELECT * FROM users") == []


async def test_outcome_notifications_are_on_until_switched_off(store: Store) -> None:
    async with store.transaction() as uow:
        assert await uow.users.notify_enabled(5) is True
        await uow.users.set_notify(5, False, NOW)  # before the first visit is recorded
        await uow.users.touch(5, "ru", NOW + timedelta(hours=1))
        assert await uow.users.notify_enabled(5) is False
        assert await uow.users.get(5) == KnownUser(5, "ru", NOW, NOW + timedelta(hours=1))
        await uow.users.set_notify(5, True, NOW)
        assert await uow.users.notify_enabled(5) is True


# --- bot state ------------------------------------------------------------------------------


async def test_state_values_are_stored_replaced_and_survive_a_restart(
    store_location: Location,
) -> None:
    store = await Store.open(store_location)
    try:
        async with store.transaction() as uow:
            assert await uow.state.get("offset") is None
            await uow.state.put("offset", "1", NOW)
            await uow.state.put("offset", "2", NOW + timedelta(seconds=1))
    finally:
        await store.close()
    reopened = await Store.open(store_location)
    try:
        async with reopened.reading() as uow:
            assert await uow.state.get("offset") == "2"
        assert await stored(reopened, "SELECT key, value, updated_at FROM bot_state") == [
            ("offset", "2", "2026-11-02T09:00:01.000000+00:00")
        ]
    finally:
        await reopened.close()


# --- encoding -------------------------------------------------------------------------------


def test_times_are_written_as_fixed_width_utc_text_whose_order_is_time_order() -> None:
    times = [
        NOW,
        NOW + timedelta(microseconds=1),
        NOW + timedelta(seconds=1),
        (NOW + timedelta(hours=1)).astimezone(MOSCOW),
        NOW + timedelta(days=400),
    ]
    encoded = [encode_time(t) for t in times]
    assert encoded[0] == STAMP
    assert encoded[3] == "2026-11-02T10:00:00.000000+00:00"
    assert len({len(text) for text in encoded}) == 1
    assert sorted(encoded) == encoded
    assert [decode_time(text) for text in encoded] == times
    assert all(decode_time(text).tzinfo is UTC for text in encoded)


def test_naive_datetimes_are_refused_by_the_encoder() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        encode_time(datetime(2026, 11, 2, 9, 0))  # noqa: DTZ001 - the point


def test_json_columns_hold_objects_only() -> None:
    assert decode_json('{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="JSON object"):
        decode_json("[1, 2]")
