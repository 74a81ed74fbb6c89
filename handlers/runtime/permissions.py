"""Who may use which command where: the one table the access-control matrix is generated from.

Each handler enforces its own rule (and audit-logs every denial); these tables state them all
in one place, and tests/reliability/test_access_matrix.py drives every command and every button
against every role from them, and fails when a registered command or a button action is
missing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


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

_EVERYONE_PRIVATE = PEOPLE[Where.PRIVATE]
_EVERYONE_REVIEW = PEOPLE[Where.REVIEW]
_REVIEWERS = frozenset({Who.MODERATOR, Who.ADMIN, Who.CHAT_ADMIN})
_STAFF = frozenset({Who.MODERATOR, Who.LEGAL, Who.ADMIN})
_ADMINS = frozenset({Who.ADMIN})


@dataclass(frozen=True, slots=True)
class Access:
    """`private` / `review`: who is served there; None: the command does not apply there
    (the bot leaves it to other handlers, e.g. a private-only command sent in a group)."""

    private: frozenset[Who] | None
    review: frozenset[Who] | None


#: Every command the bot registers. A denial is audit-logged by the command's handler.
ACCESS: Final[Mapping[str, Access]] = {
    # everyone, in a private chat
    "start": Access(_EVERYONE_PRIVATE, None),
    "help": Access(_EVERYONE_PRIVATE, _EVERYONE_REVIEW),
    "report": Access(_EVERYONE_PRIVATE - {Who.BLOCKED}, _EVERYONE_REVIEW),  # group: a pointer
    "cancel": Access(_EVERYONE_PRIVATE, None),
    "skip": Access(_EVERYONE_PRIVATE, None),
    "myreports": Access(_EVERYONE_PRIVATE, None),
    "notify": Access(_EVERYONE_PRIVATE, None),
    "appeal": Access(_EVERYONE_PRIVATE, None),
    # the review queue and replies to case messages
    "queue": Access(_STAFF, _REVIEWERS | {Who.LEGAL}),
    "reject": Access(None, _REVIEWERS | {Who.LEGAL}),
    "escalate": Access(None, _REVIEWERS | {Who.LEGAL}),
    # reporters' blocks, roles, statistics, health
    "block": Access(frozenset({Who.MODERATOR, Who.ADMIN}), frozenset({Who.MODERATOR, Who.ADMIN})),
    "unblock": Access(frozenset({Who.MODERATOR, Who.ADMIN}), frozenset({Who.MODERATOR, Who.ADMIN})),
    "grant": Access(_ADMINS, _ADMINS),
    "revoke": Access(_ADMINS, _ADMINS),
    "roles": Access(_ADMINS, _ADMINS),
    "stats": Access(_ADMINS, _ADMINS),
    "health": Access(_ADMINS, _ADMINS),
    # legal requests (an admin who is not a legal officer may only `/legal override`)
    "legal": Access(frozenset({Who.LEGAL}), None),
    "lookup": Access(frozenset({Who.LEGAL}), None),
    "transparency": Access(frozenset({Who.LEGAL, Who.ADMIN}), _ADMINS),
}


@dataclass(frozen=True, slots=True)
class ButtonAccess:
    """Who a press is served for, and where the button is: in the review chat on a pending
    case (`escalated`: on a case handed to admins and legal officers), or in a private chat."""

    where: Where
    served: frozenset[Who]
    escalated: frozenset[Who] | None = None


_REVIEW_BUTTON = ButtonAccess(Where.REVIEW, _REVIEWERS, escalated=frozenset({Who.ADMIN, Who.LEGAL}))

#: Every button the bot makes, as "<callback prefix>:<action>" (handlers/callback_data.py).
#: A denied press is answered with an alert and audit-logged; nothing changes.
BUTTONS: Final[Mapping[str, ButtonAccess]] = {
    # a reporter's own draft, in the private chat; a blocked reporter may not file it
    **{
        f"r1:{action}": ButtonAccess(Where.PRIVATE, _EVERYONE_PRIVATE)
        for action in ("new", "term", "cat", "skip", "edit", "field", "back", "cancel", "cont")
    },
    "r1:submit": ButtonAccess(Where.PRIVATE, _EVERYONE_PRIVATE - {Who.BLOCKED}),
    # a case in the review chat
    **{
        f"c1:{action}": _REVIEW_BUTTON
        for action in ("approve", "confirm", "reject", "reason", "back", "escalate")
    },
    # undo: the moderator who decided, or an admin (the matrix's cases are decided by another
    # moderator, so only the admin is served there)
    "c1:undo": ButtonAccess(Where.REVIEW, _ADMINS),
    # /queue's "post now", in a private chat
    "c1:post": ButtonAccess(
        Where.PRIVATE,
        frozenset({Who.MODERATOR, Who.ADMIN}),
        escalated=frozenset({Who.ADMIN, Who.LEGAL}),
    ),
    # an appeal in the review chat (never by the moderator who made the decision appealed)
    "a1:uphold": ButtonAccess(Where.REVIEW, _REVIEWERS),
    "a1:overturn": ButtonAccess(Where.REVIEW, _REVIEWERS),
}

#: Audit actions that record a denial.
DENIALS: Final = frozenset(
    {
        "access.denied",
        "appeal.refused.not_allowed",
        "appeal.refused.same_moderator",
        "case.press_refused",
        "legal.refused",
        "role.grant_refused",
        "role.revoke_refused",
        "reporter.block_refused",
        "reporter.unblock_refused",
        "report.blocked_refused",
    }
)
