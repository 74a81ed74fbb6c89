"""/legal for legal officers (register, analyse, approve, reject, disclose, close) and /lookup.

Private chats only; the access gate lets only legal officers by (and admins, for `/legal
override`) and hands these handlers the officer it resolved. The guided registration asks one
field at a time; its draft is kept in the database (`/legal new` resumes it after a restart) and
a group -3 handler takes the officer's answers before the reporting flow sees them.
"""

from __future__ import annotations

import structlog
from telegram import InputFile, Message, Update

from handlers.legal_registration import LegalRegistration, officer_for, sealer_of, views_for
from handlers.legal_views import LegalViews
from handlers.runtime.context import BotContext, Services
from moderation.legal.approvals import approve, reject
from moderation.legal.disclosure import disclose, retrieve
from moderation.legal.ledger import Ledger
from moderation.legal.lifecycle import (
    close,
    open_requests,
    override,
    show,
    write_analysis,
)
from moderation.legal.lookup import BadLookup, LookupKind, LookupRefused, lookup
from moderation.legal.officers import Officer
from moderation.legal.types import (
    Disclosure,
    LegalRefused,
)

log = structlog.get_logger(__name__)


class LegalHandlers:
    def __init__(self) -> None:
        self.registration = LegalRegistration()

    # --- /legal ---------------------------------------------------------------------

    async def command(self, update: Update, context: BotContext) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        services, views = context.services, views_for(context, user)
        officer = await officer_for(context, user)
        args = context.args or []
        sub = args[0].lower() if args else "list"
        rest = args[1:]
        policy = services.settings.legal_policy
        try:
            if sub == "list":
                requests = await open_requests(
                    services.store, sealer_of(services), policy, officer, services.clock.now()
                )
                await message.reply_text(views.listing(requests, policy.approvals_needed))
            elif sub == "new":
                await self.registration.start(message, services, views, user.id)
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
        sealer, policy = sealer_of(services), services.settings.legal_policy
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
            keys = None if services.ledger is None else services.ledger.keys
            outcome = await approve(services.store, sealer, policy, keys, request_id, officer, now)
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
        sealer, policy = sealer_of(services), services.settings.legal_policy
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
                phones=views.count("legal.count.phones", disclosure.phones),
                ips=views.count("legal.count.ips", disclosure.ips),
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
        sealer, policy = sealer_of(services), services.settings.legal_policy
        now = services.clock.now()
        if sub == "analysis":
            request = await write_analysis(
                services.store, sealer, policy, request_id, text, officer, now
            )
            await message.reply_text(views.card(request, policy.approvals_needed))
        elif sub == "reject":
            keys = None if services.ledger is None else services.ledger.keys
            await reject(services.store, sealer, policy, keys, request_id, text, officer, now)
            await message.reply_text(views.t("legal.rejected", id=request_id))
        else:
            request = await override(services.store, sealer, policy, request_id, text, officer, now)
            await message.reply_text(views.card(request, policy.approvals_needed))

    @staticmethod
    def _ledger(services: Services) -> Ledger:
        if services.ledger is None:
            raise LegalRefused("LEDGER_KEY is not configured, so nothing can be disclosed")
        return services.ledger

    # --- /lookup ---------------------------------------------------------------------

    async def lookup_command(self, update: Update, context: BotContext) -> None:
        """/lookup <legal request id> <violator|telegram_id|username|phone|ip> <value>"""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        services, views = context.services, views_for(context, user)
        officer = await officer_for(context, user)
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


def _request_id(text: str) -> int:
    number = int(text.lstrip("#"))
    if number <= 0:
        raise ValueError(text)
    return number


async def _send_disclosure(message: Message, views: LegalViews, disclosure: Disclosure) -> None:
    name = f"disclosure-{disclosure.request_id}"
    caption = views.t(
        "legal.file_caption", id=disclosure.request_id, sha256=disclosure.content_sha256
    )
    await message.reply_document(
        InputFile(disclosure.content, filename=f"{name}.json"), caption=caption
    )
    await message.reply_document(InputFile(disclosure.html, filename=f"{name}.html"))
