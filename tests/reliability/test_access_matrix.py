"""The access-control matrix, generated from handlers/runtime/permissions.py: every command
against every role in a private chat and in the review chat is served exactly where the table
says, every denial is audit-logged, and no registered command is missing from the table; every
button (a reporter's draft, a case, /queue's "post now", a case /review serves in a private chat,
an appeal) is pressed by every role on a pending and an escalated case, served or refused (alert
and audit row) as the table says."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Message
from telegram.ext import CommandHandler

from handlers.callback_data import AppealAction, PrivateAction, ReviewAction
from handlers.outbound.delivery_worker import DeliveryWorker
from handlers.runtime.menus import MENU, Audience, audiences_of
from handlers.runtime.permissions import ACCESS, BUTTONS, DENIALS, PEOPLE, Where, Who
from loopback import BotHandle, ChatHandle, LoopbackServer, SentMessage, UserHandle
from moderation.reporting.guided_inputs import Action
from moderation.staff.roles import Role
from tests.conftest import ADMIN_ID, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.helpers import FakeClock

#: A second moderator, who decides the cases that undo and appeals need.
SECOND_MODERATOR_ID = 900004


@dataclass
class Matrix:
    bot: RunningBot
    server: LoopbackServer
    review: ChatHandle
    people: dict[Who, UserHandle]
    account: BotHandle
    checked: list[tuple[str, Who, Where, bool]] = field(default_factory=list)

    def denials(self, user: UserHandle) -> int:
        marks = ",".join("?" * len(DENIALS))
        with sqlite3.connect(self.bot.settings.database_path) as conn:
            (count,) = conn.execute(
                f"SELECT count(*) FROM audit_log WHERE actor_id = ? AND action IN ({marks})",  # noqa: S608
                (user.id, *sorted(DENIALS)),
            ).fetchone()
        return int(count)

    async def settled(self) -> None:
        """Waits until every update sent to the bot so far was handled."""
        last = self.account.last_update_id
        assert last is not None
        await self.released(last, "the last update")

    async def press(self, user: UserHandle, message: SentMessage, data: str) -> tuple[bool, bool]:
        """(denied, answered) for one press of a button carrying `data` on `message`."""
        before = self.denials(user)
        press = await user.press_forged(message, data)
        try:
            await press.answered(timeout=30)
        except TimeoutError:
            return self.denials(user) > before, False
        await self.settled()
        return self.denials(user) > before, True

    async def handled(self, sent: Message) -> None:
        """Waits until the bot finished handling the update that delivered `sent` (the update
        journal releases an update once its handling ended)."""
        await self.released(self.account.update_id_of(sent), repr(sent.text))

    async def released(self, update_id: int, what: str) -> None:
        try:
            await self.bot.until_handled(update_id, timeout=60)
        except TimeoutError:
            raise AssertionError(f"update {update_id} ({what}) was not handled in 60 s") from None

    def answers(self, user: UserHandle, where: Where) -> int:
        return len(user.messages()) if where is Where.PRIVATE else len(self.review.messages())

    async def run(self, command: str, who: Who, where: Where) -> tuple[bool, bool]:
        """(denied, answered) for one command sent without arguments."""
        user = self.people[who]
        denied_before = self.denials(user)
        answers_before = self.answers(user, where)
        chat = self.review if where is Where.REVIEW else None
        await self.handled(await user.send(f"/{command}", chat=chat))
        answered = self.answers(user, where) > answers_before
        return self.denials(user) > denied_before, answered


@pytest.fixture
async def matrix(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
    bot_account: BotHandle,
) -> Matrix:
    people = {
        Who.REPORTER: loopback.add_user(first_name="Rita", language_code="en"),
        Who.BLOCKED: loopback.add_user(first_name="Bert", language_code="en"),
        Who.MODERATOR: loopback.add_user(first_name="Mona", user_id=MODERATOR_ID),
        Who.LEGAL: loopback.add_user(first_name="Lea", user_id=LEGAL_OFFICER_ID),
        Who.ADMIN: loopback.add_user(first_name="Ada", user_id=ADMIN_ID),
        Who.CHAT_ADMIN: loopback.add_user(first_name="Carl", language_code="en"),
        Who.STRANGER: loopback.add_user(first_name="Sam", language_code="en"),
    }
    review = loopback.add_supergroup(
        title="Review",
        members=[people[w] for w in (Who.MODERATOR, Who.LEGAL, Who.ADMIN, Who.STRANGER)],
        admins=[people[Who.CHAT_ADMIN]],
        bot_admin=True,
    )
    bot: RunningBot = await start_bot(
        make_settings(
            review_chat_id=review.id,
            moderator_ids=frozenset({MODERATOR_ID, SECOND_MODERATOR_ID}),
            rate_limiter_enabled=False,
        ),
        clock=FakeClock(),
    )
    store = bot.application.bot_data.services.store
    async with store.transaction() as uow:
        await uow.blocks.block(
            people[Who.BLOCKED].id, by=ADMIN_ID, at=datetime(2026, 11, 1, tzinfo=UTC)
        )
    return Matrix(bot, loopback, review, people, bot_account)


def registered(bot: RunningBot) -> set[str]:
    names: set[str] = set()
    for handlers in bot.application.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                names.update(handler.commands)
    return names


async def test_every_registered_command_is_in_the_table(matrix: Matrix) -> None:
    assert registered(matrix.bot) == set(ACCESS)


@pytest.mark.slow
async def test_every_command_against_every_role_in_every_chat(matrix: Matrix) -> None:
    wrong: list[str] = []
    for command, access in ACCESS.items():
        for where in Where:
            allowed = access.private if where is Where.PRIVATE else access.review
            for who in sorted(PEOPLE[where]):
                denied, answered = await matrix.run(command, who, where)
                matrix.checked.append((command, who, where, denied))
                if allowed is None:
                    if denied:
                        wrong.append(f"/{command} {who} {where}: denied where it does not apply")
                    continue
                if (who in allowed) == denied:
                    expected = "served" if who in allowed else "denied (and audit-logged)"
                    got = "denied" if denied else "not denied"
                    wrong.append(f"/{command} {who} in {where}: expected {expected}, got {got}")
                if where is Where.PRIVATE and not answered:
                    wrong.append(f"/{command} {who} in {where}: no answer")
    assert wrong == [], "\n".join(wrong)
    print(f"access matrix: {len(matrix.checked)} command/role/chat cases")  # noqa: T201


@pytest.mark.slow
async def test_a_person_with_pending_legal_and_admin_grants_is_served_as_a_reporter(
    matrix: Matrix,
) -> None:
    """Issue 27: one admin's /grant of the legal or admin role is a proposal until a second
    admin confirms it. The person it names is served every command exactly as a reporter is,
    in a private chat (the table's legal and admin commands refused and audit-logged)."""
    penny = matrix.server.add_user(first_name="Penny", language_code="en")
    admin = matrix.people[Who.ADMIN]
    for role in ("legal", "admin"):
        await matrix.handled(await admin.send(f"/grant {penny.id} {role}"))
    wrong: list[str] = []
    for command, access in ACCESS.items():
        if access.private is None:
            continue
        before = matrix.denials(penny)
        await matrix.handled(await penny.send(f"/{command}"))
        denied = matrix.denials(penny) > before
        if denied != (Who.REPORTER not in access.private):
            wrong.append(f"/{command}: {'denied' if denied else 'served'} unlike a reporter")
    assert wrong == [], "\n".join(wrong)


class Buttons:
    """Cases, appeals and drafts to press on, each fresh when a served press may change it."""

    def __init__(self, matrix: Matrix, clock: FakeClock, decider: UserHandle) -> None:
        self.m = matrix
        self.clock = clock
        self.decider = decider  # a second moderator: decides the cases undo and appeals need
        self.made = 0

    def refill_budget(self) -> None:
        """The review chat's budget is on the bot's clock: a minute later it is full again."""
        self.clock.advance(timedelta(seconds=61))

    async def flush(self) -> None:
        self.refill_budget()
        services = self.m.bot.application.bot_data.services
        assert isinstance(services.delivery, DeliveryWorker)
        await services.delivery.run_once()

    async def case(self, state: str) -> tuple[SentMessage, int]:
        """A new case in the review chat: pending, escalated or decided (approved)."""
        self.made += 1
        target = f"@matrix_target_{self.made}"
        reporter = self.m.server.add_user(first_name=f"R{self.made}", language_code="en")
        await self.m.handled(await reporter.send(f"/report {target} drugs cheap pills"))
        posted = await self.posted(lambda m: target in m.text and "Case #" in m.text)
        match = re.search(r"Case #(\d+)", posted.text)
        assert match is not None, posted.text
        case_id = int(match.group(1))
        if state == "escalated":
            await self.m.press(self.decider, posted, f"c1:escalate:{case_id}:")
        elif state == "decided":
            await self.m.press(self.decider, posted, f"c1:confirm:{case_id}:drugs")
        return posted, case_id

    async def appeal(self) -> tuple[SentMessage, int]:
        """A pending appeal against a case the second moderator approved."""
        _, case_id = await self.case("decided")
        owner = self.m.server.add_user(first_name=f"Owner{self.made}", language_code="en")
        statement = "We removed every post that was reported."
        await self.m.handled(await owner.send(f"/appeal @matrix_target_{self.made} {statement}"))
        posted = await self.posted(
            lambda m: m.text.startswith("⚖️ Appeal") and f"against case #{case_id}" in m.text
        )
        match = re.search(r"Appeal #(\d+)", posted.text)
        assert match is not None, posted.text
        return posted, int(match.group(1))

    async def posted(self, wanted: Callable[[SentMessage], bool]) -> SentMessage:
        def found() -> list[SentMessage]:
            return [m for m in self.m.review.messages() if wanted(m)]

        await self.m.bot.until_delivered(
            found, "posted in the review chat", before_each=self.refill_budget
        )
        return found()[-1]

    async def draft(self, who: Who) -> tuple[SentMessage, str]:
        """The person's own report draft at its summary (Submit / Edit / Cancel)."""
        user = self.m.people[who]
        store = self.m.bot.application.bot_data.services.store
        if who is Who.BLOCKED:  # the draft was started before the block
            async with store.transaction() as uow:
                await uow.blocks.unblock(user.id)
        self.made += 1
        for text in ("/cancel", "/report", "cheap pills", f"@matrix_target_{self.made}"):
            await self.m.handled(await user.send(text))
        prompt = user.messages()[-1]
        await self.m.press(user, prompt, _data_of(prompt, "Illegal drugs"))
        await self.m.press(user, prompt, _data_of(user.message(prompt), "Skip"))
        summary = user.message(prompt)
        assert "✅ Submit" in summary.button_texts(), summary.text
        draft36 = _data_of(summary, "✅ Submit").split(":")[2]
        if who is Who.BLOCKED:
            async with store.transaction() as uow:
                await uow.blocks.block(user.id, by=ADMIN_ID, at=self.clock.now())
        return summary, draft36

    async def anchor(self, who: Who) -> SentMessage:
        """A bot message in the person's private chat (for buttons pressed there)."""
        user = self.m.people[who]
        await self.m.handled(await user.send("/help"))
        return user.messages()[-1]


def _data_of(message: SentMessage, label: str) -> str:
    for button in message.buttons():
        if button.get("text") == label and isinstance(button.get("callback_data"), str):
            return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} on {message.text!r}")


