"""Every way a reporter names an unsafe result, and every way that can go wrong."""

from __future__ import annotations

import pytest

from moderation.targets import (
    ForwardOrigin,
    ParseProblem,
    ProblemKind,
    TargetKind,
    TargetRef,
    from_forward,
    from_mention,
    looks_like_target,
    normalise_term,
    parse_result,
    search_term,
)


def parsed(text: str) -> TargetRef:
    result = parse_result(text)
    assert isinstance(result, TargetRef), result
    return result


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("https://t.me/example_shop", TargetKind.PUBLIC, "@example_shop"),
        ("http://t.me/example_shop", TargetKind.PUBLIC, "@example_shop"),
        ("t.me/Example_Shop", TargetKind.PUBLIC, "@example_shop"),
        ("HTTPS://T.ME/example_shop/", TargetKind.PUBLIC, "@example_shop"),
        ("www.t.me/example_shop", TargetKind.PUBLIC, "@example_shop"),
        ("telegram.me/example_shop", TargetKind.PUBLIC, "@example_shop"),
        ("https://telegram.dog/example_shop", TargetKind.PUBLIC, "@example_shop"),
        ("example_shop.t.me", TargetKind.PUBLIC, "@example_shop"),
        ("https://t.me/example_shop?start=abc", TargetKind.PUBLIC, "@example_shop"),
        ("<https://t.me/example_shop>.", TargetKind.PUBLIC, "@example_shop"),
        ("“t.me/example_shop”,", TargetKind.PUBLIC, "@example_shop"),
        ("  @Example_Shop  ", TargetKind.PUBLIC, "@example_shop"),
        ("@abcd", TargetKind.PUBLIC, "@abcd"),
        ("t.me/example_shop/123", TargetKind.POST, "@example_shop/123"),
        ("t.me/example_shop/123?single", TargetKind.POST, "@example_shop/123"),
        ("t.me/s/example_shop/123", TargetKind.POST, "@example_shop/123"),
        ("t.me/s/example_shop", TargetKind.PUBLIC, "@example_shop"),
        ("t.me/example_group/7/456", TargetKind.POST, "@example_group/456"),
        ("t.me/c/1234567890/45", TargetKind.POST, "id:-1001234567890/45"),
        ("t.me/c/1234567890/3/45", TargetKind.POST, "id:-1001234567890/45"),
        ("t.me/c/1234567890", TargetKind.CHANNEL, "id:-1001234567890"),
        ("https://t.me/+AbCdEf123_-x", TargetKind.INVITE, "invite:AbCdEf123_-x"),
        ("t.me/joinchat/AbCdEf123", TargetKind.INVITE, "invite:AbCdEf123"),
        ("tg://resolve?domain=example_shop", TargetKind.PUBLIC, "@example_shop"),
        ("tg://resolve?domain=example_shop&post=9", TargetKind.POST, "@example_shop/9"),
        ("tg://join?invite=AbCdEf", TargetKind.INVITE, "invite:AbCdEf"),
        ("tg://privatepost?channel=1234567890&post=5", TargetKind.POST, "id:-1001234567890/5"),
        ("tg://user?id=4242", TargetKind.USER, "id:4242"),
    ],
)
def test_accepted_forms(text: str, kind: TargetKind, key: str) -> None:
    target = parsed(text)
    assert target.kind is kind
    assert target.key == key


def test_invite_hash_keeps_its_case() -> None:
    assert parsed("t.me/+AbC").invite_hash == "AbC"
    assert parsed("t.me/+abc").key != parsed("t.me/+ABC").key


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ProblemKind.EMPTY),
        ("   \u200b ", ProblemKind.EMPTY),
        ("t.me/", ProblemKind.EMPTY),
        ("example_shop", ProblemKind.NOT_TELEGRAM),
        ("two words", ProblemKind.NOT_TELEGRAM),
        ("https://example.com/shop", ProblemKind.NOT_TELEGRAM),
        ("ftp://t.me/shop", ProblemKind.NOT_TELEGRAM),
        ("javascript:alert(1)", ProblemKind.NOT_TELEGRAM),
        ("t.me.evil.example/shop", ProblemKind.NOT_TELEGRAM),
        ("https://evilt.me/shop", ProblemKind.NOT_TELEGRAM),
        ("https://t.me@evil.example/shop", ProblemKind.NOT_TELEGRAM),
        ("https://user:pw@t.me/shop", ProblemKind.NOT_TELEGRAM),
        ("@abc", ProblemKind.BAD_USERNAME),
        ("@1shop", ProblemKind.BAD_USERNAME),
        ("@shop_", ProblemKind.BAD_USERNAME),
        ("@sh__op", ProblemKind.BAD_USERNAME),
        ("@" + "a" * 33, ProblemKind.BAD_USERNAME),
        ("t.me/shop-name", ProblemKind.BAD_USERNAME),
        ("t.me/+10000000000", ProblemKind.PHONE_LINK),
        ("t.me/addstickers/some_pack", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/share/url?url=x", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/proxy?server=x", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/example_shop/notanumber", ProblemKind.UNSUPPORTED_LINK),
        ("t.me/c/notanid/5", ProblemKind.UNSUPPORTED_LINK),
        ("tg://settings", ProblemKind.UNSUPPORTED_LINK),
        ("x" * 2049, ProblemKind.TOO_LONG),
    ],
)
def test_problems(text: str, problem: ProblemKind) -> None:
    result = parse_result(text)
    assert isinstance(result, ParseProblem), result
    assert result.kind is problem


