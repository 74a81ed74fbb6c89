"""Typed, versioned callback data for inline buttons (Telegram allows 64 bytes).

Every button the bot makes is built here and parsed back here; anything that does not parse
did not come from one of our buttons and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeVar

from moderation.reporting.categories import Categories
from moderation.reporting.guided_inputs import Action, ButtonInput
from moderation.review.types import Decision, RejectReason

MAX_BYTES: Final = 64
REPORT_PREFIX: Final = "r1"
_REPORT = re.compile(r"^r1:([a-z]{1,8}):([0-9a-z]{1,12}):([a-z0-9_]{0,20})$")
_ACTIONS = {action.value: action for action in Action}


def report_button(action: Action, draft_id: int = 0, arg: str = "") -> str:
    data = f"{REPORT_PREFIX}:{action.value}:{_base36(draft_id)}:{arg}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError("callback data over Telegram's 64-byte limit")
    return data


def parse_report_button(data: str | None) -> ButtonInput | None:
    if data is None or len(data) > MAX_BYTES:
        return None
    match = _REPORT.fullmatch(data)
    if match is None:
        return None
    action = _ACTIONS.get(match.group(1))
    if action is None:
        return None
    return ButtonInput(action, int(match.group(2), 36), match.group(3))


def _base36(number: int) -> str:
    if number < 0:
        raise ValueError("draft ids are not negative")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


# --- review buttons: c1:<action>:<case id>[:<arg>] -----------------------------------------

REVIEW_PREFIX: Final = "c1"
_REVIEW = re.compile(r"^c1:([a-z]{1,8}):([0-9]{1,18}):([a-z0-9_]{0,20})$")


class ReviewAction(StrEnum):
    APPROVE = "approve"  # opens the category confirmation
    CONFIRM = "confirm"  # approve with the category in arg
    REJECT = "reject"  # opens the reasons
    REASON = "reason"  # reject with the reason in arg
    BACK = "back"
    UNDO = "undo"
    ESCALATE = "escalate"  # hands the case to admins and legal officers
    POST = "post"  # from /queue: post this case now


@dataclass(frozen=True, slots=True)
class ReviewButton:
    action: ReviewAction
    case_id: int
    arg: str = ""


_REVIEW_ACTIONS = {action.value: action for action in ReviewAction}


def review_button(action: ReviewAction, case_id: int, arg: str = "") -> str:
    return _case_data(REVIEW_PREFIX, action, case_id, arg)


def parse_review_button(data: str | None) -> ReviewButton | None:
    parts = _case_parts(_REVIEW, _REVIEW_ACTIONS, data)
    return None if parts is None else ReviewButton(*parts)


_Action = TypeVar("_Action", bound=StrEnum)


def _case_data(prefix: str, action: StrEnum, case_id: int, arg: str) -> str:
    """`<prefix>:<action>:<case id>:<arg>`, the shape of the buttons on a case (c1, p1)."""
    data = f"{prefix}:{action.value}:{case_id}:{arg}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError("callback data over Telegram's 64-byte limit")
    return data


def _case_parts(
    pattern: re.Pattern[str], actions: Mapping[str, _Action], data: str | None
) -> tuple[_Action, int, str] | None:
    if data is None or len(data) > MAX_BYTES:
        return None
    match = pattern.fullmatch(data)
    if match is None:
        return None
    action = actions.get(match.group(1))
    if action is None:
        return None
    return action, int(match.group(2)), match.group(3)


def pressed_decision(
    confirm: bool, arg: str, categories: Categories
) -> tuple[Decision, str | None, RejectReason | None] | None:
    """The decision a category (`confirm`) or reason button on a case stands for, in the review
    chat or a private chat: (decision, category, reason), or None for an argument no button of
    ours carries now (a category removed since, a forged press)."""
    if confirm:
        return (Decision.APPROVED, arg, None) if arg in categories else None
    if arg not in {reason.value for reason in RejectReason}:
        return None
    return Decision.REJECTED, None, RejectReason(arg)


# --- appeal buttons: a1:<action>:<appeal id>: ------------------------------------------------

APPEAL_PREFIX: Final = "a1"
_APPEAL = re.compile(r"^a1:(uphold|overturn):([0-9]{1,18}):$")


class AppealAction(StrEnum):
    UPHOLD = "uphold"
    OVERTURN = "overturn"


@dataclass(frozen=True, slots=True)
class AppealButton:
    action: AppealAction
    appeal_id: int


def appeal_button(action: AppealAction, appeal_id: int) -> str:
    return f"{APPEAL_PREFIX}:{action.value}:{appeal_id}:"


def parse_appeal_button(data: str | None) -> AppealButton | None:
    if data is None or len(data) > MAX_BYTES:
        return None
    match = _APPEAL.fullmatch(data)
    if match is None:
        return None
    return AppealButton(AppealAction(match.group(1)), int(match.group(2)))


# --- review in a private chat: p1:<action>:<case id>:[<arg>] ---------------------------------

PRIVATE_REVIEW_PREFIX: Final = "p1"
_PRIVATE_REVIEW = re.compile(r"^p1:([a-z]{1,8}):([0-9]{1,18}):([a-z0-9_]{0,20})$")


class PrivateAction(StrEnum):
    """A case served by /review in a private chat (case id 0: none, for Next and Stop)."""

    APPROVE = "approve"  # opens the category confirmation
    CONFIRM = "confirm"  # approve with the category in arg
    REJECT = "reject"  # opens the reasons
    REASON = "reason"  # reject with the reason in arg
    BACK = "back"
    UNDO = "undo"
    ESCALATE = "escalate"
    SKIP = "skip"  # release this case and serve the next one
    NEXT = "next"  # serve the next case (after a decision, or to look again)
    STOP = "stop"  # end the review here (claims released)


@dataclass(frozen=True, slots=True)
class PrivateButton:
    action: PrivateAction
    case_id: int
    arg: str = ""


_PRIVATE_ACTIONS = {action.value: action for action in PrivateAction}


def private_button(action: PrivateAction, case_id: int = 0, arg: str = "") -> str:
    return _case_data(PRIVATE_REVIEW_PREFIX, action, case_id, arg)


def parse_private_button(data: str | None) -> PrivateButton | None:
    parts = _case_parts(_PRIVATE_REVIEW, _PRIVATE_ACTIONS, data)
    return None if parts is None else PrivateButton(*parts)
