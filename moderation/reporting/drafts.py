"""A guided report in progress. Kept in the database so it survives a restart of the bot."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from moderation.reporting.targets import ForwardOrigin, TargetRef
from moderation.reporting.types import ReportSource


class Step(StrEnum):
    QUERY = "query"
    RESULT = "result"
    CATEGORY = "category"
    COMMENT = "comment"
    CONFIRM = "confirm"
    EDIT = "edit"  # choosing which answer to change


class Field(StrEnum):
    """Answers the reporter can go back and change from the summary."""

    QUERY = "query"
    RESULT = "result"
    CATEGORY = "category"
    COMMENT = "comment"


@dataclass(frozen=True, slots=True)
class Draft:
    draft_id: int
    user_id: int
    chat_id: int
    step: Step
    language_code: str | None
    started_at: datetime
    updated_at: datetime
    expires_at: datetime
    source: ReportSource = ReportSource.GUIDED
    query: str | None = None
    target: TargetRef | None = None
    raw_input: str | None = None
    forward_origin: ForwardOrigin | None = None
    category: str | None = None
    comment: str | None = None
    comment_done: bool = False
    editing: bool = False
    # The reporter turned to something else (a command, a message that answers nothing):
    # nothing they send is taken as an answer until they choose to continue.
    on_hold: bool = False
    # The message that shows the current step when it is not the one the reporter presses:
    # the question sent again for an answer already handled (a takeover after a crash, when
    # the first reply may have gone out too). A press on an older copy moves the report on
    # in this one, so the newest message is the one that asks; None: the pressed message.
    shown_in: int | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def touched(self, now: datetime, timeout: timedelta) -> Draft:
        return replace(self, updated_at=now, expires_at=now + timeout)

    def next_step(self) -> Step:
        """The first unanswered question, or the summary when all are answered."""
        if self.query is None:
            return Step.QUERY
        if self.target is None:
            return Step.RESULT
        if self.category is None:
            return Step.CATEGORY
        if not self.comment_done and not self.editing:
            return Step.COMMENT
        return Step.CONFIRM
