"""The console's session seal and its tally of refusals without a session, as plain functions:
each term a database writer could change breaks the seal; each minute's count is owed once."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest

from handlers.console.app import STATIC
from handlers.console.queue import KINDS
from moderation.console.refusals import Counted, RefusalKind, RefusalTally
from moderation.console.sessions import issue_token, sealed_by, session_key
from moderation.console.types import ConsoleSession

TOKEN = "123456789:TEST-loopback-token-not-a-secret-0000"
NOW = datetime(2026, 11, 2, 9, 0, 20, tzinfo=UTC)
SESSION = ConsoleSession(4242, "@mona", "en", NOW, NOW.replace(second=0) + timedelta(minutes=30))


def test_a_token_is_sealed_for_its_session_only() -> None:
    key = session_key(TOKEN)
    token = issue_token(key, SESSION)
    assert sealed_by(key, token, SESSION)
    assert not sealed_by(session_key(TOKEN + "x"), token, SESSION)  # another bot's token
    session_id, _, seal = token.partition(".")
    assert not sealed_by(key, f"{session_id}x.{seal}", SESSION)
    for bad in (session_id, f"{session_id}.", f".{seal}", ""):
        assert not sealed_by(key, bad, SESSION)


@pytest.mark.parametrize(
    "changed",
    [
        {"user_id": 4243},
        {"name": "@admin"},
        {"language": "ru"},
        {"expires_at": SESSION.expires_at + timedelta(seconds=1)},
    ],
    ids=["user", "name", "language", "expiry"],
)
def test_a_row_altered_in_the_database_no_longer_matches_its_token(
    changed: dict[str, object],
) -> None:
    key = session_key(TOKEN)
    token = issue_token(key, SESSION)
    assert not sealed_by(key, token, dataclasses.replace(SESSION, **changed))  # type: ignore[arg-type]


def test_each_minute_writes_its_first_refusal_and_owes_one_count() -> None:
    tally = RefusalTally()
    queue = RefusalKind("queue", "no_session", None)
    session = RefusalKind("session", "init_data_invalid", None)
    assert tally.note(queue, NOW) == (True, [])
    for _ in range(9):
        assert tally.note(queue, NOW) == (False, [])
    assert tally.note(session, NOW) == (True, [])
    assert tally.due(NOW + timedelta(seconds=30)) == []  # the same minute: nothing owed yet
    minute = NOW.replace(second=0)
    later = NOW + timedelta(minutes=1)
    first, owed = tally.note(queue, later)
    assert first
    assert owed == [Counted(queue, minute, 9)]  # the session's kind had only its first
    tally.note(queue, later)
    tally.note(queue, later)
    assert tally.due(later) == []
    assert tally.due(later + timedelta(minutes=1)) == [
        Counted(queue, minute + timedelta(minutes=1), 2)
    ]
    tally.note(session, later)
    tally.note(session, later)
    assert tally.drain() == [Counted(session, minute + timedelta(minutes=1), 1)]
    assert tally.drain() == []


def test_the_page_offers_the_target_kinds_the_server_takes() -> None:
    script = (STATIC / "console.js").read_text()
    offered = re.search(r'fillSelect\(\s*\$\("f-kind"\),[^\[]*\[([^\]]*)\]', script)
    assert offered is not None
    assert tuple(re.findall(r'"([a-z_]+)"', offered.group(1))) == KINDS
