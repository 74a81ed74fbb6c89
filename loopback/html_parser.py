"""Telegram's HTML parse mode, strict the way tdlib's parse_html is.

It accepts exactly the tags Telegram documents and fails with Telegram's own wording, so a
bot that forgets to escape user text fails here just as it would in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import MessageEntity, User

from loopback.formatted_text import Span
from loopback.links import mentioned_user_id, normalize_link
from loopback.utf16 import byte_offset

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAGS: dict[str, str] = {
    "b": MessageEntity.BOLD,
    "strong": MessageEntity.BOLD,
    "i": MessageEntity.ITALIC,
    "em": MessageEntity.ITALIC,
    "s": MessageEntity.STRIKETHROUGH,
    "strike": MessageEntity.STRIKETHROUGH,
    "del": MessageEntity.STRIKETHROUGH,
    "u": MessageEntity.UNDERLINE,
    "ins": MessageEntity.UNDERLINE,
    "tg-spoiler": MessageEntity.SPOILER,
}
_SPACES = frozenset(" \t\r\n\v")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#x([0-9a-fA-F]{1,8})|#([0-9]{1,10})|(lt|gt|amp|quot));")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.-]*")

UserLookup = Callable[[int], User | None]


class HtmlParseError(ValueError):
    """The text after "can't parse entities: " in Telegram's 400 answer."""


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    start: int  # index into the output text


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    match = _ENTITY.match(source, index)
    if match is None:
        return None
    hex_code, decimal_code, name = match.groups()
    if name:
        return _NAMED_ENTITIES[name], match.end()
    code = int(hex_code, 16) if hex_code else int(decimal_code)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None  # tdlib leaves such "entities" as literal text
    return chr(code), match.end()


