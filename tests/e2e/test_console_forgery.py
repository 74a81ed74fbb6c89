"""The console against a database writer and a flood, over real HTTP against the real bot, both
engines. A session row inserted or altered from outside the bot (another user, language or
expiry) opens nothing: 401 `session_forged`, one audit row each, and a legal officer's vote cast
through it is never recorded; a genuine session still works. Calls without a session are
counted, not written one audit row each. The retention job deletes expired console rows and
review claims."""

from __future__ import annotations

import hashlib
import json
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest

from handlers.console.queue import KINDS
from moderation.console.sessions import REFUSED_ACTION
from storage.codec import encode_time
from tests.conftest import ENGINES, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.console import ConsoleClient
from tests.e2e.test_console_legal import (
    audit_rows,
    base_url,
    clients,  # noqa: F401 - a fixture, used by name
    console_bot,  # noqa: F401 - a fixture, used by name
    signed_in,
)
from tests.e2e.test_legal import NOW, OFFICER_B, OFFICER_C
from tests.e2e.test_reporting_lifecycle import run_job
from tests.engines import execute_beside, rows
from tests.helpers import FakeClock

pytestmark = pytest.mark.engines(*ENGINES)


def hashed(token: str | None) -> str:
    assert token is not None
    return hashlib.sha256(token.encode()).hexdigest()


async def votes_on(bot: RunningBot, request_id: int) -> list[int]:
    async with bot.application.bot_data.services.store.reading() as uow:
        stored = await uow.legal.request(request_id)
    assert stored is not None
    return [vote.officer_id for vote in stored.votes]


async def test_session_rows_a_database_writer_made_open_nothing_and_are_audited(
    console_bot: RunningBot,  # noqa: F811
    clients: AsyncExitStack,  # noqa: F811
) -> None:
    database = console_bot.settings.database
    bob = await signed_in(clients, console_bot, OFFICER_B)
    assert (await bob.get("/console/api/legal")).status == 200

    # A row inserted from outside for officer C, with a token of the writer's choosing.
    inserted = await clients.enter_async_context(ConsoleClient(base_url(console_bot)))
    inserted.token = "w" * 43 + "." + "s" * 43
    await execute_beside(
        database,
        "INSERT INTO console_sessions (token_hash, user_id, name, language, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            hashed(inserted.token),
            OFFICER_C,
            "@user900005",
            "en",
            encode_time(NOW),
            encode_time(NOW + timedelta(minutes=30)),
        ),
    )
    # A moderator's own genuine session, its row moved to officer C.
    moved = await signed_in(clients, console_bot, MODERATOR_ID)
    await execute_beside(
        database,
        "UPDATE console_sessions SET user_id = ? WHERE token_hash = ?",
        (OFFICER_C, hashed(moved.token)),
    )
    # Officer C's own session, its language and (another's) expiry changed.
    carol = await signed_in(clients, console_bot, OFFICER_C)
    later = await signed_in(clients, console_bot, LEGAL_OFFICER_ID)
    await execute_beside(
        database,
        "UPDATE console_sessions SET language = 'ru' WHERE token_hash = ?",
        (hashed(carol.token),),
    )
    await execute_beside(
        database,
        "UPDATE console_sessions SET expires_at = ? WHERE token_hash = ?",
        (encode_time(NOW + timedelta(days=30)), hashed(later.token)),
    )

    for forged in (inserted, moved, carol, later):
        voted = await forged.post("/console/api/legal/1/vote", {"vote": "approve"})
        assert (voted.status, voted.body["error"]) == (401, "session_forged"), voted
        assert "open it again from the bot" in voted.body["message"]
    assert await votes_on(console_bot, 1) == []

    # The genuine session of someone else is untouched, and its vote counts.
    recorded = await bob.post("/console/api/legal/1/vote", {"vote": "approve"})
    assert recorded.body["outcome"] == "recorded"
    assert await votes_on(console_bot, 1) == [OFFICER_B]
    forged_rows = [
        (actor, details["endpoint"])
        for actor, details in await audit_rows(console_bot, REFUSED_ACTION)
        if details["why"] == "session_forged"
    ]
    assert forged_rows == [
        (OFFICER_C, "legal.vote"),
        (OFFICER_C, "legal.vote"),
        (OFFICER_C, "legal.vote"),
        (LEGAL_OFFICER_ID, "legal.vote"),
    ]


