"""What a reporter sent, as the plain inputs the guided report reads (the Telegram glue in
handlers/report_input.py builds them), and how the unsafe result is read out of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from moderation.reporting.drafts import Draft, Step
from moderation.reporting.target_links import looks_like_target, parse_result
from moderation.reporting.targets import (
    ForwardOrigin,
    ParseProblem,
    TargetRef,
    from_forward,
    from_mention,
)

RAW_INPUT_MAX = 2048


@dataclass(frozen=True, slots=True)
class Reporter:
    user_id: int
    chat_id: int
    language_code: str | None
    username: str | None = None  # their @username now, so admins can name them (/block)


@dataclass(frozen=True, slots=True)
class Mention:
    """A text_mention entity: a user without a username, known by id."""

    user_id: int
    is_bot: bool
    title: str | None = None


@dataclass(frozen=True, slots=True)
class TextInput:
    text: str
    link: str | None = None  # the URL of the first url / text_link entity, if any
    mention: Mention | None = None


@dataclass(frozen=True, slots=True)
class ForwardInput:
    origin: ForwardOrigin
    text: str = ""


@dataclass(frozen=True, slots=True)
class MediaInput:
    """Anything that is not text: a sticker, photo, voice, contact, location, ..."""

    what: str


class Action(StrEnum):
    START = "new"
    TERM = "term"
    CATEGORY = "cat"
    SKIP = "skip"
    SUBMIT = "submit"
    EDIT = "edit"
    FIELD = "field"
    BACK = "back"
    CANCEL = "cancel"
    CONTINUE = "cont"  # back to an on-hold report's current question


@dataclass(frozen=True, slots=True)
class ButtonInput:
    action: Action
    draft_id: int
    arg: str = ""
    message_id: int | None = None  # the pressed message


@dataclass(frozen=True, slots=True)
class CommandInput:
    name: Literal["report", "cancel", "skip"]


Input = TextInput | ForwardInput | MediaInput | ButtonInput | CommandInput


@dataclass(frozen=True, slots=True)
class Event:
    reporter: Reporter
    input: Input
    update_id: int


def result_from(
    value: Input, draft: Draft | None, now: datetime
) -> TargetRef | ParseProblem | None:
    """What `value` says about the unsafe result, when it is being read as one."""
    active = draft is not None and not draft.expired(now)
    expecting = draft is not None and active and draft.step is Step.RESULT
    early = draft is not None and active and draft.step is Step.QUERY and draft.target is None
    if isinstance(value, ForwardInput):
        return from_forward(value.origin) if (expecting or early or not active) else None
    if not isinstance(value, TextInput):
        return None
    if value.mention is not None and (expecting or early or not active):
        return from_mention(value.mention.user_id, value.mention.is_bot, value.mention.title)
    if expecting:
        return parse_result(result_text(value))
    if (early or not active) and (
        looks_like_target(value.text) or (value.link and value.link.strip() == value.text.strip())
    ):
        return parse_result(result_text(value))
    return None


def result_text(value: TextInput) -> str:
    """A single pasted token is read whole; otherwise the first link (or hyperlink) in it."""
    text = value.text.strip()
    if value.link is None:
        return text
    single_token = bool(text) and not any(ch.isspace() for ch in text)
    return text if single_token and value.link in text else value.link


def raw_text(value: Input) -> str:
    if isinstance(value, TextInput):
        return (value.link or value.text)[:RAW_INPUT_MAX]
    if isinstance(value, ForwardInput):
        return f"(forwarded from {value.origin.type})"
    return ""


def origin_of(value: Input) -> ForwardOrigin | None:
    return value.origin if isinstance(value, ForwardInput) else None


def media_kind(value: Input) -> str:
    if isinstance(value, MediaInput):
        return value.what
    if isinstance(value, ForwardInput):
        return "forward"
    return ""
