"""Who may use which command and which button where: the one table the gate enforces.

`handlers/runtime/gate.py` reads it for every command and button before the handler runs
(refusing with the entry's text and an audit row), and tests/reliability/test_access_matrix.py
drives every command and every button against every role from it. Rules about one case or one
request (undo by the moderator who decided, appeals not by the moderator appealed against,
escalated cases, a legal officer's own steps, blocked reporters filing) stay in the domain; the
entries name who the gate lets through for the domain to decide (`escalated`, `by_domain`).
The staff commands' roles come from the domain's own table (moderation/staff/commands.py `MAY`),
which checks them again inside the transaction that acts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from moderation.staff.commands import MAY, StaffCommand
from moderation.staff.roles import Role


class Who(StrEnum):
    REPORTER = "reporter"  # anyone without a role
    BLOCKED = "blocked"  # a reporter an admin or moderator blocked
    MODERATOR = "moderator"
    LEGAL = "legal"  # legal officer
    ADMIN = "admin"
    CHAT_ADMIN = "chat_admin"  # an administrator of the review chat without a role
    STRANGER = "stranger"  # a member of the review chat without a role


class Where(StrEnum):
    PRIVATE = "private"
    REVIEW = "review"  # the review chat


#: Who can be where: in a private chat everyone is themselves; in the review chat people
#: without a role are either its administrators or strangers.
PEOPLE: Final[Mapping[Where, frozenset[Who]]] = {
    Where.PRIVATE: frozenset({Who.REPORTER, Who.BLOCKED, Who.MODERATOR, Who.LEGAL, Who.ADMIN}),
    Where.REVIEW: frozenset({Who.MODERATOR, Who.LEGAL, Who.ADMIN, Who.CHAT_ADMIN, Who.STRANGER}),
}

#: The Who of each role.
ROLE_WHO: Final[Mapping[Role, Who]] = {
    Role.ADMIN: Who.ADMIN,
    Role.MODERATOR: Who.MODERATOR,
    Role.LEGAL: Who.LEGAL,
}

_EVERYONE_PRIVATE = PEOPLE[Where.PRIVATE]
_EVERYONE_REVIEW = PEOPLE[Where.REVIEW]
_REVIEWERS = frozenset({Who.MODERATOR, Who.ADMIN, Who.CHAT_ADMIN})
_STAFF = frozenset({Who.MODERATOR, Who.LEGAL, Who.ADMIN})
_ADMINS = frozenset({Who.ADMIN})
_ADMINS_AND_LEGAL = frozenset({Who.ADMIN, Who.LEGAL})
#: Nobody: a command refused to everyone in a place.
_NOBODY: frozenset[Who] = frozenset()


@dataclass(frozen=True, slots=True)
class Refusal:
    """How the gate answers a refused command (audit-logged first as `access.denied`, with
    the command; `chat_type` too when `where_in_audit`)."""

    text: str  # the text key of the reply
    wrong_place: str | None = None  # for staff served with this command in another chat
    # (and the audit row says why: `not_staff` or `wrong_chat`)
    review_voice: bool = False  # in the review chat's language, out of its message budget
    where_in_audit: bool = True


@dataclass(frozen=True, slots=True)
class Access:
    """`private` / `review`: who is served there; None: the command does not apply there
    (the bot leaves it to other handlers, e.g. a private-only command sent in a group, or
    ignores it). `elsewhere`: the same for any other group. `by_domain`: people the table
    counts as refused whom the gate lets through because the domain refuses them itself (a
    blocked reporter: the block is read in the transaction that files the report, so a report
    already in progress is answered as such). `argument`: a first argument (lower case) that
    changes who is served; the sub-entry's refusal answers those the command serves."""

    private: frozenset[Who] | None
    review: frozenset[Who] | None
    refusal: Refusal | None = None  # None: nobody is refused
    elsewhere: frozenset[Who] | None = None
    by_domain: frozenset[Who] = frozenset()
    argument: tuple[str, Access] | None = None

    def served(self, where: Where | None) -> frozenset[Who] | None:
        if where is None:
            return self.elsewhere
        return self.private if where is Where.PRIVATE else self.review


_QUEUE_REFUSAL = Refusal("review.queue.not_moderator", review_voice=True)
_REPLY_REFUSAL = Refusal("review.alert.not_moderator", review_voice=True)


def _staff_command(command: StaffCommand) -> Access:
    """Running the team: who comes from the domain's table, in a private chat or the review
    chat (ignored in other groups)."""
    who = frozenset(ROLE_WHO[role] for role in MAY[command])
    refusal = Refusal(f"staff.refused.{command.value}", where_in_audit=False)
    return Access(who, who, refusal)


