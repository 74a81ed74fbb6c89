"""Every way a reporter names an unsafe result, and every way that can go wrong.

Keys are stored and cases are found by them, so the exact strings are pinned here: changing
one is a data migration, not a refactor.
"""

from __future__ import annotations

import pytest

from moderation.reporting.target_links import looks_like_target, parse_result
from moderation.reporting.target_terms import normalise_term, search_term
from moderation.reporting.targets import (
    MAX_INPUT_CHARS,
    ForwardOrigin,
    ParseProblem,
    ProblemKind,
    TargetKind,
    TargetRef,
    from_forward,
    from_mention,
)

PRIVATE_ID = -1001234567890  # t.me/c/1234567890/...


def parsed(text: str) -> TargetRef:
    result = parse_result(text)
    assert isinstance(result, TargetRef), result
    return result


def problem(text: str) -> ParseProblem:
    result = parse_result(text)
    assert isinstance(result, ParseProblem), result
    return result


def public(name: str, post_id: int | None = None) -> TargetRef:
    kind = TargetKind.PUBLIC if post_id is None else TargetKind.POST
    return TargetRef(kind, username=name, post_id=post_id)


def invite(code: str) -> TargetRef:
    return TargetRef(TargetKind.INVITE, invite_hash=code)


def private_post(post_id: int) -> TargetRef:
    return TargetRef(TargetKind.POST, chat_id=PRIVATE_ID, post_id=post_id)


