"""Copies of a case post, as a press or a reply reveals them (moderation/review/case_copies.py).

Telegram names a message to the bot only when someone touches it: a button pressed on it (the
callback query carries the message, its buttons included) or a reply to it (the reply carries
the message replied to). A message of ours in the review chat whose buttons all belong to one
case, and which is not that case's recorded post, is a copy: the press or reply acts on the
case and shows on its live post, and the copy is retired at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, Message

from handlers.callback_data import ReviewAction, parse_review_button
from handlers.outbound.case_copies import retire_copy
from handlers.review_views import ReviewViews
from handlers.runtime.context import Services
from moderation.review.case_copies import (
    HANDLER_GRACE,
    CopyTask,
    FoundBy,
    PostRef,
    PostRole,
    copy_retire_failed,
    pressed_post,
)


@dataclass(frozen=True, slots=True)
class Located:
    live: PostRef  # where the press or reply shows its effect
    copy: PostRef | None  # the message touched, when it is a copy to retire


def buttons_case(message: Message, bot_id: int) -> int | None:
    """The one case whose review buttons `message` (sent by this bot) carries, if any."""
    sender = message.from_user
    markup = message.reply_markup
    if sender is None or sender.id != bot_id or markup is None:
        return None
    cases = set()
    for row in markup.inline_keyboard:
        for key in row:
            data = key.callback_data if isinstance(key.callback_data, str) else None
            button = parse_review_button(data)
            if button is None or button.action is ReviewAction.POST:
                return None  # a /queue listing or something else, not a case post
            cases.add(button.case_id)
    return cases.pop() if len(cases) == 1 else None


async def locate(
    message: Message, bot_id: int, services: Services, case_id: int, by: FoundBy
) -> Located | None:
    """Where a press or reply on `message` about case `case_id` acts; None when the message
    is not a post of that case (a forged press, or another case's post)."""
    if buttons_case(message, bot_id) != case_id:
        return None
    pressed = PostRef(message.chat.id, message.message_id)
    now = services.clock.now()
    found = await pressed_post(
        services.store, case_id, pressed, by, now, retry_at=now + HANDLER_GRACE
    )
    if found.role is PostRole.FOREIGN:
        return None
    if found.role is PostRole.COPY:
        return Located(found.live, pressed)
    return Located(pressed, None)


async def retire_now(
    bot: Bot, services: Services, views: ReviewViews, case_id: int, located: Located
) -> None:
    """Retires the copy now if the chat's budget allows, else has the worker do it soon."""
    if located.copy is None:
        return
    task = CopyTask(located.copy, case_id, 0, located.live)
    if await services.review_budget.try_spend():
        await retire_copy(bot, services, views, task)
        return
    await copy_retire_failed(services.store, task, services.clock.now())  # due in a second
    services.delivery.wake()
