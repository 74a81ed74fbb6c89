"""Text plus entities, the shape every parse mode produces and every message stores.

Parsers work in Python character indices (`Span`); only the final `FormattedText` speaks
Telegram's UTF-16 offsets, so the conversion happens in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import MessageEntity, User

from loopback.utf16 import utf16_index, utf16_len

#: Entities that own their text: nothing is auto-detected inside them.
OPAQUE_TYPES = frozenset(
    {
        MessageEntity.PRE,
        MessageEntity.CODE,
        MessageEntity.TEXT_LINK,
        MessageEntity.TEXT_MENTION,
        MessageEntity.CUSTOM_EMOJI,
    }
)

#: tdlib orders entities starting at one offset by this priority (outer first).
_TYPE_ORDER: dict[str, int] = {
    MessageEntity.BLOCKQUOTE: 0,
    MessageEntity.EXPANDABLE_BLOCKQUOTE: 0,
    MessageEntity.PRE: 1,
    MessageEntity.CODE: 2,
    MessageEntity.TEXT_LINK: 3,
    MessageEntity.TEXT_MENTION: 3,
    MessageEntity.BOLD: 4,
    MessageEntity.ITALIC: 5,
    MessageEntity.UNDERLINE: 6,
    MessageEntity.STRIKETHROUGH: 7,
    MessageEntity.SPOILER: 8,
}


@dataclass(slots=True)
class Span:
    """One entity over text[start:end] in character indices."""

    type: str
    start: int
    end: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user: User | None = None

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class FormattedText:
    text: str
    entities: tuple[MessageEntity, ...]

    @property
    def length(self) -> int:
        return utf16_len(self.text)

    def entity_dicts(self) -> list[dict[str, Any]]:
        return [entity.to_dict() for entity in self.entities]


_WHITESPACE = " \t\n\r\v\f\u00a0\u2028\u2029"


def trim(text: str, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    """Telegram strips leading and trailing whitespace from message texts and captions."""
    start = len(text) - len(text.lstrip(_WHITESPACE))
    end = len(text.rstrip(_WHITESPACE))
    if end <= start:
        return "", []
    trimmed: list[Span] = []
    for span in spans:
        new_start, new_end = max(span.start, start) - start, min(span.end, end) - start
        if new_end > new_start:
            span.start, span.end = new_start, new_end
            trimmed.append(span)
    return text[start:end], trimmed


def merge_detected(spans: Sequence[Span], detected: Iterable[Span]) -> list[Span]:
    """Adds auto-detected entities (urls, mentions, commands) that no opaque entity covers."""
    merged = list(spans)
    opaque = [span for span in spans if span.type in OPAQUE_TYPES]
    for candidate in detected:
        if not any(candidate.overlaps(span) for span in opaque):
            merged.append(candidate)
    return merged


def to_formatted(text: str, spans: Iterable[Span]) -> FormattedText:
    offsets = utf16_index(text)
    ordered = sorted(
        (span for span in spans if span.end > span.start),
        key=lambda s: (s.start, -(s.end - s.start), _TYPE_ORDER.get(s.type, 9)),
    )
    entities = tuple(
        MessageEntity(
            type=span.type,
            offset=offsets[span.start],
            length=offsets[span.end] - offsets[span.start],
            url=span.url,
            user=span.user,
            language=span.language,
            custom_emoji_id=span.custom_emoji_id,
        )
        for span in ordered
    )
    return FormattedText(text, entities)


def spans_from_entities(text: str, entities: Sequence[MessageEntity]) -> list[Span]:
    """Entities given explicitly (the `entities` parameter) back to character spans."""
    offsets = utf16_index(text)
    index_of = {offset: index for index, offset in enumerate(offsets)}
    spans: list[Span] = []
    for entity in entities:
        start = index_of.get(entity.offset)
        end = index_of.get(entity.offset + entity.length)
        if start is None or end is None or end <= start:
            continue  # Telegram silently drops entities that split a character or are empty
        spans.append(
            Span(
                type=str(entity.type),
                start=start,
                end=end,
                url=entity.url,
                language=entity.language,
                custom_emoji_id=entity.custom_emoji_id,
                user=entity.user,
            )
        )
    return spans