# --- accepted forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # scheme, host and case variations
        ("https://t.me/example_shop", public("example_shop")),
        ("http://t.me/example_shop", public("example_shop")),
        ("t.me/example_shop", public("example_shop")),
        ("t.me/Example_Shop", public("example_shop")),
        ("HTTPS://T.ME/EXAMPLE_SHOP", public("example_shop")),
        ("hTTp://wWw.T.me/example_shop", public("example_shop")),
        ("www.t.me/example_shop", public("example_shop")),
        ("https://t.me/example_shop/", public("example_shop")),
        ("https://t.me//example_shop//", public("example_shop")),
        ("https://t.me:443/example_shop", public("example_shop")),
        ("https://t.me./example_shop", public("example_shop")),
        ("telegram.me/example_shop", public("example_shop")),
        ("https://www.telegram.me/example_shop", public("example_shop")),
        ("https://telegram.dog/example_shop", public("example_shop")),
        # name.t.me
        ("example_shop.t.me", public("example_shop")),
        ("https://Example_Shop.t.me/", public("example_shop")),
        ("www.example_shop.t.me", public("example_shop")),
        ("example_shop.t.me/42", public("example_shop", 42)),
        # query strings and fragments are ignored
        ("https://t.me/example_shop?start=abc", public("example_shop")),
        ("https://t.me/example_shop?boost", public("example_shop")),
        ("https://t.me/example_shop#section", public("example_shop")),
        ("https://t.me/example_shop/5?single&comment=3#x", public("example_shop", 5)),
        # what people paste around it
        ("  t.me/example_shop  ", public("example_shop")),
        ("\n\tt.me/example_shop\r\n", public("example_shop")),
        ("\u00a0t.me/example_shop\u3000", public("example_shop")),
        ("<https://t.me/example_shop>", public("example_shop")),
        ("<https://t.me/example_shop>.", public("example_shop")),
        ('"t.me/example_shop"', public("example_shop")),
        ("'t.me/example_shop'", public("example_shop")),
        ("“t.me/example_shop”,", public("example_shop")),
        ("«t.me/example_shop»", public("example_shop")),
        ("(t.me/example_shop).", public("example_shop")),
        ("[t.me/example_shop]", public("example_shop")),
        ("`t.me/example_shop`", public("example_shop")),
        ("**@example_shop**", public("example_shop")),
        ("t.me/example_shop!?", public("example_shop")),
        ("t.me/example_shop;", public("example_shop")),
        ("t.me/example_shop:", public("example_shop")),
        ('( "t.me/example_shop" ),', public("example_shop")),
        # invisible characters are dropped before parsing
        ("\ufefft.me/example_shop", public("example_shop")),
        ("t.me/exam\u200bple_shop", public("example_shop")),
        ("t.me/exam\u200cple\u2060_shop", public("example_shop")),
        ("\u202et.me/example_shop\u202c", public("example_shop")),
        ("\u2066@example_shop\u2069", public("example_shop")),
        ("t.me/example\x00_shop\x7f", public("example_shop")),
        # @usernames
        ("@example_shop", public("example_shop")),
        ("  @Example_Shop  ", public("example_shop")),
        ("@example_shop.", public("example_shop")),
        ("@abcd", public("abcd")),  # collectible 4-letter usernames exist
        ("@a" + "b" * 31, public("a" + "b" * 31)),  # 32, the longest
        ("@a1_b2_c3", public("a1_b2_c3")),
        ("@example_shop_bot", public("example_shop_bot")),  # a bot by name, but we never guess
        ("t.me/ExampleBot", public("examplebot")),
        # posts
        ("t.me/example_shop/123", public("example_shop", 123)),
        ("t.me/example_shop/123/", public("example_shop", 123)),
        ("t.me/example_shop/123?single", public("example_shop", 123)),
        ("t.me/s/example_shop/123", public("example_shop", 123)),
        ("https://t.me/S/Example_Shop", public("example_shop")),
        ("t.me/example_group/7/456", public("example_group", 456)),  # a topic's message
        # content of a chat is reported as the chat
        ("t.me/example_shop/s/5", public("example_shop")),  # a story
        ("t.me/example_shop/a/2", public("example_shop")),  # a story album
        ("t.me/example_shop/c/3", public("example_shop")),  # a gift collection
        ("t.me/example_shop_bot/shopapp", public("example_shop_bot")),  # a Mini App
        ("t.me/example_shop/notanumber", public("example_shop")),  # read as a Mini App
        # private chats by internal id (a -100 chat)
        ("t.me/c/1234567890/45", private_post(45)),
        ("https://t.me/c/1234567890/45?single", private_post(45)),
        ("t.me/c/1234567890/3/45", private_post(45)),
        ("t.me/c/1234567890", TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID)),
        ("t.me/c/1234567890/", TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID)),
        # invites: the hash keeps its case
        ("https://t.me/+AbCdEf123_-x", invite("AbCdEf123_-x")),
        ("t.me/+AbCd", invite("AbCd")),
        ("t.me/+abcdefghijklmnop?start=x", invite("abcdefghijklmnop")),
        ("t.me/joinchat/AbCdEf123", invite("AbCdEf123")),
        ("telegram.me/JoinChat/AbCdEf123/", invite("AbCdEf123")),
        ("t.me/joinchat/12345678", invite("12345678")),  # old invites can be all digits
        ("t.me/%2BAbCd", invite("AbCd")),  # an escaped '+'
        ("t.me/%20AbCd", invite("AbCd")),  # a '+' some software decoded to a space
        # tg:// links
        ("tg://resolve?domain=example_shop", public("example_shop")),
        ("TG://RESOLVE?DOMAIN=Example_Shop", public("example_shop")),
        ("tg://resolve?domain=example_shop&post=9", public("example_shop", 9)),
        ("tg://resolve?domain=example_shop&start=x&post=9", public("example_shop", 9)),
        ("tg://resolve?domain=example_bot&appname=shop", public("example_bot")),
        ("tg://join?invite=AbCdEf", invite("AbCdEf")),
        ("tg://join?invite=12345678", invite("12345678")),
        ("tg://privatepost?channel=1234567890&post=5", private_post(5)),
        ("tg://privatepost?channel=1234567890&topic=3&post=5", private_post(5)),
        ("tg://user?id=4242", TargetRef(TargetKind.USER, chat_id=4242)),
    ],
)
def test_accepted_forms(text: str, expected: TargetRef) -> None:
    assert parsed(text) == expected


def test_inputs_of_exactly_the_limit_are_read() -> None:
    text = "t.me/example_shop" + " " * (MAX_INPUT_CHARS - len("t.me/example_shop"))
    assert len(text) == MAX_INPUT_CHARS
    assert parsed(text) == public("example_shop")


def test_invite_hash_keeps_its_case() -> None:
    assert parsed("t.me/+AbC_d").invite_hash == "AbC_d"
    assert parsed("t.me/+abcd").key != parsed("t.me/+ABCD").key


