"""`/legal new`: a legal officer's guided registration of a request, one field at a time.

The draft is kept in the database, encrypted (`/legal new` resumes it after a restart); a group
-3 handler takes the officer's answers before the reporting flow sees them, and a job drops a
registration idle past the conversation timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from telegram import Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, filters

from handlers.legal_views import LegalViews
from handlers.runtime.access import resolve_actor
from handlers.runtime.context import BotContext, Services
from moderation.legal.drafts import (
    drop_draft,
    expire_drafts,
    load_draft,
    save_draft,
    start_draft,
)
from moderation.legal.form import FIELDS, FieldProblem, check_document, form_of, parse_field
from moderation.legal.lifecycle import register
from moderation.legal.officers import Officer
from moderation.legal.types import LegalRefused, LegalRequest, OrderDocument, RequestForm
from storage.crypto import PersonalDataCipher

log = structlog.get_logger(__name__)


def views_for(context: BotContext, user: User) -> LegalViews:
    return LegalViews(context.services.texts, user.language_code)


async def officer_for(context: BotContext, user: User) -> Officer:
    """The gate's officer for a command; resolved here for a registration's last answer."""
    admitted = context.admitted
    if admitted is not None:
        return admitted.officer
    services = context.services
    actor = await resolve_actor(
        context.bot, services.store, services.settings, services.admins, user
    )
    return actor.officer


def sealer_of(services: Services) -> PersonalDataCipher:
    if services.cipher is None:
        raise LegalRefused("the registry keys are not configured")
    return services.cipher


@dataclass
class DraftFilter(filters.MessageFilter):
    """Messages from officers in the middle of a guided registration (kept in memory; the
    draft itself is in the database)."""

    users: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__(name="legal_draft")

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and message.from_user.id in self.users


class LegalRegistration:
    def __init__(self) -> None:
        self.drafts = DraftFilter()

    async def start(
        self, message: Message, services: Services, views: LegalViews, user_id: int
    ) -> None:
        values, resumed = await start_draft(
            services.store, sealer_of(services), user_id, _idle(services), services.clock.now()
        )
        self.drafts.users.add(user_id)
        step = len(values)
        intro = "legal.draft.resumed" if resumed else "legal.draft.started"
        await message.reply_text(views.t(intro) + "\n\n" + views.prompt(step))

    async def draft_step(self, update: Update, context: BotContext) -> None:
        """One answer of the guided registration; consumes the message (group -3)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        services, views = context.services, views_for(context, user)
        text = (message.text or "").strip()
        if text.startswith("/"):
            command = text.split()[0].split("@")[0].lower()
            if command != "/cancel":
                return  # other commands (/legal show ...) go on to their handlers
            await self._drop(services, user.id)
            await message.reply_text(views.t("legal.draft.cancelled"))
            raise ApplicationHandlerStop
        sealer = services.cipher
        values = (
            None
            if sealer is None
            else await load_draft(
                services.store, sealer, user.id, _idle(services), services.clock.now()
            )
        )
        if values is None:  # none, timed out (dropped) or no keys: not a draft answer
            self.drafts.users.discard(user.id)
            return
        step = len(values)
        if step < len(FIELDS):
            await self._answer(message, services, views, user.id, values, step, text)
        else:
            await self._document(message, context, views, values, user)
        raise ApplicationHandlerStop

    async def _answer(
        self,
        message: Message,
        services: Services,
        views: LegalViews,
        user_id: int,
        values: dict[str, str],
        step: int,
        text: str,
    ) -> None:
        name = FIELDS[step]
        if not text:
            await message.reply_text(
                views.t("legal.draft.text_expected") + "\n\n" + views.prompt(step)
            )
            return
        try:
            parse_field(name, text)
        except FieldProblem as exc:
            await message.reply_text(
                views.t("legal.draft.bad_field", problem=str(exc)) + "\n\n" + views.prompt(step)
            )
            return
        values[name] = text
        await save_draft(services.store, sealer_of(services), user_id, values, services.clock.now())
        await message.reply_text(views.prompt(step + 1))

    async def _document(
        self,
        message: Message,
        context: BotContext,
        views: LegalViews,
        values: dict[str, str],
        user: User,
    ) -> None:
        services = context.services
        attachment = message.document
        if attachment is None:
            await message.reply_text(views.t("legal.draft.document_expected"))
            return
        if attachment.file_size is not None and attachment.file_size > 20 * 1024 * 1024:
            await message.reply_text(views.t("legal.draft.document_too_big"))
            return
        try:
            telegram_file = await context.bot.get_file(attachment.file_id)
            content = bytes(await telegram_file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("legal_document_download_failed", error_type=type(exc).__name__)
            await message.reply_text(views.t("legal.draft.document_failed"))
            return
        document = OrderDocument(
            attachment.file_name or "order",
            attachment.mime_type,
            content,
            attachment.file_id,
        )
        try:
            check_document(document)
            form = form_of({name: parse_field(name, values[name]) for name in FIELDS})
            officer = await officer_for(context, user)
            request = await _register(services, form, document, officer)
        except (FieldProblem, LegalRefused) as exc:
            await message.reply_text(views.t("legal.refused_step", reason=str(exc)))
            return
        await self._drop(services, user.id)
        policy = services.settings.legal_policy
        await message.reply_text(views.card(request, policy.approvals_needed))

    async def _drop(self, services: Services, user_id: int) -> None:
        await drop_draft(services.store, user_id)
        self.drafts.users.discard(user_id)


def _idle(services: Services) -> timedelta:
    """A registration idle this long is dropped, like a reporter's unfinished report."""
    return timedelta(minutes=services.settings.conversation_timeout_minutes)


async def expire_drafts_job(context: BotContext) -> None:
    """Drops legal registrations idle past the conversation timeout (runs every minute)."""
    services = context.services
    dropped = await expire_drafts(services.store, _idle(services), services.clock.now())
    if dropped:
        log.info("legal_drafts_expired", drafts=dropped)


async def _register(
    services: Services, form: RequestForm, document: OrderDocument, officer: Officer
) -> LegalRequest:
    return await register(
        services.store,
        sealer_of(services),
        services.settings.legal_policy,
        form,
        document,
        officer,
        services.clock.now(),
    )