#: Every command the bot registers.
ACCESS: Final[Mapping[str, Access]] = {
    # everyone, in a private chat
    "start": Access(_EVERYONE_PRIVATE, None),
    "help": Access(_EVERYONE_PRIVATE, _EVERYONE_REVIEW, elsewhere=frozenset(Who)),
    "report": Access(  # in a group: a pointer to the private chat
        _EVERYONE_PRIVATE - {Who.BLOCKED},
        _EVERYONE_REVIEW,
        elsewhere=frozenset(Who),
        by_domain=frozenset({Who.BLOCKED}),
    ),
    "cancel": Access(_EVERYONE_PRIVATE, None),
    "skip": Access(_EVERYONE_PRIVATE, None),
    "myreports": Access(_EVERYONE_PRIVATE, None),
    "notify": Access(_EVERYONE_PRIVATE, None),
    "appeal": Access(_EVERYONE_PRIVATE, None),
    # the review queue (`/queue escalated`: admins and legal officers), and replies to case
    # messages; the review chat's administrators may ask for the queue privately too
    "queue": Access(
        _STAFF | {Who.CHAT_ADMIN},
        _REVIEWERS | {Who.LEGAL},
        _QUEUE_REFUSAL,
        argument=(
            "escalated",
            Access(
                _ADMINS_AND_LEGAL,
                _ADMINS_AND_LEGAL,
                Refusal("review.queue.escalated_only", review_voice=True),
            ),
        ),
    ),
    # cases one at a time in a private chat (legal officers: escalated cases); `/review stop`
    "review": Access(_STAFF | {Who.CHAT_ADMIN}, None, Refusal("review.private.not_moderator")),
    "reject": Access(None, _REVIEWERS | {Who.LEGAL}, _REPLY_REFUSAL),
    "escalate": Access(None, _REVIEWERS | {Who.LEGAL}, _REPLY_REFUSAL),
    # reporters' blocks and roles (moderation/staff/commands.py), statistics, health
    **{command.value: _staff_command(command) for command in StaffCommand},
    "stats": Access(_ADMINS, _ADMINS, Refusal("stats.refused"), elsewhere=_NOBODY),
    "health": Access(_ADMINS, _ADMINS, Refusal("health.refused"), elsewhere=_NOBODY),
    # legal requests (an admin who is not a legal officer may only `/legal override`)
    "legal": Access(
        frozenset({Who.LEGAL}),
        None,
        Refusal("legal.refused", where_in_audit=False),
        argument=(
            "override",
            Access(_ADMINS_AND_LEGAL, None, Refusal("legal.refused", where_in_audit=False)),
        ),
    ),
    "lookup": Access(frozenset({Who.LEGAL}), None, Refusal("lookup.refused", where_in_audit=False)),
    "transparency": Access(
        _ADMINS_AND_LEGAL,
        _ADMINS,
        Refusal("transparency.refused", wrong_place="transparency.private_only"),
        elsewhere=_NOBODY,
    ),
}


@dataclass(frozen=True, slots=True)
class PressRefusal:
    """How the gate answers a refused press: an alert in the review chat's language, then
    `case.press_refused` in the audit log with `why` (and the case, when the button has one)."""

    text: str
    why: str


@dataclass(frozen=True, slots=True)
class ButtonAccess:
    """Who a press is served for, and where the button is: in the review chat on a pending
    case (`escalated`: on a case handed to admins and legal officers), or in a private chat
    (`also`: a second chat it is shown in). `by_domain`: let through by the gate for the case
    to decide (undo: the moderator who decided; appeals: the domain refuses legal officers).
    Without a refusal the gate refuses nobody (a reporter's own draft)."""

    where: Where
    served: frozenset[Who]
    escalated: frozenset[Who] | None = None
    refusal: PressRefusal | None = None
    by_domain: frozenset[Who] = frozenset()
    also: Where | None = None

    @property
    def admitted(self) -> frozenset[Who]:
        """Who the gate lets through where the button is."""
        return self.served | (self.escalated or frozenset()) | self.by_domain

    @property
    def places(self) -> frozenset[Where]:
        return frozenset({self.where} | ({self.also} if self.also else set()))


_CASE_REFUSAL = PressRefusal("review.alert.not_moderator", "not a moderator")
_REVIEW_BUTTON = ButtonAccess(Where.REVIEW, _REVIEWERS, _ADMINS_AND_LEGAL, _CASE_REFUSAL)
_PRIVATE_CASE_BUTTON = ButtonAccess(Where.PRIVATE, _REVIEWERS, _ADMINS_AND_LEGAL, _CASE_REFUSAL)
_APPEAL_BUTTON = ButtonAccess(
    Where.REVIEW,
    _REVIEWERS,
    refusal=PressRefusal("review.alert.not_moderator", "not a moderator (appeal)"),
    by_domain=frozenset({Who.LEGAL}),
)