@pytest.mark.parametrize(
    "text",
    [
        "@Example_Shop",
        "t.me/example_shop",
        "https://telegram.me/EXAMPLE_SHOP/",
        "example_shop.t.me",
        "tg://resolve?domain=example_shop",
        "t.me/s/example_shop",
        "<t.me/example_shop>.",
    ],
)
def test_every_way_of_naming_a_chat_gives_one_key(text: str) -> None:
    assert parsed(text).key == "@example_shop"


# --- problems ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", ProblemKind.EMPTY),
        ("   ", ProblemKind.EMPTY),
        ("\t\r\n", ProblemKind.EMPTY),
        ("\u200b\u200c\u2060\ufeff", ProblemKind.EMPTY),
        ("\u202a\u202e\u2066\u2069\x00", ProblemKind.EMPTY),
        ("<>", ProblemKind.EMPTY),
        ('"" .', ProblemKind.EMPTY),
        ("t.me/", ProblemKind.EMPTY),  # a link with nothing in it: there is nothing to read
        ("https://t.me", ProblemKind.EMPTY),
        ("https://www.t.me//?start=x", ProblemKind.EMPTY),
        ("telegram.dog/#top", ProblemKind.EMPTY),
        #
        ("example_shop", ProblemKind.NOT_TELEGRAM),  # a bare name is not a target
        ("durov", ProblemKind.NOT_TELEGRAM),
        ("hello there", ProblemKind.NOT_TELEGRAM),
        ("check t.me/example_shop please", ProblemKind.NOT_TELEGRAM),
        ("t.me/example_shop t.me/other_shop", ProblemKind.NOT_TELEGRAM),
        ("@example_shop\n@other_shop", ProblemKind.NOT_TELEGRAM),  # a newline separates
        ("https://example.com/shop", ProblemKind.NOT_TELEGRAM),
        ("example.com", ProblemKind.NOT_TELEGRAM),
        ("ftp://t.me/example_shop", ProblemKind.NOT_TELEGRAM),
        ("javascript:alert(1)", ProblemKind.NOT_TELEGRAM),
        ("mailto:someone@t.me", ProblemKind.NOT_TELEGRAM),
        ("data:text/html,t.me", ProblemKind.NOT_TELEGRAM),
        ("t.me.evil.example/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://t.me.evil.example/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://evilt.me/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://t.me@evil.example/example_shop", ProblemKind.NOT_TELEGRAM),
        ("t.me@evil.example", ProblemKind.NOT_TELEGRAM),
        ("https://user:pw@t.me/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://evil.example/t.me/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://evil.example/?u=t.me/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://example_shop.t.me.evil.example", ProblemKind.NOT_TELEGRAM),
        ("https://a.example_shop.t.me", ProblemKind.NOT_TELEGRAM),
        ("https://example_shop.telegram.me", ProblemKind.NOT_TELEGRAM),
        ("t.me:8080/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://t.me:notaport/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://[t.me/example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://t.me\\example_shop", ProblemKind.NOT_TELEGRAM),
        ("https://t.me\uff0fexample_shop", ProblemKind.NOT_TELEGRAM),  # '/' only under NFKC
        ("ｔ.ｍｅ/example_shop", ProblemKind.NOT_TELEGRAM),  # full-width look-alike host
        ("t.ме/example_shop", ProblemKind.NOT_TELEGRAM),  # Cyrillic look-alike host
        ("//t.me/example_shop", ProblemKind.NOT_TELEGRAM),
        ("tg:resolve?domain=example_shop", ProblemKind.NOT_TELEGRAM),
        #
        ("@", ProblemKind.BAD_USERNAME),
        ("@abc", ProblemKind.BAD_USERNAME),  # too short
        ("@" + "a" * 33, ProblemKind.BAD_USERNAME),  # too long
        ("@1shop", ProblemKind.BAD_USERNAME),  # starts with a digit
        ("@_shop", ProblemKind.BAD_USERNAME),
        ("@shop_", ProblemKind.BAD_USERNAME),  # ends with an underscore
        ("@sh__op", ProblemKind.BAD_USERNAME),  # two underscores
        ("@shop-name", ProblemKind.BAD_USERNAME),
        ("@shop.name", ProblemKind.BAD_USERNAME),
        ("@@example_shop", ProblemKind.BAD_USERNAME),
        ("@ｅｘａｍｐｌｅ", ProblemKind.BAD_USERNAME),  # full-width letters
        ("@пример_канала", ProblemKind.BAD_USERNAME),
        ("@example_shop/123", ProblemKind.BAD_USERNAME),
        ("t.me/shop-name", ProblemKind.BAD_USERNAME),
        ("t.me/abc", ProblemKind.BAD_USERNAME),
        ("t.me/abc/5", ProblemKind.BAD_USERNAME),
        ("t.me/s/x", ProblemKind.BAD_USERNAME),
        ("abc.t.me", ProblemKind.BAD_USERNAME),
        ("tg://resolve?domain=ab", ProblemKind.BAD_USERNAME),
        #
        ("t.me/+10000000000", ProblemKind.PHONE_LINK),
        ("https://t.me/+10000000000?text=hi", ProblemKind.PHONE_LINK),
        ("t.me/+1000", ProblemKind.PHONE_LINK),  # any digits: Telegram reads it as a phone
        ("t.me/+1-000-000-0000", ProblemKind.PHONE_LINK),
        ("t.me/%2B10000000000", ProblemKind.PHONE_LINK),
        ("tg://resolve?phone=10000000000", ProblemKind.PHONE_LINK),
        #
        ("t.me/addstickers/some_pack", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/addemoji/some_pack", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/addlist/AbCd", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/addtheme/some_theme", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/share/url?url=https://example.com", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/share?url=x", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/proxy?server=example.com&port=443&secret=00", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/socks?server=example.com&port=1080", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/setlanguage/en", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/bg/abcdef", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/login/12345", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/iv?url=https://example.com&rhash=1", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/boost/example_shop", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/boost?c=1234567890", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/invoice/some_slug", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/$some_slug", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/confirmphone?phone=10000000000&hash=x", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/contact/AbCd", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/m/AbCd", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/giftcode/AbCd", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/nft/SomeGift-1", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/call/AbCd", ProblemKind.UNSUPPORTED_LINK),
        ("ADDSTICKERS.t.me", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/s/joinchat", ProblemKind.UNSUPPORTED_LINK),
        ("tg://resolve?domain=joinchat", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/example_shop/1/2/3", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/example_shop/x/y", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/example_shop/0", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/example_shop/s/x", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/example_shop/1234567890123456", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/example_shop/²", ProblemKind.UNSUPPORTED_LINK),  # isdigit(), but not a number
        ("t.me/example_shop/١٢٣", ProblemKind.UNSUPPORTED_LINK),  # non-ASCII digits
        ("t.me/s", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/c", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/c/notanid/5", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/c/0/5", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/c/1234567890/x", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/c/1234567890/1/x", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/c/1234567890/1/2/3", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/joinchat", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/joinchat/AbCd/extra", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/+", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/+AbCd/extra", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/+bad.hash", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/+" + "a" * 65, ProblemKind.UNSUPPORTED_LINK),
        ("tg://settings", ProblemKind.UNSUPPORTED_LINK),
        ("tg://resolve", ProblemKind.UNSUPPORTED_LINK),
        ("tg://resolve?domain=example_shop&post=x", ProblemKind.UNSUPPORTED_LINK),
        ("tg://resolve?domain=example_shop&post=0", ProblemKind.UNSUPPORTED_LINK),
        ("tg://join", ProblemKind.UNSUPPORTED_LINK),
        ("tg://join?invite=bad.hash", ProblemKind.UNSUPPORTED_LINK),
        ("tg://privatepost?channel=1234567890", ProblemKind.UNSUPPORTED_LINK),
        ("tg://privatepost?channel=x&post=5", ProblemKind.UNSUPPORTED_LINK),
        ("tg://user?id=-5", ProblemKind.UNSUPPORTED_LINK),
        ("tg://user?id=abc", ProblemKind.UNSUPPORTED_LINK),
        ("tg://[", ProblemKind.UNSUPPORTED_LINK),
        #
        ("x" * (MAX_INPUT_CHARS + 1), ProblemKind.TOO_LONG),
        ("@example_shop" + " " * MAX_INPUT_CHARS, ProblemKind.TOO_LONG),  # counted raw
        ("\u200b" * (MAX_INPUT_CHARS + 1), ProblemKind.TOO_LONG),
        ("t.me/" + "a" * MAX_INPUT_CHARS, ProblemKind.TOO_LONG),
    ],
)
def test_problems(text: str, kind: ProblemKind) -> None:
    assert problem(text).kind is kind


