"""`report-bot keys generate|rotate` and `report-bot blocklist export`, as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.settings import load_settings
from moderation.registry.violators import (
    Observation,
    ObservationKind,
    ObservationSource,
    record_observation,
)
from moderation.reporting.filing import file_report
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.reporting.types import Filed, NewReport, ReportLimits, ReportSource
from moderation.review.decisions import decide
from moderation.review.priority import CasePolicy
from moderation.review.types import Decision, Moderator
from storage import Store
from storage.location import Location
from tests.conftest import ENGINES
from tests.engines import database_env
from tests.helpers import cli_command, cli_env

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

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


async def approved(database: Path | Location, name: str) -> None:
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


async def test_blocklist_export_lists_hidden_targets_as_json_and_csv(
    tmp_path: Path, store_location: Location
) -> None:
    database = store_location
    await approved(database, "hidden_shop")
    env = cli_env(**database_env(database))
    as_json = cli(env, tmp_path, "blocklist", "export", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["target_key"], r["category"], r["provisional"]) for r in rows] == [
        ("@hidden_shop", "weapons", False)
    ]
    as_csv = cli(env, tmp_path, "blocklist", "export", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["username"], r["kind"]) for r in table] == [("hidden_shop", "public")]


async def test_keys_rotate_re_encrypts_and_needs_the_keys(
    tmp_path: Path, store_location: Location
) -> None:
    database = store_location
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
    missing = cli(
        cli_env(**database_env(database), ENCRYPTION_KEY="", BLIND_INDEX_KEY=""),
        tmp_path,
        "keys",
        "rotate",
    )
    assert missing.returncode == 2
    assert "ENCRYPTION_KEY: required" in missing.stderr
    env = cli_env(
        **database_env(database),
        ENCRYPTION_KEY=new["ENCRYPTION_KEY"],
        ENCRYPTION_PREVIOUS_KEYS=old["ENCRYPTION_KEY"],
        BLIND_INDEX_KEY=old["BLIND_INDEX_KEY"],
    )
    rotated = cli(env, tmp_path, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 1 value under key k2" in rotated.stdout
    for secret in (old["ENCRYPTION_KEY"], new["ENCRYPTION_KEY"], old["BLIND_INDEX_KEY"]):
        assert secret.split(":")[-1] not in rotated.stdout + rotated.stderr
    again = cli(env, tmp_path, "keys", "rotate")
    assert "re-encrypted 0 values" in again.stdout


def export_lines() -> str:
    """A platform export: good lines about the violator, one about someone else, bad ones."""
    rows: list[str] = [
        json.dumps({"username": "hidden_shop", "kind": "ip", "value": "192.0.2.10",
                    "observed_at": "2026-10-01T10:00:00Z"}),
        json.dumps({"username": "@Hidden_Shop", "kind": "phone", "value": "+44 20 7946 0011",
                    "observed_at": "2026-10-01T10:05:00+00:00"}),
        json.dumps({"violator_id": 1, "kind": "app", "observed_at": "2026-10-02T08:00:00Z",
                    "value": {"name": "Telegram", "version": "11.2", "platform": "android"}}),
        json.dumps({"username": "innocent_user", "kind": "ip", "value": "192.0.2.11",
                    "observed_at": "2026-10-01T10:00:00Z"}),
        "{not json",
        json.dumps({"username": "hidden_shop", "kind": "ip", "value": "192.0.2.300",
                    "observed_at": "2026-10-01T10:00:00Z"}),
        json.dumps({"username": "hidden_shop", "kind": "shoe size", "value": "44",
                    "observed_at": "2026-10-01T10:00:00Z"}),
        json.dumps({"username": "hidden_shop", "kind": "device", "value": "Pixel",
                    "observed_at": "yesterday"}),
        "",
    ]  # fmt: skip
    return "\n".join(rows) + "\n"


async def test_metadata_import_validates_drops_non_violators_and_is_idempotent(
    tmp_path: Path,
    store_location: Location,
) -> None:
    database = store_location
    await approved(database, "hidden_shop")
    keys = generated_keys(tmp_path, "k1")
    env = cli_env(**database_env(database), **keys)
    export = tmp_path / "export.jsonl"
    export.write_text(export_lines())

    dry = cli(env, tmp_path, "metadata", "import", str(export), "--dry-run")
    assert "would add 3" in dry.stdout
    assert "(dry run: nothing stored)" in dry.stdout
    first = cli(env, tmp_path, "metadata", "import", str(export))
    assert first.returncode == 1  # some lines were bad
    assert (
        "9 lines: added 3, already recorded 0, not confirmed violators (dropped) 1, bad 4"
        in first.stdout
    )
    assert "export.jsonl: line 5: not valid JSON" in first.stderr
    assert "line 6: value: not an IPv4 or IPv6 address" in first.stderr
    assert "line 7: kind must be one of" in first.stderr
    assert "line 8: observed_at is not an ISO-8601 time" in first.stderr
    assert "Traceback" not in first.stderr
    again = cli(env, tmp_path, "metadata", "import", str(export))
    assert "added 0, already recorded 3" in again.stdout

    settings = load_settings(
        encryption_key=keys["ENCRYPTION_KEY"], blind_index_key=keys["BLIND_INDEX_KEY"]
    )
    store = await Store.open(database)
    async with store.reading() as uow:
        kinds = [row.kind.value for row in await uow.registry.timeline(1)]
        found = await uow.registry.by_blind_index(
            ObservationKind.PHONE, [settings.cipher().blind_index("phone", "+442079460011")]
        )
    await store.close()
    assert kinds == ["ip", "phone", "app"]
    assert found == [1]
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("db.sqlite3*"))
    assert b"192.0.2.11" not in raw  # the non-violator's line was never stored
    assert b"192.0.2.10" not in raw  # the violator's IP is stored only encrypted


OFFICER = 900001


def registered_request(tmp_path: Path, env: dict[str, str], **changes: object) -> None:
    """Legal request #1 about @hidden_shop for October 2026, registered from the shell."""
    (tmp_path / "order.pdf").write_bytes(b"%PDF-1.4 test order, not a real one")
    request = {
        "authority": "Amtsgericht Teststadt",
        "country": "DE",
        "reference": "AG-7/26",
        "order_type": "court_order",
        "issued_on": "2026-10-20",
        "offence": "weapons trafficking",
        "target": "@hidden_shop",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "document": "order.pdf",
        **changes,
    }
    (tmp_path / "request.json").write_text(json.dumps(request))
    added = cli(env, tmp_path, "legal", "add", "request.json", "--by", str(OFFICER))
    assert added.returncode == 0, added.stderr


