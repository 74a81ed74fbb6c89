"""/legal for legal officers (register, analyse, approve, reject, disclose, close) and /lookup.

Private chats only; the access gate lets only legal officers by (and admins, for `/legal
override`) and hands these handlers the officer it resolved. The guided registration asks one
field at a time; its draft is kept in the database (`/legal new` resumes it after a restart) and
a group -3 handler takes the officer's answers before the reporting flow sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from telegram import InputFile, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, filters

from handlers.legal_views import LegalViews
from handlers.runtime.access import resolve_actor
from handlers.runtime.context import BotContext, Services
from moderation.legal.approvals import approve, reject
from moderation.legal.disclosure import disclose, retrieve
from moderation.legal.drafts import (
    drop_draft,
    expire_drafts,
    load_draft,
    save_draft,
    start_draft,
)
from moderation.legal.form import FIELDS, FieldProblem, check_document, form_of, parse_field
from moderation.legal.ledger import Ledger
from moderation.legal.lifecycle import (
    close,
    open_requests,
    override,
    register,
    show,
    write_analysis,
)
from moderation.legal.lookup import BadLookup, LookupKind, LookupRefused, lookup
from moderation.legal.officers import Officer
from moderation.legal.types import (
    Disclosure,
    LegalRefused,
    LegalRequest,
    OrderDocument,
    RequestForm,
)
from storage.crypto import PersonalDataCipher

log = structlog.get_logger(__name__)


def _views(context: BotContext, user: User) -> LegalViews:
    return LegalViews(context.services.texts, user.language_code)


async def _officer(context: BotContext, user: User) -> Officer:
    """The gate's officer for a command; resolved here for a registration's last answer."""
    admitted = context.admitted
    if admitted is not None:
        return admitted.officer
    services = context.services
    actor = await resolve_actor(
        context.bot, services.store, services.settings, services.admins, user
    )
    return actor.officer


@dataclass
class DraftFilter(filters.MessageFilter):
    """Messages from officers in the middle of a guided registration (kept in memory; the
    draft itself is in the database)."""

    users: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__(name="legal_draft")

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and message.from_user.id in self.users


class LegalHandlers:
    def __init__(self) -> None:
        self.drafts = DraftFilter()

    # --- /legal ---------------------------------------------------------------------

    async def command(self, update: Update, context: BotContext) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        services, views = context.services, _views(context, user)
        officer = await _officer(context, user)
        args = context.args or []
        sub = args[0].lower() if args else "list"
        rest = args[1:]
        policy = services.settings.legal_policy
        try:
            if sub == "list":
                requests = await open_requests(
                    services.store, self._sealer(services), policy, officer, services.clock.now()
                )
                await message.reply_text(views.listing(requests, policy.approvals_needed))
            elif sub == "new":
                await self._start_draft(message, services, views, user.id)
            elif sub in {"show", "approve", "disclose", "close", "file"} and len(rest) == 1:
                await self._one(sub, _request_id(rest[0]), message, context, views, officer)
            elif sub in {"analysis", "reject", "override"} and len(rest) >= 2:
                await self._with_text(sub, rest, message, services, views, officer)
            else:
                await message.reply_text(views.t("legal.usage"))
        except LegalRefused as exc:
            await message.reply_text(views.t("legal.refused_step", reason=str(exc)))
        except ValueError:
            await message.reply_text(views.t("legal.bad_id"))

    async def _one(
        self,
        sub: str,
        request_id: int,
        message: Message,
        context: BotContext,
        views: LegalViews,
        officer: Officer,
    ) -> None:
        services = context.services
        sealer, policy = self._sealer(services), services.settings.legal_policy
        now = services.clock.now()
        if sub == "show":
            request, document = await show(services.store, sealer, policy, request_id, officer, now)
            await message.reply_text(views.card(request, policy.approvals_needed))
            if document is not None:
                await message.reply_document(
                    InputFile(document.content, filename=document.file_name),
                    caption=views.t("legal.document_caption", sha256=document.sha256),
                )
        elif sub == "approve":
            outcome = await approve(services.store, sealer, policy, request_id, officer, now)
            if not outcome.complete:
                await message.reply_text(
                    views.t(
                        "legal.approved_one",
                        id=request_id,
                        approvals=outcome.approvals,
                        needed=outcome.needed,
                    )
                )
                return
            await self._disclose(message, services, views, officer, request_id)
        elif sub == "disclose":  # an approval whose disclosure was interrupted
            await self._disclose(message, services, views, officer, request_id)
        elif sub == "close":
            await close(services.store, sealer, policy, request_id, officer, now)
            await message.reply_text(views.t("legal.closed", id=request_id))
        else:
            disclosure = await retrieve(
                services.store, sealer, policy, self._ledger(services), request_id, officer, now
            )
            await _send_disclosure(message, views, disclosure)

    async def _disclose(
        self,
        message: Message,
        services: Services,
        views: LegalViews,
        officer: Officer,
        request_id: int,
    ) -> None:
        sealer, policy = self._sealer(services), services.settings.legal_policy
        disclosure = await disclose(
            services.store,
            sealer,
            policy,
            self._ledger(services),
            request_id,
            officer,
            services.clock.now(),
        )
        await message.reply_text(
            views.t(
                "legal.disclosed",
                id=request_id,
                phones=disclosure.phones,
                ips=disclosure.ips,
                seq=disclosure.ledger_seq,
                sha256=disclosure.content_sha256,
            )
        )
        if disclosure.withheld:
            await message.reply_text(views.t("legal.withheld", count=disclosure.withheld))
        await _send_disclosure(message, views, disclosure)

    async def _with_text(
        self,
        sub: str,
        rest: list[str],
        message: Message,
        services: Services,
        views: LegalViews,
        officer: Officer,
    ) -> None:
        request_id, text = _request_id(rest[0]), " ".join(rest[1:])
        sealer, policy = self._sealer(services), services.settings.legal_policy
        now = services.clock.now()
        if sub == "analysis":
            request = await write_analysis(
                services.store, sealer, policy, request_id, text, officer, now
            )
            await message.reply_text(views.card(request, policy.approvals_needed))
        elif sub == "reject":
            await reject(services.store, sealer, policy, request_id, text, officer, now)
            await message.reply_text(views.t("legal.rejected", id=request_id))
        else:
            request = await override(services.store, sealer, policy, request_id, text, officer, now)
            await message.reply_text(views.card(request, policy.approvals_needed))

    @staticmethod
    def _ledger(services: Services) -> Ledger:
        if services.ledger is None:
            raise LegalRefused("LEDGER_KEY is not configured, so nothing can be disclosed")
        return services.ledger

    @staticmethod
    def _sealer(services: Services) -> PersonalDataCipher:
        if services.cipher is None:
            raise LegalRefused("the registry keys are not configured")
        return services.cipher

    # --- the guided registration ------------------------------------------------------

    async def _start_draft(
        self, message: Message, services: Services, views: LegalViews, user_id: int
    ) -> None:
        values, resumed = await start_draft(
            services.store, self._sealer(services), user_id, _idle(services), services.clock.now()
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
        services, views = context.services, _views(context, user)
        text = (message.text or "").strip()
        if text.startswith("/"):
            command = text.split()[0].split("@")[0].lower()
            if command != "/cancel":
                return  # other commands (/legal show ...) go on to their handlers
            await self._drop_draft(services, user.id)
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
        await save_draft(
            services.store, self._sealer(services), user_id, values, services.clock.now()
        )
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
            officer = await _officer(context, user)
            request = await _register(services, form, document, officer)
        except (FieldProblem, LegalRefused) as exc:
            await message.reply_text(views.t("legal.refused_step", reason=str(exc)))
            return
        await self._drop_draft(services, user.id)
        policy = services.settings.legal_policy
        await message.reply_text(views.card(request, policy.approvals_needed))

    async def _drop_draft(self, services: Services, user_id: int) -> None:
        await drop_draft(services.store, user_id)
        self.drafts.users.discard(user_id)

    # --- /lookup ---------------------------------------------------------------------

    async def lookup_command(self, update: Update, context: BotContext) -> None:
        """/lookup <legal request id> <violator|telegram_id|username|phone|ip> <value>"""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        services, views = context.services, _views(context, user)
        officer = await _officer(context, user)
        args = context.args or []
        kinds = {k.value: k for k in LookupKind}
        if len(args) < 3 or args[1].lower() not in kinds:
            await message.reply_text(views.t("lookup.usage"))
            return
        try:
            request_id = _request_id(args[0])
        except ValueError:
            await message.reply_text(views.t("legal.bad_id"))
            return
        indexer = services.cipher
        if indexer is None:
            await message.reply_text(views.t("legal.refused_step", reason="no registry keys"))
            return
        try:
            result = await lookup(
                services.store,
                indexer,
                services.settings.legal_policy,
                kinds[args[1].lower()],
                " ".join(args[2:]),
                officer,
                request_id,
                services.clock.now(),
            )
        except (BadLookup, LookupRefused) as exc:
            await message.reply_text(views.t("legal.refused_step", reason=str(exc)))
            return
        await message.reply_text(views.lookup_result(result))


def _idle(services: Services) -> timedelta:
    """A registration idle this long is dropped, like a reporter's unfinished report."""
    return timedelta(minutes=services.settings.conversation_timeout_minutes)


async def expire_drafts_job(context: BotContext) -> None:
    """Drops legal registrations idle past the conversation timeout (runs every minute)."""
    services = context.services
    dropped = await expire_drafts(services.store, _idle(services), services.clock.now())
    if dropped:
        log.info("legal_drafts_expired", drafts=dropped)


def _request_id(text: str) -> int:
    number = int(text.lstrip("#"))
    if number <= 0:
        raise ValueError(text)
    return number


async def _register(
    services: Services, form: RequestForm, document: OrderDocument, officer: Officer
) -> LegalRequest:
    return await register(
        services.store,
        LegalHandlers._sealer(services),
        services.settings.legal_policy,
        form,
        document,
        officer,
        services.clock.now(),
    )


async def _send_disclosure(message: Message, views: LegalViews, disclosure: Disclosure) -> None:
    name = f"disclosure-{disclosure.request_id}"
    caption = views.t(
        "legal.file_caption", id=disclosure.request_id, sha256=disclosure.content_sha256
    )
    await message.reply_document(
        InputFile(disclosure.content, filename=f"{name}.json"), caption=caption
    )
    await message.reply_document(InputFile(disclosure.html, filename=f"{name}.html"))
