"""Reading what the bot did: per-chat messages, next_message cursors, wait_for."""

from __future__ import annotations

import pytest
from telegram import Bot

from loopback import LoopbackServer


async def test_next_message_cursors_are_per_handle(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    bob = server.add_user(first_name="Bob")
    group = server.add_group(title="Review", members=[alice, bob])
    for user in (alice, bob):
        await user.send("/start")
    await bot.send_message(alice.id, "a1")
    await bot.send_message(bob.id, "b1")
    await bot.send_message(group.id, "g1")
    await bot.send_message(alice.id, "a2")
    assert (await alice.next_message()).text == "a1"
    assert (await alice.next_message()).text == "a2"
    assert (await bob.next_message()).text == "b1"
    assert (await group.next_message()).text == "g1"
    assert [m.text for m in server.messages(alice.id)] == ["a1", "a2"]
    assert [m.text for m in alice.messages()] == ["a1", "a2"]
    assert [m.text for m in group.messages()] == ["g1"]


async def test_next_message_times_out_with_the_recent_calls(
    bot: Bot, server: LoopbackServer
) -> None:
    alice = server.add_user(first_name="Alice")
    await alice.send("/start")
    await bot.get_me()
    with pytest.raises(TimeoutError, match="no new bot message in Alice's private chat") as caught:
        await alice.next_message(timeout=0.01)
    assert "getMe -> ok" in str(caught.value)


async def test_wait_for_wakes_on_api_calls(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    await alice.send("/start")
    await bot.send_message(alice.id, "done")
    await server.wait_for(lambda: len(server.messages(alice.id)) == 1, timeout=5)
    with pytest.raises(TimeoutError, match="still false"):
        await server.wait_for(lambda: len(server.messages(alice.id)) == 2, timeout=0.01)


async def test_thread_filter_reads_one_topic(bot: Bot, server: LoopbackServer) -> None:
    forum = server.add_supergroup(title="Review", forum=True)
    cases, appeals = forum.create_topic("Cases"), forum.create_topic("Appeals")
    await bot.send_message(forum.id, "case", message_thread_id=cases)
    await bot.send_message(forum.id, "appeal", message_thread_id=appeals)
    assert [m.text for m in server.messages(forum.id, thread_id=appeals)] == ["appeal"]
    assert [m.thread_id for m in server.messages(forum.id)] == [cases, appeals]
    topics = [u.message for u in await bot.get_updates() if u.message]
    assert [m.forum_topic_created.name for m in topics if m.forum_topic_created] == [
        "Cases",
        "Appeals",
    ]
