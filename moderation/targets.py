"""What was reported: a link, @username, forward or search term turned into a canonical target.

Every accepted form maps to one `TargetRef` with a stable `key`, so reports about the same chat
or post join one case whichever way they named it. Anything else becomes a `ParseProblem` that
says exactly what was wrong, so the bot can tell the reporter what to send instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final, Literal
from urllib.parse import parse_qs, urlsplit

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
    EMPTY = "empty"
    NOT_TELEGRAM = "not_telegram"
    BAD_USERNAME = "bad_username"
    PHONE_LINK = "phone_link"  # t.me/+<digits>: a phone number, which we refuse to take
    UNSUPPORTED_LINK = "unsupported_link"  # a Telegram link that names no chat or post
    HIDDEN_USER = "hidden_user"
    PRIVATE_UNKNOWN = "private_unknown"
    TOO_LONG = "too_long"


@dataclass(frozen=True, slots=True)
class ParseProblem:
    kind: ProblemKind
    detail: str = ""  # for logs; never the user's text


@dataclass(frozen=True, slots=True)
class TargetRef:
    kind: TargetKind
    username: str | None = None  # lowercase, without '@'
    chat_id: int | None = None
    post_id: int | None = None
    invite_hash: str | None = None  # case-sensitive, as given
    term: str | None = None  # the normalised search term
    title: str | None = None  # display name when known; not part of the key

    @property
    def key(self) -> str:
        """Canonical and stable: `id:<chat>` or `@name`, `/<post>` for posts, `invite:`,
        `term:`."""
        if self.kind is TargetKind.INVITE:
            return f"invite:{self.invite_hash}"
        if self.kind is TargetKind.SEARCH_TERM:
            return f"term:{self.term}"
        chat = f"id:{self.chat_id}" if self.chat_id is not None else f"@{self.username}"
        return chat if self.post_id is None else f"{chat}/{self.post_id}"

    @property
    def link(self) -> str | None:
        """A link a moderator can open deliberately; None when Telegram has none."""
        if self.kind is TargetKind.INVITE:
            return f"https://t.me/+{self.invite_hash}"
        if self.username:
            post = f"/{self.post_id}" if self.post_id is not None else ""
            return f"https://t.me/{self.username}{post}"
        internal = _internal_id(self.chat_id)
        if internal is not None and self.post_id is not None:
            return f"https://t.me/c/{internal}/{self.post_id}"
        return None

    def resolved(self, chat_id: int, kind: TargetKind, title: str | None = None) -> TargetRef:
        """The same target once Telegram told us its id and type (a post stays a post)."""
        new_kind = self.kind if self.kind is TargetKind.POST else kind
        return replace(self, chat_id=chat_id, kind=new_kind, title=title or self.title)


@dataclass(frozen=True, slots=True)
class ForwardOrigin:
    """A plain mirror of Telegram's MessageOrigin*, built by the Telegram glue."""

    type: Literal["user", "hidden_user", "chat", "channel"]
    chat_id: int | None = None
    chat_type: str | None = None
    username: str | None = None
    title: str | None = None
    message_id: int | None = None
    is_bot: bool = False
    sender_user_name: str | None = None


# Telegram usernames: 5-32 characters (4 for collectible ones), letters, digits and single
# underscores, starting with a letter and not ending with an underscore.
_USERNAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_)){2,30}[A-Za-z0-9]")
_HASH = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PHONE = re.compile(r"\d{5,15}")
_HOSTS: Final = frozenset({"t.me", "telegram.me", "telegram.dog"})
#: First path segments of t.me links that do not name a chat or post.
_RESERVED: Final = frozenset(
    {
        "addstickers",
        "addemoji",
        "addlist",
        "addtheme",
        "bg",
        "boost",
        "confirmphone",
        "contact",
        "giftcode",
        "invoice",
        "iv",
        "login",
        "m",
        "nft",
        "proxy",
        "setlanguage",
        "share",
        "socks",
        "$",
    }
)
# Characters that hide or reorder text; removed before anything else looks at the input.
_INVISIBLE: Final = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    None,
)
_WRAPPERS = "<>\"'`«»“”‘’()[]"
_TRAILING = ".,;:!?"
_TELEGRAM_START = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/|^[a-z0-9_]+\.t\.me\b|^tg://",
    re.IGNORECASE,
)


def parse_result(text: str) -> TargetRef | ParseProblem:
    """Reads a link or @username as people paste them (with or without scheme, in quotes,
    with a trailing full stop)."""
    if len(text) > MAX_INPUT_CHARS:
        return ParseProblem(ProblemKind.TOO_LONG)
    token = _clean(text)
    if not token:
        return ParseProblem(ProblemKind.EMPTY)
    if any(ch.isspace() for ch in token):
        return ParseProblem(ProblemKind.NOT_TELEGRAM, "several words")
    if token.startswith("@"):
        return _username(token[1:])
    if token.lower().startswith("tg://"):
        return _tg_link(token)
    return _web_link(token)


def from_forward(origin: ForwardOrigin) -> TargetRef | ParseProblem:
    if origin.type == "hidden_user":
        return ParseProblem(ProblemKind.HIDDEN_USER)
    if origin.chat_id is None:
        return ParseProblem(ProblemKind.PRIVATE_UNKNOWN, origin.type)
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
        kind = TargetKind.CHANNEL if origin.chat_type == "channel" else TargetKind.GROUP
        return TargetRef(kind, username=username, chat_id=origin.chat_id, title=origin.title)
    kind = TargetKind.BOT if origin.is_bot else TargetKind.USER
    return TargetRef(kind, username=username, chat_id=origin.chat_id, title=origin.title)


