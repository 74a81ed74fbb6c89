"""Due process from the shell, as an operator with a terminal would try it.

The shell follows the chat's rule: no command prints a phone number or IP address; `legal
disclose` writes them to files only for a request two officers approved, as a legal officer
checked against the roles table, and every such file is a ledger entry. And an insider who
holds every key and rewrites the database, the disclosed content and the ledger consistently
passes a check of the chain alone, but not `ledger verify` against its checkpoints or a head an
officer was told.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bot.settings import Settings
from moderation.clock import SystemClock
from moderation.legal.approvals import approve
from moderation.legal.ledger import GENESIS, LEDGER_HEAD_KEY, EntryKind, LedgerEntry, expected_hash
from moderation.legal.lifecycle import write_analysis
from moderation.legal.officers import Officer
from moderation.legal.sealed_parts import opened_request
from moderation.legal.vote_seals import seal_vote, votes_record
from moderation.sealing import disclosure_context
from storage import Store
from storage.location import Location, SqliteLocation
from tests.conftest import ENGINES
from tests.e2e.test_legal import IP_IN, PHONE_IN, PHONE_OUT, confirmed_violator
from tests.engines import database_env, execute, rows
from tests.helpers import cli_command, cli_env

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

REGISTRAR, BOB, CAROL, STRANGER = 900021, 900022, 900023, 900099
SECRETS = (PHONE_IN, PHONE_OUT, IP_IN, "7700900123", "7700900999")


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=90
    )


def shows_nothing_personal(result: subprocess.CompletedProcess[str]) -> None:
    shown = result.stdout + result.stderr
    for secret in SECRETS:
        assert secret not in shown, (result.args, secret)
    assert "Traceback" not in shown


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    made = cli(cli_env(), tmp_path, "keys", "generate")
    assert made.returncode == 0, made.stderr
    return dict(line.split("=", 1) for line in made.stdout.splitlines())


@pytest.fixture
def env(tmp_path: Path, keys: dict[str, str], store_location: Location) -> dict[str, str]:
    return cli_env(
        **database_env(store_location),
        LEDGER_ANCHOR_DIR=str(tmp_path / "ledger-anchors"),
        LEGAL_OFFICER_IDS=f"{REGISTRAR},{BOB},{CAROL}",
        **keys,
    )


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(
        _env_file=None,
        database_path=Path(env.get("DATABASE_PATH", "unused.sqlite3")),
        database_url=env.get("DATABASE_URL"),
        ledger_anchor_dir=env["LEDGER_ANCHOR_DIR"],
        encryption_key=env["ENCRYPTION_KEY"],
        blind_index_key=env["BLIND_INDEX_KEY"],
        ledger_key=env["LEDGER_KEY"],
        legal_officer_ids=env["LEGAL_OFFICER_IDS"],
    )


async def registered_from_the_shell(env: dict[str, str], tmp_path: Path) -> Settings:
    """@pill_shop confirmed with phones and IPs; request #1 about it registered with `legal
    add` (still `received`: no analysis, no approvals)."""
    settings = settings_of(env)
    store = await Store.open(settings.database)
    try:
        await confirmed_violator(store, "pill_shop", settings.cipher())
    finally:
        await store.close()
    (tmp_path / "order.pdf").write_bytes(b"%PDF-1.4 test court order, not a real one")
    request = {
        "authority": "Amtsgericht Berlin",
        "country": "DE",
        "reference": "AZ 123/26",
        "order_type": "court_order",
        "issued_on": "2026-10-01",
        "offence": "drug trafficking",
        "target": "@pill_shop",
        "period": "2026-07-01..2026-07-31",
        "document": "order.pdf",
    }
    (tmp_path / "request.json").write_text(json.dumps(request))
    added = cli(env, tmp_path, "legal", "add", "request.json", "--by", str(REGISTRAR))
    assert added.returncode == 0, added.stderr
    return settings


async def approved_in_the_chat(settings: Settings) -> None:
    """What /legal analysis and two /legal approve do in the chat (the shell never approves)."""
    store = await Store.open(settings.database)
    try:
        cipher, policy, keys = settings.cipher(), settings.legal_policy(), settings.ledger().keys
        now = SystemClock().now()
        analysis = "Valid German court order about drug sales via the channel."
        await write_analysis(store, cipher, policy, 1, analysis, Officer(REGISTRAR, "a"), now)
        await approve(store, cipher, policy, keys, 1, Officer(BOB, "b"), now)
        assert (await approve(store, cipher, policy, keys, 1, Officer(CAROL, "c"), now)).complete
    finally:
        await store.close()


@pytest.mark.slow
async def test_no_shell_command_shows_a_phone_or_ip_and_disclose_needs_four_eyes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    settings = await registered_from_the_shell(env, tmp_path)
    out = tmp_path / "out"
    out.mkdir(mode=0o700)

    # Alone, with the request still `received`: every command, no phone, no IP, no files.
    sweep = [
        ("lookup", "--violator", "1", "--request", "1", "--by", str(REGISTRAR)),
        ("lookup", "--username", "pill_shop", "--request", "1", "--by", str(REGISTRAR)),
        ("lookup", "--phone", PHONE_IN, "--request", "1", "--by", str(REGISTRAR)),
        ("lookup", "--ip", IP_IN, "--request", "1", "--by", str(REGISTRAR)),
        ("legal", "show", "1", "--by", str(REGISTRAR)),
        ("legal", "list", "--by", str(REGISTRAR)),
        ("blocklist", "export", "--format", "csv"),
        ("transparency", "export", "--format", "json"),
        ("ledger", "verify"),
        ("legal", "disclose", "1", "--by", str(REGISTRAR), "--to", str(out)),
        ("legal", "disclose", "1", "--by", str(STRANGER), "--to", str(out)),
    ]
    for args in sweep:
        shows_nothing_personal(cli(env, tmp_path, *args))
    assert list(out.iterdir()) == []
    early = cli(env, tmp_path, "legal", "disclose", "1", "--by", str(BOB), "--to", str(out))
    assert early.returncode == 1
    assert "only an approved request is disclosed" in early.stderr

    await approved_in_the_chat(settings)
    stranger = cli(env, tmp_path, "legal", "disclose", "1", "--by", str(STRANGER), "--to", str(out))
    assert stranger.returncode == 1
    assert "only legal officers" in stranger.stderr
    shows_nothing_personal(stranger)
    assert list(out.iterdir()) == []

    done = cli(env, tmp_path, "legal", "disclose", "1", "--by", str(BOB), "--to", str(out))
    assert done.returncode == 0, done.stderr
    shows_nothing_personal(done)  # the values go to the files, not the terminal
    assert "1 phone number, 1 IP address; ledger entry 1" in done.stdout
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["disclosure-1.html", "disclosure-1.json"]
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    items = json.loads((out / "disclosure-1.json").read_text())["items"]
    assert [(i["kind"], i["value"]) for i in items] == [("phone", PHONE_IN), ("ip", IP_IN)]

    twice = cli(env, tmp_path, "legal", "disclose", "1", "--by", str(BOB), "--to", str(out))
    assert twice.returncode == 2
    assert "exists already" in twice.stderr
    copy_to = tmp_path / "copy"
    copy_to.mkdir(mode=0o700)
    copied = cli(env, tmp_path, "legal", "disclose", "1", "--by", str(CAROL), "--to", str(copy_to))
    assert copied.returncode == 0, copied.stderr
    assert "ledger entry 2" in copied.stdout

    verified = cli(env, tmp_path, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "ledger: 2 entries, intact (checked against" in verified.stdout
    report = cli(env, tmp_path, "transparency", "export", "--period", "2026", "--format", "json")
    data = json.loads(report.stdout)
    assert (data["totals"]["requests_fulfilled"], data["totals"]["copies_sent"]) == (1, 1)
    assert data["ledger_head"]["seq"] == 2
    for args in sweep[:-2]:
        shows_nothing_personal(cli(env, tmp_path, *args))

    kinds = rows(settings.database, "SELECT kind, disclosed_to FROM disclosure_ledger ORDER BY seq")
    assert kinds == [("disclosure", BOB), ("copy", CAROL)]
    refused = rows(
        settings.database,
        "SELECT count(*) FROM audit_log WHERE action = 'legal.refused' AND actor_id = ?",
        STRANGER,
    )
    assert refused == [(2,)]


async def test_a_rewrite_by_an_insider_with_every_key_is_caught_by_the_anchors(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The insider edits the country DE -> US everywhere it is written (the request, the
    disclosed content re-encrypted with its new hash, the ledger entry re-chained under
    LEDGER_KEY, the head). A check of the chain alone passes; the checkpoints outside the
    database and the head an officer was told in Telegram do not."""
    settings = await registered_from_the_shell(env, tmp_path)
    await approved_in_the_chat(settings)
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    done = cli(env, tmp_path, "legal", "disclose", "1", "--by", str(BOB), "--to", str(out))
    assert done.returncode == 0, done.stderr
    ((told,),) = rows(settings.database, "SELECT entry_hash FROM disclosure_ledger WHERE seq = 1")

    await rewrite_everything(settings)
    chain_only = cli(env, tmp_path, "ledger", "verify", "--without-anchors")
    assert chain_only.returncode == 0, chain_only.stderr
    assert "NOT checked against the checkpoint file" in chain_only.stdout
    anchored = cli(env, tmp_path, "ledger", "verify")
    assert anchored.returncode == 1
    assert "entry 1 differs from the one checkpointed" in anchored.stderr
    assert "entry 1 has no checkpoint: it was written outside the bot" in anchored.stderr
    with_head = cli(env, tmp_path, "ledger", "verify", "--without-anchors", "--head", f"1:{told}")
    assert with_head.returncode == 1
    assert "entry 1 is not the one whose hash you were given" in with_head.stderr
    bad_head = cli(env, tmp_path, "ledger", "verify", "--head", "one:two")
    assert bad_head.returncode == 2
    assert "SEQ:HASH" in bad_head.stderr
    for result in (chain_only, anchored, with_head, bad_head):
        shows_nothing_personal(result)


async def test_a_request_widened_after_its_approvals_is_refused_from_the_shell(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """After two genuine approvals in the chat, an insider widens the request's period to
    September in the database, to take in a phone seen in August. Before, `legal disclose`
    wrote that phone under the order for July; now the approvals, sealed over July, do not
    count, and the officer reads why in one line."""
    settings = await registered_from_the_shell(env, tmp_path)
    await approved_in_the_chat(settings)
    execute(settings.database, "UPDATE legal_requests SET period_end = '2026-09-30'")
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    refused = cli(env, tmp_path, "legal", "disclose", "1", "--by", str(BOB), "--to", str(out))
    assert refused.returncode == 1
    shows_nothing_personal(refused)
    (line,) = refused.stderr.splitlines()
    assert line.startswith("report-bot: legal disclose: request #1 holds 0 of the 2 approvals")
    assert (
        f"the approval of officer {BOB} does not match request #1 as it stands: the request "
        "was changed after it was approved"
    ) in line
    assert "nothing was disclosed. Run report-bot ledger verify" in line
    assert list(out.iterdir()) == []
    assert rows(settings.database, "SELECT count(*) FROM disclosure_ledger") == [(0,)]


async def rewrite_everything(settings: Settings) -> None:
    """As an insider with the database's password and every key would, on either engine
    (the votes sealed again over the rewritten request, with LEDGER_KEY)."""
    cipher, keys, database = settings.cipher(), settings.ledger().keys, settings.database
    for table, trigger in (
        ("disclosure_ledger", "disclosure_ledger_no_update"),
        ("disclosures", "disclosures_only_reseal"),
        ("legal_approvals", "legal_approvals_only_void"),
    ):
        sqlite = isinstance(database, SqliteLocation)
        execute(database, f"DROP TRIGGER {trigger}" + ("" if sqlite else f" ON {table}"))
    ((key_id, blob),) = rows(database, "SELECT key_id, ciphertext FROM disclosures")
    content = json.loads(cipher.decrypt(key_id, bytes(blob), disclosure_context(1)))
    content["request"]["country"] = "US"
    text = json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True)
    new_key, new_blob = cipher.encrypt(text, disclosure_context(1))
    digest = hashlib.sha256(text.encode()).hexdigest()
    execute(
        database,
        "UPDATE disclosures SET key_id = ?, ciphertext = ?, content_sha256 = ?",
        (new_key, new_blob, digest),
    )
    execute(database, "UPDATE legal_requests SET country = 'US'")
    store = await Store.open(database)
    try:
        async with store.reading() as uow:
            request = await uow.legal.request(1)
    finally:
        await store.close()
    assert request is not None
    opened = opened_request(cipher, request)
    votes = []
    for vote in opened.votes:
        seal = seal_vote(keys, opened, vote.officer_id, vote.approve, vote.reason, vote.at)
        execute(database, "UPDATE legal_approvals SET seal = ? WHERE id = ?", (seal.seal, vote.id))
        votes.append(replace(vote, seal=seal.seal, seal_key_id=seal.key_id))
    record = votes_record(votes, 2, registrar_counts=False)
    (row,) = rows(
        database,
        "SELECT seq, kind, request_id, violator_id, country, period_start, period_end, "
        "disclosed_at, disclosed_to, content_sha256, prev_hash, entry_hash, key_id "
        "FROM disclosure_ledger WHERE seq = 1",
    )
    store_entry = _entry(row)
    forged = replace(
        store_entry, country="US", content_sha256=digest, prev_hash=GENESIS, votes=record
    )
    forged_hash = expected_hash(keys, forged)
    assert forged_hash is not None
    head = json.dumps({"count": 1, "last_hash": forged_hash})
    execute(
        database,
        "UPDATE disclosure_ledger SET country = 'US', content_sha256 = ?, entry_hash = ?, "
        "votes = ?",
        (digest, forged_hash, record),
    )
    execute(database, "UPDATE bot_state SET value = ? WHERE key = ?", (head, LEDGER_HEAD_KEY))


def _entry(row: tuple[object, ...]) -> LedgerEntry:
    seq, kind, request_id, violator_id, country, start, end, at, to, digest, prev, hashed, key = row
    return LedgerEntry(
        int(str(seq)),
        EntryKind(str(kind)),
        int(str(request_id)),
        int(str(violator_id)),
        str(country),
        str(start),
        str(end),
        str(at),
        int(str(to)),
        str(digest),
        str(prev),
        str(hashed),
        str(key),
    )