@pytest.mark.parametrize(
    "text",
    [
        "tg://secretmarker?x=1",
        "t.me/$secretmarker",
        "https://secretmarker.example/x",
        "t.me/secretmarker/a/b/c",
        "t.me/c/secretmarker",
        "t.me/+secret.marker",
        "@secretmarker_",
        "secretmarker",
    ],
)
def test_problem_details_never_repeat_the_input(text: str) -> None:
    assert "secret" not in problem(text).detail.lower()


ADVERSARIAL = [
    "@" + "a_" * 1023 + "!",
    "@a" + "_a" * 1023,
    "@" * MAX_INPUT_CHARS,
    "t.me/" + "a" * (MAX_INPUT_CHARS - 5),
    "t.me/" + "/" * (MAX_INPUT_CHARS - 5),
    "t.me/+" + "1-" * 1020 + "x",
    "t.me/c/" + "1" * (MAX_INPUT_CHARS - 7),
    "t.me/example_shop/" + "1/" * 1015,
    "t.me/" + "%2b" * 681,
    "a" * (MAX_INPUT_CHARS - 5) + ".t.me",
    "tg://resolve?" + "domain=a&" * 227,
    "https://" + "a." * 1020 + "t.me",
    "(" * 1023 + "x" + ")" * 1024,
    " " * (MAX_INPUT_CHARS - 1) + "x",
    "." * MAX_INPUT_CHARS,
    "_" * MAX_INPUT_CHARS,
    "\u200b" * MAX_INPUT_CHARS,
    "\u202e" * 1024 + "@" * 1024,
    "ﷺ" * MAX_INPUT_CHARS,  # one character, 18 under NFKC
]


