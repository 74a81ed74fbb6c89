"""`report-bot setup` as an operator runs it: a real process against the loopback Bot API.

It must say what is missing, list the groups the bot was added to with their ids without
taking those updates from the bot, check the bot's rights in the review chat, end with the
next step, exit 0 only when ready, and never print a secret or a traceback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Bot

from bot.instance_lock import InstanceLock
from loopback import BotHandle, LoopbackServer
from tests.conftest import TEST_BOT_USERNAME, TEST_TOKEN
from tests.helpers import cli_command, cli_env, database_in, free_port

UNKNOWN_TOKEN = "123456780:TEST-token-the-loopback-does-not-know-0"


async def setup(
    loopback: LoopbackServer, tmp_path: Path, *args: str, **variables: str
) -> tuple[int, str]:
    """Runs `report-bot setup`; returns the exit code and stdout + stderr, checked clean."""
    env = cli_env(
        TELEGRAM_API_BASE_URL=loopback.base_url,
        DATABASE_PATH=str(database_in(tmp_path)),
        **variables,
    )
    process = await asyncio.create_subprocess_exec(
        *cli_command(*(args or ("setup",))),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    text = out.decode() + err.decode()
    assert "Traceback" not in text
    for name in ("BOT_TOKEN", "ENCRYPTION_KEY", "BLIND_INDEX_KEY", "LEDGER_KEY"):
        # the whole value, and the part after "id:" that makes a token or key a credential
        for secret in {env.get(name, ""), env.get(name, "").rpartition(":")[2]} - {""}:
            assert secret not in text, f"{name} was printed"
    return process.returncode, text


async def test_no_token_names_botfather_and_calls_nothing(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    code, text = await setup(loopback, tmp_path)
    assert code == 1
    assert "BOT_TOKEN is not set" in text
    assert "Next step: create the bot with @BotFather" in text
    assert not loopback.calls()


async def test_missing_keys_point_at_keys_generate(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    code, text = await setup(
        loopback, tmp_path, BOT_TOKEN=TEST_TOKEN, ENCRYPTION_KEY="", LEDGER_KEY=""
    )
    assert code == 1
    assert "ENCRYPTION_KEY, LEDGER_KEY not set" in text
    assert "Next step: run `report-bot keys generate >> .env`" in text
    assert f"@{TEST_BOT_USERNAME}" in text  # the token is still checked


async def test_rejected_token_is_a_401_with_what_to_do(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=UNKNOWN_TOKEN)
    assert code == 1
    assert "Telegram rejected BOT_TOKEN (Unauthorized)" in text
    assert "Next step: copy the token again from @BotFather" in text


async def test_malformed_setting_is_reported_not_raised(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN, REVIEW_CHAT_ID="12345")
    assert code == 1
    assert "REVIEW_CHAT_ID: a group's id is negative" in text
    assert "Next step: fix the settings marked TODO above" in text


async def test_no_chats_yet_says_to_add_the_bot_to_a_group(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN)
    assert code == 1
    assert f"token accepted: the bot is @{TEST_BOT_USERNAME}" in text
    assert "no group has added the bot yet" in text
    assert f"Next step: create the review group, add @{TEST_BOT_USERNAME} to it" in text


async def test_lists_the_groups_without_taking_their_updates(
    loopback: LoopbackServer, bot_account: BotHandle, tmp_path: Path
) -> None:
    owner = loopback.add_user(first_name="Olga")
    group = loopback.add_supergroup(title="Trust team", owner=owner, bot_member=False)
    loopback.add_bot_to_chat(group, admin=True, by=owner)
    pending = bot_account.pending_update_count

    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN)
    assert code == 1
    assert f'chat {group.id}: supergroup "Trust team", the bot is an administrator' in text
    assert f"Next step: put the review group's id in .env as REVIEW_CHAT_ID={group.id}" in text
    # Nothing confirmed: `report-bot run` still receives the bot's own membership change.
    assert pending == 1
    assert bot_account.pending_update_count == pending
    assert all("offset" not in call.params for call in loopback.calls("getUpdates"))


async def test_ready_when_the_bot_administers_the_review_chat(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    group = loopback.add_supergroup(title="Trust team", bot_admin=True)
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN, REVIEW_CHAT_ID=str(group.id))
    assert code == 0, text
    assert 'review chat: supergroup "Trust team"' in text
    assert "the bot is an administrator of the review chat" in text
    assert "TODO" not in text
    assert "Ready. Next: start the bot with `report-bot run`." in text


async def test_setup_says_the_bot_deletes_its_own_extra_copies(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """issue 28, point 12: setup said the bot does not need to delete messages while it does
    delete its own extra copies of case posts (handlers/outbound/case_copies.py)."""
    group = loopback.add_supergroup(title="Trust team", bot_admin=True)
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN, REVIEW_CHAT_ID=str(group.id))
    assert code == 0, text
    assert "deleting its own extra copies of case posts: allowed" in text
    assert "deleting other people's messages: " in text
    assert "the bot never does, so it does not need this right" in text
    assert "deleting messages: allowed (the bot does not need it)" not in text
    assert "Ready. Next: start the bot with `report-bot run`." in text


async def test_doctor_is_the_same_command(loopback: LoopbackServer, tmp_path: Path) -> None:
    group = loopback.add_supergroup(title="Trust team", bot_admin=True)
    code, text = await setup(
        loopback, tmp_path, "doctor", BOT_TOKEN=TEST_TOKEN, REVIEW_CHAT_ID=str(group.id)
    )
    assert code == 0, text
    assert "Ready." in text


async def test_bot_that_is_not_admin_is_told_how_to_promote_it(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    group = loopback.add_supergroup(title="Trust team", bot_member=True, bot_admin=False)
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN, REVIEW_CHAT_ID=str(group.id))
    assert code == 1
    assert "member of the review chat but not an administrator" in text
    assert "Next step: in the review group: Manage -> Administrators -> Add Admin" in text


async def test_review_chat_the_bot_is_not_in(loopback: LoopbackServer, tmp_path: Path) -> None:
    group = loopback.add_supergroup(title="Trust team", bot_member=False)
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN, REVIEW_CHAT_ID=str(group.id))
    assert code == 1
    assert "Telegram answers 'Chat not found'" in text


async def test_forum_topic_is_checked(loopback: LoopbackServer, tmp_path: Path) -> None:
    group = loopback.add_supergroup(title="Trust team", forum=True, bot_admin=True)
    topic = group.create_topic("Cases")
    ids = {"BOT_TOKEN": TEST_TOKEN, "REVIEW_CHAT_ID": str(group.id)}

    code, text = await setup(loopback, tmp_path, REVIEW_THREAD_ID=str(topic), **ids)
    assert code == 0, text
    assert f"forum topic {topic} exists" in text

    code, text = await setup(loopback, tmp_path, REVIEW_THREAD_ID=str(topic + 1000), **ids)
    assert code == 1
    assert "Message thread not found" in text
    assert not loopback.messages(group.id, topic)[1:]  # nothing was posted


async def test_webhook_mode_is_said_plainly(
    loopback: LoopbackServer, bot_account: BotHandle, tmp_path: Path
) -> None:
    hook = f"http://127.0.0.1:{free_port()}/telegram"
    async with Bot(TEST_TOKEN, base_url=loopback.base_url) as other:
        assert await other.set_webhook(hook, secret_token="not-a-real-secret")
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN)
    assert f"a webhook is set ({hook}): Telegram refuses getUpdates" in text
    assert not loopback.calls("getUpdates")
    assert code == 1  # REVIEW_CHAT_ID is still to be set


async def test_running_bot_keeps_its_updates(loopback: LoopbackServer, tmp_path: Path) -> None:
    with InstanceLock(database_in(tmp_path)):
        code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN)
    assert "report-bot is running with this database (process " in text
    assert not loopback.calls("getUpdates")
    assert code == 1


async def test_another_poller_is_a_409_said_plainly(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.faults.inject(
        "getUpdates",
        kind="error",
        error_code=409,
        description="Conflict: terminated by other getUpdates request; make sure that only "
        "one bot instance is running",
    )
    code, text = await setup(loopback, tmp_path, BOT_TOKEN=TEST_TOKEN)
    assert code == 1
    assert "another program is polling this bot's updates (409 Conflict" in text
    assert "Next step: stop the other instance" in text
