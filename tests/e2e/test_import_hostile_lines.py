"""`report-bot metadata import` with hostile lines among good ones: every bad line is reported
with its number and reason, the good ones are imported, and nothing aborts the run. A line
naming a key twice is one of them: whoever crafts the export cannot have one tool read a line
as one violator's and the import file it under another's."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_registry_cli import (
    OFFICER,
    approved,
    cli,
    generated_keys,
    registered_request,
)
from tests.helpers import cli_env


def good(value: str) -> bytes:
    return json.dumps(
        {"username": "hidden_shop", "kind": "device", "value": value,
         "observed_at": "2026-10-01T10:00:00Z"}
    ).encode()  # fmt: skip


def line(**fields: object) -> bytes:
    observation: dict[str, object] = {
        "username": "hidden_shop",
        "kind": "device",
        "value": "Pixel 8",
        "observed_at": "2026-10-01T10:00:00Z",
    }
    observation.update(fields)
    if "violator_id" in fields or "telegram_id" in fields:
        del observation["username"]
    return json.dumps(observation).encode()


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"name": "Telegram", "version": "1", "platform": "ios"}
    for _ in range(depth):
        value = {"name": value}
    return value


#: (line, what the report says about it); None marks a good line.
LINES: list[tuple[bytes, str | None]] = [
    (good("Pixel 1"), None),
    (b"[" * 100_000, "longer than"),
    (b"[" * 5_000, "nested deeper than"),
    (line(kind="app", value=nested(60)), "nested deeper than"),
    (line(telegram_id=10**30), "telegram_id must be"),
    (line(violator_id=2**63), "violator_id must be"),
    (line(violator_id=-1), "violator_id must be"),
    (b'{"telegram_id": ' + b"9" * 5_000 + b', "kind": "ip", "value": "192.0.2.1"}', "number"),
    (line(observed_at="0001-01-01T00:00:00Z"), "observed_at must be between"),
    (line(observed_at="0001-01-01T00:30:00+01:00"), "observed_at must be between"),
    (line(observed_at="9999-12-31T23:59:59+00:00"), "observed_at must be between"),
    (line(value="Pixel \ud800"), "UTF-8"),
    (good("Pixel \udcff").replace(b"\\udcff", b"\xff"), "UTF-8"),
    # A key twice (issue 27, point 7): read as the last value, the first line was filed under
    # @hidden_shop though a reader that keeps the first value sees @nobody_here's observation.
    (
        b'{"username": "nobody_here", "kind": "device", "value": "Pixel 3", '
        b'"observed_at": "2026-10-01T10:00:00Z", "username": "hidden_shop"}',
        'the key "username" appears twice',
    ),
    (
        b'{"username": "hidden_shop", "kind": "app", "observed_at": "2026-10-01T10:00:00Z", '
        b'"value": {"name": "Telegram", "version": "1", "platform": "ios", "name": "Other"}}',
        'the key "name" appears twice',
    ),
    (good("Pixel 2"), None),
]


async def test_each_hostile_line_is_reported_and_the_good_ones_imported(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await approved(database, "hidden_shop")
    env = cli_env(
        DATABASE_PATH=str(database),
        LEGAL_OFFICER_IDS=str(OFFICER),
        **generated_keys(tmp_path, "k1"),
    )
    export = tmp_path / "export.jsonl"
    export.write_bytes(b"\n".join(text for text, _ in LINES) + b"\n")

    result = cli(env, tmp_path, "metadata", "import", str(export))

    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    bad = sum(1 for _, reason in LINES if reason)
    assert f"{len(LINES)} lines: added 2, " in result.stdout
    assert f"bad {bad}" in result.stdout
    reported = {
        int(text.split(": line ")[1].split(":")[0]): text
        for text in result.stderr.splitlines()
        if ": line " in text
    }
    expected = {n: reason for n, (_, reason) in enumerate(LINES, start=1) if reason}
    assert sorted(reported) == sorted(expected)
    for number, reason in expected.items():
        assert reason in reported[number], reported[number]

    registered_request(tmp_path, env)
    shown = cli(env, tmp_path, "lookup", "--violator", "1", "--request", "1", "--by", str(OFFICER))
    assert shown.returncode == 0, shown.stderr
    assert "Pixel 1" in shown.stdout
    assert "Pixel 2" in shown.stdout
