"""`report-bot keys rotate` with updates waiting in the journal: the bot was stopped (or died)
with updates it had kept but not handled, sealed under the old ENCRYPTION_KEY; the operator
rotates, drops the old key and starts the bot again. The waiting updates must open under the
new key and be handled: an update left under a dropped key could never be read and would be
lost (released unhandled as unreadable)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from loopback import LoopbackServer
from moderation.sealing import update_context
from storage.crypto import (
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)
from storage.location import Location
from tests.conftest import ENGINES, RunningBot
from tests.e2e.test_webhook import update_json
from tests.engines import database_env, rows
from tests.helpers import cli_env, run_cli

pytestmark = pytest.mark.engines(*ENGINES)

OLD_KEY, NEW_KEY = new_key_text("k1"), new_key_text("k2")
INDEX_KEY = new_secret_text()
WAITING = (900_001, 900_002)  # far above the loopback's own update ids


@dataclass(frozen=True)
class Ran:
    code: int | None
    stdout: str
    stderr: str


async def rotate(env: dict[str, str], cwd: Path) -> Ran:
    """`report-bot keys rotate`, without blocking the loop a running bot's test shares."""
    return Ran(*await run_cli(env, cwd, "keys", "rotate"))


def journal(location: Location) -> list[tuple[int, str | None, bool]]:
    """(update id, key id, released) of every journaled update."""
    found = rows(
        location,
        "SELECT update_id, key_id, CASE WHEN released_at IS NULL THEN 0 ELSE 1 END "
        "FROM update_journal WHERE update_id >= ? ORDER BY update_id",
        WAITING[0],
    )
    return [(int(u), k, bool(r)) for u, k, r in found]


async def test_updates_waiting_in_the_journal_are_rotated_and_handled_under_the_new_key(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
    tmp_path: Path,
) -> None:
    """Rotation with the journal holding updates (issue 27, point 7), and the operator's slip
    it leads to: a bot still running with the keys it started with while the keys change. The
    rotate run names the running instance (it did not before)."""
    old = make_settings(encryption_key=OLD_KEY, blind_index_key=INDEX_KEY)
    database = old.database
    first: RunningBot = await start_bot(old)
    alice = loopback.add_user(first_name="Alice", language_code="en")
    await alice.send("hi")  # she has talked to the bot, so it may write to her
    await alice.next_message()
    # Two /start updates kept under the old key and not handled when the bot stopped, as a
    # kill between keeping and handling leaves them.
    cipher = PersonalDataCipher(parse_key(OLD_KEY), [], decode_secret(INDEX_KEY, "index"))
    async with first.application.bot_data.services.store.transaction() as uow:
        await uow.journal.keep(
            [
                (
                    update_id,
                    *cipher.encrypt(
                        json.dumps(update_json(update_id, alice.id)), update_context(update_id)
                    ),
                )
                for update_id in WAITING
            ],
            first.application.bot_data.services.clock.now(),
        )
    await first.shutdown()
    assert journal(database) == [(u, "k1", False) for u in WAITING]

    env = cli_env(
        **database_env(database),
        ENCRYPTION_KEY=NEW_KEY,
        ENCRYPTION_PREVIOUS_KEYS=OLD_KEY,
        BLIND_INDEX_KEY=INDEX_KEY,
    )
    rotated = await rotate(env, tmp_path)
    assert rotated.code == 0, rotated.stderr
    assert "journal 2" in rotated.stdout
    assert journal(database) == [(u, "k2", False) for u in WAITING]

    # The old key dropped: the bot starts with the new one alone and handles both.
    second: RunningBot = await start_bot(
        make_settings(encryption_key=NEW_KEY, blind_index_key=INDEX_KEY)
    )
    for update_id in WAITING:
        await second.until_handled(update_id)
    greetings = [m.text for m in alice.messages() if m.text.startswith("👋 Hello, Mallory!")]
    assert len(greetings) == 2
    await second.until_stored(lambda: journal(database) == [(u, None, True) for u in WAITING])
    assert "journal_update_unreadable" not in second.log_text()

    # Run again while that bot runs: nothing is left, and the operator is reminded that a bot
    # keeps the keys it was started with (one started before the new key would go on sealing
    # under the old one, and could not open what was re-sealed).
    again = await rotate(env, tmp_path)
    assert again.code == 0, again.stderr
    assert "re-encrypted 0 values" in again.stdout
    assert f"a bot instance is running (pid {os.getpid()} on" in again.stderr
    assert "restart it and run keys rotate again before dropping the old keys" in again.stderr
    assert "Traceback" not in again.stderr
    assert "a bot instance is running" not in rotated.stderr  # none ran the first time
