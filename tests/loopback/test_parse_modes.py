"""Parse modes and entity detection as pure functions, case by case."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import User

from loopback.formatted_text import to_formatted
from loopback.html_parser import HtmlParseError, parse_html
from loopback.markdown_parser import MarkdownParseError, parse_markdown, parse_markdown_v2
from loopback.message_text import plain_text


def _no_users(user_id: int) -> User | None:
    return None


def html(source: str) -> tuple[str, list[dict[str, Any]]]:
    text, spans = parse_html(source, _no_users)
    return text, to_formatted(text, spans).entity_dicts()


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("<b>a</b><strong>b</strong>", "ab", [("bold", 0, 1), ("bold", 1, 1)]),
        (
            "<i>a</i><em>b</em><u>c</u><ins>d</ins>",
            "abcd",
            [("italic", 0, 1), ("italic", 1, 1), ("underline", 2, 1), ("underline", 3, 1)],
        ),
        (
            "<s>a</s><strike>b</strike><del>c</del>",
            "abc",
            [("strikethrough", 0, 1), ("strikethrough", 1, 1), ("strikethrough", 2, 1)],
        ),
        (
            '<tg-spoiler>a</tg-spoiler><span class="tg-spoiler">b</span>',
            "ab",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", [("custom_emoji", 0, 2)]),
        ("AT&T &amp; &#60;&#x3E; &nbsp;", "AT&T & <> &nbsp;", []),
        ("<B>upper</B>", "upper", [("bold", 0, 5)]),
        ("<b><i>both</i></b>", "both", [("bold", 0, 4), ("italic", 0, 4)]),
    ],
)
def test_supported_html(source: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed_text, parsed = html(source)
    assert parsed_text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed] == entities


def test_pre_with_language_and_links() -> None:
    text, entities = html(
        '<pre><code class="language-python">x = 1</code></pre> <a href="t.me/x">l</a>'
    )
    assert text == "x = 1 l"
    assert entities[0] == {"type": "pre", "offset": 0, "length": 5, "language": "python"}
    assert entities[1] == {"type": "text_link", "offset": 6, "length": 1, "url": "http://t.me/x"}


def test_mention_links_need_a_known_user() -> None:
    bob = User(42, "Bob", False)
    text, spans = parse_html(
        '<a href="tg://user?id=42">Bob</a>', lambda i: bob if i == 42 else None
    )
    entity = to_formatted(text, spans).entities[0]
    assert (entity.type, entity.user) == ("text_mention", bob)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ('<span class="x">a</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<a href=x y>t</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<i><b>x</i></b>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</i>"'),
    ],
)
def test_malformed_html(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(source, _no_users)
    assert str(caught.value) == error


def test_markdown_v2_entities_and_errors() -> None:
    text, spans = parse_markdown_v2("__u__ ~s~ ||p|| `c\\`` ```py\nx```")
    entities = to_formatted(text, spans).entity_dicts()
    assert text == "u s p c` x"
    assert [e["type"] for e in entities] == ["underline", "strikethrough", "spoiler", "code", "pre"]
    assert entities[-1]["language"] == "py"
    with pytest.raises(
        MarkdownParseError, match="Can't find end of Italic entity at byte offset 0"
    ):
        parse_markdown_v2("_open")
    with pytest.raises(MarkdownParseError, match="Can't find end of a URL"):
        parse_markdown_v2("[t](http://x.org")


def test_legacy_markdown() -> None:
    text, spans = parse_markdown("*b* _i_ [l](https://x.org)")
    assert text == "b i l"
    assert [e.type for e in to_formatted(text, spans).entities] == ["bold", "italic", "text_link"]
    with pytest.raises(MarkdownParseError, match="starting at byte offset 2"):
        parse_markdown("a *b")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("/start report", [("bot_command", "/start")]),
        ("/help@report_test_bot", [("bot_command", "/help@report_test_bot")]),
        ("see t.me/some_shop, now", [("url", "t.me/some_shop")]),
        ("https://example.org/a?b=1.", [("url", "https://example.org/a?b=1")]),
        ("ping @alice_w and #spam", [("mention", "@alice_w"), ("hashtag", "#spam")]),
        ("mail a.b@example.com", [("email", "a.b@example.com")]),
        ("no/command and a@b", []),
        ("😀 /start", [("bot_command", "/start")]),
    ],
)
def test_detected_entities(text: str, found: list[tuple[str, str]]) -> None:
    formatted = plain_text(text)
    utf16 = formatted.text.encode("utf-16-le")
    pieces = [
        (e.type, utf16[e.offset * 2 : (e.offset + e.length) * 2].decode("utf-16-le"))
        for e in formatted.entities
    ]
    assert pieces == found
