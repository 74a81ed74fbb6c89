"""What was reported: the canonical target a link, @username, forward or search term becomes.

Every accepted form maps to one `TargetRef` with a stable `key`, so reports about the same chat
or post join one case whichever way they named it. Anything else becomes a `ParseProblem` that
says exactly what was wrong, so the bot can tell the reporter what to send instead. Links and
usernames are read in target_links.py, search terms in target_terms.py; forwards and mentions,
which arrive already structured, here.

Pure: no Telegram types, no I/O. Input is hostile: its length is capped before any parsing,
hosts are compared whole (never substring-matched) and no pattern here can backtrack
more than a bounded number of steps.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final, Literal

MAX_INPUT_CHARS: Final = 2048


class TargetKind(StrEnum):
    CHANNEL = "channel"
    GROUP = "group"
    BOT = "bot"
    USER = "user"
    POST = "post"
    INVITE = "invite"  # a private chat known only by its invite hash
    PUBLIC = "public"  # a public @username whose type is not known (yet)
    SEARCH_TERM = "search_term"


class ProblemKind(StrEnum):
    EMPTY = "empty"  # nothing usable once invisible characters and wrappers are gone
    NOT_TELEGRAM = "not_telegram"  # another site, a bare word, several words
    BAD_USERNAME = "bad_username"  # @x or t.me/x where x cannot be a Telegram username
    PHONE_LINK = "phone_link"  # t.me/+<digits>: a phone number, which we refuse to take
    UNSUPPORTED_LINK = "unsupported_link"  # a Telegram link that names no chat or post
    HIDDEN_USER = "hidden_user"  # forwarded from someone who hides their account
    PRIVATE_UNKNOWN = "private_unknown"  # a forward from a chat Telegram does not identify
    TOO_LONG = "too_long"  # over MAX_INPUT_CHARS; refused before any parsing


#: Kinds Telegram can tell us a chat has once it is looked up (see `TargetRef.resolved`).
CHAT_KINDS: Final = frozenset(
    {TargetKind.CHANNEL, TargetKind.GROUP, TargetKind.BOT, TargetKind.USER}
)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    kind: ProblemKind
    detail: str = ""  # for logs; built from our own words, never the user's text


@dataclass(frozen=True, slots=True)
class TargetRef:
    """One reported thing. Refuses to exist without an identity, because a ref without one
    would get a key like `@None` and silently merge unrelated reports into one case."""

    kind: TargetKind
    username: str | None = None  # lowercase, without '@'
    chat_id: int | None = None  # Bot API id: -100... for channels/supergroups, users positive
    post_id: int | None = None
    invite_hash: str | None = None  # case-sensitive, as given
    term: str | None = None  # the normalised search term
    title: str | None = None  # display name when known; not part of the key

    def __post_init__(self) -> None:
        if self.kind is TargetKind.INVITE:
            missing = not self.invite_hash
        elif self.kind is TargetKind.SEARCH_TERM:
            missing = not self.term
        else:
            missing = self.chat_id is None and not self.username
            missing = missing or (self.kind is TargetKind.POST and self.post_id is None)
        if missing:
            raise ValueError(f"a {self.kind.value} target needs its identifying fields")

    @property
    def key(self) -> str:
        """Canonical and stable (stored; cases are found by it): `id:<chat>` when the id is
        known, else `@<name>`; posts add `/<post>`; `invite:<hash>`; `term:<term>`."""
        if self.kind is TargetKind.INVITE:
            return f"invite:{self.invite_hash}"
        if self.kind is TargetKind.SEARCH_TERM:
            return f"term:{self.term}"
        chat = f"id:{self.chat_id}" if self.chat_id is not None else f"@{self.username}"
        return chat if self.post_id is None else f"{chat}/{self.post_id}"

    @property
    def link(self) -> str | None:
        """A link a moderator can open deliberately; None when Telegram has none (a user known
        only by id, a private chat without a post, a search term)."""
        if self.kind is TargetKind.SEARCH_TERM:
            return None
        if self.username:
            post = f"/{self.post_id}" if self.post_id is not None else ""
            return f"https://t.me/{self.username}{post}"
        internal = internal_id(self.chat_id)
        if internal is not None and self.post_id is not None:
            return f"https://t.me/c/{internal}/{self.post_id}"
        if self.invite_hash:
            # t.me/+<digits> would open a phone number instead; the older form never does.
            plus = not looks_like_phone(self.invite_hash)
            return f"https://t.me/{'+' if plus else 'joinchat/'}{self.invite_hash}"
        return None

    @property
    def private_link_id(self) -> str | None:
        """The number in t.me/c/<number> when that is the only way to name this chat (no
        username, no invite). Such a link opens only for the chat's members, so a moderator
        following it may see nothing; the bot says so to reporters and moderators."""
        if self.kind is TargetKind.SEARCH_TERM or self.username or self.invite_hash:
            return None
        return internal_id(self.chat_id)

    def resolved(self, chat_id: int, kind: TargetKind, title: str | None = None) -> TargetRef:
        """The same target once Telegram told us its id and type (a post stays a post).

        `kind` must be a chat kind; a search term names no chat and cannot be resolved.
        """
        if self.kind is TargetKind.SEARCH_TERM:
            raise ValueError("a search term names no chat")
        if kind not in CHAT_KINDS:
            raise ValueError(f"{kind.value} is not a chat kind")
        new_kind = self.kind if self.kind is TargetKind.POST else kind
        return replace(self, chat_id=chat_id, kind=new_kind, title=title or self.title)


@dataclass(frozen=True, slots=True)
class ForwardOrigin:
    """A plain mirror of Telegram's MessageOrigin*, built by the Telegram glue."""

    type: Literal["user", "hidden_user", "chat", "channel"]
    chat_id: int | None = None  # channel/chat origin: the chat's id; user origin: the user's id
    chat_type: str | None = None  # "channel", "group", "supergroup", "private" when known
    username: str | None = None
    title: str | None = None  # chat title or the user's full name
    message_id: int | None = None  # channel origin: the post id
    is_bot: bool = False  # user origin
    sender_user_name: str | None = None  # hidden_user origin


