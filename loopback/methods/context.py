"""What every method implementation receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from loopback.api_errors import too_many_requests
from loopback.chat_state import ChatView
from loopback.flood_control import FloodControl
from loopback.request_params import Params
from loopback.webhook_delivery import WebhookSender
from loopback.world import BotRecord, World


@dataclass(frozen=True, slots=True)
class Described:
    """A result Telegram answers with a description too ("Webhook was set")."""

    result: Any
    description: str


@dataclass(frozen=True, slots=True)
class CallContext:
    world: World
    bot: BotRecord
    params: Params
    callback_query_ttl: float
    flood: FloodControl | None
    webhooks: WebhookSender

    def spend_send_quota(self, view: ChatView) -> None:
        """Counts a sent message against flood limits, or answers 429."""
        if self.flood is None:
            return
        retry_after = self.flood.spend(self.bot.id, view.id, is_group=view.group is not None)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def spend_edit_quota(self, view: ChatView) -> None:
        """Counts an edit like a sent message when the flood limits say edits count."""
        if self.flood is not None and self.flood.limits.count_edits:
            self.spend_send_quota(view)


Handler = Callable[[CallContext], Awaitable[Any]]