@pytest.mark.parametrize("hostile", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_hostile_inputs_at_the_limit_are_answered(hostile: str) -> None:
    # No timing here (tests never assert on time): each call takes about a millisecond, and
    # catastrophic backtracking would show as a hung test run, not a flaky assertion.
    hostile = hostile[:MAX_INPUT_CHARS]
    result = parse_result(hostile)
    assert isinstance(result, ParseProblem)
    assert isinstance(looks_like_target(hostile), bool)
    assert isinstance(normalise_term(hostile), str)


# --- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "key"),
    [
        (TargetRef(TargetKind.PUBLIC, username="example_shop"), "@example_shop"),
        (TargetRef(TargetKind.CHANNEL, username="example_shop"), "@example_shop"),
        (TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID), "id:-1001234567890"),
        (
            TargetRef(TargetKind.CHANNEL, username="example_shop", chat_id=PRIVATE_ID),
            "id:-1001234567890",
        ),
        (TargetRef(TargetKind.GROUP, chat_id=-4242), "id:-4242"),
        (TargetRef(TargetKind.USER, chat_id=4242, username="someone"), "id:4242"),
        (TargetRef(TargetKind.BOT, chat_id=4243), "id:4243"),
        (TargetRef(TargetKind.POST, username="durov", post_id=123), "@durov/123"),
        (TargetRef(TargetKind.POST, chat_id=PRIVATE_ID, post_id=45), "id:-1001234567890/45"),
        (
            TargetRef(TargetKind.POST, username="durov", chat_id=PRIVATE_ID, post_id=45),
            "id:-1001234567890/45",
        ),
        (TargetRef(TargetKind.INVITE, invite_hash="AbC_-d"), "invite:AbC_-d"),
        (TargetRef(TargetKind.SEARCH_TERM, term="buy guns"), "term:buy guns"),
    ],
)
def test_keys_are_pinned(target: TargetRef, key: str) -> None:
    assert target.key == key


def test_the_title_is_not_part_of_the_key() -> None:
    named = TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID, title="Shop")
    renamed = TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID, title="Shop (new name)")
    assert named.key == renamed.key