def test_hostile_long_inputs_are_handled() -> None:
    for hostile in ("@" + "a_" * 1000, "t.me/" + "a" * 2040, "t.me/" + "/" * 2040, "_" * 2048):
        assert isinstance(parse_result(hostile), ParseProblem)


def test_links_a_moderator_can_open() -> None:
    assert parsed("@example_shop").link == "https://t.me/example_shop"
    assert parsed("t.me/example_shop/5").link == "https://t.me/example_shop/5"
    assert parsed("t.me/c/1234567890/45").link == "https://t.me/c/1234567890/45"
    assert parsed("t.me/+AbC").link == "https://t.me/+AbC"
    assert from_mention(42, False).link is None
    term = search_term("x")
    assert isinstance(term, TargetRef)
    assert term.link is None


def test_resolution_fills_in_id_and_kind_but_a_post_stays_a_post() -> None:
    channel = parsed("@example_shop").resolved(-1001, TargetKind.CHANNEL, "Shop")
    assert (channel.key, channel.kind, channel.title) == ("id:-1001", TargetKind.CHANNEL, "Shop")
    post = parsed("t.me/example_shop/5").resolved(-1001, TargetKind.CHANNEL)
    assert (post.key, post.kind) == ("id:-1001/5", TargetKind.POST)


@pytest.mark.parametrize(
    ("origin", "kind", "key"),
    [
        (
            ForwardOrigin("channel", chat_id=-1005, username="Chan_Nel", message_id=7),
            TargetKind.POST,
            "id:-1005/7",
        ),
        (ForwardOrigin("channel", chat_id=-1005), TargetKind.CHANNEL, "id:-1005"),
        (
            ForwardOrigin("chat", chat_id=-1006, chat_type="supergroup"),
            TargetKind.GROUP,
            "id:-1006",
        ),
        (ForwardOrigin("chat", chat_id=-1007, chat_type="channel"), TargetKind.CHANNEL, "id:-1007"),
        (ForwardOrigin("user", chat_id=77, username="Someone"), TargetKind.USER, "id:77"),
        (ForwardOrigin("user", chat_id=78, is_bot=True), TargetKind.BOT, "id:78"),
    ],
)
def test_forward_origins(origin: ForwardOrigin, kind: TargetKind, key: str) -> None:
    target = from_forward(origin)
    assert isinstance(target, TargetRef)
    assert (target.kind, target.key) == (kind, key)


def test_forward_username_is_lowercased() -> None:
    target = from_forward(ForwardOrigin("user", chat_id=77, username="Someone"))
    assert isinstance(target, TargetRef)
    assert target.username == "someone"


def test_hidden_and_unknown_forwards_are_problems() -> None:
    hidden = from_forward(ForwardOrigin("hidden_user", sender_user_name="Anon"))
    unknown = from_forward(ForwardOrigin("chat"))
    assert isinstance(hidden, ParseProblem)
    assert hidden.kind is ProblemKind.HIDDEN_USER
    assert isinstance(unknown, ParseProblem)
    assert unknown.kind is ProblemKind.PRIVATE_UNKNOWN


@pytest.mark.parametrize(
    ("query", "term"),
    [
        ("  Buy   DRUGS ", "buy drugs"),
        ("ＢＵＹ", "buy"),  # full-width letters
        ("Straße", "strasse"),
        ("КУПИТЬ  Оружие", "купить оружие"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_search_terms_are_normalised(query: str, term: str) -> None:
    assert normalise_term(query) == term
    ref = search_term(query)
    assert isinstance(ref, TargetRef)
    assert ref.key == f"term:{term}"


def test_blank_search_term_is_a_problem() -> None:
    assert isinstance(search_term(" \u200b "), ParseProblem)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@durov", True),
        ("t.me/durov", True),
        ("https://t.me/+AbC", True),
        ("tg://resolve?domain=durov", True),
        ("example_shop.t.me", True),
        ("hello there", False),
        ("check t.me/x please", False),
        ("https://example.com", False),
        ("", False),
        ("x" * 3000, False),
    ],
)
def test_looks_like_target(text: str, expected: bool) -> None:
    assert looks_like_target(text) is expected