async def test_refusals_without_a_session_are_counted_not_written_one_row_each(
    console_bot: RunningBot,  # noqa: F811
    clients: AsyncExitStack,  # noqa: F811
) -> None:
    nobody = await clients.enter_async_context(ConsoleClient(base_url(console_bot)))
    for _ in range(150):
        assert (await nobody.get("/console/api/queue")).status == 401
    for _ in range(50):
        refused = await nobody.open_session("user=%7B%7D&auth_date=1&hash=00")
        assert refused.status == 401
    written = await audit_rows(console_bot, REFUSED_ACTION)
    assert [(d["endpoint"], d["why"], d["count"]) for _, d in written] == [
        ("queue", "no_session", 1),
        ("session", "init_data_invalid", 1),
    ]

    # The next minute's first refusal writes the minute before's count.
    clock = console_bot.application.bot_data.services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(minutes=1))
    assert (await nobody.get("/console/api/queue")).status == 401
    written = await audit_rows(console_bot, REFUSED_ACTION)
    assert len(written) <= 5
    counts: dict[tuple[str, str], int] = {}
    for actor, details in written:
        assert actor is None
        key = (details["endpoint"], details["why"])
        counts[key] = counts.get(key, 0) + details["count"]
    assert counts == {("queue", "no_session"): 151, ("session", "init_data_invalid"): 50}

    # A refusal of someone signed in (a role the table does not serve) is one row each.
    moderator = await signed_in(clients, console_bot, MODERATOR_ID)
    for _ in range(3):
        assert (await moderator.get("/console/api/stats")).status == 403
    by_role = [
        actor
        for actor, details in await audit_rows(console_bot, REFUSED_ACTION)
        if details["why"] == "role"
    ]
    assert by_role == [MODERATOR_ID] * 3

    # What this minute counted beyond its first is written when the console stops.
    for _ in range(5):
        assert (await nobody.get("/console/api/queue")).status == 401
    await console_bot.shutdown()
    stored = rows(
        console_bot.settings.database,
        "SELECT details FROM audit_log WHERE action = ? ORDER BY id",
        REFUSED_ACTION,
    )
    no_session = [json.loads(details) for (details,) in stored]
    assert sum(d["count"] for d in no_session if d["why"] == "no_session") == 156


async def test_the_queue_takes_the_target_kinds_the_page_sends_and_explains_others(
    console_bot: RunningBot,  # noqa: F811
    clients: AsyncExitStack,  # noqa: F811
) -> None:
    moderator = await signed_in(clients, console_bot, MODERATOR_ID)
    for kind in (*KINDS, "term"):
        listed = await moderator.get(f"/console/api/queue?kind={kind}")
        assert listed.status == 200, (kind, listed)
    wrong = await moderator.get("/console/api/queue?kind=chat")
    assert (wrong.status, wrong.body["error"]) == (400, "bad_request")
    assert wrong.body["message"] == (
        "The target kind “chat” is not one the queue knows; use one of: channel, group, bot, "
        "user, post, invite, public, search_term."
    )


async def test_the_retention_job_deletes_what_has_expired_of_console_rows_and_claims(
    console_bot: RunningBot,  # noqa: F811
    clients: AsyncExitStack,  # noqa: F811
) -> None:
    database = console_bot.settings.database
    await signed_in(clients, console_bot, MODERATOR_ID)  # a session and its init data record
    ((case_id,),) = rows(database, "SELECT id FROM cases ORDER BY id LIMIT 1")
    soon, kept = encode_time(NOW + timedelta(minutes=5)), encode_time(NOW + timedelta(days=3))
    await execute_beside(
        database,
        "INSERT INTO console_viewers (case_id, user_id, name, seen_at) VALUES (?, ?, ?, ?)",
        (case_id, MODERATOR_ID, "@mod", encode_time(NOW)),
        (case_id, OFFICER_B, "@bob", kept),  # seen "later" than the job's now: stays
    )
    await execute_beside(
        database,
        "INSERT INTO review_claims (case_id, moderator_id, moderator_name, kind, via, "
        "claimed_at, claimed_until) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (case_id, MODERATOR_ID, "@mod", "claim", "console", encode_time(NOW), soon),
        (case_id, OFFICER_B, "@bob", "skip", "private", encode_time(NOW), soon),
        (case_id, OFFICER_C, "@carol", "skip", "console", encode_time(NOW), kept),
    )
    await execute_beside(
        database,
        "INSERT INTO console_sessions (token_hash, user_id, name, language, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        ("k" * 64, OFFICER_C, "@carol", "en", encode_time(NOW), kept),
    )
    clock = console_bot.application.bot_data.services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(days=1))
    await run_job(console_bot, "retention")
    left = {
        table: rows(database, f"SELECT {column} FROM {table} ORDER BY 1")  # noqa: S608
        for table, column in (
            ("console_sessions", "user_id"),
            ("console_init_data", "user_id"),
            ("console_viewers", "user_id"),
            ("review_claims", "moderator_id"),
        )
    }
    assert left == {
        "console_sessions": [(OFFICER_C,)],
        "console_init_data": [],
        "console_viewers": [(OFFICER_B,)],
        "review_claims": [(OFFICER_C,)],
    }