def test_stored_enum_values_are_pinned() -> None:
    assert [kind.value for kind in TargetKind] == [
        "channel",
        "group",
        "bot",
        "user",
        "post",
        "invite",
        "public",
        "search_term",
    ]
    assert [kind.value for kind in ProblemKind] == [
        "empty",
        "not_telegram",
        "bad_username",
        "phone_link",
        "unsupported_link",
        "hidden_user",
        "private_unknown",
        "too_long",
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": TargetKind.PUBLIC},
        {"kind": TargetKind.CHANNEL, "username": ""},
        {"kind": TargetKind.USER, "title": "Someone"},
        {"kind": TargetKind.POST, "username": "example_shop"},
        {"kind": TargetKind.POST, "post_id": 5},
        {"kind": TargetKind.INVITE, "username": "example_shop"},
        {"kind": TargetKind.INVITE, "invite_hash": ""},
        {"kind": TargetKind.SEARCH_TERM, "username": "example_shop"},
        {"kind": TargetKind.SEARCH_TERM, "term": ""},
    ],
)
def test_a_target_without_an_identity_cannot_exist(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="identifying"):
        TargetRef(**fields)  # type: ignore[arg-type]


# --- links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "link"),
    [
        (public("example_shop"), "https://t.me/example_shop"),
        (public("example_shop", 5), "https://t.me/example_shop/5"),
        (
            TargetRef(TargetKind.POST, username="example_shop", chat_id=PRIVATE_ID, post_id=5),
            "https://t.me/example_shop/5",
        ),
        (private_post(45), "https://t.me/c/1234567890/45"),
        (TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID), None),  # no post: nothing to open
        (
            TargetRef(TargetKind.CHANNEL, username="example_shop", chat_id=PRIVATE_ID),
            "https://t.me/example_shop",
        ),
        (TargetRef(TargetKind.GROUP, chat_id=-4242), None),
        (TargetRef(TargetKind.POST, chat_id=-4242, post_id=5), None),  # not a -100 chat
        (invite("AbCd"), "https://t.me/+AbCd"),
        (invite("12345678"), "https://t.me/joinchat/12345678"),  # '+digits' opens a phone
        (TargetRef(TargetKind.USER, chat_id=4242, username="someone"), "https://t.me/someone"),
        (TargetRef(TargetKind.USER, chat_id=4242), None),
        (TargetRef(TargetKind.BOT, chat_id=4243), None),
        (TargetRef(TargetKind.SEARCH_TERM, term="buy guns"), None),
        (invite("AbCd").resolved(PRIVATE_ID, TargetKind.GROUP), "https://t.me/+AbCd"),
    ],
)
def test_links_a_moderator_can_open(target: TargetRef, link: str | None) -> None:
    assert target.link == link


@pytest.mark.parametrize(
    "text",
    [
        "@example_shop",
        "t.me/example_shop/5",
        "t.me/example_group/7/456",
        "t.me/c/1234567890/45",
        "t.me/+AbCd",
        "t.me/joinchat/12345678",
        "tg://privatepost?channel=1234567890&post=5",
    ],
)
def test_a_link_reads_back_as_the_same_target(text: str) -> None:
    target = parsed(text)
    assert target.link is not None
    assert parsed(target.link) == target


# --- resolution --------------------------------------------------------------------------


def test_resolution_fills_in_id_kind_and_title() -> None:
    found = parsed("@example_shop")
    channel = found.resolved(PRIVATE_ID, TargetKind.CHANNEL, "Shop")
    assert channel == TargetRef(
        TargetKind.CHANNEL, username="example_shop", chat_id=PRIVATE_ID, title="Shop"
    )
    assert channel.key == "id:-1001234567890"
    assert found == public("example_shop")  # a copy: the original is unchanged


def test_a_post_stays_a_post_when_resolved() -> None:
    post = parsed("t.me/example_shop/5").resolved(PRIVATE_ID, TargetKind.CHANNEL)
    assert (post.kind, post.key) == (TargetKind.POST, "id:-1001234567890/5")
    assert post.link == "https://t.me/example_shop/5"


def test_resolution_keeps_a_known_title_when_telegram_gives_none() -> None:
    titled = TargetRef(TargetKind.PUBLIC, username="example_shop", title="Shop")
    assert titled.resolved(PRIVATE_ID, TargetKind.GROUP).title == "Shop"
    assert titled.resolved(PRIVATE_ID, TargetKind.GROUP, "New").title == "New"


@pytest.mark.parametrize("kind", [TargetKind.BOT, TargetKind.USER, TargetKind.GROUP])
def test_resolution_takes_the_kind_telegram_reports(kind: TargetKind) -> None:
    assert parsed("@example_shop").resolved(4242, kind).kind is kind


