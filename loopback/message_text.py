"""From a method's text and parse_mode to the FormattedText Telegram would store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import MessageEntity

from loopback.api_errors import bad_request
from loopback.entity_detection import detect_entities
from loopback.formatted_text import (
    FormattedText,
    Span,
    merge_detected,
    spans_from_entities,
    to_formatted,
    trim,
)
from loopback.html_parser import HtmlParseError, UserLookup, parse_html
from loopback.markdown_parser import MarkdownParseError, parse_markdown, parse_markdown_v2

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


def format_text(
    source: str,
    *,
    parse_mode: str | None,
    entities: Sequence[dict[str, Any]] | None,
    lookup_user: UserLookup,
) -> FormattedText:
    """Parses, trims and adds auto-detected entities; raises ApiError like Telegram."""
    spans: list[Span]
    if entities is not None:
        try:
            parsed = [MessageEntity.de_json(entity, None) for entity in entities]
        except (TypeError, KeyError, ValueError) as exc:
            raise bad_request("can't parse entities JSON object") from exc
        text, spans = source, spans_from_entities(source, parsed)
    else:
        mode = (parse_mode or "").lower()
        try:
            if mode == "html":
                text, spans = parse_html(source, lookup_user)
            elif mode == "markdownv2":
                text, spans = parse_markdown_v2(source)
            elif mode == "markdown":
                text, spans = parse_markdown(source)
            elif mode == "":
                text, spans = source, []
            else:
                raise bad_request("unsupported parse_mode")
        except (HtmlParseError, MarkdownParseError) as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
    text, spans = trim(text, spans)
    return to_formatted(text, merge_detected(spans, detect_entities(text)))


def plain_text(text: str) -> FormattedText:
    """What a user typed: no markup, only the entities Telegram detects."""
    return to_formatted(text, detect_entities(text))
