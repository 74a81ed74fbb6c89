"""The typed context every handler receives, and the services it carries.

Handlers reach the database, texts and settings through `context.services`, never through
module globals (PTB's contexttypesbot pattern). PTB builds one context per update and hands it
to every handler group, so the sender the access gate resolved (`context.actor`) is read once
per update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from telegram.ext import Application, CallbackContext, ExtBot

from handlers.i18n import Catalog
from handlers.runtime.access import Actor, ChatAdminCache
from handlers.runtime.chat_budget import ChatBudget
from handlers.runtime.chat_pacer import ChatPacer
from handlers.runtime.message_locks import MessageLocks
from handlers.runtime.metrics import BotMetrics
from handlers.runtime.presence import Presence
from handlers.runtime.settings import HandlerSettings
from handlers.runtime.telegram_health import TelegramHealth
from moderation.clock import Clock
from moderation.legal.ledger import Ledger
from storage import Store
from storage.crypto import PersonalDataCipher


class ViolatorLookup(Protocol):
    """Which confirmed violator (if any) a Telegram user is; cached by the implementation."""

    async def violator_of(self, context: BotContext, telegram_id: int) -> int | None: ...
    async def by_username(self, context: BotContext, username: str | None) -> int | None: ...
    def forget(self) -> None: ...


class Waker(Protocol):
    """The delivery worker, as handlers see it: told when new work was committed."""

    def wake(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Services:
    settings: HandlerSettings
    store: Store
    texts: Catalog
    clock: Clock
    started_at: datetime
    admins: ChatAdminCache
    delivery: Waker
    review_budget: ChatBudget  # posts and edits in the review chat, shared by all senders
    cipher: PersonalDataCipher | None  # None only until the registry keys are configured
    ledger: Ledger | None  # None until LEDGER_KEY is set: then nothing can be disclosed
    violator_ids: ViolatorLookup
    telegram: TelegramHealth  # failed Bot API calls by kind, and the last one (/health)
    metrics: BotMetrics  # this Application's Prometheus registry (served when METRICS_PORT)
    presence: Presence  # this instance among those sharing the database; who leads the jobs
    case_messages: MessageLocks = field(default_factory=MessageLocks)  # one edit at a time
    # /review's messages and edits in each private chat, one a second (PRIVATE_MESSAGE_GAP_SECONDS)
    private_pacer: ChatPacer = field(default_factory=lambda: ChatPacer(1.0))


class BotData:
    """Application-wide state; services are attached once post_init has opened the database."""

    def __init__(self) -> None:
        self._services: Services | None = None

    def attach(self, services: Services) -> None:
        self._services = services

    def detach(self) -> Services | None:
        services, self._services = self._services, None
        return services

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are not attached: post_init has not run")
        return self._services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self._actor: Actor | None = None

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def actor(self) -> Actor:
        """The sender, as the access gate resolved them for this update."""
        if self._actor is None:
            raise RuntimeError("no actor: the gate did not resolve the sender of this update")
        return self._actor

    @property
    def admitted(self) -> Actor | None:
        """The actor, when the gate resolved one for this update."""
        return self._actor

    def admit(self, actor: Actor) -> None:
        self._actor = actor


BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