@pytest.mark.slow
async def test_lookup_shows_the_file_with_phones_and_ips_sealed_and_is_audited(
    tmp_path: Path,
    store_location: Location,
) -> None:
    """A lookup from the shell finds the violator by each key, for an open legal request, as a
    registered legal officer; phone numbers and IP addresses appear only as sealed counts."""
    database = store_location
    await approved(database, "hidden_shop")
    keys = generated_keys(tmp_path, "k1")
    env = cli_env(**database_env(database), LEGAL_OFFICER_IDS=str(OFFICER), **keys)
    export = tmp_path / "export.jsonl"
    export.write_text(export_lines())
    cli(env, tmp_path, "metadata", "import", str(export))
    registered_request(tmp_path, env)
    why = ("--request", "1", "--by", str(OFFICER))
    for flag, value in (
        ("--violator", "1"),
        ("--username", "@HIDDEN_SHOP"),
        ("--ip", "192.0.2.10"),
        ("--phone", "+44 (20) 7946-0011"),
    ):
        found = cli(env, tmp_path, "lookup", flag, value, *why)
        assert found.returncode == 0, found.stderr
        assert "violator #1: public @hidden_shop" in found.stdout
        assert "#1 weapons confirmed by 7" in found.stdout
        assert "app          " in found.stdout  # devices and apps are shown
        assert "sealed: 1 phone number, 1 IP address in 2026-10-01..2026-10-31" in (found.stdout)
        assert "192.0.2.10" not in found.stdout
        assert "2079460011" not in found.stdout
    nobody = cli(env, tmp_path, "lookup", "--ip", "192.0.2.11", *why)
    assert "no match for the subject of legal request #1" in nobody.stdout
    bad = cli(env, tmp_path, "lookup", "--phone", "call me", *why)
    assert bad.returncode == 2
    assert "lookup: not a phone number" in bad.stderr
    no_request = cli(env, tmp_path, "lookup", "--violator", "1", "--by", str(OFFICER))
    assert no_request.returncode == 2
    assert "--request" in no_request.stderr
    old_style = cli(env, tmp_path, "lookup", "--violator", "1", "--reason", "curious")
    assert old_style.returncode == 2
    stranger = cli(env, tmp_path, "lookup", "--violator", "1", "--request", "1", "--by", "5")
    assert stranger.returncode == 1
    assert "only legal officers" in stranger.stderr
    missing = cli(env, tmp_path, "lookup", "--violator", "1", "--request", "9", *why[2:])
    assert missing.returncode == 1
    assert "no legal request #9" in missing.stderr
    for result in (stranger, missing, bad):
        assert "Traceback" not in result.stderr

    store = await Store.open(database)
    async with store.reading() as uow:
        rows = await uow.audit.recent(40)
    await store.close()
    lookups = [r for r in rows if r.action == "registry.lookup"]
    assert len(lookups) == 5
    assert {r.details["by"] for r in lookups} == {f"id {OFFICER} (command line)"}
    assert {r.details["why"] for r in lookups} == {"legal request #1"}
    assert {r.details["personal_values_shown"] for r in lookups} == {0}
    refused = [r for r in rows if r.action == "registry.lookup_refused"]
    assert sorted(r.actor_id or 0 for r in refused) == [5, OFFICER]
    logged = json.dumps([r.details for r in lookups])
    assert "192.0.2.1" not in logged
    assert "2079460011" not in logged  # whole digits: a 4-digit fragment can turn up in hex