class _Parser:
    def __init__(self, source: str, lookup_user: UserLookup) -> None:
        self.source = source
        self.lookup_user = lookup_user
        self.out: list[str] = []
        self.length = 0
        self.stack: list[_OpenTag] = []
        self.spans: list[Span] = []

    def error(self, message: str) -> HtmlParseError:
        return HtmlParseError(message)

    def at(self, index: int) -> str:
        return self.source[index] if index < len(self.source) else ""

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += len(text)

    def parse(self) -> tuple[str, list[Span]]:
        source, index = self.source, 0
        while index < len(source):
            char = source[index]
            if char == "&":
                decoded = _decode_entity(source, index)
                if decoded is not None:
                    self.emit(decoded[0])
                    index = decoded[1]
                    continue
            if char != "<":
                self.emit(char)
                index += 1
                continue
            closing = self.at(index + 1) == "/"
            index = self.close_tag(index) if closing else self.open_tag(index)
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        return "".join(self.out), self.spans

    def offset(self, index: int) -> int:
        return byte_offset(self.source, index)

    def open_tag(self, begin: int) -> int:
        index = begin + 1
        tag_end = index
        while self.at(tag_end) and self.at(tag_end) not in _SPACES and self.at(tag_end) != ">":
            tag_end += 1
        name = self.source[index:tag_end].lower()
        if name not in _SUPPORTED_TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {self.offset(begin)}')
        argument = ""
        index = tag_end
        while self.at(index) != ">":
            while self.at(index) in _SPACES and self.at(index):
                index += 1
            if self.at(index) == ">":
                break
            if not self.at(index):
                raise self.error(f"Unclosed start tag at byte offset {self.offset(begin)}")
            attribute_start = index
            while self.at(index) and self.at(index) not in _SPACES and self.at(index) not in "=>":
                index += 1
            attribute = self.source[attribute_start:index].lower()
            if not attribute:
                raise self.error(
                    f'Empty attribute name in the tag "{name}" at byte offset {self.offset(begin)}'
                )
            while self.at(index) in _SPACES and self.at(index):
                index += 1
            if self.at(index) != "=" and name == "blockquote" and attribute == "expandable":
                argument = "1"  # the one documented attribute without a value
                continue
            if self.at(index) != "=":
                raise self.error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {self.offset(begin)}'
                )
            index += 1
            while self.at(index) in _SPACES and self.at(index):
                index += 1
            if not self.at(index):
                raise self.error(f"Unclosed start tag at byte offset {self.offset(begin)}")
            value, index = self.attribute_value(index)
            if not self.at(index):
                raise self.error(f"Unclosed start tag at byte offset {self.offset(begin)}")
            argument = self.tag_argument(name, attribute, value, argument)
        if name == "span" and argument != "spoiler":
            raise self.error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.offset(begin)}'
            )
        self.stack.append(_OpenTag(name, argument, self.length))
        return index + 1

    def attribute_value(self, index: int) -> tuple[str, int]:
        quote = self.at(index)
        if quote not in {"'", '"'}:
            match = _NAME_TOKEN.match(self.source, index)
            end = match.end() if match else index
            if self.at(end) not in _SPACES and self.at(end) != ">":
                raise self.error(f"Unexpected end of name token at byte offset {self.offset(end)}")
            return self.source[index:end].lower(), end
        index += 1
        value: list[str] = []
        while self.at(index) and self.at(index) != quote:
            if self.at(index) == "&":
                decoded = _decode_entity(self.source, index)
                if decoded is not None:
                    value.append(decoded[0])
                    index = decoded[1]
                    continue
            value.append(self.source[index])
            index += 1
        if self.at(index) == quote:
            index += 1
        return "".join(value), index

    @staticmethod
    def tag_argument(name: str, attribute: str, value: str, current: str) -> str:
        if name == "a" and attribute == "href":
            return value
        if name == "code" and attribute == "class" and value.startswith("language-"):
            return value.removeprefix("language-")
        if name == "span" and attribute == "class" and value.startswith("tg-"):
            return value.removeprefix("tg-")
        if name == "tg-emoji" and attribute == "emoji-id":
            return value
        if name == "blockquote" and attribute == "expandable":
            return "1"
        return current

    def close_tag(self, begin: int) -> int:
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {self.offset(begin)}")
        index = begin + 2
        while self.at(index) and self.at(index) not in _SPACES and self.at(index) != ">":
            index += 1
        end_name = self.source[begin + 2 : index]
        while self.at(index) in _SPACES and self.at(index):
            index += 1
        if self.at(index) != ">":
            raise self.error(f"Unclosed end tag at byte offset {self.offset(begin)}")
        tag = self.stack[-1]
        if end_name and end_name.lower() != tag.name:
            raise self.error(
                f'Unmatched end tag at byte offset {self.offset(begin)}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        if self.length > tag.start:
            self.add_span(tag)
        return index + 1

    def add_span(self, tag: _OpenTag) -> None:
        start, end, last = tag.start, self.length, self.spans[-1] if self.spans else None
        same_range = last is not None and last.start == start and last.end == end
        if tag.name in _SIMPLE_TAGS:
            self.spans.append(Span(_SIMPLE_TAGS[tag.name], start, end))
        elif tag.name == "span":
            self.spans.append(Span(MessageEntity.SPOILER, start, end))
        elif tag.name == "tg-emoji":
            if tag.argument.isdigit():
                self.spans.append(
                    Span(MessageEntity.CUSTOM_EMOJI, start, end, custom_emoji_id=tag.argument)
                )
        elif tag.name == "blockquote":
            kind = MessageEntity.EXPANDABLE_BLOCKQUOTE if tag.argument else MessageEntity.BLOCKQUOTE
            self.spans.append(Span(kind, start, end))
        elif tag.name == "a":
            self.add_link(tag, start, end)
        elif tag.name == "pre":
            if same_range and last is not None and last.type == MessageEntity.CODE:
                last.type = MessageEntity.PRE  # <pre><code class="language-x">: one pre entity
            else:
                self.spans.append(Span(MessageEntity.PRE, start, end))
        elif tag.name == "code":
            if same_range and last is not None and last.type == MessageEntity.PRE:
                last.language = tag.argument or None  # <code> wrapping <pre>
            else:
                self.spans.append(
                    Span(MessageEntity.CODE, start, end, language=tag.argument or None)
                )

    def add_link(self, tag: _OpenTag, start: int, end: int) -> None:
        url = tag.argument or "".join(self.out)[start:end]
        user_id = mentioned_user_id(url)
        if user_id is not None:
            user = self.lookup_user(user_id)
            if user is not None:
                self.spans.append(Span(MessageEntity.TEXT_MENTION, start, end, user=user))
            return
        link = normalize_link(url)
        if link is not None:
            self.spans.append(Span(MessageEntity.TEXT_LINK, start, end, url=link))


def parse_html(source: str, lookup_user: UserLookup) -> tuple[str, list[Span]]:
    """Plain text and entity spans; raises HtmlParseError with Telegram's message."""
    text, spans = _Parser(source, lookup_user).parse()
    for span in spans:
        if span.type == MessageEntity.CODE:
            span.language = None  # a language only survives on a pre entity
    return text, spans