#: Every button the bot makes, as "<callback prefix>:<action>" (handlers/callback_data.py).
#: A denied press is answered with an alert and audit-logged; nothing changes.
BUTTONS: Final[Mapping[str, ButtonAccess]] = {
    # a reporter's own draft, in the private chat; a blocked reporter may not file it
    **{
        f"r1:{action}": ButtonAccess(Where.PRIVATE, _EVERYONE_PRIVATE)
        for action in ("new", "term", "cat", "skip", "edit", "field", "back", "cancel", "cont")
    },
    "r1:submit": ButtonAccess(
        Where.PRIVATE, _EVERYONE_PRIVATE - {Who.BLOCKED}, by_domain=frozenset({Who.BLOCKED})
    ),
    # a case in the review chat
    **{
        f"c1:{action}": _REVIEW_BUTTON
        for action in ("approve", "confirm", "reject", "reason", "back", "escalate")
    },
    # undo: the moderator who decided, or an admin (the matrix's cases are decided by another
    # moderator, so only the admin is served there)
    "c1:undo": ButtonAccess(
        Where.REVIEW,
        _ADMINS,
        refusal=_CASE_REFUSAL,
        by_domain=frozenset({Who.MODERATOR, Who.CHAT_ADMIN, Who.LEGAL}),
    ),
    # /queue's "post now", in a private chat (or the review chat, when /queue was asked there)
    "c1:post": ButtonAccess(
        Where.PRIVATE,
        frozenset({Who.MODERATOR, Who.ADMIN, Who.CHAT_ADMIN}),
        _ADMINS_AND_LEGAL,
        _CASE_REFUSAL,
        also=Where.REVIEW,
    ),
    # a case served by /review in a private chat: the same decisions as on the case's post
    **{
        f"p1:{action}": _PRIVATE_CASE_BUTTON
        for action in ("approve", "confirm", "reject", "reason", "back", "escalate")
    },
    "p1:undo": ButtonAccess(
        Where.PRIVATE,
        _ADMINS,
        refusal=_CASE_REFUSAL,
        by_domain=frozenset({Who.MODERATOR, Who.CHAT_ADMIN, Who.LEGAL}),
    ),
    # moving through the queue there: everyone /review serves
    **{
        f"p1:{action}": ButtonAccess(Where.PRIVATE, _REVIEWERS | {Who.LEGAL}, refusal=_CASE_REFUSAL)
        for action in ("skip", "next", "stop")
    },
    # an appeal in the review chat (never by the moderator who made the decision appealed)
    "a1:uphold": _APPEAL_BUTTON,
    "a1:overturn": _APPEAL_BUTTON,
}


@dataclass(frozen=True, slots=True)
class ConsoleAccess:
    """Who the console's server answers on one endpoint (handlers/console/router.py enforces it
    before the endpoint runs; a refusal is 403 and `console.refused` in the audit log). People
    are named as in a private chat (a reporter, a blocked reporter, a role, an administrator
    of the review chat): the console knows the user, never a chat."""

    served: frozenset[Who]
    refusal: str = "forbidden"  # the API's error code


_CONSOLE_STAFF = _STAFF | {Who.CHAT_ADMIN}
_CONSOLE_REVIEW = ConsoleAccess(_CONSOLE_STAFF)

#: Every console endpoint, by name (the router's routes name theirs; an endpoint missing here
#: stops the console at start-up). Sub-entries ("queue.escalated") are what an endpoint asks
#: the router again for a part of its answer. Rules about one case (escalated cases, undo by
#: the one who decided) stay in the domain, as for the buttons.
CONSOLE: Final[Mapping[str, ConsoleAccess]] = {
    "session": ConsoleAccess(_CONSOLE_STAFF, "not_staff"),
    "queue": _CONSOLE_REVIEW,
    "queue.escalated": ConsoleAccess(_ADMINS_AND_LEGAL),  # escalated cases, listed or filtered
    "case": _CONSOLE_REVIEW,
    "decide": _CONSOLE_REVIEW,
    "undo": _CONSOLE_REVIEW,
    "notes": _CONSOLE_REVIEW,
    "next": _CONSOLE_REVIEW,
    "bulk": ConsoleAccess(_REVIEWERS),  # legal officers decide escalated cases one by one
    "legal": ConsoleAccess(_ADMINS_AND_LEGAL),  # admins read only
    "legal.vote": ConsoleAccess(frozenset({Who.LEGAL})),
    "stats": ConsoleAccess(_ADMINS),
    "roles": ConsoleAccess(_ADMINS),
}

#: Audit actions that record a denial.
DENIALS: Final = frozenset(
    {
        "access.denied",
        "appeal.refused.not_allowed",
        "appeal.refused.same_moderator",
        "case.press_refused",
        "console.refused",
        "legal.refused",
        "role.grant_refused",
        "role.revoke_refused",
        "reporter.block_refused",
        "reporter.unblock_refused",
        "report.blocked_refused",
    }
)
