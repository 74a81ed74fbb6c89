"""Legal requests through the bot: the guided registration, four eyes, the disclosure files,
/lookup with a request id, officers only; and the CLI's `legal add` and `ledger verify`."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from loopback import LoopbackServer, SentMessage, UserHandle
from moderation.clock import utc_text
from moderation.legal.disclosure import retrieve
from moderation.legal.ledger_check import verify_ledger
from moderation.legal.lifecycle import show
from moderation.legal.officers import Officer
from moderation.registry.violators import (
    Observation,
    ObservationKind,
    ObservationSource,
    record_observation,
)
from moderation.rekeying import rotate_legal_keys
from moderation.reporting.filing import file_report
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.reporting.types import Filed, NewReport, ReportLimits, ReportSource
from moderation.review.decisions import decide
from moderation.review.priority import CasePolicy
from moderation.review.types import Decision, Moderator
from storage import Store
from storage.crypto import PersonalDataCipher, decode_secret, new_key_text, parse_key
from storage.location import Location
from tests.conftest import ADMIN_ID, ENGINES, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.engines import at_rest, database_env, execute_beside, rows
from tests.helpers import FakeClock, cli_command, cli_env

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

OFFICER_B, OFFICER_C = 900011, 900012
SECOND_ADMIN = 900005  # a second admin in ADMIN_IDS, who confirms the first one's grants
SOCK = 900013  # a second Telegram account of the first admin's
PHONE_IN, PHONE_OUT = "+447700900123", "+447700900999"
IP_IN = "192.0.2.44"
OTHER_PHONE, OTHER_IP = "+447700900555", "203.0.113.55"  # another violator's
UNKNOWN_PHONE = "+447700900556"  # nobody's
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def confirmed_violator(
    store: Store,
    name: str,
    cipher: Any,
    seen: list[tuple[ObservationKind, str, datetime]] | None = None,
    violator_id: int = 1,
) -> None:
    """A confirmed violator with a phone and an IP inside July 2026 and a phone after it
    (or what `seen` lists)."""
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
        NOW - timedelta(days=200),
    )
    assert isinstance(filed, Filed)
    await decide(
        store,
        filed.case_id,
        Moderator(7, "@mod"),
        Decision.APPROVED,
        category="drugs",
        reason=None,
        undo_window=timedelta(minutes=5),
        now=NOW - timedelta(days=200),
        policy=CasePolicy(),
    )
    seen = seen or [
        (ObservationKind.PHONE, PHONE_IN, datetime(2026, 7, 10, tzinfo=UTC)),
        (ObservationKind.IP, IP_IN, datetime(2026, 7, 11, tzinfo=UTC)),
        (ObservationKind.PHONE, PHONE_OUT, datetime(2026, 8, 2, tzinfo=UTC)),
        (ObservationKind.DEVICE, "Pixel 8", datetime(2026, 7, 12, tzinfo=UTC)),
    ]
    async with store.transaction() as uow:
        for kind, value, at in seen:
            await record_observation(
                uow,
                cipher,
                violator_id,
                Observation(kind, value, at, ObservationSource.IMPORT),
                NOW,
            )


@pytest.fixture
async def legal_bot(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> RunningBot:
    settings = make_settings(
        legal_officer_ids=frozenset({LEGAL_OFFICER_ID, OFFICER_B, OFFICER_C}),
        admin_ids=frozenset({ADMIN_ID, SECOND_ADMIN}),
    )
    bot: RunningBot = await start_bot(settings, clock=FakeClock(NOW))
    services = bot.application.bot_data.services
    await confirmed_violator(services.store, "pill_shop", services.cipher)
    return bot


def officer(server: LoopbackServer, user_id: int, name: str) -> UserHandle:
    return server.add_user(first_name=name, language_code="en", user_id=user_id)


LEDGER_NOTICE = "🔗 Disclosure ledger entry"
ROLE_NOTICE = "👥"  # a legal role proposed, confirmed, withdrawn or revoked


async def reply(user: UserHandle) -> SentMessage:
    """The next message that answers the user: every legal officer also gets a ledger notice
    after each disclosure and a notice of each legal role change, whenever the delivery worker
    sends them, so those are passed over."""
    while True:
        message = await user.next_message(timeout=15)
        if not message.text.startswith((LEDGER_NOTICE, ROLE_NOTICE)):
            return message


def told_head(user: UserHandle, entry_hash: str) -> bool:
    return any(m.text.startswith(LEDGER_NOTICE) and entry_hash in m.text for m in user.messages())


async def say(user: UserHandle, text: str) -> SentMessage:
    await user.send(text)
    return await reply(user)


ANSWERS = [
    "Amtsgericht Berlin",
    "de",
    "AZ 123/26",
    "court_order",
    "2026-10-01",
    "drug trafficking",
    "@pill_shop",
    "2026-07-01..2026-07-31",
]


async def register_by_conversation(user: UserHandle, reference: str = ANSWERS[2]) -> SentMessage:
    prompt = await say(user, "/legal new")
    assert "1/9" in prompt.text
    for answer in [*ANSWERS[:2], reference, *ANSWERS[3:]]:
        prompt = await say(user, answer)
    assert "order document as a file" in prompt.text
    await user.send_document("order.pdf", b"%PDF-1.4 test court order, not a real one")
    return await reply(user)


async def test_a_valid_order_goes_through_four_eyes_to_the_disclosure_files(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    bob, carol = officer(loopback, OFFICER_B, "Bob"), officer(loopback, OFFICER_C, "Carol")
    card = await register_by_conversation(alice)
    assert "Legal request #1" in card.text
    assert card.text.count("✅") == 5
    assert "confirmed violator #1" in card.text
    analysed = await say(
        alice, "/legal analysis 1 Valid German court order about drug sales via the channel."
    )
    assert "under analysis" in analysed.text
    refused = await say(alice, "/legal approve 1")
    assert "you registered this request" in refused.text
    first = await say(bob, "/legal approve 1")
    assert "(1/2)" in first.text
    again = await say(bob, "/legal approve 1")
    assert "already decided" in again.text
    done = await say(carol, "/legal approve 1")
    assert "disclosed: 1 phone number, 1 IP address" in done.text
    as_json, as_html = await reply(carol), await reply(carol)
    assert as_json.document is not None
    assert as_html.document is not None
    content = json.loads(as_json.document.data)
    assert [(i["kind"], i["value"]) for i in content["items"]] == [
        ("phone", PHONE_IN),
        ("ip", IP_IN),
    ]
    assert PHONE_OUT not in as_json.document.data.decode()
    assert b"Pixel" not in as_json.document.data
    assert PHONE_IN.encode() in as_html.document.data
    database = legal_bot.settings.database
    raw = at_rest(database)
    assert PHONE_IN.encode() not in raw
    assert IP_IN.encode() not in raw
    actions = [r[0] for r in _rows(database, "SELECT action FROM audit_log")]
    for action in ("legal.registered", "legal.analysed", "legal.approved", "legal.disclosed"):
        assert action in actions
    details = " ".join(r[0] for r in _rows(database, "SELECT details FROM audit_log"))
    assert PHONE_IN not in details
    # Every legal officer is told the new ledger head, to check the ledger against later.
    ((entry_hash,),) = _rows(database, "SELECT entry_hash FROM disclosure_ledger WHERE seq = 1")
    for person in (alice, bob, carol):
        await loopback.wait_for(partial(told_head, person, entry_hash), timeout=15)
    assert IP_IN not in details
    again_file = await say(alice, "/legal file 1")
    assert again_file.document is not None
    assert again_file.document.data == as_json.document.data


async def test_a_vote_without_ledger_key_is_refused_with_what_to_do(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    """Votes are sealed under LEDGER_KEY: a bot started without it refuses every vote, saying
    which setting is missing and how to make one, and keeps no vote."""
    settings = make_settings(
        legal_officer_ids=frozenset({LEGAL_OFFICER_ID, OFFICER_B, OFFICER_C}), ledger_key=None
    )
    bot: RunningBot = await start_bot(settings, clock=FakeClock(NOW))
    services = bot.application.bot_data.services
    await confirmed_violator(services.store, "pill_shop", services.cipher)
    alice, bob = officer(loopback, LEGAL_OFFICER_ID, "Alice"), officer(loopback, OFFICER_B, "Bob")
    await register_by_conversation(alice)
    await say(alice, "/legal analysis 1 Valid German court order about drug sales via the channel.")
    for vote in ("/legal approve 1", "/legal reject 1 The order names no offence at all."):
        refused = await say(bob, vote)
        assert "LEDGER_KEY is not set, so no vote can be sealed" in refused.text
        assert "report-bot keys generate" in refused.text
    assert _rows(settings.database, "SELECT count(*) FROM legal_approvals") == [(0,)]


async def test_moderators_and_reporters_are_refused_legal_commands(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    moderator = officer(loopback, MODERATOR_ID, "Mona")
    stranger = loopback.add_user(first_name="Rita", language_code="en")
    for user in (moderator, stranger):
        assert "legal officers only" in (await say(user, "/legal")).text
        assert "for legal officers" in (await say(user, "/lookup 1 username pill_shop")).text
        assert "legal officers only" in (await say(user, "/legal new")).text
    denied = _rows(
        legal_bot.settings.database,
        "SELECT count(*) FROM audit_log WHERE action = 'access.denied'",
    )
    assert denied == [(6,)]


async def test_a_bad_field_is_explained_and_asked_again(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    await say(alice, "/legal new")
    await say(alice, "Amtsgericht Berlin")
    answer = await say(alice, "Germany")
    assert "ISO 3166-1 alpha-2" in answer.text
    assert "2/9" in answer.text
    assert "3/9" in (await say(alice, "DE")).text
    cancelled = await say(alice, "/cancel")
    assert "dropped" in cancelled.text


async def test_a_failing_check_blocks_approval_with_its_reason(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    bob = officer(loopback, OFFICER_B, "Bob")
    await say(alice, "/legal new")
    for answer in [*ANSWERS[:3], "subpoena", *ANSWERS[4:]]:
        await say(alice, answer)
    await alice.send_document("order.pdf", b"%PDF-1.4 test subpoena")
    card = await reply(alice)
    assert "❌ Judicial authority: subpoena is not an order of a judicial authority" in card.text
    await say(alice, "/legal analysis 1 A subpoena from a prosecutor, not a court order.")
    refused = await say(bob, "/legal approve 1")
    assert "failed checks block the disclosure" in refused.text
    assert "an admin may override" in refused.text
    refusals = _rows(
        legal_bot.settings.database,
        "SELECT actor_id FROM audit_log WHERE action = 'legal.refused'",
    )
    assert refusals == [(OFFICER_B,)]
    admin = officer(loopback, ADMIN_ID, "Ada")
    short = await say(admin, "/legal override 1 fine")
    assert "at least 20 characters" in short.text
    card = await say(
        admin, "/legal override 1 The prosecutor's subpoena was confirmed by the court in writing."
    )
    assert "Admin override" in card.text
    assert "(1/2)" in (await say(bob, "/legal approve 1")).text
    carol = officer(loopback, OFFICER_C, "Carol")
    assert "disclosed" in (await say(carol, "/legal approve 1")).text


async def test_lookup_needs_an_open_legal_request_and_shows_phones_and_ips_sealed(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """One officer alone, with a request still `received` (no analysis, no approvals), sees
    the violator, cases and devices, and phones and IPs only as sealed counts; nothing of
    either is shown or logged, and the lookup is audited for the request."""
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    missing = await say(alice, "/lookup 5 username pill_shop")
    assert "no legal request #5" in missing.text
    await register_by_conversation(alice)
    for query in (f"phone {PHONE_IN}", "violator 1", "username pill_shop", f"ip {IP_IN}"):
        found = await say(alice, f"/lookup 1 {query}")
        assert "Violator #1" in found.text
        assert "legal request #1" in found.text
        assert "Pixel 8" in found.text  # devices are preparation material
        assert "1 phone number, 1 IP address in the period 2026-07-01 to 2026-07-31" in found.text
        assert "(2 and 1 in all)" in found.text
        for value in (PHONE_IN, PHONE_OUT, IP_IN):
            assert value not in found.text
    rows = _rows(
        legal_bot.settings.database,
        "SELECT details FROM audit_log WHERE action = 'registry.lookup'",
    )
    assert len(rows) == 4
    assert {json.loads(row[0])["why"] for row in rows} == {"legal request #1"}
    assert {json.loads(row[0])["personal_values_shown"] for row in rows} == {0}
    assert PHONE_IN not in json.dumps(rows)


async def test_a_lookup_answers_another_violators_phone_as_it_answers_an_unknown_one(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """The insider move of issue 27 (point 6), in the chat: under request #1 about @pill_shop,
    an officer asks about @other_shop's phone and IP to learn whether the registry knows them.
    Before, @other_shop's file came back while an unknown value said "no match"; now the two
    answers are the same message, and @pill_shop's own phone still finds its file."""
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    await register_by_conversation(alice)
    services = legal_bot.application.bot_data.services
    await confirmed_violator(
        services.store,
        "other_shop",
        services.cipher,
        [
            (ObservationKind.PHONE, OTHER_PHONE, datetime(2026, 7, 20, tzinfo=UTC)),
            (ObservationKind.IP, OTHER_IP, datetime(2026, 7, 21, tzinfo=UTC)),
        ],
        violator_id=2,
    )
    for known, unknown in (
        (f"phone {OTHER_PHONE}", f"phone {UNKNOWN_PHONE}"),
        (f"ip {OTHER_IP}", "ip 203.0.113.99"),
        ("username other_shop", "username nobody_shop"),
        ("violator 2", "violator 3"),
    ):
        other = await say(alice, f"/lookup 1 {known}")
        nobody = await say(alice, f"/lookup 1 {unknown}")
        assert (other.html, other.reply_markup) == (nobody.html, nobody.reply_markup), known
        assert "No match for the subject of legal request #1" in other.text
    own = await say(alice, f"/lookup 1 phone {PHONE_IN}")
    assert "Violator #1" in own.text