async def test_a_lookup_answers_another_violators_phone_as_it_answers_an_unknown_one(
    tmp_path: Path,
    store_location: Location,
) -> None:
    """The insider attack of issue 27 (point 6): under request #1 about @hidden_shop, an
    officer asks the shell about @other_shop's phone, IP, name and id to learn whether the
    registry knows them. Before, the other violator's file came back and an unknown value said
    "no match"; now both print the same bytes, while @hidden_shop's own phone is found."""
    database = store_location
    await approved(database, "hidden_shop")
    await approved(database, "other_shop")
    keys = generated_keys(tmp_path, "k1")
    env = cli_env(**database_env(database), LEGAL_OFFICER_IDS=str(OFFICER), **keys)
    export = tmp_path / "export.jsonl"
    export.write_text(
        "\n".join(
            json.dumps(
                {
                    "username": name,
                    "kind": kind,
                    "value": value,
                    "observed_at": "2026-10-01T10:00:00Z",
                }
            )
            for name, kind, value in (
                ("hidden_shop", "phone", "+44 20 7946 0011"),
                ("other_shop", "phone", "+44 20 7946 0022"),
                ("other_shop", "ip", "198.51.100.22"),
            )
        )
        + "\n"
    )
    imported = cli(env, tmp_path, "metadata", "import", str(export))
    assert "added 3" in imported.stdout, imported.stdout + imported.stderr
    registered_request(tmp_path, env)
    why = ("--request", "1", "--by", str(OFFICER))
    own = cli(env, tmp_path, "lookup", "--phone", "+442079460011", *why)
    assert "violator #1: public @hidden_shop" in own.stdout
    for flag, known, unknown in (
        ("--phone", "+442079460022", "+442079460033"),
        ("--ip", "198.51.100.22", "198.51.100.33"),
        ("--username", "other_shop", "nobody_shop"),
        ("--violator", "2", "3"),
    ):
        other = cli(env, tmp_path, "lookup", flag, known, *why)
        nobody = cli(env, tmp_path, "lookup", flag, unknown, *why)
        assert other.returncode == nobody.returncode == 0, other.stderr + nobody.stderr
        assert (other.stdout, other.stderr) == (nobody.stdout, nobody.stderr), flag
        assert "no match for the subject of legal request #1" in other.stdout
        assert "other_shop" not in other.stdout

    store = await Store.open(database)
    async with store.reading() as uow:
        rows = await uow.audit.recent(40)
    await store.close()
    lookups = sorted((r for r in rows if r.action == "registry.lookup"), key=lambda r: r.id)
    assert [r.details["matched_subject"] for r in lookups] == [True] + [False] * 8
