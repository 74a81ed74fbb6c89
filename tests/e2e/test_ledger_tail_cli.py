"""The ledger's tail against an insider who can write the database and the checkpoint file as
the bot's user, through `report-bot ledger verify` as a real process, on both engines.

The insider deletes the last ledger entry, fixes the database's head and cuts the checkpoint
file's last lines: without a head from outside, `ledger verify` finds nothing and says plainly
that the tail is unproven; given a head an officer received (the per-disclosure message or the
periodic signed head, as `--head`, as a pasted message, or in a `--heads` file or on stdin) it
names the truncation.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from handlers.i18n import default_catalog
from handlers.review_views import when_text
from moderation.legal.disclosure import LEDGER_CHECKPOINT_KIND, disclose, retrieve
from moderation.legal.ledger import LEDGER_HEAD_KEY
from moderation.legal.ledger_heads import PERIODIC_HEAD_KIND, queue_periodic_head
from storage import Store
from storage.location import Location
from tests.conftest import ENGINES
from tests.engines import database_env
from tests.helpers import cli_command, cli_env
from tests.storage.legal_fixtures import CAROL, NOW, POLICY, approved, tamper, two_violators
from tests.storage.stored import stored
from tests.storage.test_ledger_heads import cut_checkpoints

pytestmark = pytest.mark.engines(*ENGINES)

OFFICER = 103  # CAROL, a bootstrap legal officer of POLICY
TRUNCATED = "entries after 1 were cut off its end (truncated)"
UNPROVEN = (
    "entries after the last head you hold could have been cut without trace; give the newest "
    "head you received with --head SEQ:HASH or --heads FILE"
)


@dataclass
class Received:
    """What the officer holds: the two ledger messages as Telegram shows them (tags gone)."""

    seq: int
    entry_hash: str
    checkpoint_message: str
    signed: str
    head_message: str


def cli(
    env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command("ledger", "verify", *args),
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
    )


def as_shown(text: str) -> str:
    """An HTML message as the officer sees and copies it in Telegram."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@pytest.fixture
def env(store_location: Location) -> dict[str, str]:
    # No LEDGER_ANCHOR_DIR: the checkpoints go to the default folder, under the test's own
    # XDG_STATE_HOME (tests/conftest.py), as a deployment that never set it.
    return cli_env(**database_env(store_location))


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    """The CLI's settings, in this process (to lay the ledger out with the domain's calls)."""
    return Settings(
        _env_file=None,
        database_path=Path(env.get("DATABASE_PATH", "unused.sqlite3")),
        database_url=env.get("DATABASE_URL"),
        encryption_key=env["ENCRYPTION_KEY"],
        blind_index_key=env["BLIND_INDEX_KEY"],
        ledger_key=env["LEDGER_KEY"],
    )


async def two_entries_told_to_the_officers(settings: Settings) -> Received:
    """A disclosure and a copy of it (entries 1 and 2), every officer told each head, and the
    periodic signed head queued: what officer CAROL received, rendered as the bot sends it."""
    cipher, ledger = settings.cipher(), settings.ledger()
    store = await Store.open(settings.database)
    try:
        await two_violators(store, cipher)
        request = await approved(store, cipher, keys=ledger.keys)
        await disclose(store, cipher, POLICY, ledger, request.id, CAROL, NOW)
        copy = await retrieve(store, cipher, POLICY, ledger, request.id, CAROL, NOW)
        queued = await queue_periodic_head(
            store, ledger.keys, POLICY.bootstrap_legal, timedelta(hours=24), NOW
        )
        assert queued is not None
        messages = {
            kind: json.loads(payload)
            for kind, payload in await stored(
                store,
                "SELECT kind, payload FROM outbox WHERE chat_id = ? AND kind IN (?, ?) ORDER BY id",
                (OFFICER, LEDGER_CHECKPOINT_KIND, PERIODIC_HEAD_KIND),
            )
        }
    finally:
        await store.close()
    texts = default_catalog()
    told = messages[LEDGER_CHECKPOINT_KIND]  # the last one: entry 2
    assert (told["seq"], told["entry_hash"]) == (2, copy.ledger_hash)
    checkpoint = texts.render(
        "en",
        "notify.ledger.checkpoint",
        seq=told["seq"],
        what=texts.render("en", "notify.ledger.copy"),
        request_id=told["request_id"],
        by=told["by"],
        hash=told["entry_hash"],
    )
    head = messages[PERIODIC_HEAD_KIND]
    periodic = texts.render(
        "en",
        "notify.ledger.head",
        seq=head["seq"],
        hash=head["entry_hash"],
        signed=head["signed"],
        at=when_text(NOW),
    )
    return Received(2, copy.ledger_hash, as_shown(checkpoint), head["signed"], as_shown(periodic))


