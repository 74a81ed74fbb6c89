"""Telegram's MarkdownV2 and legacy Markdown parse modes, with tdlib's error wording.

MarkdownV2 covers bold, italic, underline, strikethrough, spoiler, inline code, pre blocks,
links and escapes; block quotes and custom emoji are refused as the unescaped characters
they start with would be.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import MessageEntity

from loopback.formatted_text import Span
from loopback.links import normalize_link
from loopback.utf16 import byte_offset

_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_ENTITY_NAMES: dict[str, str] = {
    MessageEntity.BOLD: "Bold",
    MessageEntity.ITALIC: "Italic",
    MessageEntity.UNDERLINE: "Underline",
    MessageEntity.STRIKETHROUGH: "Strikethrough",
    MessageEntity.SPOILER: "Spoiler",
    MessageEntity.CODE: "Code",
    MessageEntity.PRE: "Pre",
    MessageEntity.TEXT_LINK: "TextUrl",
}


class MarkdownParseError(ValueError):
    """The text after "can't parse entities: " in Telegram's 400 answer."""


@dataclass(slots=True)
class _Open:
    type: str
    source_index: int
    start: int


def _marker(source: str, index: int) -> tuple[str, int] | None:
    """The entity a reserved character opens or closes here, and the marker's length."""
    char = source[index]
    following = source[index + 1] if index + 1 < len(source) else ""
    if char == "_":
        return (MessageEntity.UNDERLINE, 2) if following == "_" else (MessageEntity.ITALIC, 1)
    if char == "*":
        return MessageEntity.BOLD, 1
    if char == "~":
        return MessageEntity.STRIKETHROUGH, 1
    if char == "|" and following == "|":
        return MessageEntity.SPOILER, 2
    if char == "[":
        return MessageEntity.TEXT_LINK, 1
    if char == "`":
        return (
            (MessageEntity.PRE, 3) if source.startswith("```", index) else (MessageEntity.CODE, 1)
        )
    return None


def parse_markdown_v2(source: str) -> tuple[str, list[Span]]:
    out: list[str] = []
    stack: list[_Open] = []
    spans: list[Span] = []
    index, length = 0, 0

    def emit(text: str) -> None:
        nonlocal length
        out.append(text)
        length += len(text)

    while index < len(source):
        char = source[index]
        inside_code = bool(stack) and stack[-1].type in {MessageEntity.CODE, MessageEntity.PRE}
        if char == "\\" and index + 1 < len(source) and 0 < ord(source[index + 1]) <= 126:
            emit(source[index + 1])
            index += 2
            continue
        if inside_code and char != "`":
            emit(char)
            index += 1
            continue
        if char not in _RESERVED:
            emit(char)
            index += 1
            continue
        top = stack[-1] if stack else None
        if top is not None and top.type == MessageEntity.TEXT_LINK and char == "]":
            stack.pop()
            index, url = _link_target(source, index + 1, "".join(out)[top.start :])
            link = normalize_link(url)
            if link is not None and length > top.start:
                spans.append(Span(MessageEntity.TEXT_LINK, top.start, length, url=link))
            continue
        marker = _marker(source, index)
        if marker is None:
            raise MarkdownParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        kind, size = marker
        if top is not None and top.type == kind and kind != MessageEntity.TEXT_LINK:
            stack.pop()
            index += size
            if length > top.start:
                spans.append(Span(kind, top.start, length))
            continue
        index += size
        if kind == MessageEntity.PRE:
            newline = source.find("\n", index)
            language = source[index:newline] if newline != -1 else ""
            if language and not any(c.isspace() or c == "`" for c in language):
                index = newline + 1
                stack.append(_Open(kind, index - size - len(language) - 1, length))
                spans.append(Span("language-marker", length, length, language=language))
                continue
        stack.append(_Open(kind, index - size, length))
    if stack:
        top = stack[-1]
        raise MarkdownParseError(
            f"Can't find end of {_ENTITY_NAMES[top.type]} entity at byte offset "
            f"{byte_offset(source, top.source_index)}"
        )
    return "".join(out), _attach_languages(spans)


def _link_target(source: str, index: int, label: str) -> tuple[int, str]:
    """Reads "(url)" after "]"; a link without one points at its own text, as in tdlib."""
    if index >= len(source) or source[index] != "(":
        return index, label
    start = index + 1
    index = start
    url: list[str] = []
    while index < len(source) and source[index] != ")":
        if source[index] == "\\" and index + 1 < len(source):
            index += 1
        url.append(source[index])
        index += 1
    if index >= len(source):
        raise MarkdownParseError(
            f"Can't find end of a URL at byte offset {byte_offset(source, start)}"
        )
    return index + 1, "".join(url)


def _attach_languages(spans: list[Span]) -> list[Span]:
    """Moves each ```language marker onto the pre entity that starts where it was seen."""
    markers = {span.start: span.language for span in spans if span.type == "language-marker"}
    result: list[Span] = []
    for span in spans:
        if span.type == "language-marker":
            continue
        if span.type == MessageEntity.PRE and span.start in markers:
            span.language = markers.pop(span.start)
        result.append(span)
    return result


_LEGACY_MARKERS: dict[str, str] = {
    "*": MessageEntity.BOLD,
    "_": MessageEntity.ITALIC,
    "`": MessageEntity.CODE,
    "[": MessageEntity.TEXT_LINK,
}


def parse_markdown(source: str) -> tuple[str, list[Span]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre``` and [text](url), no nesting."""
    out: list[str] = []
    spans: list[Span] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source) and source[index + 1] in "*_`[":
            out.append(source[index + 1])
            index += 2
            continue
        if char not in _LEGACY_MARKERS:
            out.append(char)
            index += 1
            continue
        begin, start = index, len("".join(out))
        if source.startswith("```", index):
            end = source.find("```", index + 3)
            if end == -1:
                raise _legacy_unclosed(source, begin)
            body = source[index + 3 : end]
            language, newline, rest = body.partition("\n")
            code = rest if newline and language and " " not in language else body
            out.append(code)
            spans.append(
                Span(
                    MessageEntity.PRE,
                    start,
                    start + len(code),
                    language=language if code is rest and newline else None,
                )
            )
            index = end + 3
            continue
        closing = "]" if char == "[" else char
        end = source.find(closing, index + 1)
        if end == -1:
            raise _legacy_unclosed(source, begin)
        inner = source[index + 1 : end]
        index = end + 1
        if char == "[":
            index, url = _link_target(source, index, inner)
            link = normalize_link(url)
            out.append(inner)
            if link is not None and inner:
                spans.append(Span(MessageEntity.TEXT_LINK, start, start + len(inner), url=link))
            continue
        out.append(inner)
        if inner:
            spans.append(Span(_LEGACY_MARKERS[char], start, start + len(inner)))
    return "".join(out), spans


def _legacy_unclosed(source: str, begin: int) -> MarkdownParseError:
    return MarkdownParseError(
        f"Can't find end of the entity starting at byte offset {byte_offset(source, begin)}"
    )
