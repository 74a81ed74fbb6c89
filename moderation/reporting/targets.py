"""What was reported: a link, @username, forward or search term turned into a canonical target.

Every accepted form maps to one `TargetRef` with a stable `key`, so reports about the same chat
or post join one case whichever way they named it. Anything else becomes a `ParseProblem` that
says exactly what was wrong, so the bot can tell the reporter what to send instead.

Pure: no Telegram types, no I/O. Input is hostile: its length is capped before any parsing,
hosts are compared whole (never substring-matched) and no pattern here can backtrack
more than a bounded number of steps.
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
        internal = _internal_id(self.chat_id)
        if internal is not None and self.post_id is not None:
            return f"https://t.me/c/{internal}/{self.post_id}"
        if self.invite_hash:
            # t.me/+<digits> would open a phone number instead; the older form never does.
            plus = not _looks_like_phone(self.invite_hash)
            return f"https://t.me/{'+' if plus else 'joinchat/'}{self.invite_hash}"
        return None

    @property
    def private_link_id(self) -> str | None:
        """The number in t.me/c/<number> when that is the only way to name this chat (no
        username, no invite). Such a link opens only for the chat's members, so a moderator
        following it may see nothing; the bot says so to reporters and moderators."""
        if self.kind is TargetKind.SEARCH_TERM or self.username or self.invite_hash:
            return None
        return _internal_id(self.chat_id)

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


# Telegram usernames: 5-32 characters (4 for collectible ones), letters, digits and single
# underscores, starting with a letter and not ending with an underscore. Each character fits
# exactly one branch, so matching is linear.
_USERNAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_)){2,30}[A-Za-z0-9]")
_HASH = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NUMBER = re.compile(r"[0-9]{1,15}")  # ASCII only: int() would accept other scripts' digits
_APP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # t.me/<bot>/<app>: a Mini App
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,64}")  # what follows '@' when someone names an account
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")
_HOSTS: Final = frozenset({"t.me", "telegram.me", "telegram.dog"})
#: First path segments of t.me links that do not name a chat or post.
_RESERVED: Final = frozenset(
    {
        "addemoji",
        "addlist",
        "addstickers",
        "addtheme",
        "bg",
        "boost",
        "call",
        "confirmphone",
        "contact",
        "giftcode",
        "invoice",
        "iv",
        "joinchat",
        "login",
        "m",
        "nft",
        "proxy",
        "setlanguage",
        "share",
        "socks",
    }
)
#: t.me/<name>/<letter>/<n>: a story, album or gift collection of that chat.
_CONTENT_OF_CHAT: Final = frozenset({"s", "a", "c"})
#: tg:// actions named in log details; anything else is logged as "other", never verbatim.
_TG_ACTIONS: Final = frozenset(
    {"resolve", "join", "privatepost", "user", "addstickers", "addemoji", "proxy", "socks"}
)
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
_DROPPED_IN_LINKS: Final = frozenset({"Cc", "Cf", "Cs"})
_DROPPED_IN_TERMS: Final = frozenset({"Cc", "Cs"})
_SPACES: Final = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
# What people paste around a link: brackets, quotes, markdown emphasis, sentence punctuation.
_WRAPPERS: Final = "<>\"'`«»“”„‘’‚()[]{}*" + _SPACES
_TRAILING: Final = ".,;:!?"


def parse_result(text: str) -> TargetRef | ParseProblem:
    """Reads a link or @username as people paste them (with or without scheme, in quotes or
    brackets, with a trailing full stop)."""
    if len(text) > MAX_INPUT_CHARS:
        return ParseProblem(ProblemKind.TOO_LONG)
    token = _clean(text)
    if not token:
        return ParseProblem(ProblemKind.EMPTY)
    if any(ch.isspace() for ch in token):
        return ParseProblem(ProblemKind.NOT_TELEGRAM, "several words")
    if token.startswith("@"):
        return _username(token[1:])
    if token[:5].lower() == "tg://":
        return _tg_link(token)
    web = _split_web(token)
    if web is None:
        return ParseProblem(ProblemKind.NOT_TELEGRAM, "not a telegram link")
    subdomain, segments = web
    if subdomain is not None:  # name.t.me[/post]
        return _named(subdomain, segments)
    return _web_path(segments)


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


def normalise_term(query: str) -> str:
    """One spelling per term, so the same query joins one case: compatibility forms folded
    (full-width letters), case folded (ß -> ss), invisible characters dropped, whitespace
    collapsed. NFKC runs again after casefold, which can denormalise (so this is idempotent)."""
    visible = _visible(query, _DROPPED_IN_TERMS)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())


def search_term(query: str) -> TargetRef | ParseProblem:
    """The search term itself as the reported thing (when the query is what is illegal)."""
    term = normalise_term(query)
    if not term:
        return ParseProblem(ProblemKind.EMPTY)
    return TargetRef(TargetKind.SEARCH_TERM, term=term)


def looks_like_target(text: str) -> bool:
    """True for one token that is an @username or a Telegram link (valid or not, so the bot
    can say what is wrong with it), so chatter never starts a report by accident."""
    if len(text) > MAX_INPUT_CHARS:
        return False
    token = _clean(text)
    if not token or any(ch.isspace() for ch in token):
        return False
    if token.startswith("@"):
        return _HANDLE.fullmatch(token[1:]) is not None
    return token[:5].lower() == "tg://" or _split_web(token) is not None


# --- helpers -----------------------------------------------------------------------------


def _visible(text: str, dropped: frozenset[str]) -> str:
    """Invisible characters removed; whitespace controls (tab, newline) become spaces so they
    still separate words."""
    return "".join(
        " " if ch.isspace() else ch
        for ch in text.translate(_INVISIBLE)
        if ch.isspace() or unicodedata.category(ch) not in dropped
    )


def _clean(text: str) -> str:
    token = _visible(text, _DROPPED_IN_LINKS)
    return token.lstrip(_WRAPPERS).rstrip(_WRAPPERS + _TRAILING)


def _split_web(token: str) -> tuple[str | None, list[str]] | None:
    """(the name in name.t.me or None, path segments) for a web link to Telegram; None for
    anything else. The host is parsed, never substring-matched: t.me.evil.example,
    evilt.me and t.me@evil.example are not Telegram."""
    scheme, separator, _ = token.partition("://")
    has_scheme = bool(separator) and _SCHEME.fullmatch(scheme) is not None
    try:
        parts = urlsplit(token if has_scheme else f"https://{token}")
        port = parts.port
    except ValueError:  # bad port, bad IPv6 brackets, host changing meaning under NFKC
        return None
    if parts.scheme.lower() not in {"http", "https"} or port not in {None, 80, 443}:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in _HOSTS:
        return None, segments
    name, _, parent = host.partition(".")
    if parent == "t.me" and name:
        return name, segments
    return None


def _web_path(segments: list[str]) -> TargetRef | ParseProblem:
    """The path of a t.me / telegram.me / telegram.dog link."""
    if not segments:
        return ParseProblem(ProblemKind.EMPTY, "link without a path")
    first, rest = segments[0], segments[1:]
    lowered = first.lower()
    for plus in ("+", "%2b", "%20"):  # %20: a '+' some software decoded to a space
        if lowered.startswith(plus):
            return _plus_link(first[len(plus) :], rest)
    if lowered == "joinchat":
        return _invite(rest[0]) if len(rest) == 1 else _unsupported("joinchat path")
    if lowered == "c":
        return _private_link(rest)
    if lowered == "s":  # the web preview t.me/s/name[/post]
        return _named(rest[0], rest[1:]) if rest else _unsupported("s without a name")
    return _named(first, rest)


def _plus_link(code: str, rest: list[str]) -> TargetRef | ParseProblem:
    """t.me/+<digits> opens a chat by phone number; anything else after '+' is an invite.
    Digits with hyphens count as a phone too: no real invite hash looks like that, and
    refusing a phone number matters more than accepting an implausible hash."""
    if _looks_like_phone(code):
        return ParseProblem(ProblemKind.PHONE_LINK)
    if rest:
        return _unsupported("path after an invite")
    return _invite(code)


def _private_link(rest: list[str]) -> TargetRef | ParseProblem:
    """t.me/c/<internal>[/<post> | /<thread>/<post>]: a channel or supergroup by id."""
    chat_id = _private_chat(rest[0]) if rest else None
    if chat_id is None or len(rest) > 3:
        return _unsupported("c link without a usable id")
    if len(rest) == 1:
        # Only ever a channel or a supergroup; CHANNEL is the likelier, and resolution (or a
        # moderator) corrects it. The key depends on the id only, so the guess never splits cases.
        return TargetRef(TargetKind.CHANNEL, chat_id=chat_id)
    numbers = [_number(segment) for segment in rest[1:]]
    post = numbers[-1]
    if None in numbers or post is None:
        return _unsupported("c link with a bad post number")
    return TargetRef(TargetKind.POST, chat_id=chat_id, post_id=post)


def _named(name: str, rest: list[str]) -> TargetRef | ParseProblem:
    """t.me/<name> and what may follow it: a post, a topic's post, or content of that chat
    (story, album, collection, a bot's Mini App), which is reported as the chat itself."""
    if name.lower() in _RESERVED or name.startswith("$"):  # t.me/$slug is an invoice
        return _unsupported(f"reserved:{name.lower() if name.lower() in _RESERVED else '$'}")
    if not rest:
        return _username(name)
    numbers = [_number(segment) for segment in rest]
    post = numbers[-1]
    if len(rest) <= 2 and None not in numbers and post is not None:
        return _username(name, post)
    content = len(rest) == 2 and rest[0].lower() in _CONTENT_OF_CHAT and post is not None
    app = len(rest) == 1 and _APP_NAME.fullmatch(rest[0]) is not None
    if content or app:
        return _username(name)
    return _unsupported("path after the name")


def _username(name: str, post_id: int | None = None) -> TargetRef | ParseProblem:
    """Bot usernames end in 'bot', but the kind stays PUBLIC until Telegram says: we never
    guess."""
    if not 4 <= len(name) <= 32 or _USERNAME.fullmatch(name) is None:
        return ParseProblem(ProblemKind.BAD_USERNAME)
    kind = TargetKind.PUBLIC if post_id is None else TargetKind.POST
    return TargetRef(kind, username=name.lower(), post_id=post_id)


def _looks_like_phone(code: str) -> bool:
    digits = code.replace("-", "")
    return bool(digits) and digits.isascii() and digits.isdigit()


def _invite(code: str) -> TargetRef | ParseProblem:
    if _HASH.fullmatch(code) is None:
        return _unsupported("bad invite hash")
    return TargetRef(TargetKind.INVITE, invite_hash=code)


def _unsupported(detail: str) -> ParseProblem:
    return ParseProblem(ProblemKind.UNSUPPORTED_LINK, detail)


def _number(text: str | None) -> int | None:
    """A positive id or post number, ASCII digits only."""
    if text is None or _NUMBER.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value > 0 else None


def _private_chat(internal: str) -> int | None:
    """t.me/c/<internal> ids are channel/supergroup ids without the -100 prefix."""
    number = _number(internal)
    return None if number is None else int(f"-100{number}")


def _internal_id(chat_id: int | None) -> str | None:
    """The inverse of `_private_chat`; None for ids that are not -100 chats."""
    text = str(chat_id) if chat_id is not None else ""
    internal = text.removeprefix("-100")
    return internal if internal != text and internal.isdigit() else None


def _tg_link(token: str) -> TargetRef | ParseProblem:
    """tg:// links, as Telegram apps themselves produce them."""
    try:
        parts = urlsplit(token)
    except ValueError:
        return _unsupported("malformed tg link")
    query: dict[str, str] = {}
    for name, values in parse_qs(parts.query).items():
        query.setdefault(name.lower(), values[0])
    action = parts.netloc.lower()
    post_text = query.get("post")
    post = _number(post_text)
    if action == "resolve" and "phone" in query:
        return ParseProblem(ProblemKind.PHONE_LINK)
    if action == "resolve" and "domain" in query:
        if post_text is not None and post is None:
            return _unsupported("tg resolve with a bad post number")
        return _named(query["domain"], [] if post_text is None else [post_text])
    if action == "join":
        return _invite(query.get("invite", ""))
    if action == "privatepost":
        chat_id = _private_chat(query.get("channel", ""))
        if chat_id is not None and post is not None:
            return TargetRef(TargetKind.POST, chat_id=chat_id, post_id=post)
    if action == "user":
        user_id = _number(query.get("id"))
        if user_id is not None:
            return TargetRef(TargetKind.USER, chat_id=user_id)
    return _unsupported(f"tg://{action if action in _TG_ACTIONS else 'other'}")
