"""The periodic signed ledger head through the running bot: the job on the jobs-lease holder
queues it, the delivery worker sends it to every legal officer (bootstrap and granted), the
officer's message as Telegram shows it is a head `report-bot ledger verify` accepts, and a
ledger that did not move sends nothing more."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.settings import SettingsError, load_settings
from loopback import LoopbackServer, UserHandle
from moderation.legal.disclosure import disclose
from moderation.legal.ledger import Ledger
from moderation.legal.types import LegalPolicy
from moderation.staff.roles import Role
from tests.conftest import LEGAL_OFFICER_ID, RunningBot
from tests.e2e.test_reporting_lifecycle import run_job
from tests.engines import rows
from tests.helpers import FakeClock, cli_command, cli_env
from tests.storage.legal_fixtures import (
    CAROL,
    NOW,
    POLICY,
    approved,
    sealed_grant,
    two_violators,
)

HEAD = "🔏 Disclosure ledger head, signed by the bot"
BOOTSTRAP_B, GRANTED = 900011, 900015


@pytest.fixture
async def bot(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> RunningBot:
    settings = make_settings(legal_officer_ids=frozenset({LEGAL_OFFICER_ID, BOOTSTRAP_B}))
    running: RunningBot = await start_bot(settings, clock=FakeClock(NOW))
    services = running.application.bot_data.services
    assert services.ledger is not None
    async with services.store.transaction() as uow:
        await sealed_grant(
            uow.roles,
            GRANTED,
            Role.LEGAL,
            by=900001,
            at=NOW - timedelta(days=3),
            keys=services.ledger.keys,
        )
    return running


def bot_policy(ledger: Ledger) -> LegalPolicy:
    """The tests' policy with the bot's own ledger key (votes and grants sealed under it)."""
    return dataclasses.replace(POLICY, grant_keys=ledger.keys)


def ledger_verify(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command("ledger", "verify", *args),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
    )


def heads(user: UserHandle) -> list[str]:
    return [m.text for m in user.messages() if m.text.startswith(HEAD)]


async def test_every_legal_officer_gets_one_signed_head_that_ledger_verify_accepts(
    bot: RunningBot, loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Replays issue 27's point 5 from the officers' side: nothing reached them that a cut
    tail could be held against besides the per-disclosure message; now a signed head does."""
    officers = [
        loopback.add_user(first_name=name, language_code="en", user_id=user_id)
        for name, user_id in (("Alice", LEGAL_OFFICER_ID), ("Bob", BOOTSTRAP_B), ("Gus", GRANTED))
    ]
    for officer in officers:
        await officer.send("/start")
        await officer.next_message(timeout=15)
    await run_job(bot, "ledger_head")  # an empty ledger: nothing to sign
    services = bot.application.bot_data.services
    assert services.cipher is not None
    assert services.ledger is not None
    await two_violators(services.store, services.cipher)
    policy = bot_policy(services.ledger)
    request = await approved(
        services.store, services.cipher, policy=policy, keys=services.ledger.keys
    )
    await disclose(services.store, services.cipher, policy, services.ledger, request.id, CAROL, NOW)

    await run_job(bot, "ledger_head")
    await bot.until_delivered(
        lambda: all(heads(officer) for officer in officers), "a signed head to every officer"
    )
    [message] = heads(officers[0])
    ((entry_hash,),) = rows(bot.settings.database, "SELECT entry_hash FROM disclosure_ledger")
    assert f"the ledger holds entry 1 as its last, hash {entry_hash}" in message
    await run_job(bot, "ledger_head")  # the ledger did not move: nothing more
    queued = rows(bot.settings.database, "SELECT chat_id FROM outbox WHERE kind = 'ledger_head'")
    assert sorted(chat_id for (chat_id,) in queued) == sorted(o.id for o in officers)

    settings = bot.settings
    secrets = {
        name: value.get_secret_value()
        for name, value in (
            ("ENCRYPTION_KEY", settings.encryption_key),
            ("BLIND_INDEX_KEY", settings.blind_index_key),
            ("LEDGER_KEY", settings.ledger_key),
        )
        if value is not None
    }
    env = cli_env(DATABASE_PATH=str(settings.database_path), **secrets)
    verified = ledger_verify(env, tmp_path, "--head", message)
    assert verified.returncode == 0, verified.stderr
    assert "ledger: 1 entry, intact" in verified.stdout
    assert "tail: proven up to entry 1 by the signed head 1:" in verified.stdout


async def test_no_periodic_head_when_ledger_head_every_hours_is_zero(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any]
) -> None:
    settings = make_settings(ledger_head_every_hours=0)
    off: RunningBot = await start_bot(settings, clock=FakeClock(NOW))
    services = off.application.bot_data.services
    assert services.cipher is not None
    assert services.ledger is not None
    await two_violators(services.store, services.cipher)
    policy = bot_policy(services.ledger)
    request = await approved(
        services.store, services.cipher, policy=policy, keys=services.ledger.keys
    )
    await disclose(services.store, services.cipher, policy, services.ledger, request.id, CAROL, NOW)
    await run_job(off, "ledger_head")
    assert rows(settings.database, "SELECT count(*) FROM outbox WHERE kind = 'ledger_head'") == [
        (0,)
    ]


def test_a_negative_interval_names_the_setting_and_what_it_expects(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(tmp_path / "no.env", ledger_head_every_hours="-1")
    [problem] = refused.value.problems
    assert problem.startswith("LEDGER_HEAD_EVERY_HOURS: input should be greater than or equal")
    assert problem.endswith(
        "expected a whole number of hours from 0 (off) to 8760 between two signed ledger heads "
        "sent to the legal officers, e.g. 24"
    )
