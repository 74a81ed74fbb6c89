"""The console on two bot instances sharing one PostgreSQL database, both in webhook mode:
sessions, replay records and claims live in the database, so any instance serves any
moderator (issue 30: a session opened on one works on the other; two moderators served via
/next on two instances at once are never served the same case)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.settings import Settings
from loopback import LoopbackServer
from tests.conftest import ADMIN_ID, MODERATOR_ID, TEST_TOKEN, RunningBot
from tests.console import ConsoleClient, signed_init_data, telegram_user
from tests.e2e.reporting_steps import Reporter
from tests.helpers import FakeClock
from tests.workers import free_port

pytestmark = pytest.mark.engines("postgresql")


def instance_settings(make_settings: Callable[..., Settings], review_chat_id: int) -> Settings:
    port, console_port = free_port(), free_port()
    return make_settings(
        review_chat_id=review_chat_id,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret_token="test-webhook-secret_console",
        webhook_port=port,
        console_url=f"http://127.0.0.1:{console_port}/console/",
        console_port=console_port,
        case_edit_debounce_seconds=0,
    )


def base_url(bot: RunningBot) -> str:
    return f"http://127.0.0.1:{bot.settings.console_port}"


async def test_sessions_and_claims_hold_across_two_instances(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Settings],
    loopback: LoopbackServer,
) -> None:
    moderator = loopback.add_user(first_name="Mona", username="mona_mod", user_id=MODERATOR_ID)
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    first: RunningBot = await start_bot(instance_settings(make_settings, chat.id), clock=clock)
    second: RunningBot = await start_bot(instance_settings(make_settings, chat.id), clock=clock)
    for n in range(4):
        reporter = Reporter(loopback.add_user(first_name=f"R{n}", language_code="en"), loopback)
        receipt = await reporter.say(f"/report @shop_number_{n} drugs cheap pills")
        assert "received" in receipt.text

    def init_data(user_id: int) -> str:
        return signed_init_data(
            TEST_TOKEN, telegram_user(user_id), auth_date=int(clock.now().timestamp())
        )

    async with (
        ConsoleClient(base_url(first)) as mona,
        ConsoleClient(base_url(second)) as adam,
        ConsoleClient(base_url(second)) as replayer,
    ):
        mona_data = init_data(MODERATOR_ID)
        assert (await mona.open_session(mona_data)).status == 200
        replayed = await replayer.open_session(mona_data)  # the same init data, the other instance
        assert (replayed.status, replayed.body["error"]) == (401, "init_data_replayed")
        assert (await adam.open_session(init_data(ADMIN_ID))).status == 200
        # Mona's session, opened on the first instance, on the second
        elsewhere = ConsoleClient(base_url(second))
        async with elsewhere:
            elsewhere.token = mona.token
            queue = await elsewhere.get("/console/api/queue")
            assert queue.status == 200, queue
            assert queue.body["summary"]["count"] == 4

        served: list[int] = []
        for _ in range(2):
            both = await asyncio.gather(
                mona.post("/console/api/next", {}), adam.post("/console/api/next", {})
            )
            ids = [answer.body["case"]["id"] for answer in both]
            assert len(set(ids)) == 2, ids
            assert not set(ids) & set(served)
            served += ids
            for client, case_id in zip((mona, adam), ids, strict=True):
                decided = await client.post(
                    f"/console/api/cases/{case_id}/decide",
                    {"decision": "reject", "reason": "duplicate"},
                )
                assert decided.body["outcome"] == "decided"
        assert sorted(served) == [1, 2, 3, 4]
        assert (await mona.post("/console/api/next", {})).body["case"] is None
