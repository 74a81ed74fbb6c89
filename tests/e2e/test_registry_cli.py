"""`report-bot keys generate|rotate` and `report-bot blocklist export`, as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.settings import load_settings
from moderation.decisions import decide
from moderation.priority import CasePolicy
from moderation.registry import (
    Observation,
    ObservationKind,
    ObservationSource,
    record_observation,
)
from moderation.reporting import file_report
from moderation.reports import Filed, NewReport, ReportLimits, ReportSource
from moderation.review import Decision, Moderator
from moderation.targets import TargetKind, TargetRef
from storage import Store
from tests.helpers import cli_command, cli_env

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def generated_keys(tmp_path: Path, key_id: str) -> dict[str, str]:
    result = cli(cli_env(), tmp_path, "keys", "generate", "--key-id", key_id)
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


async def approved(database: Path, name: str) -> None:
    store = await Store.open(database)
    try:
        filed = await file_report(
            store,
            NewReport(
                reporter_id=1,
                language_code="en",
                query="q",
                target=TargetRef(TargetKind.PUBLIC, username=name),
                category="drugs",
                comment=None,
                raw_input=f"@{name}",
                source=ReportSource.ONE_MESSAGE,
            ),
            ReportLimits(10, 10),
            START,
        )
        assert isinstance(filed, Filed)
        await decide(
            store,
            filed.case_id,
            Moderator(7, "@mod"),
            Decision.APPROVED,
            category="weapons",
            reason=None,
            undo_window=timedelta(minutes=5),
            now=START,
            policy=CasePolicy(),
        )
    finally:
        await store.close()


async def test_generated_keys_are_accepted_by_the_settings(tmp_path: Path) -> None:
    keys = generated_keys(tmp_path, "k7")
    settings = load_settings(
        encryption_key=keys["ENCRYPTION_KEY"], blind_index_key=keys["BLIND_INDEX_KEY"]
    )
    assert settings.cipher().current_key_id == "k7"
    assert generated_keys(tmp_path, "k7") != keys  # random every time


async def test_blocklist_export_lists_hidden_targets_as_json_and_csv(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await approved(database, "hidden_shop")
    env = cli_env(DATABASE_PATH=str(database))
    as_json = cli(env, tmp_path, "blocklist", "export", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["target_key"], r["category"], r["provisional"]) for r in rows] == [
        ("@hidden_shop", "weapons", False)
    ]
    as_csv = cli(env, tmp_path, "blocklist", "export", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["username"], r["kind"]) for r in table] == [("hidden_shop", "public")]


async def test_keys_rotate_re_encrypts_and_needs_the_keys(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await approved(database, "hidden_shop")
    old, new = generated_keys(tmp_path, "k1"), generated_keys(tmp_path, "k2")
    first = load_settings(
        encryption_key=old["ENCRYPTION_KEY"], blind_index_key=old["BLIND_INDEX_KEY"]
    )
    store = await Store.open(database)
    async with store.transaction() as uow:
        await record_observation(
            uow,
            first.cipher(),
            1,
            Observation(ObservationKind.IP, "192.0.2.9", START, ObservationSource.IMPORT),
            START,
        )
    await store.close()
    missing = cli(cli_env(DATABASE_PATH=str(database)), tmp_path, "keys", "rotate")
    assert missing.returncode == 2
    assert "ENCRYPTION_KEY: required" in missing.stderr
    env = cli_env(
        DATABASE_PATH=str(database),
        ENCRYPTION_KEY=new["ENCRYPTION_KEY"],
        ENCRYPTION_PREVIOUS_KEYS=old["ENCRYPTION_KEY"],
        BLIND_INDEX_KEY=old["BLIND_INDEX_KEY"],
    )
    rotated = cli(env, tmp_path, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 1 value(s) under key k2" in rotated.stdout
    for secret in (old["ENCRYPTION_KEY"], new["ENCRYPTION_KEY"], old["BLIND_INDEX_KEY"]):
        assert secret.split(":")[-1] not in rotated.stdout + rotated.stderr
    again = cli(env, tmp_path, "keys", "rotate")
    assert "re-encrypted 0 value(s)" in again.stdout