def test_a_resolved_invite_is_keyed_by_its_chat() -> None:
    group = invite("AbCd").resolved(PRIVATE_ID, TargetKind.GROUP)
    assert (group.kind, group.key, group.invite_hash) == (
        TargetKind.GROUP,
        "id:-1001234567890",
        "AbCd",
    )


@pytest.mark.parametrize(
    "kind", [TargetKind.POST, TargetKind.PUBLIC, TargetKind.INVITE, TargetKind.SEARCH_TERM]
)
def test_resolution_needs_a_chat_kind(kind: TargetKind) -> None:
    with pytest.raises(ValueError, match="not a chat kind"):
        parsed("@example_shop").resolved(PRIVATE_ID, kind)


def test_a_search_term_cannot_be_resolved() -> None:
    term = search_term("buy guns")
    assert isinstance(term, TargetRef)
    with pytest.raises(ValueError, match="search term"):
        term.resolved(PRIVATE_ID, TargetKind.CHANNEL)


# --- forwards and mentions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (
            ForwardOrigin(
                "channel", chat_id=PRIVATE_ID, username="Example_Shop", title="Shop", message_id=7
            ),
            TargetRef(
                TargetKind.POST,
                username="example_shop",
                chat_id=PRIVATE_ID,
                post_id=7,
                title="Shop",
            ),
        ),
        (
            ForwardOrigin("channel", chat_id=PRIVATE_ID, chat_type="channel", title="Shop"),
            TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID, title="Shop"),
        ),
        (
            ForwardOrigin("chat", chat_id=PRIVATE_ID, chat_type="supergroup", title="Group"),
            TargetRef(TargetKind.GROUP, chat_id=PRIVATE_ID, title="Group"),
        ),
        (
            ForwardOrigin("chat", chat_id=-4242, chat_type="group", username="Example_Group"),
            TargetRef(TargetKind.GROUP, chat_id=-4242, username="example_group"),
        ),
        (ForwardOrigin("chat", chat_id=-4242), TargetRef(TargetKind.GROUP, chat_id=-4242)),
        (
            ForwardOrigin("chat", chat_id=PRIVATE_ID, chat_type="channel"),
            TargetRef(TargetKind.CHANNEL, chat_id=PRIVATE_ID),
        ),
        (
            ForwardOrigin("user", chat_id=4242, username="Someone", title="Some One"),
            TargetRef(TargetKind.USER, chat_id=4242, username="someone", title="Some One"),
        ),
        (
            ForwardOrigin("user", chat_id=4243, is_bot=True, username="Example_Bot"),
            TargetRef(TargetKind.BOT, chat_id=4243, username="example_bot"),
        ),
        (
            ForwardOrigin("user", chat_id=4242, username=""),
            TargetRef(TargetKind.USER, chat_id=4242),
        ),
    ],
)
def test_forward_origins(origin: ForwardOrigin, expected: TargetRef) -> None:
    assert from_forward(origin) == expected


def test_a_forwarded_post_links_to_the_post() -> None:
    named = from_forward(
        ForwardOrigin("channel", chat_id=PRIVATE_ID, username="Ex_Shop", message_id=7)
    )
    unnamed = from_forward(ForwardOrigin("channel", chat_id=PRIVATE_ID, message_id=7))
    assert isinstance(named, TargetRef)
    assert isinstance(unnamed, TargetRef)
    assert (named.key, named.link) == ("id:-1001234567890/7", "https://t.me/ex_shop/7")
    assert (unnamed.key, unnamed.link) == ("id:-1001234567890/7", "https://t.me/c/1234567890/7")


@pytest.mark.parametrize(
    ("origin", "kind"),
    [
        (ForwardOrigin("hidden_user", sender_user_name="Anon"), ProblemKind.HIDDEN_USER),
        (ForwardOrigin("hidden_user"), ProblemKind.HIDDEN_USER),
        (ForwardOrigin("chat"), ProblemKind.PRIVATE_UNKNOWN),
        (ForwardOrigin("chat", chat_type="supergroup", title="Group"), ProblemKind.PRIVATE_UNKNOWN),
        (ForwardOrigin("channel", message_id=7), ProblemKind.PRIVATE_UNKNOWN),
        (ForwardOrigin("user", username="someone"), ProblemKind.PRIVATE_UNKNOWN),
    ],
)
def test_forwards_that_cannot_be_identified(origin: ForwardOrigin, kind: ProblemKind) -> None:
    result = from_forward(origin)
    assert isinstance(result, ParseProblem)
    assert result.kind is kind
    assert "Anon" not in result.detail


