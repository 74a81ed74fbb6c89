"""Reporting glue: /report, the guided conversation, its buttons, /myreports and /notify.

Each handler turns the update into a plain event, calls one domain function and renders the
reply. Button presses edit the message they belong to; typed answers get a new message.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta

import structlog
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from handlers.callback_data import parse_report_button
from handlers.errors import is_not_modified
from handlers.report_input import BotChatResolver, message_input
from handlers.report_views import HELD_NOTICE, ReportViews, View
from handlers.runtime.context import BotContext, Services
from moderation.reporting.drafts import Draft
from moderation.reporting.filing import forget_old_updates, my_reports, set_notifications
from moderation.reporting.guided import expire_drafts, handle, hold_open_report, note_shown
from moderation.reporting.guided_inputs import Action, CommandInput, Event, Input, Reporter
from moderation.reporting.guided_replies import Cancelled, Prompt, Reply, Submitted
from moderation.reporting.guided_steps import FlowConfig
from moderation.reporting.one_message import OneMessageHelp, file_one_message
from moderation.reporting.types import ReportLimits

log = structlog.get_logger(__name__)

MY_REPORTS_LIMIT = 10


def flow_config(services: Services) -> FlowConfig:
    settings = services.settings
    return FlowConfig(
        categories=settings.report_categories,
        limits=ReportLimits(settings.report_limit_per_hour, settings.report_limit_per_day),
        timeout=timedelta(minutes=settings.conversation_timeout_minutes),
        resolve_timeout=settings.resolve_timeout_seconds,
        policy=settings.case_policy,
    )


def views(context: BotContext) -> ReportViews:
    services = context.services
    return ReportViews(services.texts, services.settings.report_categories, context.bot.username)


async def report_command(update: Update, context: BotContext) -> None:
    """/report in a private chat: the guided report, or the one-message form with arguments."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if context.args:
        await _one_message(update, context, message, " ".join(context.args))
        return
    await _run(update, context, message, CommandInput("report"))