def from_mention(user_id: int, is_bot: bool, title: str | None = None) -> TargetRef:
    """A text_mention: someone without a username, known by id."""
    return TargetRef(TargetKind.BOT if is_bot else TargetKind.USER, chat_id=user_id, title=title)


def normalise_term(query: str) -> str:
    """Compatibility forms folded (full-width letters), case folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", query.translate(_INVISIBLE)).casefold()
    return " ".join(folded.split())


def search_term(query: str) -> TargetRef | ParseProblem:
    term = normalise_term(query)
    if not term:
        return ParseProblem(ProblemKind.EMPTY)
    return TargetRef(TargetKind.SEARCH_TERM, term=term)


def looks_like_target(text: str) -> bool:
    """True for one token that is an @username or a Telegram link, so chatter never starts a
    report by accident."""
    if len(text) > MAX_INPUT_CHARS:
        return False
    token = _clean(text)
    if not token or any(ch.isspace() for ch in token):
        return False
    return token.startswith("@") or _TELEGRAM_START.match(token) is not None


# --- helpers -----------------------------------------------------------------------------


def _clean(text: str) -> str:
    visible = "".join(
        ch for ch in text.translate(_INVISIBLE) if unicodedata.category(ch) not in {"Cc", "Cf"}
    )
    token = visible.strip().strip(_WRAPPERS).rstrip(_TRAILING).strip(_WRAPPERS)
    return token.strip()


def _username(name: str, post_id: int | None = None) -> TargetRef | ParseProblem:
    if not _USERNAME.fullmatch(name):
        return ParseProblem(ProblemKind.BAD_USERNAME)
    kind = TargetKind.PUBLIC if post_id is None else TargetKind.POST
    return TargetRef(kind, username=name.lower(), post_id=post_id)


def _number(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 15:
        return None
    value = int(text)
    return value if value > 0 else None


def _private_chat(internal: str) -> int | None:
    """t.me/c/<internal> ids are channel/supergroup ids without the -100 prefix."""
    number = _number(internal)
    return None if number is None else int(f"-100{number}")


def _internal_id(chat_id: int | None) -> str | None:
    if chat_id is None:
        return None
    text = str(chat_id)
    return text[4:] if text.startswith("-100") else None


def _tg_link(token: str) -> TargetRef | ParseProblem:
    parts = urlsplit(token)
    query = {key: values[0] for key, values in parse_qs(parts.query).items() if values}
    action = parts.netloc.lower()
    if action == "resolve" and "domain" in query:
        post = _number(query.get("post"))
        if query.get("post") is not None and post is None:
            return ParseProblem(ProblemKind.UNSUPPORTED_LINK, "bad post number")
        return _username(query["domain"], post)
    if action == "join" and _HASH.fullmatch(query.get("invite", "")):
        return TargetRef(TargetKind.INVITE, invite_hash=query["invite"])
    if action == "privatepost":
        chat_id = _private_chat(query.get("channel", ""))
        post = _number(query.get("post"))
        if chat_id is not None and post is not None:
            return TargetRef(TargetKind.POST, chat_id=chat_id, post_id=post)
    if action == "user":
        user_id = _number(query.get("id"))
        if user_id is not None:
            return TargetRef(TargetKind.USER, chat_id=user_id)
    return ParseProblem(ProblemKind.UNSUPPORTED_LINK, f"tg://{action}")


def _web_link(token: str) -> TargetRef | ParseProblem:
    has_scheme = "://" in token
    parts = urlsplit(token if has_scheme else f"https://{token}")
    if parts.scheme.lower() not in {"http", "https"} or parts.username or parts.password:
        return ParseProblem(ProblemKind.NOT_TELEGRAM, "scheme or credentials")
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [segment for segment in parts.path.split("/") if segment]
    if host.endswith(".t.me") and host.count(".") == 2:  # name.t.me
        segments = [host.removesuffix(".t.me"), *segments]
        host = "t.me"
    if host not in _HOSTS:
        return ParseProblem(ProblemKind.NOT_TELEGRAM, "host")
    if not segments:
        return ParseProblem(ProblemKind.EMPTY, "no path")
    first, rest = segments[0], segments[1:]
    if first.startswith("+"):
        code = first[1:]
        if _PHONE.fullmatch(code):
            return ParseProblem(ProblemKind.PHONE_LINK)
        return _invite(code)
    if first.lower() == "joinchat":
        return _invite(rest[0] if rest else "")
    if first.lower() == "c":
        chat_id = _private_chat(rest[0]) if rest else None
        if chat_id is None:
            return ParseProblem(ProblemKind.UNSUPPORTED_LINK, "c without id")
        post = _number(rest[-1]) if len(rest) > 1 else None
        if post is None:
            # a -100 chat: a channel or a supergroup; CHANNEL is the likelier (documented).
            return TargetRef(TargetKind.CHANNEL, chat_id=chat_id)
        return TargetRef(TargetKind.POST, chat_id=chat_id, post_id=post)
    if first.lower() == "s" and rest:  # the web preview t.me/s/name[/post]
        first, rest = rest[0], rest[1:]
    if first.lower() in _RESERVED:
        return ParseProblem(ProblemKind.UNSUPPORTED_LINK, first.lower()[:20])
    post = _number(rest[-1]) if rest else None
    if rest and post is None:
        return ParseProblem(ProblemKind.UNSUPPORTED_LINK, "path after the name")
    return _username(first, post)


def _invite(code: str) -> TargetRef | ParseProblem:
    if not _HASH.fullmatch(code):
        return ParseProblem(ProblemKind.UNSUPPORTED_LINK, "bad invite hash")
    return TargetRef(TargetKind.INVITE, invite_hash=code)
