"""`report-bot legal add FILE.json` with hostile files: a request file that is nested, huge or
not a file gives a clear error, and the order document is only ever a regular file inside the
request file's own folder (never /etc/passwd, never ../, never a symlink out, at most 20 MB)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from moderation.legal.form import DOCUMENT_MAX_BYTES
from tests.conftest import LEGAL_OFFICER_ID
from tests.helpers import cli_command, cli_env

REQUEST = {
    "authority": "Tribunal de Justiça",
    "country": "BR",
    "reference": "0001/26",
    "order_type": "court_order",
    "issued_on": "2026-09-01",
    "offence": "fraud",
    "target": {"kind": "telegram_id", "value": "12345"},
    "period_start": "2026-06-01",
    "period_end": "2026-06-30",
    "document": "order.pdf",
}


def legal_add(tmp_path: Path, request: Path) -> subprocess.CompletedProcess[str]:
    env = cli_env(
        DATABASE_PATH=str(tmp_path / "db.sqlite3"), LEGAL_OFFICER_IDS=str(LEGAL_OFFICER_ID)
    )
    return subprocess.run(
        cli_command("legal", "add", str(request), "--by", str(LEGAL_OFFICER_ID)),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def registered(tmp_path: Path) -> list[tuple[str, str]]:
    database = tmp_path / "db.sqlite3"
    if not database.exists():
        return []
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT r.reference, d.file_name FROM legal_requests r "
            "JOIN legal_documents d ON d.request_id = r.id ORDER BY r.id"
        ).fetchall()
    return [(str(a), str(b)) for a, b in rows]


@pytest.fixture
def case_folder(tmp_path: Path) -> Path:
    """The officer's folder with the request file; a secret lies next to it, outside."""
    folder = tmp_path / "case"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("not for Telegram")
    (folder / "order.pdf").write_bytes(b"%PDF-1.4 test order")
    return folder


def write_request(folder: Path, **changes: object) -> Path:
    request = folder / "request.json"
    request.write_text(json.dumps(dict(REQUEST, **changes)), encoding="utf-8")
    return request


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert "Traceback" not in result.stderr
    assert result.returncode in (1, 2), result.stdout
    for word in words:
        assert word in result.stderr, result.stderr


def test_a_relative_document_inside_the_folder_is_registered(
    tmp_path: Path, case_folder: Path
) -> None:
    (case_folder / "scans").mkdir()
    (case_folder / "scans" / "order 1.pdf").write_bytes(b"%PDF-1.4 test order, scanned")
    (case_folder / "current.pdf").symlink_to("scans/order 1.pdf")  # a link that stays inside
    added = legal_add(tmp_path, write_request(case_folder, document="scans/order 1.pdf"))
    assert added.returncode == 0, added.stderr
    again = legal_add(
        tmp_path, write_request(case_folder, reference="0002/26", document="current.pdf")
    )
    assert again.returncode == 0, again.stderr
    assert [reference for reference, _ in registered(tmp_path)] == ["0001/26", "0002/26"]


@pytest.mark.parametrize(
    "document",
    ["{secret}", "../secret.txt", "./../secret.txt", "scans/../../secret.txt"],
    ids=["absolute", "parent", "dot-parent", "down-and-up"],
)
def test_a_document_outside_the_folder_is_refused(
    tmp_path: Path, case_folder: Path, document: str
) -> None:
    (case_folder / "scans").mkdir()
    document = document.format(secret=tmp_path / "secret.txt")
    result = legal_add(tmp_path, write_request(case_folder, document=document))
    assert_refused(result, "document:", "relative to the folder")
    assert registered(tmp_path) == []


def test_a_symlink_pointing_outside_is_refused(tmp_path: Path, case_folder: Path) -> None:
    (case_folder / "order-link.pdf").symlink_to(tmp_path / "secret.txt")
    (case_folder / "passwd.pdf").symlink_to("/etc/passwd")
    for name in ("order-link.pdf", "passwd.pdf"):
        result = legal_add(tmp_path, write_request(case_folder, document=name))
        assert_refused(result, "document:", "outside the folder")
    assert registered(tmp_path) == []


