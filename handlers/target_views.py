"""A reported target in words a reporter understands: never a bare Bot API id.

"post 45 in @name", "post 45 in a private chat (id 1234567890)", "private chat (invite
link)", "channel @x", "user with id 4242", "search term \"...\"", linked when Telegram has a
link for it.
"""

from __future__ import annotations

import html

from handlers.i18n import Catalog, Html
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.text import shorten


def target_html(texts: Catalog, target: TargetRef, language: str | None) -> str:
    """Safe HTML naming the target, linked when Telegram has a link for it."""
    link = target.link
    text = _words(texts, target, language)
    return text if link is None else f'<a href="{html.escape(link)}">{text}</a>'


def _words(texts: Catalog, target: TargetRef, language: str | None) -> str:
    def t(key: str, **params: object) -> str:
        return texts.render(language, key, **params)

    if target.kind is TargetKind.SEARCH_TERM:
        return t("target.term", term=shorten(target.term or "", 80))
    if target.kind is TargetKind.INVITE:
        return t("target.invite")
    if target.username:
        name = html.escape(f"@{target.username}")
    elif target.title:
        name = t("target.title", title=shorten(target.title, 80))
    else:
        name = None
    private = target.private_link_id
    if target.kind is TargetKind.POST:
        post = target.post_id
        if name is not None:
            return t("target.post", post_id=post, chat=Html(name))
        if private is not None:
            return t("target.post_private", post_id=post, chat_id=private)
        return t("target.post_by_id", post_id=post, chat_id=target.chat_id)
    if name is not None:
        return t("target.named", kind=t(f"kind.{target.kind.value}"), name=Html(name))
    if private is not None:
        return t("target.private", chat_id=private)
    return t("target.by_id", kind=t(f"kind.{target.kind.value}"), chat_id=target.chat_id)
