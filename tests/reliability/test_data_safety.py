"""Data safety (issue 9, section 6): a backup restores to an identical database; every earlier
schema version migrates to the latest with its data; a full disk is a clear error that
corrupts nothing, loses nothing acknowledged, and work resumes when space returns."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.loopback import LoopbackServer
from storage import Store, check_database
from storage.crypto import (
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)
from tests.conftest import RunningBot
from tests.helpers import cli_command, cli_env, database_in
from tests.reliability.seeds import REPORTERS, seed_everything

# Tables the bot writes that a seeded database must fill; a new table fails the check below
# until the scenario in seeds.py writes to it too (or it is named here with the reason).
ALLOWED_EMPTY: frozenset[str] = frozenset()

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
    with sqlite3.connect(path) as conn:
        return list(conn.execute(f"PRAGMA {pragma}"))


async def cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *cli_command(*args),
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


# --- 1. backup and restore ----------------------------------------------------------------


async def test_a_backup_restores_to_an_identical_database_the_bot_runs_on(
    tmp_path: Path,
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
) -> None:
    key, index_key = new_key_text("restore"), new_secret_text()
    cipher = PersonalDataCipher(parse_key(key), [], decode_secret(index_key, "index"))
    live = database_in(tmp_path)
    env = cli_env(DATABASE_PATH=str(live), ENCRYPTION_KEY=key, BLIND_INDEX_KEY=index_key)
    store = await Store.open(live)
    try:
        seeded = await seed_everything(store, cipher)
        # Taken while the bot's connections are open and the latest commits sit in the WAL.
        assert Path(f"{live}-wal").stat().st_size > 0
        backups = tmp_path / "backups"
        backups.mkdir()
        backup = backups / "reportbot-2026-11-20.sqlite3"
        code, out, err = await cli(env, tmp_path, "backup", str(backup))
        assert code == 0, err
    finally:
        await store.close()

    empty = [table for table, rows in logical_dump(live).items() if not rows]
    assert set(empty) <= ALLOWED_EMPTY, f"the seed scenario leaves {empty} empty"

    # The README's restore procedure: bot stopped; check the copy; move the old files aside;
    # copy the backup to DATABASE_PATH; db-check; start the bot.
    assert check_database(backup).ok
    aside = tmp_path / "aside"
    aside.mkdir()
    for companion in live.parent.glob(live.name + "*"):
        companion.rename(aside / companion.name)
    original = aside / live.name
    shutil.copyfile(backup, live)
    code, out, err = await cli(env, tmp_path, "db-check")
    assert code == 0, err + out

    before, after = logical_dump(original), logical_dump(live)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], f"{table} differs after the restore"
    assert pragma_rows(live, "user_version") == pragma_rows(original, "user_version")
    assert pragma_rows(live, "integrity_check") == [("ok",)]
    assert pragma_rows(live, "foreign_key_check") == []
    code, out, err = await cli(env, tmp_path, "ledger", "verify")
    assert code == 0, err
    assert "ledger: 1 entries, intact" in out

    bot: RunningBot = await start_bot(
        make_settings(database_path=live, encryption_key=key, blind_index_key=index_key)
    )
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