def test_a_directory_or_fifo_is_refused(tmp_path: Path, case_folder: Path) -> None:
    (case_folder / "scans").mkdir()
    os.mkfifo(case_folder / "pipe.pdf")
    for name in ("scans", "pipe.pdf"):
        result = legal_add(tmp_path, write_request(case_folder, document=name))
        assert_refused(result, "document:", "not a regular file")
    assert registered(tmp_path) == []


def test_a_document_over_20_mb_is_refused(tmp_path: Path, case_folder: Path) -> None:
    with (case_folder / "huge.pdf").open("wb") as huge:
        huge.truncate(DOCUMENT_MAX_BYTES + 1)  # sparse: costs no disk
    result = legal_add(tmp_path, write_request(case_folder, document="huge.pdf"))
    assert_refused(result, "document:", "larger than 20 MB")
    assert registered(tmp_path) == []


def nested_object(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[" * 100_000, ("nested deeper than",)),
        ('{"authority": ' + nested_object(5_000) + "}", ("nested deeper than",)),
        (json.dumps(dict(REQUEST, authority={"a": {"b": {"c": "d"}}})), ("authority:",)),
        ('{"reference": ' + "9" * 5_000 + "}", ("too many digits",)),
        (json.dumps(dict(REQUEST, target={"kind": {"k": "phone"}, "value": ["+1"]})), ("target:",)),
        (json.dumps(dict(REQUEST, target={"kind": "phone", "value": {"v": 1}})), ("target:",)),
        (json.dumps(dict(REQUEST, issued_on="0001-01-01")), ("issued_on:", "1970")),
        (json.dumps(dict(REQUEST, period_end="9999-12-31")), ("period:", "1970")),
        (json.dumps(dict(REQUEST, reference="\ud800")), ("not valid UTF-8",)),
        ("[1, 2]", ("one JSON object",)),
        (
            json.dumps(REQUEST)[:-1] + ', "target": {"kind": "telegram_id", "value": "67890"}}',
            ('the key "target" appears twice',),
        ),
        (
            json.dumps(dict(REQUEST, target="@x")).replace(
                '"@x"', '{"kind": "ip", "kind": "phone"}'
            ),
            ('the key "kind" appears twice',),
        ),
    ],
    ids=[
        "deep-array",
        "deep-object",
        "nested-field",
        "huge-number",
        "nested-target-kind",
        "nested-target-value",
        "year-1",
        "year-9999",
        "lone-surrogate",
        "not-an-object",
        "key-twice",  # read as the last value, the second target was registered silently
        "key-twice-inside",
    ],
)
def test_a_hostile_request_file_gives_a_clear_error(
    tmp_path: Path, case_folder: Path, content: str, words: tuple[str, ...]
) -> None:
    """Each hostile file is refused with what is wrong. Among them (issue 27, point 7): a file
    naming a key twice, which Python read as its last value, so a request whose order names one
    target could be registered for another while a reader keeping the first value saw the
    first; it is refused now, naming the key."""
    request = case_folder / "request.json"
    request.write_text(content, encoding="utf-8")
    assert_refused(legal_add(tmp_path, request), "legal add:", *words)
    assert registered(tmp_path) == []


def test_a_request_file_that_is_not_a_small_regular_utf8_file_is_refused(
    tmp_path: Path, case_folder: Path
) -> None:
    os.mkfifo(case_folder / "fifo.json")  # reading it would wait forever
    assert_refused(legal_add(tmp_path, case_folder / "fifo.json"), "not a regular file")
    big = case_folder / "big.json"
    big.write_text(json.dumps(dict(REQUEST, padding="x" * 2_000_000)))
    assert_refused(legal_add(tmp_path, big), "larger than")
    latin = case_folder / "latin.json"
    latin.write_bytes(json.dumps(REQUEST).encode().replace(b"\\u00e7", b"\xe7"))
    assert_refused(legal_add(tmp_path, latin), "UTF-8")
    assert registered(tmp_path) == []
