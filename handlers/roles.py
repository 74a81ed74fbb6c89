"""/grant, /revoke, /roles (admins) and /block, /unblock (admins and moderators).

Private chats and the review chat only; in any other group these commands are ignored. Who may
run them is moderation/staff/commands.py's table, enforced before these handlers by the access gate
(and again by the domain, in the transaction that acts, with the audit trail); here the
arguments are passed on, the outcome rendered, and after a role change the person's command menu
refreshed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Final, TypeVar

from telegram import Message, Update, User

from handlers.i18n import Catalog, Html
from handlers.runtime.access import resolve_actor
from handlers.runtime.context import BotContext
from handlers.runtime.menus import set_staff_menu
from moderation.legal.ledger import LedgerKeys
from moderation.staff.commands import (
    REASON_MAX,
    ROLE_ORDER,
    BlockChanged,
    BlockOutcome,
    Bootstrap,
    GrantProposed,
    GrantWithdrawn,
    Person,
    Refusal,
    Refused,
    RoleChanged,
    RoleOutcome,
    StaffCommand,
    StaffEntry,
    StaffList,
    StaffStore,
    UnknownUsername,
    Usage,
)
from moderation.staff.roles import Role
from moderation.staff.team import block, grant, revoke, staff_list, unblock

Outcome = TypeVar("Outcome")
#: A staff command's act in the domain (moderation/staff/team.py): grant, revoke, block, unblock.
StaffAct = Callable[[StaffStore, Bootstrap, int, Sequence[str], datetime], Awaitable[Outcome]]

#: The setting each bootstrap role comes from, named in refusals.
SETTING: Final = {
    Role.ADMIN: "ADMIN_IDS",
    Role.MODERATOR: "MODERATOR_IDS",
    Role.LEGAL: "LEGAL_OFFICER_IDS",
}
#: /roles stays well inside Telegram's 4096 characters.
MAX_ROWS: Final = 40


class StaffViews:
    """Renders every outcome of the staff commands in one language."""

    def __init__(self, texts: Catalog, language: str | None) -> None:
        self._texts, self._language = texts, language

    def t(self, key: str, **params: object) -> str:
        return self._texts.render(self._language, key, **params)

    def person(self, person: Person) -> Html:
        if person.username:
            return Html(
                self.t("staff.person.named", username=person.username, user_id=person.user_id)
            )
        return Html(self.t("staff.person.id", user_id=person.user_id))

    def role(self, role: Role) -> str:
        return self.t(f"role.{role.value}")

    def roles(self, roles: Iterable[Role]) -> str:
        held = sorted(roles, key=ROLE_ORDER.index)
        return ", ".join(self.role(r) for r in held) if held else self.t("role.none")

    def role_outcome(self, outcome: RoleOutcome, menu_set: bool) -> str:
        if isinstance(outcome, RoleChanged):
            key = "staff.granted" if outcome.command is StaffCommand.GRANT else "staff.revoked"
            text = self.t(
                key,
                person=self.person(outcome.person),
                role=self.role(outcome.role),
                roles=self.roles(outcome.roles),
            )
            if outcome.replaced:
                text += "\n" + self.t("staff.granted.replaced")
            return text if menu_set else f"{text}\n{self.t('staff.menu_not_set')}"
        if isinstance(outcome, GrantProposed):
            text = self.t(
                "staff.proposed",
                person=self.person(outcome.person),
                role=self.role(outcome.role),
                user_id=outcome.person.user_id,
                role_value=outcome.role.value,
                until=self.utc(outcome.expires_at),
            )
            if outcome.regrant:
                text += "\n" + self.t("staff.proposed.regrant", person=self.person(outcome.person))
            return text
        if isinstance(outcome, GrantWithdrawn):
            return self.t(
                "staff.withdrawn",
                person=self.person(outcome.person),
                role=self.role(outcome.role),
                by=self.person(outcome.proposed_by),
            )
        return self._other(outcome)

    @staticmethod
    def utc(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M")

    def block_outcome(self, outcome: BlockOutcome) -> str:
        if isinstance(outcome, BlockChanged):
            person = self.person(outcome.person)
            if outcome.command is StaffCommand.UNBLOCK:
                return self.t("staff.unblocked", person=person)
            if outcome.reason:
                return self.t("staff.blocked_reason", person=person, reason=outcome.reason)
            return self.t("staff.blocked", person=person)
        return self._other(outcome)

    def staff_list(self, listing: StaffList) -> str:
        fixed = [e for e in listing.entries if e.bootstrap]
        granted = [e for e in listing.entries if not e.bootstrap]
        fixed_rows = [
            self.t("staff.list.bootstrap_row", person=self.person(e.person), role=self.role(e.role))
            for e in fixed
        ]
        granted_rows = [self._granted_row(e) for e in granted if not e.pending]
        pending_rows = [
            self.t(
                "staff.list.pending_row",
                person=self.person(e.person),
                role=self.role(e.role),
                by=self.person(e.granted_by) if e.granted_by else "?",
                at=self.utc(e.granted_at) if e.granted_at else "?",
                until=self.utc(e.expires_at) if e.expires_at else "?",
            )
            for e in granted
            if e.pending
        ]
        text = self.t(
            "staff.list", bootstrap=self._rows(fixed_rows), granted=self._rows(granted_rows)
        )
        if pending_rows:
            text += self.t("staff.list.pending", pending=self._rows(pending_rows))
        return text

    def _granted_row(self, entry: StaffEntry) -> str:
        row = self.t(
            "staff.list.granted_row",
            person=self.person(entry.person),
            role=self.role(entry.role),
            by=self.person(entry.granted_by) if entry.granted_by else "?",
            at=self.utc(entry.granted_at) if entry.granted_at else "?",
        )
        if entry.confirmed_by is not None:
            row += self.t("staff.list.confirmed_by", by=self.person(entry.confirmed_by))
        if entry.legacy:
            row += self.t("staff.list.legacy", user_id=entry.person.user_id, role=entry.role.value)
        return row

    def _rows(self, rows: list[str]) -> Html:
        if not rows:
            return Html(self.t("staff.list.none"))
        shown = rows[:MAX_ROWS]
        if len(rows) > MAX_ROWS:
            shown.append(self.t("staff.list.more", count=len(rows) - MAX_ROWS))
        return Html("\n".join(shown))

    def _other(self, outcome: Refused | Usage | UnknownUsername) -> str:
        if isinstance(outcome, Usage):
            return self.t(f"staff.usage.{outcome.command.value}")
        if isinstance(outcome, UnknownUsername):
            return self.t("staff.unknown_username", username=outcome.username)
        return self.refusal(outcome)

    def refusal(self, refused: Refused) -> str:
        if refused.reason is Refusal.NOT_ALLOWED:
            return self.t(f"staff.refused.{refused.command.value}")
        if refused.reason is Refusal.REASON_TOO_LONG:
            return self.t("staff.refused.reason_too_long", limit=REASON_MAX)
        person = self.person(refused.person) if refused.person else Html("?")
        role = refused.role
        params: dict[str, object] = {"person": person}
        if role is not None:
            params.update(role=self.role(role), setting=SETTING[role])
        key = f"staff.refused.{refused.reason.value}"
        if refused.reason is Refusal.ALREADY_HAS and refused.bootstrap:
            key = "staff.refused.already_has_bootstrap"
        if refused.reason is Refusal.STAFF:
            params["roles"] = self.roles(refused.roles)
        if refused.by is not None:
            params["by"] = self.person(refused.by)
        if refused.reason is Refusal.UNSEALED_PROPOSAL and refused.person is not None:
            params.update(user_id=refused.person.user_id, role_value=role.value if role else "")
        return self._texts.render(self._language, key, **params)


def _sent(update: Update) -> tuple[Message, User] | None:
    """The message and sender (the gate ignored the command in groups other than the review
    chat)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return None
    return message, user