_ARGS = {"confirm": "drugs", "reason": "not_illegal", "cat": "drugs", "field": "query"}
#: Order: presses that end a draft come last.
_REPORT_ORDER = ("new", "term", "cat", "skip", "edit", "field", "back", "cancel", "cont", "submit")


@pytest.mark.slow
async def test_every_button_against_every_role(matrix: Matrix) -> None:
    wrong: list[str] = []
    decider = matrix.server.add_user(first_name="Max", user_id=SECOND_MODERATOR_ID)
    matrix.review.add_member(decider)
    clock = matrix.bot.application.bot_data.services.clock
    assert isinstance(clock, FakeClock)
    made = Buttons(matrix, clock, decider)
    checked = 0

    async def check(key: str, who: Who, state: str, message: SentMessage, data: str) -> bool:
        nonlocal checked
        checked += 1
        denied, answered = await matrix.press(matrix.people[who], message, data)
        access = BUTTONS[key]
        served = access.escalated if state == "escalated" else access.served
        assert served is not None
        if not answered:
            wrong.append(f"{key} {who} ({state}): the press was never answered")
        if (who in served) == denied:
            expected = "served" if who in served else "denied (and audit-logged)"
            wrong.append(f"{key} {who} ({state}): expected {expected}")
        return not denied

    for key in sorted(
        BUTTONS, key=lambda k: (k[:2], _REPORT_ORDER.index(k[3:]) if k.startswith("r1") else 0)
    ):
        prefix, action = key.split(":")
        access = BUTTONS[key]
        for who in sorted(PEOPLE[access.where]):
            if prefix == "r1":
                summary, draft36 = await made.draft(who)
                await check(
                    key, who, "draft", summary, f"r1:{action}:{draft36}:{_ARGS.get(action, '')}"
                )
            elif prefix == "a1":
                posted, appeal_id = await made.appeal()
                await check(key, who, "pending", posted, f"a1:{action}:{appeal_id}:")
            else:
                states = ["decided"] if action == "undo" else ["pending"]
                if access.escalated is not None:
                    states.append("escalated")
                for state in states:
                    posted, case_id = await made.case(state)
                    where = posted if access.where is Where.REVIEW else await made.anchor(who)
                    data = f"{prefix}:{action}:{case_id}:{_ARGS.get(action, '')}"
                    await check(key, who, state, where, data)
    assert wrong == [], "\n".join(wrong)
    print(f"access matrix: {checked} button/role presses")  # noqa: T201


