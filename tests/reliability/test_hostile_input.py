"""Hostile and malformed input, generated: every handler of the real bot gets random texts,
commands with random arguments, forwards, contacts, media and forged callback data from every
role, in whatever state earlier inputs left it. The bot must never fail on an update, must always
answer a private message or a button press, and must never leave a partial write behind.

Hypothesis shrinks a failure to its smallest input and prints it; `HYPOTHESIS_PROFILE=soak` runs
many more examples than CI does.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.ext import CommandHandler

from loopback import ChatHandle, LoopbackServer, UserHandle
from tests.conftest import ADMIN_ID, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.helpers import FakeClock

settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same inputs on every CI run; failures reproduce exactly
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "soak",  # HYPOTHESIS_EXAMPLES sets the count (default 2000)
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

# Characters that break naive code: RTL override, zero-width joiners, BOM, combining marks,
# HTML and Telegram markup, emoji with modifiers, a lone surrogate-free astral character.
NASTY = "\u202e\u202d\u200b\u200d\u2060\ufeff\u0301<>&\"'`*_~|[](){}#@/\\\n\t 🏳️‍🌈👍🏽𝕏"
texts = st.one_of(
    st.text(min_size=1, max_size=60),
    st.text(alphabet=st.sampled_from(NASTY), min_size=1, max_size=60),
    st.sampled_from(
        [
            "<b>bold</b> <script>alert(1)</script>",
            "&lt;&amp;&gt;",
            "t.me/" + "a" * 40,
            "@" + "x" * 33,
            "https://t.me/c/123/456",
            "t.me/+AbCdEf123",
            "term " + "ﷺ" * 30,
            "x" * 4096,
            "🙂" * 1000,
            "/report",
            "/report @shop drugs",
            "/report @shop nosuchcategory q",
        ]
    ),
).filter(lambda t: bool(t.strip()) and len(t) <= 4096)
arguments = st.lists(texts.map(lambda t: t.split()[0] if t.split() else "x"), max_size=4)


@dataclass(frozen=True)
class Action:
    kind: str  # text, command, forward, contact, photo, sticker, document, forged_press
    who: str  # reporter, moderator, legal, admin
    text: str = ""
    command: str = ""
    args: tuple[str, ...] = ()


def actions(commands: list[str]) -> st.SearchStrategy[Action]:
    who = st.sampled_from(["reporter", "reporter", "moderator", "legal", "admin"])
    return st.one_of(
        st.builds(Action, kind=st.just("text"), who=who, text=texts),
        st.builds(
            Action,
            kind=st.just("command"),
            who=who,
            command=st.one_of(
                st.sampled_from(commands), st.from_regex(r"[a-z_]{1,20}", fullmatch=True)
            ),
            args=arguments.map(tuple),
        ),
        st.builds(
            Action,
            kind=st.sampled_from(["forward", "contact", "photo", "sticker", "document"]),
            who=who,
            text=texts,
        ),
        st.builds(
            Action,
            kind=st.just("group"),
            who=st.sampled_from(["moderator", "admin"]),
            text=texts,
            command=st.sampled_from(commands),
            args=arguments.map(tuple),
        ),
        st.builds(
            Action,
            kind=st.just("forged_press"),
            who=who,
            text=st.text(min_size=1, max_size=64).filter(lambda d: len(d.encode()) <= 64),
        ),
    )


@dataclass
class Playground:
    bot: RunningBot
    server: LoopbackServer
    users: dict[str, UserHandle]
    channel: ChatHandle
    review: ChatHandle
    tried: int = 0

    async def perform(self, action: Action) -> None:
        user = self.users[action.who]
        before = len(user.messages())
        if action.kind == "forged_press":
            target = next(
                (m for m in reversed(user.messages()) if m.reply_markup is not None),
                user.messages()[-1] if user.messages() else None,
            )
            if target is None:
                await user.send("/start")
                await user.wait_until(lambda: len(user.messages()) > before, timeout=60)
                target = user.messages()[-1]
            press = await user.press_forged(target, action.text)
            await press.answered(timeout=15)
            self.tried += 1
            return
        if action.kind == "group":
            # In the review chat the bot answers commands and replies to its messages only, so
            # there is no answer to wait for; the checks after each example still apply.
            posts = self.review.messages()
            text = " ".join([f"/{action.command}", *action.args])[:4096]
            if posts:
                await user.send(action.text, chat=self.review, reply_to=posts[-1].message_id)
            await user.send(text, chat=self.review)
            self.tried += 1
            return
        if action.kind == "text":
            await user.send(action.text)
        elif action.kind == "command":
            await user.send(" ".join([f"/{action.command}", *action.args])[:4096])
        elif action.kind == "forward":
            await user.forward_from_channel(self.channel, text=action.text[:4096])
        elif action.kind == "contact":
            await user.send_contact("+447700900123", action.text[:64])
        elif action.kind == "photo":
            await user.send_photo(caption=action.text[:1024])
        elif action.kind == "sticker":
            await user.send_sticker()
        else:
            await user.send_document("x.bin", action.text.encode()[:2048] or b"x")
        self.tried += 1
        # Every private input gets an answer (a receipt, a question, a refusal, a hint); the
        # sender's updates are handled in order, so a chart still rendering delays the next.
        await user.wait_until(lambda: len(user.messages()) > before, timeout=60)


@pytest.fixture
async def playground(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> AsyncIterator[Playground]:
    users = {
        "reporter": loopback.add_user(first_name="Rita", language_code="en"),
        "moderator": loopback.add_user(
            first_name="Mona", username="mona_mod", user_id=MODERATOR_ID
        ),
        "legal": loopback.add_user(first_name="Lea", language_code="ru", user_id=LEGAL_OFFICER_ID),
        "admin": loopback.add_user(first_name="Ada", user_id=ADMIN_ID),
    }
    review = loopback.add_supergroup(
        title="Review", members=[users["moderator"], users["admin"]], bot_admin=True
    )
    channel = loopback.add_channel(title="Some channel", username="some_channel")
    settings_ = make_settings(review_chat_id=review.id)
    bot: RunningBot = await start_bot(settings_, clock=FakeClock())
    ground = Playground(bot, loopback, users, channel, review)
    yield ground
    if ground.tried:
        print(f"hostile input: {ground.tried} inputs tried")  # noqa: T201  (bench/README figures)


def registered_commands(bot: RunningBot) -> list[str]:
    names: set[str] = set()
    for group in bot.application.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                names.update(handler.commands)
    return sorted(names)


@settings(settings.get_profile(PROFILE))
@given(data=st.data())
async def test_no_input_breaks_the_bot_or_goes_unanswered(
    playground: Playground, data: st.DataObject
) -> None:
    commands = registered_commands(playground.bot)
    assert {"report", "legal", "appeal", "queue"} <= set(commands)
    sequence = data.draw(st.lists(actions(commands), min_size=1, max_size=4))
    for action in sequence:
        await playground.perform(action)
    log = playground.bot.log_text()
    assert '"update_failed"' not in log, log[-3000:]
    assert "Traceback" not in log
    database = playground.bot.settings.database_path
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = conn.execute(
            "SELECT count(*) FROM reports r LEFT JOIN cases c ON c.id = r.case_id "
            "WHERE c.id IS NULL"
        ).fetchone()
        assert orphans == (0,)


async def test_forged_callback_data_is_refused_and_logged(playground: Playground) -> None:
    rita = playground.users["reporter"]
    await rita.send("/start")
    greeting = await rita.next_message(timeout=15)
    forged = (
        "v1:approve:999999",
        "garbage",
        "r1:cat:1:drugs",
        "a1:overturn:5",
        "a1:uphold:5:",
        "💥",
    )
    for data in forged:
        answer = await (await rita.press_forged(greeting, data)).answered(timeout=15)
        assert answer.text
        assert answer.show_alert
    # Data that parses as none of our buttons is logged as refused; a well-formed button for a
    # report draft that does not exist is answered as stale, and a forged appeal press from a
    # non-moderator is audited as a refused press.
    assert playground.bot.log_text().count('"callback_data_refused"') == 4
    with sqlite3.connect(playground.bot.settings.database_path) as conn:
        refused = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'case.press_refused'"
        ).fetchone()
    assert refused == (1,)