async def test_an_admin_who_grants_themselves_the_legal_role_sees_no_phone_or_ip(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """The insider path of the issue: an admin grants themselves the legal role, registers an
    order whose target check fails, and looks up every violator: no phone, no IP, and (a
    request that names no violator being no key to the registry) no file either."""
    admin = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    abe = loopback.add_user(first_name="Abe", language_code="en", user_id=SECOND_ADMIN)
    await say(admin, f"/grant {ADMIN_ID} legal")
    granted = await say(abe, f"/grant {ADMIN_ID} legal")  # a second admin confirms it
    assert "is now legal officer" in granted.text
    await say(admin, "/legal new")
    for answer in [*ANSWERS[:6], "@nobody_here", ANSWERS[7]]:
        await say(admin, answer)
    await admin.send_document("order.pdf", b"%PDF-1.4 test order, not a real one")
    card = await reply(admin)
    assert "Legal request #1" in card.text
    seen = []
    for query in ("violator 1", "username pill_shop", f"phone {PHONE_IN}", f"ip {IP_IN}"):
        seen.append((await say(admin, f"/lookup 1 {query}")).text)
    assert all("No match for the subject of legal request #1" in text for text in seen)
    assert all("pill_shop" not in text for text in seen)
    for value in (PHONE_IN, PHONE_OUT, IP_IN):
        assert all(value not in text for text in seen)
    for command in ("/legal approve 1", "/legal disclose 1", "/legal file 1"):
        refusal = await say(admin, command)
        for value in (PHONE_IN, PHONE_OUT, IP_IN):
            assert value not in refusal.text
        assert refusal.document is None
    ledger = _rows(legal_bot.settings.database, "SELECT count(*) FROM disclosure_ledger")
    assert ledger == [(0,)]


async def test_one_admin_granting_itself_and_a_second_account_the_legal_role_discloses_nothing(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """Issue 27, point 1: an admin grants the legal role to itself and to a second account it
    controls, and both approve a request a real officer registered. Now each grant is only a
    proposal no one else confirmed: neither account is a legal officer, neither approval is
    taken, nothing is disclosed."""
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    ada = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    sock = officer(loopback, SOCK, "Sock")
    for account in (ADMIN_ID, SOCK):
        proposed = await say(ada, f"/grant {account} legal")
        assert "is not legal officer yet" in proposed.text
    assert "You proposed" in (await say(ada, f"/grant {SOCK} legal")).text
    await register_by_conversation(alice)
    await say(alice, "/legal analysis 1 Valid German court order about drug sales via the channel.")
    for user in (ada, sock):
        refused = await say(user, "/legal approve 1")
        assert "legal officers only" in refused.text
    database = legal_bot.settings.database
    assert _rows(database, "SELECT state FROM legal_requests") == [("under_analysis",)]
    assert _rows(database, "SELECT count(*) FROM legal_approvals") == [(0,)]
    assert _rows(database, "SELECT count(*) FROM disclosure_ledger") == [(0,)]
    await loopback.wait_for(
        lambda: len([m for m in alice.messages() if m.text.startswith(ROLE_NOTICE)]) == 2,
        timeout=15,
    )
    told = [m.text for m in alice.messages() if m.text.startswith(ROLE_NOTICE)]
    assert all("Legal role proposed" in text and str(ADMIN_ID) in text for text in told)


async def test_a_confirmed_grant_approves_after_the_cool_off_and_never_with_its_grantor(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """The same admin, with a second real admin confirming both grants: the new officers may
    not approve during the cool-off; after it, the account whose role the admin proposed does
    not count beside the admin's own approval, nor on a request the admin registered; an
    independent officer's approval completes the four eyes."""
    alice, bob = officer(loopback, LEGAL_OFFICER_ID, "Alice"), officer(loopback, OFFICER_B, "Bob")
    ada = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    abe = loopback.add_user(first_name="Abe", language_code="en", user_id=SECOND_ADMIN)
    sock = officer(loopback, SOCK, "Sock")
    for account in (ADMIN_ID, SOCK):
        await say(ada, f"/grant {account} legal")
        assert "is now legal officer" in (await say(abe, f"/grant {account} legal")).text
    await register_by_conversation(alice)
    await say(alice, "/legal analysis 1 Valid German court order about drug sales via the channel.")
    for user in (ada, sock):
        early = await say(user, "/legal approve 1")
        assert "you may approve from 2026-11-21 12:00 UTC" in early.text
    clock = legal_bot.application.bot_data.services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(hours=24))
    assert "(1/2)" in (await say(ada, "/legal approve 1")).text
    dependent = await say(sock, "/legal approve 1")
    assert f"proposed or confirmed by officer {ADMIN_ID}, who approved request #1" in (
        dependent.text
    )
    await register_by_conversation(ada, reference="AZ 124/26")
    await say(ada, "/legal analysis 2 Valid German court order about drug sales via the channel.")
    by_registrar = await say(sock, "/legal approve 2")
    assert "proposed or confirmed by the officer who registered request #2" in by_registrar.text
    done = await say(bob, "/legal approve 1")
    assert "disclosed: 1 phone number, 1 IP address" in done.text
    database = legal_bot.settings.database
    approvers = _rows(
        database,
        "SELECT officer_id FROM legal_approvals WHERE request_id = 1 AND voided_at IS NULL",
    )
    assert sorted(r[0] for r in approvers) == [ADMIN_ID, OFFICER_B]


async def test_a_legal_grant_written_into_the_database_counts_only_once_two_admins_regrant_it(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """Someone with the database's password (and no keys) inserts a legal grant for a second
    Telegram account of theirs, as if Ada proposed and Abe confirmed it a month ago; before
    sealed grants that account approved beside one real officer and the disclosure went.
    Now its approval is refused through the bot, saying its grant carries no seal, and nothing
    is disclosed; the admins re-grant the role through the bot (Ada's /grant says the role is
    not sealed, Abe's confirmation replaces it), and after the cool-off it counts."""
    alice, bob = officer(loopback, LEGAL_OFFICER_ID, "Alice"), officer(loopback, OFFICER_B, "Bob")
    ada = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    abe = loopback.add_user(first_name="Abe", language_code="en", user_id=SECOND_ADMIN)
    sock = officer(loopback, SOCK, "Sock")
    database = legal_bot.settings.database
    month_ago = utc_text(NOW - timedelta(days=30))
    await execute_beside(
        database,
        "INSERT INTO role_grants (user_id, role, granted_by, granted_at, confirmed_by, "
        "confirmed_at) VALUES (?, 'legal', ?, ?, ?, ?)",
        (SOCK, ADMIN_ID, month_ago, SECOND_ADMIN, month_ago),
    )
    await register_by_conversation(alice)
    await say(alice, "/legal analysis 1 Valid German court order about drug sales via the channel.")
    refused = await say(sock, "/legal approve 1")
    assert "only legal officers handle legal requests" in refused.text
    assert f"the legal grant of {SOCK} carries no seal" in refused.text
    assert "(1/2)" in (await say(bob, "/legal approve 1")).text
    assert _rows(database, "SELECT state FROM legal_requests") == [("under_analysis",)]
    assert _rows(database, "SELECT count(*) FROM disclosure_ledger") == [(0,)]

    proposed = await say(ada, f"/grant {SOCK} legal")
    assert "is not legal officer yet" in proposed.text
    assert "holds this role by a grant that is not sealed" in proposed.text
    confirmed = await say(abe, f"/grant {SOCK} legal")
    assert "is now legal officer" in confirmed.text
    assert "replaces their earlier unsealed one" in confirmed.text
    early = await say(sock, "/legal approve 1")
    assert "LEGAL_GRANT_COOL_OFF_HOURS" in early.text
    clock = legal_bot.application.bot_data.services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(hours=24))
    done = await say(sock, "/legal approve 1")
    assert "disclosed: 1 phone number, 1 IP address" in done.text


def test_cli_registers_from_json_and_verifies_the_ledger(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    env = cli_env(DATABASE_PATH=str(database), LEGAL_OFFICER_IDS=str(LEGAL_OFFICER_ID))
    (tmp_path / "order.pdf").write_bytes(b"%PDF-1.4 test order")
    request = {
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
    (tmp_path / "request.json").write_text(json.dumps(request))
    added = _cli(env, tmp_path, "legal", "add", "request.json", "--by", str(LEGAL_OFFICER_ID))
    assert added.returncode == 0, added.stderr
    assert "registered legal request #1" in added.stdout
    assert "FAIL  target_resolves" in added.stdout
    twice = _cli(env, tmp_path, "legal", "add", "request.json", "--by", str(LEGAL_OFFICER_ID))
    assert twice.returncode == 1
    assert "already registered as request #1" in twice.stderr
    stranger = _cli(env, tmp_path, "legal", "add", "request.json", "--by", str(ADMIN_ID + 77))
    assert "only legal officers" in stranger.stderr
    bad = dict(request, country="Brazil", issued_on="yesterday")
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    wrong = _cli(env, tmp_path, "legal", "add", "bad.json", "--by", str(LEGAL_OFFICER_ID))
    assert "country:" in wrong.stderr
    assert "issued_on:" in wrong.stderr
    verified = _cli(env, tmp_path, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "0 entries, intact" in verified.stdout


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _rows(database: Location, sql: str) -> list[tuple[Any, ...]]:
    return rows(database, sql)


async def test_key_rotation_re_encrypts_disclosures_and_the_ledger_stays_intact(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    bob, carol = officer(loopback, OFFICER_B, "Bob"), officer(loopback, OFFICER_C, "Carol")
    await say(alice, "/legal new")
    for answer in [*ANSWERS[:6], PHONE_IN, ANSWERS[7]]:  # the target named by its phone
        await say(alice, answer)
    await alice.send_document("order.pdf", b"%PDF-1.4 test court order")
    await reply(alice)
    await say(alice, "/legal analysis 1 Valid court order naming the phone number of the seller.")
    await say(bob, "/legal approve 1")
    await say(carol, "/legal approve 1")
    before = await reply(carol)
    services = legal_bot.application.bot_data.services
    old = legal_bot.settings
    rotated = PersonalDataCipher(
        parse_key(new_key_text("k2")),
        [parse_key(old.encryption_key.get_secret_value())],  # type: ignore[union-attr]
        decode_secret(old.blind_index_key.get_secret_value(), "index"),  # type: ignore[union-attr]
    )
    # The disclosure, the phone target and the order document.
    assert await rotate_legal_keys(services.store, rotated, "k2") == 3
    assert _rows(old.database, "SELECT DISTINCT key_id FROM disclosures") == [("k2",)]
    assert services.ledger is not None
    verdict = await verify_ledger(services.store, rotated, services.ledger)
    assert (verdict.entries, verdict.problems) == (1, ())
    officer_c = Officer(OFFICER_C, "Carol", is_legal=True)
    again = await retrieve(
        services.store,
        rotated,
        services.settings.legal_policy,
        services.ledger,
        1,
        officer_c,
        NOW,
    )
    assert before.document is not None
    assert again.content == before.document.data
    request, _ = await show(
        services.store, rotated, services.settings.legal_policy, 1, officer_c, NOW
    )
    assert request.form.target.value == PHONE_IN


async def test_transparency_report_counts_equal_the_ledger_and_come_with_a_chart(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    bob, carol = officer(loopback, OFFICER_B, "Bob"), officer(loopback, OFFICER_C, "Carol")
    await register_by_conversation(alice)
    await say(alice, "/legal analysis 1 Valid German court order about drug sales via the channel.")
    await say(bob, "/legal approve 1")
    await say(carol, "/legal approve 1")
    admin = officer(loopback, ADMIN_ID, "Ada")
    table = await say(admin, "/transparency 2026Q4")
    assert "Transparency report 2026Q4" in table.text
    rows = {line.split()[0]: line.split()[1:] for line in table.text.splitlines()}
    assert rows["DE"] == ["1", "1", "0", "1"]  # received, fulfilled, rejected, users
    assert rows["all"] == ["1", "1", "0", "1"]
    assert "1 disclosure in the period" in table.text
    chart = await reply(admin)
    assert chart.photo is not None
    assert chart.photo.data.startswith(b"\x89PNG\r\n\x1a\n")
    ledger = _rows(legal_bot.settings.database, "SELECT country FROM disclosure_ledger")
    assert ledger == [("DE",)]
    officer_view = await say(alice, "/transparency 2026Q4")
    assert "Transparency report 2026Q4" in officer_view.text
    moderator = officer(loopback, MODERATOR_ID, "Mona")
    assert "admins and legal officers" in (await say(moderator, "/transparency")).text
    assert "2026Q3" in (await say(admin, "/transparency 2026-Q3")).text


async def test_transparency_export_writes_the_period_as_csv_and_json(
    legal_bot: RunningBot, loopback: LoopbackServer, tmp_path: Path
) -> None:
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    await register_by_conversation(alice)
    env = cli_env(**database_env(legal_bot.settings.database))
    as_csv = _cli(env, tmp_path, "transparency", "export", "--period", "2026Q4", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    assert "2026Q4,2026-10-01,2026-12-31,DE,Germany,1,0,0,0" in as_csv.stdout
    as_json = _cli(env, tmp_path, "transparency", "export", "--period", "2026Q4")
    data = json.loads(as_json.stdout)
    assert data["totals"]["requests_received"] == 1
    assert data["telegram_format"] == []
    bad = _cli(env, tmp_path, "transparency", "export", "--period", "Q4")
    assert bad.returncode != 0
    assert "2026Q3" in bad.stderr


async def test_a_legal_draft_is_kept_encrypted_and_dropped_after_the_conversation_timeout(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """A phone typed as the target of /legal new sat in clear in bot_state until the draft
    ended, and an abandoned draft stayed forever."""
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    await say(alice, "/legal new")
    for answer in [*ANSWERS[:6], PHONE_IN]:
        await say(alice, answer)
    database = legal_bot.settings.database
    raw = at_rest(database)
    assert PHONE_IN.encode() not in raw
    assert PHONE_IN[1:].encode() not in raw
    ((kept,),) = _rows(database, "SELECT value FROM bot_state WHERE key LIKE 'legal_draft:%'")
    assert PHONE_IN not in kept
    assert "Amtsgericht" not in kept
    again = await say(alice, "/legal new")
    assert "Continuing the legal request you started" in again.text
    clock: FakeClock = legal_bot.application.bot_data.services.clock  # type: ignore[assignment]
    clock.advance(timedelta(minutes=legal_bot.settings.conversation_timeout_minutes + 1))
    fresh = await say(alice, "/legal new")
    assert "New legal request" in fresh.text
    assert "1/9" in fresh.text


async def test_a_moved_ciphertext_is_withheld_and_the_officer_warned(
    legal_bot: RunningBot, loopback: LoopbackServer
) -> None:
    """Someone with the database copies the August phone's ciphertext into a new row dated in
    July: the disclosure withholds it, lists it, and the officer is told."""
    await execute_beside(
        legal_bot.settings.database,
        "INSERT INTO observations (id, violator_id, kind, value, ciphertext, key_id, "
        "blind_index, observed_at, source, recorded_at, dedupe, blind_key_id) "
        "SELECT (SELECT max(id) + 1 FROM observations), violator_id, kind, value, ciphertext, "
        "key_id, blind_index, '2026-07-20T00:00:00.000000+00:00', source, recorded_at, ?, "
        "blind_key_id FROM observations WHERE observed_at LIKE '2026-08-02%'",
        (os.urandom(32),),
    )
    alice = officer(loopback, LEGAL_OFFICER_ID, "Alice")
    bob, carol = officer(loopback, OFFICER_B, "Bob"), officer(loopback, OFFICER_C, "Carol")
    await register_by_conversation(alice)
    await say(alice, "/legal analysis 1 Valid German court order about drug sales via the channel.")
    await say(bob, "/legal approve 1")
    done = await say(carol, "/legal approve 1")
    assert "disclosed: 1 phone number, 1 IP address" in done.text
    warning = await reply(carol)
    assert "1 stored value did not open in its row" in warning.text
    as_json = await reply(carol)
    assert as_json.document is not None
    content = json.loads(as_json.document.data)
    assert PHONE_OUT not in as_json.document.data.decode()
    assert [(w["kind"], w["observed_at"]) for w in content["withheld"]] == [
        ("phone", "2026-07-20T00:00:00+00:00")
    ]
