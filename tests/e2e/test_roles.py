"""Roles and blocks, end to end: /grant, /revoke, /roles, /block, /unblock and the staff menus."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import BotCommandScopeAllPrivateChats, BotCommandScopeChat

from handlers.outbound.delivery_worker import DeliveryWorker
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from moderation.clock import utc_text
from tests.conftest import ADMIN_ID, LEGAL_OFFICER_ID, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import rows
from tests.engines import execute_beside
from tests.helpers import FakeClock

STAFF_COMMANDS = {
    "queue",
    "block",
    "unblock",
    "grant",
    "revoke",
    "roles",
    "stats",
    "health",
    "legal",
    "lookup",
    "transparency",
}
REPORTER_MENU = ["start", "report", "myreports", "notify", "cancel", "appeal", "help"]
SECOND_ADMIN_ID = 900005
#: How the notices that tell legal officers of legal role changes begin.
ROLE_NOTICE = "👥"


@dataclass
class Team:
    bot: RunningBot
    server: LoopbackServer
    chat: ChatHandle
    admin: UserHandle
    moderator: UserHandle
    legal: UserHandle
    carl: UserHandle  # nobody yet; the one roles are granted to
    abe: UserHandle  # a second admin (ADMIN_IDS): confirms legal and admin grants

    async def grant_confirmed(self, who: str, role: str) -> SentMessage:
        """`/grant who role` proposed by the admin and confirmed by the second admin; returns
        the confirmation's answer."""
        proposed = await self.say(self.admin, f"/grant {who} {role}")
        assert "is <b>not</b>" in proposed.html
        return await self.say(self.abe, f"/grant {who} {role}")

    async def say(self, user: UserHandle, text: str) -> SentMessage:
        """Sends text in the user's private chat and returns the bot's answer (passing over
        the legal role notices the delivery worker sends whenever it runs)."""
        await user.send(text)
        while True:
            message = await user.next_message(timeout=15)
            if not message.text.startswith(ROLE_NOTICE):
                return message

    async def say_in_review_chat(self, user: UserHandle, text: str) -> SentMessage:
        await user.send(text, chat=self.chat)
        return await self.chat.next_message(timeout=15)

    def audit(self, action: str) -> list[tuple[Any, ...]]:
        return rows(
            self.bot.settings.database_path,
            "SELECT actor_id, subject_id, details FROM audit_log WHERE action = ? ORDER BY id",
            action,
        )

    def menu(self, user: UserHandle, language: str | None = None) -> list[str]:
        return [c.command for c in self.server.commands(BotCommandScopeChat(user.id), language)]

    async def flush(self) -> None:
        services = self.bot.application.bot_data.services
        assert isinstance(services.delivery, DeliveryWorker)
        await services.delivery.run_once()

    def current(self, message: SentMessage) -> SentMessage:
        return next(m for m in self.chat.messages() if m.message_id == message.message_id)

    async def tap(self, user: UserHandle, message: SentMessage, label: str) -> SentMessage:
        before = self.current(message)
        press = await user.press(before, text=label)
        await press.answered(timeout=15)

        def changed() -> bool:
            now = self.current(message)
            return (now.html, now.reply_markup) != (before.html, before.reply_markup)

        await self.server.wait_for(changed, timeout=15)
        return self.current(message)

    async def case(self, target: str) -> SentMessage:
        """A reporter reports `target`; returns the case message in the review chat."""
        reporter = self.server.add_user(first_name="Rita", language_code="en")
        await reporter.send(f"/report {target} drugs cheap pills")
        receipt = await reporter.next_message(timeout=15)
        assert "received" in receipt.text
        return await self.chat.next_message(timeout=15)


