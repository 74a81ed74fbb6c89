"""Privacy after a full scenario: reporters report, a moderator approves, the platform's phones
and IPs are imported, a court order is disclosed, a lookup is made. Afterwards no phone, IP or
token is in the logs (exception texts included), in any message to anyone but the legal officers,
or in clear in the database file; and the review chat never showed who reported."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.settings import LogLevel
from loopback import LoopbackServer, UserHandle
from moderation.registry.metadata_import import import_lines
from tests.conftest import LEGAL_OFFICER_ID, MODERATOR_ID, TEST_TOKEN, RunningBot
from tests.e2e.test_legal import ANSWERS, OFFICER_B, OFFICER_C, reply, say
from tests.helpers import FakeClock

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PHONES = ("+447700900123", "+447700900456")
OFFICER_D = 900013  # a legal officer who takes no part in the request
IPS = ("192.0.2.44", "2001:db8::77")


async def test_personal_data_reaches_only_legal_officers(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    moderator = loopback.add_user(first_name="Mona", username="mona_mod", user_id=MODERATOR_ID)
    review = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    settings = make_settings(
        review_chat_id=review.id,
        legal_officer_ids=frozenset({LEGAL_OFFICER_ID, OFFICER_B, OFFICER_C, OFFICER_D}),
        undo_window_minutes=1,
    )
    clock = FakeClock(NOW)
    bot: RunningBot = await start_bot(settings, clock=clock, log_level=LogLevel.DEBUG)
    reporters = [
        loopback.add_user(first_name=name, username=f"{name.lower()}_reports", language_code="en")
        for name in ("Alice", "Boris")
    ]
    for reporter in reporters:
        receipt = await say(reporter, "/report @pill_shop drugs cheap pills")
        assert "received" in receipt.text
    case = await review.next_message(timeout=15)
    menu = await moderator.press(case, text="✅ Approve")
    await menu.answered(timeout=15)
    await loopback.wait_for(
        lambda: (
            any("Approved" in m.text for m in review.messages())
            or any(b == "✓ Illegal drugs" for m in review.messages() for b in m.button_texts())
        ),
        timeout=15,
    )
    current = next(m for m in review.messages() if m.message_id == case.message_id)
    if "✓ Illegal drugs" in current.button_texts():
        press = await moderator.press(current, text="✓ Illegal drugs")
        await press.answered(timeout=15)
    await loopback.wait_for(
        lambda: any(
            "Approved" in m.text for m in review.messages() if m.message_id == case.message_id
        ),
        timeout=15,
    )

    services = bot.application.bot_data.services
    assert services.cipher is not None
    lines = [
        f'{{"username": "pill_shop", "kind": "phone", "value": "{PHONES[0]}", '
        f'"observed_at": "2026-07-10T10:00:00Z"}}',
        f'{{"username": "pill_shop", "kind": "ip", "value": "{IPS[0]}", '
        f'"observed_at": "2026-07-11T10:00:00Z"}}',
        f'{{"username": "pill_shop", "kind": "ip", "value": "{IPS[1]}", '
        f'"observed_at": "2026-07-12T10:00:00Z"}}',
        f'{{"username": "someone_else", "kind": "phone", "value": "{PHONES[1]}", '
        f'"observed_at": "2026-07-12T10:00:00Z"}}',
        f'{{"username": "pill_shop", "kind": "phone", "value": "{PHONES[1][:6]}", '
        f'"observed_at": "2026-07-12T10:00:00Z"}}',  # a bad line, reported by number
    ]
    summary = await import_lines(services.store, services.cipher, iter(lines), NOW)
    assert (summary.added, summary.bad_count) == (3, 1)

    alice = loopback.add_user(first_name="Lea", language_code="en", user_id=LEGAL_OFFICER_ID)
    bob = loopback.add_user(first_name="Bob", language_code="en", user_id=OFFICER_B)
    carol = loopback.add_user(first_name="Carol", language_code="en", user_id=OFFICER_C)
    await say(alice, "/legal new")
    for answer in ANSWERS:
        await say(alice, answer)
    await alice.send_document("order.pdf", b"%PDF-1.4 test court order")
    await reply(alice)
    await say(alice, "/legal analysis 1 Valid German court order about drug sales via the channel.")
    await say(bob, "/legal approve 1")
    disclosed = await say(carol, "/legal approve 1")
    assert "disclosed" in disclosed.text
    found = await say(alice, f"/lookup 1 ip {IPS[1]}")
    assert IPS[1] not in found.text  # sealed: only the disclosure shows it
    assert "1 phone number, 2 IP addresses" in found.text
    # Every path one legal officer can take alone, the registrar and an officer who took no
    # part in the request: lookups of every kind, the request, the list, the files again.
    dave = loopback.add_user(first_name="Dave", language_code="en", user_id=OFFICER_D)
    for person in (alice, dave):
        for command in (
            f"/lookup 1 phone {PHONES[0]}",
            f"/lookup 1 ip {IPS[0]}",
            "/lookup 1 username pill_shop",
            "/lookup 1 violator 1",
            "/legal show 1",
            "/legal",
            "/legal file 1",
            "/legal disclose 1",
            "/legal approve 1",
        ):
            await say(person, command)
    await loopback.wait_for(
        lambda: any("only the officers who handled request #1" in m.text for m in dave.messages()),
        timeout=15,
    )
    # A moderator who tries the legal commands sees nothing.
    await say(moderator, f"/lookup 1 phone {PHONES[0]}")
    # Some failing input for the exception paths.
    await say(reporters[0], f"/legal show 1 {PHONES[0]}")
    logging.getLogger("httpx").warning("HTTP Request: POST %s from %s", TEST_TOKEN, IPS[0])
    await bot.shutdown()

    secrets = (*PHONES, *IPS, "7700900123", "7700900456", TEST_TOKEN, TEST_TOKEN.split(":")[1])
    log = bot.log_text()
    for secret in secrets:
        assert secret not in log, secret
    raw = bot.settings.database_path.read_bytes()
    for secret in (*PHONES, *IPS):
        assert secret.encode() not in raw, secret
    # The only messages that ever held a phone or an IP: the two disclosure files sent to the
    # officer whose approval completed the four eyes (and the copy the registrar asked for).
    everyone: list[UserHandle] = [*reporters, moderator, alice, bob, carol, dave]
    carrying: list[tuple[str, str | None]] = []
    for user in everyone:
        for message in user.messages():
            shown = message.text + (message.caption or "")
            for secret in (*PHONES, *IPS):
                assert secret not in shown, (user.first_name, secret)
            if message.document is not None:
                data = message.document.data.decode(errors="replace")
                if any(secret in data for secret in (*PHONES, *IPS)):
                    carrying.append((user.first_name, message.document.filename))
    assert sorted(carrying) == [
        ("Carol", "disclosure-1.html"),
        ("Carol", "disclosure-1.json"),
        ("Lea", "disclosure-1.html"),
        ("Lea", "disclosure-1.json"),
    ]
    for message in review.messages():
        for secret in (*PHONES, *IPS):
            assert secret not in message.text
        for reporter in reporters:
            assert reporter.first_name not in message.text
            assert str(reporter.id) not in message.text
            assert f"{reporter.username}" not in message.text
