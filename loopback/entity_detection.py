"""Entities Telegram finds in plain text by itself: commands, mentions, hashtags, urls, emails."""

from __future__ import annotations

import re

from telegram import MessageEntity

from loopback.formatted_text import Span

_TLDS = (
    "com|org|net|io|me|ru|info|biz|dev|app|co|uk|de|fr|us|tv|xyz|site|online|ly|gl|gg|ai|to"
    "|cc|eu|ua|kz|by|in|it|es|nl|pl|br|jp|cn|ch|at|be|se|no|fi|dk|ca|au|nz|su|pro|tech|store"
)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\"»"

#: In detection order: an earlier pattern wins where matches overlap.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        MessageEntity.EMAIL,
        re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[^\W_][\w-]*\.)+[^\W\d_]{2,}(?![\w@])"),
    ),
    (MessageEntity.URL, re.compile(r"(?i)(?<![\w/])(?:https?|ftp|tg|ton)://[^\s<>\"]+")),
    (
        MessageEntity.URL,
        re.compile(
            rf"(?i)(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})"
            r"(?::\d{1,5})?(?:/[^\s<>\"]*)?(?![\w-])"
        ),
    ),
    (
        MessageEntity.BOT_COMMAND,
        re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])"),
    ),
    (MessageEntity.MENTION, re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@])")),
    (MessageEntity.HASHTAG, re.compile(r"(?<![\w#&])#(?=\w*[^\W\d_])\w{1,256}")),
)


def detect_entities(text: str) -> list[Span]:
    found: list[Span] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == MessageEntity.URL:
                while end > start and text[end - 1] in _TRAILING_PUNCTUATION:
                    end -= 1
            span = Span(kind, start, end)
            if end > start and not any(span.overlaps(other) for other in found):
                found.append(span)
    return sorted(found, key=lambda span: span.start)
