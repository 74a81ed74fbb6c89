"""Links and @usernames as people paste them, read into a `TargetRef` or a `ParseProblem`:
t.me, telegram.me and telegram.dog web links (invites, posts, private c/ links, content of a
chat) and tg:// links. Hostile input: see moderation/reporting/targets.py."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qs, urlsplit

from moderation.reporting.targets import (
    MAX_INPUT_CHARS,
    ParseProblem,
    ProblemKind,
    TargetKind,
    TargetRef,
    looks_like_phone,
    visible_text,
)

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
#: Links lose every format character (category Cf), not only the invisible ones.
_DROPPED_IN_LINKS: Final = frozenset({"Cc", "Cf", "Cs"})
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


def _clean(text: str) -> str:
    token = visible_text(text, _DROPPED_IN_LINKS)
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
    if looks_like_phone(code):
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