async def report_in_group(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    view = views(context).group_redirect(user.language_code if user else None)
    await message.reply_text(view.text, reply_markup=view.keyboard)


async def start_report(update: Update, context: BotContext) -> None:
    """The deep link t.me/<bot>?start=report."""
    message = update.effective_message
    if message is not None:
        await _run(update, context, message, CommandInput("report"))


async def cancel_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is not None:
        await _run(update, context, message, CommandInput("cancel"))


async def skip_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is not None:
        await _run(update, context, message, CommandInput("skip"))


async def private_message(update: Update, context: BotContext) -> None:
    """Any other message in a private chat: an answer in a report, or the start of one."""
    message = update.effective_message
    if message is not None:
        await _run(update, context, message, message_input(message))


async def report_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    language = user.language_code
    button = parse_report_button(query.data)
    if button is None or not isinstance(query.message, Message):
        log.warning("callback_data_refused", reason="unparseable")
        await query.answer(context.services.texts.render(language, "report.button_stale"))
        return
    chat_id = query.message.chat.id
    button = replace(button, message_id=query.message.message_id)
    reply = await _handle(
        update, context, Reporter(user.id, chat_id, language, user.username), button
    )
    if isinstance(reply, Submitted):
        context.services.delivery.wake()  # a new case may be waiting to be posted
    view = views(context).reply(reply, language)
    if view.alert is not None:
        await query.answer(view.alert, show_alert=True)
        if view.ends_flow:
            await _drop_keyboard(query)
        return
    toast = None
    if isinstance(reply, Submitted):
        toast = view.text.split("\n", 1)[0][:190]
    await query.answer(toast)
    if button.action is Action.CONTINUE or button.arg == HELD_NOTICE:
        # An on-hold notice may share its message with /help or /myreports: that text stays.
        await _drop_keyboard(query)
        await query.message.reply_text(view.text, reply_markup=view.keyboard)
        return
    shown_in = _newest_question(reply)
    if (
        shown_in is not None
        and shown_in != query.message.message_id
        and await _show_in(context, chat_id, shown_in, view)
    ):
        # The newest message asks now; the pressed copy keeps its text, not its buttons.
        await _drop_keyboard(query)
        return
    await _show_in_place(query, view)


async def my_reports_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    reports = await my_reports(context.services.store, user.id, MY_REPORTS_LIMIT)
    view = views(context).my_reports(reports, user.language_code)
    await reply_noting_open_report(update, context, message, view.text, view.keyboard)


async def notify_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    wanted = (context.args or [""])[0].casefold()
    choice = {"on": True, "off": False, "вкл": True, "выкл": False}.get(wanted)
    services = context.services
    enabled = await set_notifications(services.store, user.id, choice, services.clock.now())
    view = views(context).notify(enabled, choice is not None, user.language_code)
    await reply_noting_open_report(update, context, message, view.text)


async def expire_job(context: BotContext) -> None:
    """Tells reporters whose unfinished report timed out (runs every minute)."""
    services = context.services
    expired: list[Draft] = await expire_drafts(services.store, services.clock.now())
    minutes = services.settings.conversation_timeout_minutes
    for draft in expired:
        view = views(context).expired(draft, minutes)
        try:
            await context.bot.send_message(draft.chat_id, view.text, reply_markup=view.keyboard)
        except TelegramError as exc:
            log.info("timeout_notice_not_sent", error_type=type(exc).__name__)


async def reply_noting_open_report(
    update: Update,
    context: BotContext,
    message: Message,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Answers a command in a private chat; while the sender has a report open, the answer
    also says so and offers Continue / Cancel, and the report waits on hold, so the next
    message is not silently taken as its answer."""
    user = update.effective_user
    if user is not None:
        services = context.services
        held = await hold_open_report(
            services.store, user.id, flow_config(services), services.clock.now()
        )
        if held is not None:
            renderer = views(context)
            text = f"{text}\n\n{renderer.hold_notice(held, user.language_code)}"
            keyboard = renderer.hold_keyboard(held, user.language_code)
    await message.reply_text(text, reply_markup=keyboard)


async def note_open_report(update: Update, context: BotContext) -> None:
    """After a staff command in a private chat has answered (/stats, /legal, ...), a report
    the sender has open is put on hold and said so, as the reporters' own commands do in
    their answer: the next message is then not silently taken as the report's answer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    held = await hold_open_report(
        services.store, user.id, flow_config(services), services.clock.now()
    )
    if held is not None:
        renderer = views(context)
        await message.reply_text(
            renderer.hold_notice(held, user.language_code),
            reply_markup=renderer.hold_keyboard(held, user.language_code),
        )


# --- shared -------------------------------------------------------------------------------


async def _run(update: Update, context: BotContext, message: Message, value: Input) -> None:
    user = update.effective_user
    if user is None:
        return
    language = user.language_code
    reply = await _handle(
        update, context, Reporter(user.id, message.chat.id, language, user.username), value
    )
    view = views(context).reply(reply, language)
    sent = await message.reply_text(view.alert or view.text, reply_markup=view.keyboard)
    if isinstance(reply, Prompt) and reply.again:
        await note_shown(context.services.store, reply.draft, sent.message_id)


async def _handle(update: Update, context: BotContext, reporter: Reporter, value: Input) -> Reply:
    services = context.services
    now = services.clock.now()
    config = flow_config(services)
    resolver = BotChatResolver(context.bot, config.resolve_timeout)
    return await handle(
        services.store, resolver, Event(reporter, value, update.update_id), config, now
    )


async def _one_message(update: Update, context: BotContext, message: Message, args: str) -> None:
    user = update.effective_user
    if user is None:
        return
    services = context.services
    now = services.clock.now()
    language = user.language_code
    config = flow_config(services)
    result = await file_one_message(
        services.store,
        BotChatResolver(context.bot, config.resolve_timeout),
        Reporter(user.id, message.chat.id, language, user.username),
        args,
        update.update_id,
        config,
        now,
    )
    renderer = views(context)
    if isinstance(result, Submitted):
        services.delivery.wake()
    if isinstance(result, OneMessageHelp):
        view = renderer.one_message_help(result, language)
    else:
        view = renderer.reply(result, language)
    await reply_noting_open_report(update, context, message, view.text, view.keyboard)


async def _show_in_place(query: CallbackQuery, view: View) -> None:
    """Edits the pressed message into the next step; a new message if it cannot be edited."""
    keyboard: InlineKeyboardMarkup | None = view.keyboard
    try:
        await query.edit_message_text(view.text, reply_markup=keyboard)
    except BadRequest as exc:
        if is_not_modified(exc):
            return
        if isinstance(query.message, Message):
            await query.message.reply_text(view.text, reply_markup=keyboard)


def _newest_question(reply: Reply) -> int | None:
    """The message that asks the report's step, when a question was sent again after a crash
    (moderation/reporting/drafts.py: Draft.shown_in): the answer to a press shows there."""
    if isinstance(reply, Prompt):
        return reply.draft.shown_in
    if isinstance(reply, Submitted | Cancelled):
        return reply.shown_in
    return None


async def _show_in(context: BotContext, chat_id: int, message_id: int, view: View) -> bool:
    """Edits the report's newest question (a copy sent again after a crash) into the next
    step; False when that message cannot be edited (deleted, say): the pressed one is then."""
    try:
        await context.bot.edit_message_text(
            view.text, chat_id=chat_id, message_id=message_id, reply_markup=view.keyboard
        )
    except BadRequest as exc:
        return is_not_modified(exc)
    return True


async def _drop_keyboard(query: CallbackQuery) -> None:
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)


async def unknown_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is not None:
        language = user.language_code if user else None
        text = context.services.texts.render(language, "command.unknown")
        await reply_noting_open_report(update, context, message, text)


async def forget_updates_job(context: BotContext) -> None:
    """Prunes redelivery marks older than Telegram ever redelivers (runs hourly)."""
    services = context.services
    removed = await forget_old_updates(services.store, services.clock.now())
    if removed:
        log.info("processed_updates_pruned", removed=removed)
