"""/start (with the `report` deep link) and /help."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from handlers import private_review, report
from handlers.console_entry import console_button
from handlers.i18n import Html
from handlers.runtime.access import resolve_actor
from handlers.runtime.context import BotContext
from moderation.reporting.people import Visitor, record_visit

DEEP_LINK_REPORT = "report"


async def start(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if context.args and context.args[0] == DEEP_LINK_REPORT:
        await report.start_report(update, context)
        return
    services = context.services
    await record_visit(
        services.store, Visitor(user.id, user.language_code, user.username), services.clock.now()
    )
    keyboard = report.views(context).start_keyboard(user.language_code)
    actor = await resolve_actor(
        context.bot, services.store, services.settings, services.admins, user
    )
    if actor.moderator is not None:  # staff who review: a button that serves them a case here
        offer = private_review.offer_keyboard(
            private_review.review_views(context, user.language_code)
        )
        keyboard = InlineKeyboardMarkup([*keyboard.inline_keyboard, *offer.inline_keyboard])
    console = services.settings.console
    if actor.roles.is_staff and console is not None:  # while it is on: the console, a web app
        button = console_button(
            console, services.texts, user.language_code, private=True, bot=context.bot.username
        )
        keyboard = InlineKeyboardMarkup([*keyboard.inline_keyboard, [button]])
    await report.reply_noting_open_report(
        update,
        context,
        message,
        services.texts.render(user.language_code, "start.greeting", name=user.first_name),
        keyboard,
    )


async def help_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or chat is None:
        return
    language = user.language_code if user else None
    texts = context.services.texts
    if chat.type == ChatType.PRIVATE:
        categories = report.views(context).category_list(language)
        await report.reply_noting_open_report(
            update,
            context,
            message,
            texts.render(language, "help.private", categories=Html(categories)),
        )
    else:
        await message.reply_text(
            texts.render(language, "help.group", bot_username=context.bot.username)
        )