def test_every_button_action_is_in_the_table() -> None:
    made = {f"r1:{a.value}" for a in Action}
    made |= {f"c1:{a.value}" for a in ReviewAction}
    made |= {f"a1:{a.value}" for a in AppealAction}
    made |= {f"p1:{a.value}" for a in PrivateAction}
    assert set(BUTTONS) == made


@pytest.mark.parametrize("who", [Who.REPORTER, Who.MODERATOR, Who.LEGAL, Who.ADMIN])
def test_a_private_menu_offers_only_commands_served_to_its_reader(who: Who) -> None:
    """(A blocked reporter sees the reporter menu: menus are per role, blocks are not.)"""
    roles = {Who.MODERATOR: [Role.MODERATOR], Who.LEGAL: [Role.LEGAL], Who.ADMIN: [Role.ADMIN]}
    audiences = audiences_of(roles.get(who, []))
    offered = {entry.command for entry in MENU if audiences & entry.audiences}
    not_served = {c for c in offered if who not in (ACCESS[c].private or frozenset())}
    assert not_served == set()


def test_the_review_chat_menu_offers_only_commands_served_to_moderators_there() -> None:
    offered = {entry.command for entry in MENU if Audience.REVIEW_CHAT in entry.audiences}
    assert {c for c in offered if Who.MODERATOR not in (ACCESS[c].review or frozenset())} == set()
