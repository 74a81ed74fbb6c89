"""Inline buttons: presses become callback queries the bot must answer once, in time."""

from __future__ import annotations

import pytest
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from loopback import LoopbackServer, SentMessage, UserHandle
from tests.loopback.conftest import ManualClock

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Approve", callback_data="v1:approve:1"),
            InlineKeyboardButton("Reject", callback_data="v1:reject:1"),
        ],
        [InlineKeyboardButton("Rules", url="https://example.org/rules")],
    ]
)
TOO_OLD = "Query is too old and response timeout expired or query id is invalid"


@pytest.fixture
async def alice(server: LoopbackServer, bot: Bot) -> UserHandle:
    user = server.add_user(first_name="Alice")
    await user.send("/start")
    await bot.get_updates()
    return user


async def _card(bot: Bot, server: LoopbackServer, alice: UserHandle) -> SentMessage:
    await bot.send_message(alice.id, "Case #1", reply_markup=KEYBOARD)
    return await alice.next_message()


async def _pressed_query(bot: Bot) -> CallbackQuery:
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    await bot.get_updates(offset=updates[-1].update_id + 1)
    return query


async def test_press_by_data_is_answered(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    card = await _card(bot, server, alice)
    press = await alice.press(card, data="v1:approve:1")
    query = await _pressed_query(bot)
    assert query.id == press.query_id
    assert query.data == "v1:approve:1"
    assert query.from_user.id == alice.id
    assert query.message is not None
    assert query.message.message_id == card.message_id
    await bot.answer_callback_query(query.id, text="Approved", show_alert=True)
    answer = await press.answered(timeout=5)
    assert (answer.text, answer.show_alert, answer.url) == ("Approved", True, None)


async def test_press_by_label_finds_the_button(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    card = await _card(bot, server, alice)
    press = await alice.press(card, text="Reject")
    assert press.data == "v1:reject:1"
    with pytest.raises(LookupError, match="no button 'Escalate'"):
        await alice.press(card, text="Escalate")
    with pytest.raises(LookupError, match="not a callback button"):
        await alice.press(card, text="Rules")


async def test_second_answer_is_refused(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    card = await _card(bot, server, alice)
    await alice.press(card, data="v1:approve:1")
    query = await _pressed_query(bot)
    await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest) as caught:
        await bot.answer_callback_query(query.id)
    assert caught.value.message == TOO_OLD


async def test_late_or_unknown_answer_is_too_old(
    bot: Bot, server: LoopbackServer, alice: UserHandle, clock: ManualClock
) -> None:
    card = await _card(bot, server, alice)
    press = await alice.press(card, data="v1:approve:1")
    query = await _pressed_query(bot)
    clock.advance(15.5)
    with pytest.raises(BadRequest) as caught:
        await bot.answer_callback_query(query.id, text="too late")
    assert caught.value.message == TOO_OLD
    assert press.answer is None
    with pytest.raises(BadRequest) as caught:
        await bot.answer_callback_query("12345")
    assert caught.value.message == TOO_OLD


async def test_unanswered_press_times_out_with_context(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    card = await _card(bot, server, alice)
    press = await alice.press(card, data="v1:approve:1")
    with pytest.raises(TimeoutError, match="was not answered within"):
        await press.answered(timeout=0.05)