async def cut_the_last_entry(settings: Settings) -> None:
    """Entry 2 deleted, the database's head set back to entry 1, the checkpoint file's lines
    naming entry 2 cut: what someone with the database and the bot's OS user can do."""
    store = await Store.open(settings.database)
    try:
        ((first,),) = await stored(store, "SELECT entry_hash FROM disclosure_ledger WHERE seq = 1")
        head = json.dumps({"count": 1, "last_hash": first})
        await tamper(
            store,
            "DELETE FROM disclosure_ledger WHERE seq = 2",
            ("UPDATE bot_state SET value = ? WHERE key = ?", (head, LEDGER_HEAD_KEY)),
        )
    finally:
        await store.close()
    cut_checkpoints(Path(settings.ledger().anchor.where), 2)


async def test_a_cut_tail_passes_without_a_head_and_is_caught_by_every_head_an_officer_holds(
    tmp_path: Path, env: dict[str, str], settings: Settings
) -> None:
    """Replays issue 27's point 5: on the old code `ledger verify` said intact after the cut,
    and took no pasted message, no signed head and no file of heads."""
    received = await two_entries_told_to_the_officers(settings)
    messages = tmp_path / "ledger-messages.txt"
    messages.write_text(f"{received.checkpoint_message}\n\n{received.head_message}\n")
    before = cli(env, tmp_path, "--heads", str(messages))
    assert before.returncode == 0, before.stderr
    assert "ledger: 2 entries, intact" in before.stdout
    assert "tail: proven up to entry 2 by the signed head 2:" in before.stdout

    await cut_the_last_entry(settings)

    unaware = cli(env, tmp_path)
    assert unaware.returncode == 0, unaware.stderr
    assert "ledger: 1 entry, intact" in unaware.stdout
    assert "the newest checkpoint names entry 1" in unaware.stdout
    assert UNPROVEN in unaware.stdout
    plain = cli(env, tmp_path, "--head", f"{received.seq}:{received.entry_hash}")
    pasted = cli(env, tmp_path, "--head", received.checkpoint_message)
    signed = cli(env, tmp_path, "--head", received.signed)
    in_a_file = cli(env, tmp_path, "--heads", str(messages))
    on_stdin = cli(env, tmp_path, "--heads", "-", stdin=received.head_message)
    for caught in (plain, pasted, signed, in_a_file, on_stdin):
        assert caught.returncode == 1, caught.args
        assert TRUNCATED in caught.stderr, caught.args
        assert "NOT intact" in caught.stdout
        assert "Traceback" not in caught.stdout + caught.stderr
    assert "the signed head 2:" in signed.stderr
    assert "the head 2:" in plain.stderr


@pytest.mark.engines("sqlite")
async def test_a_forged_signed_head_or_text_without_a_head_is_refused(
    tmp_path: Path, env: dict[str, str], settings: Settings
) -> None:
    """A head whose signature does not verify proves nothing and is a problem; text that
    holds no head is a usage error that says what a head looks like."""
    received = await two_entries_told_to_the_officers(settings)
    seq, digest, at, key_id, mac = received.signed.split(":")
    forged = ":".join((seq, digest, at, key_id, ("0" if mac[0] != "0" else "1") + mac[1:]))
    refused = cli(env, tmp_path, "--head", forged)
    assert refused.returncode == 1
    assert "does not verify under the ledger key: it was altered" in refused.stderr
    assert "tail: NOT proven: none of the 1 head you gave matched" in refused.stdout
    nothing = cli(env, tmp_path, "--head", "hello, no head here")
    assert nothing.returncode == 2
    assert "write the head as SEQ:HASH" in nothing.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("no heads\n")
    no_file = cli(env, tmp_path, "--heads", str(empty))
    assert no_file.returncode == 2
    assert f"{empty} holds no head" in no_file.stderr
    missing = cli(env, tmp_path, "--heads", str(tmp_path / "missing.txt"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
