"""getMe, getUpdates and the webhook methods."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from telegram import User, WebhookInfo

from loopback.api_errors import bad_request
from loopback.methods.context import CallContext, Described
from loopback.update_queue import WebhookConfig

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_MAX_POLL_TIMEOUT = 50.0


async def get_me(ctx: CallContext) -> Any:
    bot = ctx.bot.user
    return User(
        id=bot.id,
        first_name=bot.first_name,
        is_bot=True,
        username=bot.username,
        can_join_groups=True,
        can_read_all_group_messages=not ctx.bot.privacy_mode,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    ).to_dict()


def _allowed_updates(ctx: CallContext) -> list[str] | None:
    value = ctx.params.json("allowed_updates")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise bad_request("can't parse allowed_updates JSON array")
    return value


async def get_updates(ctx: CallContext) -> Any:
    queue = ctx.bot.updates
    offset = ctx.params.integer("offset")
    limit = ctx.params.integer("limit")
    timeout = ctx.params.number("timeout") or 0.0
    allowed = _allowed_updates(ctx)
    if queue.webhook is None:
        if offset is not None:
            queue.confirm(offset)
        queue.set_allowed(allowed)
    limit = 100 if limit is None or limit <= 0 else min(limit, 100)
    return await queue.long_poll(limit, min(timeout, _MAX_POLL_TIMEOUT))


def _webhook_url(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host in _LOOPBACK_HOSTS:
        return url  # the loopback server only ever calls this machine
    raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")


async def set_webhook(ctx: CallContext) -> Any:
    params, queue = ctx.params, ctx.bot.updates
    url = params.text("url") or ""
    if not url:
        return await delete_webhook(ctx)
    secret = params.text("secret_token") or None
    if secret is not None and (
        len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
    ):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    config = WebhookConfig(_webhook_url(url), secret, max_connections)
    if params.flag("drop_pending_updates"):
        queue.drop_pending()
    queue.set_allowed(_allowed_updates(ctx))
    queue.supersede_poll()
    queue.webhook = config
    ctx.webhooks.start(ctx.bot)
    return Described(True, "Webhook was set")


async def delete_webhook(ctx: CallContext) -> Any:
    queue = ctx.bot.updates
    if ctx.params.flag("drop_pending_updates"):
        queue.drop_pending()
    if queue.webhook is None:
        return Described(True, "Webhook is already deleted")
    queue.webhook = None
    ctx.webhooks.stop(ctx.bot)
    return Described(True, "Webhook was deleted")


async def get_webhook_info(ctx: CallContext) -> Any:
    queue = ctx.bot.updates
    config = queue.webhook
    if config is None:
        return WebhookInfo(
            url="", has_custom_certificate=False, pending_update_count=queue.pending_count
        ).to_dict()
    return WebhookInfo(
        url=config.url,
        has_custom_certificate=False,
        pending_update_count=queue.pending_count,
        last_error_date=config.last_error_date,
        last_error_message=config.last_error_message,
        max_connections=config.max_connections,
        allowed_updates=sorted(queue.allowed_updates) if queue.allowed_updates else None,
        ip_address="127.0.0.1",
    ).to_dict()
