"""The gate, not the handler, decides who is served: a handler that answers anyone is still
refused to whom the table refuses, with the table's text and an audit row; and who is served
where is the table's (a review chat's administrator without a role may ask for the queue in a
private chat, as before the gate)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler

from handlers.runtime.context import BotContext
from handlers.runtime.gate import ANSWERING_GROUP, guard
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from tests.conftest import ADMIN_ID, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import rows


async def ask(user: UserHandle, text: str, chat: ChatHandle | None = None) -> SentMessage:
    await user.send(text, chat=chat)
    if chat is None:
        return await user.next_message(timeout=15)
    return await chat.next_message(timeout=15)


async def test_a_refusal_is_the_gates_whatever_the_handler_would_answer(
    bot: RunningBot, loopback: LoopbackServer
) -> None:
    answered: list[int] = []

    async def anyone(update: Update, context: BotContext) -> None:
        """Answers everyone: it checks nothing itself."""
        assert update.effective_user is not None
        assert update.effective_message is not None
        answered.append(update.effective_user.id)
        await update.effective_message.reply_text(f"served {context.actor.user.id}")

    # Ahead of the real /health handler, then behind the gate like every handler.
    bot.application.handlers[ANSWERING_GROUP].insert(0, CommandHandler("health", anyone))
    guard(bot.application)

    moderator = loopback.add_user(first_name="Mona", user_id=MODERATOR_ID)
    refusal = await ask(moderator, "/health")
    assert "/health is for admins" in refusal.text
    assert answered == []
    denied = rows(
        bot.settings.database_path,
        "SELECT actor_id, details FROM audit_log WHERE action = 'access.denied'",
    )
    assert [(a, json.loads(d)) for a, d in denied] == [
        (MODERATOR_ID, {"command": "health", "chat_type": "private"})
    ]

    admin = loopback.add_user(first_name="Ada", user_id=ADMIN_ID)
    served = await ask(admin, "/health")
    assert served.text == f"served {ADMIN_ID}"  # the handler got the actor the gate resolved
    assert answered == [ADMIN_ID]


async def test_the_review_chats_administrator_may_ask_for_the_queue_privately(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
) -> None:
    carl = loopback.add_user(first_name="Carl", language_code="en")
    rita = loopback.add_user(first_name="Rita", language_code="en")
    review = loopback.add_supergroup(title="Review", members=[rita], admins=[carl], bot_admin=True)
    await start_bot(make_settings(review_chat_id=review.id))
    assert "queue is empty" in (await ask(carl, "/queue")).text
    assert "Only moderators can see the review queue." in (await ask(rita, "/queue")).text
    escalated = await ask(carl, "/queue escalated")
    assert escalated.text == "Only admins and legal officers can see the escalated queue."
