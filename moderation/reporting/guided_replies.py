"""What the guided report answers, as typed replies for handlers/report_views.py to render."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from moderation.reporting.drafts import Draft
from moderation.reporting.targets import ParseProblem
from moderation.reporting.types import FilingOutcome, Refusal


class Problem(StrEnum):
    QUERY_EMPTY = "query_empty"
    QUERY_TOO_LONG = "query_too_long"
    RESULT_EMPTY = "result_empty"
    RESULT_NOT_TELEGRAM = "result_not_telegram"
    RESULT_BAD_USERNAME = "result_bad_username"
    RESULT_PHONE_LINK = "result_phone_link"
    RESULT_UNSUPPORTED_LINK = "result_unsupported_link"
    RESULT_HIDDEN_USER = "result_hidden_user"
    RESULT_PRIVATE_UNKNOWN = "result_private_unknown"
    RESULT_TOO_LONG = "result_too_long"
    COMMENT_EMPTY = "comment_empty"
    COMMENT_TOO_LONG = "comment_too_long"
    SKIP_NOT_HERE = "skip_not_here"


class Notice(StrEnum):
    EXPIRED = "expired"  # the previous draft had timed out
    RESULT_NOTED = "result_noted"  # a link sent where the query was asked: kept for later
    STARTED_WITH_RESULT = "started_with_result"  # a link or forward started the report


@dataclass(frozen=True, slots=True)
class Prompt:
    """Show the draft's current step (with a problem to explain, or a notice)."""

    draft: Draft
    problem: Problem | None = None
    notice: Notice | None = None
    detail: str = ""  # e.g. what kind of media was sent
    # The question asked again for an update handled before (its reply may be lost): the
    # message that shows it is recorded as the one that asks (guided.note_shown).
    again: bool = False


class HoldReason(StrEnum):
    """Why an open report was put on hold instead of taking what was sent as an answer."""

    COMMAND = "command"  # another command; its own answer comes with the notice
    REPORT = "report"  # /report (or the Report button) while this one is open
    MEDIA = "media"  # a sticker, photo, forward ... where it answers nothing
    TEXT = "text"  # text at a step that is answered with a button
    WAITING = "waiting"  # anything sent while the report is already on hold


@dataclass(frozen=True, slots=True)
class OnHold:
    """An open report the reporter turned away from: say which, at what step, and offer
    Continue / Cancel. Until they continue, nothing they send is taken as an answer."""

    draft: Draft
    reason: HoldReason
    detail: str = ""  # e.g. what kind of media was sent


@dataclass(frozen=True, slots=True)
class Submitted:
    outcome: FilingOutcome
    shown_in: int | None = None  # the report's newest question (Draft.shown_in), if any


@dataclass(frozen=True, slots=True)
class Refused:
    refusal: Refusal


@dataclass(frozen=True, slots=True)
class AlreadyReported:
    report_id: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    had_draft: bool
    shown_in: int | None = None  # as Submitted's


@dataclass(frozen=True, slots=True)
class StaleButton:
    """A button of a finished, expired or replaced report, or of a step already answered."""

    draft: Draft | None


@dataclass(frozen=True, slots=True)
class Outside:
    """A message outside any report: explain how to report (or what was wrong with a link)."""

    problem: Problem | None = None
    notice: Notice | None = None
    detail: str = ""


Reply = Prompt | OnHold | Submitted | Refused | AlreadyReported | Cancelled | StaleButton | Outside


def problem_for(problem: ParseProblem) -> Problem:
    return Problem(f"result_{problem.kind.value}")