def _keys(context: BotContext) -> LedgerKeys | None:
    """LEDGER_KEY's keys, which seal legal and admin grants (None: not set; the domain refuses
    such grants, naming it)."""
    ledger = context.services.ledger
    return None if ledger is None else ledger.keys


async def grant_command(update: Update, context: BotContext) -> None:
    await _role_command(update, context, partial(grant, keys=_keys(context)))


async def revoke_command(update: Update, context: BotContext) -> None:
    await _role_command(update, context, partial(revoke, keys=_keys(context)))


async def _role_command(update: Update, context: BotContext, act: StaffAct[RoleOutcome]) -> None:
    acted = await _act(update, context, act)
    if acted is None:
        return
    message, user, outcome = acted
    services = context.services
    menu_set = True
    if isinstance(outcome, RoleChanged):
        menu_set = await set_staff_menu(
            context.bot, services.texts, outcome.person.user_id, outcome.roles
        )
    views = StaffViews(services.texts, user.language_code)
    await message.reply_text(views.role_outcome(outcome, menu_set))


async def roles_command(update: Update, context: BotContext) -> None:
    services = context.services
    found = _sent(update)
    if found is None:
        return
    message, user = found
    views = StaffViews(services.texts, user.language_code)
    outcome = await staff_list(
        services.store,
        services.settings.bootstrap_roles,
        user.id,
        services.clock.now(),
        keys=_keys(context),
    )
    if isinstance(outcome, Refused):
        await message.reply_text(views.refusal(outcome))
        return
    await message.reply_text(views.staff_list(outcome))


async def staff_menu_on_start(update: Update, context: BotContext) -> None:
    """/start from staff also sets their menu: Telegram refuses a menu for a chat the person
    never opened, so one granted (or configured) before their first /start gets it now."""
    user = update.effective_user
    if user is None:
        return
    services = context.services
    actor = await resolve_actor(
        context.bot, services.store, services.settings, services.admins, user
    )
    roles = actor.roles
    if roles.is_staff:
        await set_staff_menu(context.bot, services.texts, user.id, roles.all)


async def block_command(update: Update, context: BotContext) -> None:
    await _block_command(update, context, block)


async def unblock_command(update: Update, context: BotContext) -> None:
    await _block_command(update, context, unblock)


async def _block_command(update: Update, context: BotContext, act: StaffAct[BlockOutcome]) -> None:
    acted = await _act(update, context, act)
    if acted is None:
        return
    message, user, outcome = acted
    views = StaffViews(context.services.texts, user.language_code)
    await message.reply_text(views.block_outcome(outcome))


async def _act(
    update: Update, context: BotContext, act: StaffAct[Outcome]
) -> tuple[Message, User, Outcome] | None:
    """Runs a staff command's act with the sender's arguments (the domain checks and audits)."""
    found = _sent(update)
    if found is None:
        return None
    message, user = found
    services = context.services
    outcome = await act(
        services.store,
        services.settings.bootstrap_roles,
        user.id,
        context.args or [],
        services.clock.now(),
    )
    return message, user, outcome