@pytest.mark.parametrize(("is_bot", "kind"), [(False, TargetKind.USER), (True, TargetKind.BOT)])
def test_mentions_name_a_user_or_bot_by_id(is_bot: bool, kind: TargetKind) -> None:
    target = from_mention(4242, is_bot, "Some One")
    assert target == TargetRef(kind, chat_id=4242, title="Some One")
    assert (target.key, target.link) == ("id:4242", None)


# --- search terms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "term"),
    [
        ("buy drugs", "buy drugs"),
        ("  Buy   DRUGS ", "buy drugs"),
        ("buy\tdrugs\r\nnow", "buy drugs now"),
        ("buy\u00a0drugs\u3000now", "buy drugs now"),  # no-break and ideographic spaces
        ("ＢＵＹ　ｄｒｕｇｓ", "buy drugs"),  # full-width letters and space
        ("ﬁx ²", "fix 2"),  # a ligature and a superscript
        ("Straße", "strasse"),
        ("STRASSE", "strasse"),
        ("ẞ", "ss"),  # capital sharp s
        ("КУПИТЬ  Оружие", "купить оружие"),
        ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),  # casefold, not lower(): no final-sigma special case
        ("zero\u200bwidth", "zerowidth"),
        ("\u202ereversed\u202c", "reversed"),
        ("nul\x00byte", "nulbyte"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # the joiner emoji sequences need stays
        ("Cafe\u0301", "café"),  # composed
    ],
)
def test_search_terms_are_normalised(query: str, term: str) -> None:
    assert normalise_term(query) == term
    ref = search_term(query)
    assert ref == TargetRef(TargetKind.SEARCH_TERM, term=term)
    assert ref.key == f"term:{term}"


@pytest.mark.parametrize("query", ["Straße", "ǰ", "İstanbul", "ΐ", "ﬃ", "Å", "\u1e9e\u0301"])
def test_normalising_twice_changes_nothing(query: str) -> None:
    once = normalise_term(query)
    assert normalise_term(once) == once


def test_spellings_of_one_term_share_a_key() -> None:
    spellings = [
        "Straße kaufen",
        "STRASSE  KAUFEN",
        "ｓｔｒａｓｓｅ kaufen",
        " strasse\u200b kaufen\n",
    ]
    keys = set()
    for spelling in spellings:
        ref = search_term(spelling)
        assert isinstance(ref, TargetRef)
        keys.add(ref.key)
    assert keys == {"term:strasse kaufen"}


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "\u200b\u2060\ufeff", "\u202e\x00"])
def test_a_blank_search_term_is_a_problem(query: str) -> None:
    assert normalise_term(query) == ""
    assert search_term(query) == ParseProblem(ProblemKind.EMPTY)


# --- looks_like_target -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@durov", True),
        ("  @durov.  ", True),
        ("@ab", True),  # not a valid username, but clearly meant as one: the bot says why
        ("t.me/durov", True),
        ("https://t.me/durov/5", True),
        ("<https://telegram.me/durov>", True),
        ("telegram.dog/durov", True),
        ("https://t.me/+AbCd", True),
        ("t.me/+10000000000", True),  # a Telegram link: answered with the phone refusal
        ("t.me/addstickers/some_pack", True),
        ("tg://resolve?domain=durov", True),
        ("TG://join?invite=AbCd", True),
        ("example_shop.t.me", True),
        ("t.me/", True),
        ("hello there", False),
        ("hello", False),
        ("durov", False),
        ("check t.me/x please", False),
        ("@durov please", False),
        ("@durov\nplease", False),  # a newline still separates words
        ("me@example.com", False),
        ("@", False),
        ("@@", False),
        ("@!", False),
        ("https://example.com", False),
        ("t.me.evil.example/durov", False),
        ("https://t.me@evil.example/durov", False),
        ("example_shop.t.me.evil.example", False),
        ("evilt.me/durov", False),
        ("ftp://t.me/durov", False),
        ("", False),
        ("   \u200b ", False),
        ("x" * 3000, False),
        ("@durov" + " " * MAX_INPUT_CHARS, False),
    ],
)
def test_looks_like_target(text: str, expected: bool) -> None:
    assert looks_like_target(text) is expected