# Characters that only hide or reorder text. Links lose every format character (category Cf);
# search terms lose these but keep U+200D, which emoji sequences need.
_INVISIBLE: Final = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200e\u200f\u2060\ufeff\u061c"
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    None,
)


def from_forward(origin: ForwardOrigin) -> TargetRef | ParseProblem:
    """A forwarded message names its origin: a channel post, a chat, a user or bot."""
    if origin.type == "hidden_user":
        return ParseProblem(ProblemKind.HIDDEN_USER)
    if origin.chat_id is None:
        return ParseProblem(ProblemKind.PRIVATE_UNKNOWN, f"{origin.type} origin without id")
    username = origin.username.lower() if origin.username else None
    if origin.type == "channel":
        kind = TargetKind.POST if origin.message_id is not None else TargetKind.CHANNEL
        return TargetRef(
            kind,
            username=username,
            chat_id=origin.chat_id,
            post_id=origin.message_id,
            title=origin.title,
        )
    if origin.type == "chat":
        # A group or supergroup writing as itself (anonymous admins); a channel when it says so.
        kind = TargetKind.CHANNEL if origin.chat_type == "channel" else TargetKind.GROUP
        return TargetRef(kind, username=username, chat_id=origin.chat_id, title=origin.title)
    kind = TargetKind.BOT if origin.is_bot else TargetKind.USER
    return TargetRef(kind, username=username, chat_id=origin.chat_id, title=origin.title)


def from_mention(user_id: int, is_bot: bool, title: str | None = None) -> TargetRef:
    """A text_mention: someone without a username, known by id."""
    return TargetRef(TargetKind.BOT if is_bot else TargetKind.USER, chat_id=user_id, title=title)


def visible_text(text: str, dropped: frozenset[str]) -> str:
    """Invisible characters removed; whitespace controls (tab, newline) become spaces so they
    still separate words."""
    return "".join(
        " " if ch.isspace() else ch
        for ch in text.translate(_INVISIBLE)
        if ch.isspace() or unicodedata.category(ch) not in dropped
    )


def looks_like_phone(code: str) -> bool:
    digits = code.replace("-", "")
    return bool(digits) and digits.isascii() and digits.isdigit()


def internal_id(chat_id: int | None) -> str | None:
    """The number in t.me/c/<number> links (target_links.py); None for ids that are not
    -100 chats."""
    text = str(chat_id) if chat_id is not None else ""
    internal = text.removeprefix("-100")
    return internal if internal != text and internal.isdigit() else None