@pytest.fixture
async def team(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> Team:
    admin = loopback.add_user(first_name="Ada", username="ada_admin", user_id=ADMIN_ID)
    moderator = loopback.add_user(first_name="Mona", username="mona_mod", user_id=MODERATOR_ID)
    legal = loopback.add_user(first_name="Leo", username="leo_legal", user_id=LEGAL_OFFICER_ID)
    carl = loopback.add_user(first_name="Carl", username="carl_c")
    abe = loopback.add_user(first_name="Abe", username="abe_admin", user_id=SECOND_ADMIN_ID)
    chat = loopback.add_supergroup(
        title="Review", members=[admin, moderator, legal, carl, abe], bot_admin=True
    )
    # The admins and the moderator opened a chat with the bot before it started.
    for user in (admin, moderator, abe):
        await user.send("/start")
    settings = make_settings(
        review_chat_id=chat.id,
        case_edit_debounce_seconds=0,
        admin_ids=frozenset({ADMIN_ID, SECOND_ADMIN_ID}),
    )
    bot: RunningBot = await start_bot(settings, clock=FakeClock())
    for user in (admin, moderator, abe):
        await user.next_message(timeout=15)
    return Team(bot, loopback, chat, admin, moderator, legal, carl, abe)


# --- /grant and /revoke ----------------------------------------------------------------------


async def test_admin_grants_a_role_by_numeric_id(team: Team) -> None:
    reply = await team.say(team.admin, f"/grant {team.carl.id} moderator")
    assert f"{team.carl.id}" in reply.text
    assert "is now moderator" in reply.text
    database = team.bot.settings.database_path
    assert rows(database, "SELECT user_id, role, granted_by FROM role_grants") == [
        (team.carl.id, "moderator", ADMIN_ID)
    ]
    [(actor, subject, details)] = team.audit("role.granted")
    assert (actor, subject) == (ADMIN_ID, str(team.carl.id))
    assert json.loads(details) == {"role": "moderator", "before": [], "after": ["moderator"]}


async def test_admin_grants_a_role_by_username_the_person_used_with_the_bot(team: Team) -> None:
    await team.say(team.carl, "/start")
    reply = await team.grant_confirmed("@Carl_C", "legal")
    assert "@carl_c" in reply.text
    assert "is now legal officer" in reply.text
    assert rows(team.bot.settings.database_path, "SELECT user_id, role FROM role_grants") == [
        (team.carl.id, "legal")
    ]


async def test_an_unknown_username_asks_for_a_first_message_or_the_numeric_id(
    team: Team,
) -> None:
    reply = await team.say(team.admin, "/grant @carl_c moderator")
    assert "must first message me" in reply.text
    assert "numeric user id" in reply.text
    assert rows(team.bot.settings.database_path, "SELECT count(*) FROM role_grants") == [(0,)]


@pytest.mark.parametrize(
    "command", ["/grant", "/grant 12345", "/grant 12345 wizard", "/revoke carl moderator"]
)
async def test_missing_arguments_or_a_bad_role_get_the_usage_line(team: Team, command: str) -> None:
    reply = await team.say(team.admin, command)
    assert reply.text.startswith("Usage: /")
    assert "moderator|legal|admin" in reply.text


async def test_a_granted_moderator_decides_a_case_and_after_revoke_no_longer_can(
    team: Team,
) -> None:
    await team.say(team.admin, f"/grant {team.carl.id} moderator")
    first = await team.case("@example_shop")
    menu = await team.tap(team.carl, first, "✅ Approve")
    decided = await team.tap(team.carl, menu, "✓ Illegal drugs")
    assert "Approved by @carl_c" in decided.text

    revoked = await team.say(team.admin, f"/revoke {team.carl.id} moderator")
    assert "is no longer moderator" in revoked.text
    second = await team.case("@other_shop")
    await team.flush()
    press = await team.carl.press(team.current(second), text="✅ Approve")
    answer = await press.answered(timeout=15)
    assert answer.show_alert
    assert "Only moderators" in (answer.text or "")
    assert rows(team.bot.settings.database_path, "SELECT status FROM cases ORDER BY id") == [
        ("approved",),
        ("pending",),
    ]


async def test_revoking_a_bootstrap_admin_is_refused_naming_the_setting(team: Team) -> None:
    reply = await team.say(team.admin, f"/revoke {ADMIN_ID} admin")
    assert "cannot be revoked from the bot" in reply.text
    assert "ADMIN_IDS" in reply.text
    [(actor, subject, details)] = team.audit("role.revoke_refused")
    assert (actor, subject) == (ADMIN_ID, str(ADMIN_ID))
    assert json.loads(details) == {"reason": "bootstrap", "role": "admin"}


async def test_granting_a_role_someone_has_from_the_settings_changes_nothing(
    team: Team,
) -> None:
    reply = await team.say(team.admin, f"/grant {MODERATOR_ID} moderator")
    assert "already moderator, from the bot's settings (MODERATOR_IDS)" in reply.text
    assert rows(team.bot.settings.database_path, "SELECT count(*) FROM role_grants") == [(0,)]


async def test_revoking_a_role_that_was_never_granted_is_refused(team: Team) -> None:
    reply = await team.say(team.admin, f"/revoke {team.carl.id} legal")
    assert "nothing to revoke" in reply.text
    assert len(team.audit("role.revoke_refused")) == 1


@pytest.mark.parametrize("command", ["/grant 12345 moderator", "/revoke 12345 moderator", "/roles"])
async def test_non_admins_are_refused_and_the_attempt_is_audit_logged(
    team: Team, command: str
) -> None:
    reply = await team.say(team.moderator, command)
    assert reply.text.startswith("⛔ Only admins")
    [(actor, _, details)] = team.audit("access.denied")
    assert actor == MODERATOR_ID
    assert json.loads(details) == {"command": command.split()[0].removeprefix("/")}
    assert rows(team.bot.settings.database_path, "SELECT count(*) FROM role_grants") == [(0,)]


async def test_a_granted_admin_may_grant_roles_too(team: Team) -> None:
    await team.grant_confirmed(str(team.carl.id), "admin")
    reply = await team.say(team.carl, f"/grant {LEGAL_OFFICER_ID} moderator")
    assert "is now moderator" in reply.text


# --- /roles -----------------------------------------------------------------------------------


async def test_roles_lists_bootstrap_and_granted_staff_with_who_granted_and_when(
    team: Team,
) -> None:
    await team.say(team.carl, "/start")
    await team.say(team.admin, "/grant @carl_c moderator")
    listing = await team.say(team.admin, "/roles")
    text = listing.text
    settings_part, granted_part = text.split("Granted from the bot")
    assert f"@ada_admin ({ADMIN_ID}) — admin" in settings_part
    assert f"@mona_mod ({MODERATOR_ID}) — moderator" in settings_part
    assert f"{LEGAL_OFFICER_ID} — legal officer" in settings_part  # never talked to the bot
    assert (
        f"@carl_c ({team.carl.id}) — moderator, granted by @ada_admin ({ADMIN_ID}) "
        "on 2026-11-02 09:00 UTC"
    ) in granted_part


async def test_roles_works_in_the_review_chat(team: Team) -> None:
    listing = await team.say_in_review_chat(team.admin, "/roles")
    assert "From the settings" in listing.text


# --- menus ------------------------------------------------------------------------------------


async def test_staff_menus_are_registered_at_start_up_per_role(team: Team) -> None:
    admin_menu = team.menu(team.admin)
    assert {"grant", "revoke", "roles", "stats", "health", "block", "unblock"} <= set(admin_menu)
    assert {"transparency", "queue", "report", "help"} <= set(admin_menu)
    assert "legal" not in admin_menu
    moderator_menu = team.menu(team.moderator)
    assert {"queue", "block", "unblock", "report"} <= set(moderator_menu)
    assert not {"grant", "revoke", "roles", "stats", "legal"} & set(moderator_menu)
    assert "roles" in team.menu(team.admin, "ru")


async def test_the_default_private_menu_has_no_staff_commands(team: Team) -> None:
    for language in (None, "ru"):
        menu = team.server.commands(BotCommandScopeAllPrivateChats(), language)
        assert [c.command for c in menu] == REPORTER_MENU
        assert not STAFF_COMMANDS & {c.command for c in menu}


async def test_a_staff_member_who_never_opened_the_chat_does_not_stop_the_start(
    team: Team,
) -> None:
    assert "staff_menu_not_registered" in team.bot.log_text()  # the legal officer
    assert team.bot.task.done() is False


async def test_grant_and_revoke_refresh_the_persons_menu_as_the_union_of_roles(
    team: Team,
) -> None:
    await team.say(team.carl, "/start")
    assert team.menu(team.carl) == []  # a reporter: the all-private-chats menu applies
    await team.grant_confirmed(str(team.carl.id), "legal")
    assert {"legal", "lookup", "transparency"} <= set(team.menu(team.carl))
    assert "block" not in team.menu(team.carl)
    await team.say(team.admin, f"/grant {team.carl.id} moderator")
    assert {"legal", "lookup", "block", "unblock", "queue"} <= set(team.menu(team.carl))
    assert "grant" not in team.menu(team.carl)
    await team.say(team.admin, f"/revoke {team.carl.id} legal")
    assert "legal" not in team.menu(team.carl)
    assert "block" in team.menu(team.carl, "ru")
    await team.say(team.admin, f"/revoke {team.carl.id} moderator")
    assert team.menu(team.carl) == []
    assert team.menu(team.carl, "ru") == []


async def test_granting_someone_who_never_opened_the_chat_says_their_menu_waits(
    team: Team,
) -> None:
    reply = await team.say(team.admin, f"/grant {team.carl.id} moderator")
    assert "is now moderator" in reply.text
    assert "menu could not be updated yet" in reply.text


async def test_staff_get_their_menu_when_they_first_send_start(team: Team) -> None:
    await team.say(team.admin, f"/grant {team.carl.id} moderator")
    await team.say(team.carl, "/start")
    await team.server.wait_for(lambda: "block" in team.menu(team.carl), timeout=15)
    assert "grant" not in team.menu(team.carl)


# --- /block and /unblock ----------------------------------------------------------------------


async def test_a_blocked_reporter_is_refused_and_unblock_restores_reporting(team: Team) -> None:
    await team.say(team.carl, "/start")
    blocked = await team.say(team.admin, "/block @carl_c spam reports")
    assert "@carl_c" in blocked.text
    assert "is blocked" in blocked.text
    assert "Reason: spam reports" in blocked.text
    refused = await team.say(team.carl, "/report @example_shop drugs cheap pills")
    assert "you cannot file reports" in refused.text
    unblocked = await team.say(team.admin, "/unblock @carl_c")
    assert "is unblocked" in unblocked.text
    receipt = await team.say(team.carl, "/report @example_shop drugs cheap pills")
    assert "received" in receipt.text
    [(actor, subject, details)] = team.audit("reporter.blocked")
    assert (actor, subject) == (ADMIN_ID, str(team.carl.id))
    assert json.loads(details) == {
        "before": "may_report",
        "after": "blocked",
        "reason": "spam reports",
    }
    assert len(team.audit("reporter.unblocked")) == 1


async def test_a_moderator_blocks_from_the_review_chat(team: Team) -> None:
    reply = await team.say_in_review_chat(team.moderator, f"/block {team.carl.id}")
    assert "is blocked" in reply.text
    assert rows(
        team.bot.settings.database_path, "SELECT user_id, blocked_by FROM blocked_users"
    ) == [(team.carl.id, MODERATOR_ID)]


@pytest.mark.parametrize("staff_id", [ADMIN_ID, MODERATOR_ID, LEGAL_OFFICER_ID])
async def test_blocking_staff_is_refused(team: Team, staff_id: int) -> None:
    reply = await team.say(team.admin, f"/block {staff_id}")
    assert "staff cannot be blocked" in reply.text
    assert rows(team.bot.settings.database_path, "SELECT count(*) FROM blocked_users") == [(0,)]
    assert len(team.audit("reporter.block_refused")) == 1


async def test_blocking_a_granted_staff_member_is_refused(team: Team) -> None:
    await team.say(team.admin, f"/grant {team.carl.id} moderator")
    reply = await team.say(team.admin, f"/block {team.carl.id}")
    assert "staff cannot be blocked" in reply.text


async def test_a_reporter_may_not_block(team: Team) -> None:
    reply = await team.say(team.carl, f"/block {LEGAL_OFFICER_ID}")
    assert "Only admins and moderators" in reply.text
    assert len(team.audit("access.denied")) == 1


async def test_a_legal_officer_may_not_block(team: Team) -> None:
    reply = await team.say(team.legal, f"/unblock {team.carl.id}")
    assert "Only admins and moderators" in reply.text


async def test_block_without_a_person_gets_the_usage_line(team: Team) -> None:
    reply = await team.say(team.admin, "/block")
    assert reply.text.startswith("Usage: /block")


async def test_unblocking_someone_not_blocked_changes_nothing(team: Team) -> None:
    reply = await team.say(team.admin, f"/unblock {team.carl.id}")
    assert "is not blocked" in reply.text


async def test_staff_commands_are_ignored_in_other_groups(team: Team) -> None:
    other = team.server.add_supergroup(title="Elsewhere", members=[team.admin], bot_admin=True)
    await team.admin.send("/roles", chat=other)
    await team.admin.send("/start")  # something that does answer, to know the first was seen
    await team.admin.next_message(timeout=15)
    assert other.messages() == []


async def test_replies_follow_the_senders_language(team: Team, loopback: LoopbackServer) -> None:
    ivan = loopback.add_user(first_name="Иван", language_code="ru")
    reply = await team.say(ivan, "/grant 12345 moderator")
    assert reply.text.startswith("⛔ Выдавать роли могут только администраторы")


# --- four eyes are two people -----------------------------------------------------------------


async def test_a_legal_grant_waits_for_a_second_admin_and_gives_no_access_until_then(
    team: Team,
) -> None:
    """One admin's /grant of the legal role is a proposal: the person gets no legal command,
    no menu, and the admin cannot confirm it alone; a second admin's /grant confirms it."""
    await team.say(team.carl, "/start")
    proposed = await team.say(team.admin, f"/grant {team.carl.id} legal")
    assert "is not legal officer yet" in proposed.text
    assert f"/grant {team.carl.id} legal" in proposed.text
    assert "lists it" in proposed.text
    assert "legal officers only" in (await team.say(team.carl, "/legal")).text
    assert team.menu(team.carl) == []
    alone = await team.say(team.admin, f"/grant {team.carl.id} legal")
    assert "You proposed legal officer for @carl_c" in alone.text
    listing = await team.say(team.admin, "/roles")
    assert (
        f"@carl_c ({team.carl.id}) — legal officer, proposed by @ada_admin ({ADMIN_ID}) on "
        "2026-11-02 09:00 UTC; lapses 2026-11-09 09:00 UTC"
    ) in listing.text.split("Proposed, waiting for a second admin")[1]
    assert rows(team.bot.settings.database_path, "SELECT count(*) FROM role_grants") == [(0,)]
    confirmed = await team.say(team.abe, f"/grant {team.carl.id} legal")
    assert "is now legal officer" in confirmed.text
    assert "legal" in team.menu(team.carl)
    assert "No open legal requests" in (await team.say(team.carl, "/legal")).text
    listing = await team.say(team.admin, "/roles")
    assert (
        f"@carl_c ({team.carl.id}) — legal officer, granted by @ada_admin ({ADMIN_ID}) on "
        f"2026-11-02 09:00 UTC, confirmed by @abe_admin ({SECOND_ADMIN_ID})"
    ) in listing.text
    assert "Proposed, waiting" not in listing.text


async def test_an_admin_grant_needs_a_second_admin_too(team: Team) -> None:
    """Otherwise one admin makes a second admin account that confirms its legal grants."""
    proposed = await team.say(team.admin, f"/grant {team.carl.id} admin")
    assert "is not admin yet" in proposed.text
    refused = await team.say(team.carl, f"/grant {team.carl.id} legal")
    assert refused.text.startswith("⛔ Only admins")
    withdrawn = await team.say(team.abe, f"/revoke {team.carl.id} admin")
    assert "is withdrawn; it never took effect" in withdrawn.text
    again = await team.say(team.abe, f"/grant {team.carl.id} admin")
    assert "is not admin yet" in again.text  # a new proposal, by the second admin now


async def test_an_admin_role_written_into_the_database_cannot_give_legal_roles(
    team: Team,
) -> None:
    """Someone with the database's password makes Carl an admin (a row as two admins'
    confirmation would leave it, without the seal only the bot makes). Carl keeps the admin
    commands, but cannot propose or confirm a legal grant, and /roles shows the row as not
    sealed; before sealed grants, two such accounts confirmed each other's legal grants."""
    await team.say(team.carl, "/start")  # the bot idle, as the insider finds it
    month_ago = utc_text(datetime(2026, 10, 1, tzinfo=UTC))
    await execute_beside(
        team.bot.settings.database,
        "INSERT INTO role_grants (user_id, role, granted_by, granted_at, confirmed_by, "
        "confirmed_at) VALUES (?, 'admin', ?, ?, ?, ?)",
        (team.carl.id, ADMIN_ID, month_ago, SECOND_ADMIN_ID, month_ago),
    )
    refused = await team.say(team.carl, f"/grant {team.moderator.id} legal")
    assert refused.text.startswith("⛔ Your admin role is held by a grant that is not sealed")
    await team.say(team.admin, f"/grant {team.moderator.id} legal")
    confirm = await team.say(team.carl, f"/grant {team.moderator.id} legal")
    assert confirm.text.startswith("⛔ Your admin role is held by a grant that is not sealed")
    listing = await team.say(team.admin, "/roles")
    assert f"@carl_c ({team.carl.id}) — admin" in listing.text
    assert "not sealed" in listing.text
    refusals = team.audit("role.grant_refused")
    assert [(r[0], json.loads(r[2])["reason"]) for r in refusals] == [
        (team.carl.id, "unsealed_admin")
    ] * 2


async def test_every_legal_officer_is_told_of_each_legal_grant_and_revocation(
    team: Team,
) -> None:
    """Issue 27: a legal role could be given behind the legal officers' backs. Now each of them
    (and the person) gets a Telegram message for the proposal, the confirmation (naming both
    admins) and the revocation."""
    await team.say(team.legal, "/start")
    await team.say(team.carl, "/start")
    await team.say(team.admin, f"/grant {team.carl.id} legal")
    await team.say(team.abe, f"/grant {team.carl.id} legal")
    await team.say(team.admin, f"/revoke {team.carl.id} legal")
    await team.flush()
    told = [m.text for m in team.legal.messages() if m.text.startswith(ROLE_NOTICE)]
    assert told == [
        f"👥 Legal role proposed for @carl_c ({team.carl.id}) by admin {ADMIN_ID}. It takes "
        "effect only when a second admin confirms it. If you did not expect this, tell the "
        "other legal officers and the admins.",
        f"👥 New legal officer: @carl_c ({team.carl.id}), proposed by admin {ADMIN_ID} and "
        f"confirmed by admin {SECOND_ADMIN_ID}. Their approvals count only after the cool-off "
        "(LEGAL_GRANT_COOL_OFF_HOURS), and never on requests registered or approved by the "
        "admins who gave them the role. If you did not expect this, tell the other legal "
        "officers and the admins.",
        f"👥 Legal role revoked: @carl_c ({team.carl.id}) is no longer a legal officer "
        f"(revoked by admin {ADMIN_ID}). Their approvals of requests not yet disclosed no "
        "longer count.",
    ]
    assert [m.text[:30] for m in team.carl.messages() if m.text.startswith(ROLE_NOTICE)] == [
        "👥 New legal officer: @carl_c (",
        "👥 Legal role revoked: @carl_c ",
    ]
