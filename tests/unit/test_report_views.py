"""How a reported target and the report's summary read, in every language we have."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.i18n import default_catalog
from handlers.report_views import ReportViews
from moderation.reporting.categories import DEFAULT_CATEGORIES, parse_categories
from moderation.reporting.drafts import Draft, Step
from moderation.reporting.guided_replies import HoldReason, OnHold, Prompt
from moderation.reporting.target_links import parse_result
from moderation.reporting.target_terms import search_term
from moderation.reporting.targets import (
    ForwardOrigin,
    TargetKind,
    TargetRef,
    from_forward,
    from_mention,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
VIEWS = ReportViews(default_catalog(), parse_categories(DEFAULT_CATEGORIES), "report_bot")


def parsed(text: str) -> TargetRef:
    target = parse_result(text)
    assert isinstance(target, TargetRef)
    return target


def forwarded(origin: ForwardOrigin) -> TargetRef:
    target = from_forward(origin)
    assert isinstance(target, TargetRef)
    return target


def term(text: str) -> TargetRef:
    target = search_term(text)
    assert isinstance(target, TargetRef)
    return target


#: One target of every kind and shape, with what English and Russian readers see.
TARGETS: dict[str, tuple[TargetRef, str, str]] = {
    "public_username": (
        parsed("@example_shop"),
        '<a href="https://t.me/example_shop">account @example_shop</a>',
        '<a href="https://t.me/example_shop">аккаунт @example_shop</a>',
    ),
    "channel": (
        parsed("@shop_x").resolved(-1002000000001, TargetKind.CHANNEL, "Shop"),
        '<a href="https://t.me/shop_x">channel @shop_x</a>',
        '<a href="https://t.me/shop_x">канал @shop_x</a>',
    ),
    "group": (
        parsed("@market_x").resolved(-1002000000002, TargetKind.GROUP, "Market"),
        '<a href="https://t.me/market_x">group @market_x</a>',
        '<a href="https://t.me/market_x">группа @market_x</a>',
    ),
    "bot": (
        forwarded(ForwardOrigin("user", chat_id=501, username="helper_bot", is_bot=True)),
        '<a href="https://t.me/helper_bot">bot @helper_bot</a>',
        '<a href="https://t.me/helper_bot">бот @helper_bot</a>',
    ),
    "user": (
        forwarded(ForwardOrigin("user", chat_id=502, username="seller_x")),
        '<a href="https://t.me/seller_x">user @seller_x</a>',
        '<a href="https://t.me/seller_x">пользователь @seller_x</a>',
    ),
    "user_by_mention": (
        from_mention(503, False, "Sam <Seller>"),
        "user “Sam &lt;Seller&gt;”",
        "пользователь «Sam &lt;Seller&gt;»",
    ),
    "bot_by_id": (from_mention(504, True), "bot with id 504", "бот с id 504"),
    "user_by_id": (parsed("tg://user?id=4242"), "user with id 4242", "пользователь с id 4242"),
    "public_post": (
        parsed("https://t.me/example_shop/45"),
        '<a href="https://t.me/example_shop/45">post 45 in @example_shop</a>',
        '<a href="https://t.me/example_shop/45">публикация 45 в @example_shop</a>',
    ),
    "private_post": (
        parsed("t.me/c/1234567890/45"),
        '<a href="https://t.me/c/1234567890/45">post 45 in a private chat (id 1234567890)</a>',
        '<a href="https://t.me/c/1234567890/45">публикация 45 в закрытом чате (id 1234567890)</a>',
    ),
    "private_topic_post": (
        parsed("t.me/c/1234567890/7/45"),
        '<a href="https://t.me/c/1234567890/45">post 45 in a private chat (id 1234567890)</a>',
        '<a href="https://t.me/c/1234567890/45">публикация 45 в закрытом чате (id 1234567890)</a>',
    ),
    "private_chat": (
        parsed("t.me/c/1234567890"),
        "private chat (id 1234567890)",
        "закрытый чат (id 1234567890)",
    ),
    "forwarded_private_post": (
        forwarded(ForwardOrigin("channel", chat_id=-1003000000001, title="Room", message_id=5)),
        '<a href="https://t.me/c/3000000001/5">post 5 in “Room”</a>',
        '<a href="https://t.me/c/3000000001/5">публикация 5 в «Room»</a>',
    ),
    "forwarded_group": (
        forwarded(ForwardOrigin("chat", chat_id=-1003000000002, title="Club")),
        "group “Club”",
        "группа «Club»",
    ),
    "invite": (
        parsed("https://t.me/+AbCdEf123_-x"),
        '<a href="https://t.me/+AbCdEf123_-x">private chat (invite link)</a>',
        '<a href="https://t.me/+AbCdEf123_-x">закрытый чат (ссылка-приглашение)</a>',
    ),
    "search_term": (
        term("Buy ILLEGAL thing"),
        "search term “buy illegal thing”",
        "поисковый запрос «buy illegal thing»",
    ),
}


@pytest.mark.parametrize(("target", "english", "russian"), TARGETS.values(), ids=TARGETS.keys())
def test_each_target_kind_reads_as_words(target: TargetRef, english: str, russian: str) -> None:
    assert VIEWS.target(target, "en") == english
    assert VIEWS.target(target, "ru") == russian


@pytest.mark.parametrize("language", sorted(default_catalog().languages))
@pytest.mark.parametrize("target", [row[0] for row in TARGETS.values()], ids=TARGETS.keys())
def test_no_target_doubles_a_word_or_shows_a_bot_api_id(target: TargetRef, language: str) -> None:
    words = re.sub(r"<[^>]+>", "", VIEWS.target(target, language)).split()
    assert all(a.casefold() != b.casefold() for a, b in itertools.pairwise(words))
    assert "-100" not in " ".join(words)


def draft(target: TargetRef, **fields: Any) -> Draft:
    base = Draft(
        draft_id=7,
        user_id=1,
        chat_id=1,
        step=Step.CONFIRM,
        language_code="en",
        started_at=NOW,
        updated_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
        query="cheap pills",
        target=target,
        category="drugs",
        comment_done=True,
    )
    return replace(base, **fields)


def test_the_summary_of_a_private_chat_post_warns_the_reporter() -> None:
    text = VIEWS.prompt(Prompt(draft(parsed("t.me/c/1234567890/45"))), "en").text
    assert text == (
        "📋 <b>Please check your report</b>\n\n"
        "<b>Searched for:</b> cheap pills\n"
        '<b>Result:</b> <a href="https://t.me/c/1234567890/45">post 45 in a private chat '
        "(id 1234567890)</a>\n"
        "<b>Category:</b> Illegal drugs\n"
        "<b>Comment:</b> —\n\n"
        "⚠️ This link points into a private chat. Moderators can open it only if they are "
        "members of that chat, so they may not see what you saw: please describe it in your "
        "comment (✏️ Edit → Comment). If you can forward the post itself to me (✏️ Edit → "
        "Result), they will also see the chat's name.\n\n"
        "Tap Submit to send it to the moderators."
    )


def test_the_summary_of_a_public_result_has_no_warning() -> None:
    text = VIEWS.prompt(Prompt(draft(parsed("@example_shop"), comment="sells pills")), "ru").text
    assert text == (
        "📋 <b>Проверьте жалобу</b>\n\n"
        "<b>Запрос:</b> cheap pills\n"
        '<b>Результат:</b> <a href="https://t.me/example_shop">аккаунт @example_shop</a>\n'
        "<b>Категория:</b> Наркотики\n"
        "<b>Комментарий:</b> sells pills\n\n"
        "Нажмите «Отправить», чтобы передать её модераторам."
    )


def test_an_on_hold_notice_names_the_report_and_its_step() -> None:
    held = draft(parsed("@example_shop"), step=Step.COMMENT, comment_done=False, on_hold=True)
    view = VIEWS.on_hold(OnHold(held, HoldReason.MEDIA, "sticker"), "en")
    assert view.text == (
        "I can't use a sticker at this step.\n\n"
        "📝 <b>You have a report that is not sent yet.</b>\n"
        "Searched for: cheap pills\n"
        'Result: <a href="https://t.me/example_shop">account @example_shop</a>\n'
        "Category: Illegal drugs\n"
        "It stopped at step 4 of 5: a comment for the moderators.\n"
        "It is on hold, so nothing you send is added to it. Tap Continue to pick up where you "
        "left off, or Cancel report to discard it."
    )
    assert view.keyboard is not None
    buttons = [button for row in view.keyboard.inline_keyboard for button in row]
    assert [(b.text, b.callback_data) for b in buttons] == [
        ("▶️ Continue", "r1:cont:7:"),
        ("✖️ Cancel report", "r1:cancel:7:held"),
    ]
