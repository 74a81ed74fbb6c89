"""The guided report as a state machine over a stored draft.

`handle` takes one reporter event (a message, a button press, a command), applies it to the
reporter's draft inside one transaction and returns a typed reply for the Telegram glue to
render. A draft lives in the database, so a restart resumes where the reporter was; every state
change records the update id, so a redelivered update changes nothing twice.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from moderation.ports import ChatResolver, ReportingStore, ReportingUnit
from moderation.reporting.categories import Categories
from moderation.reporting.drafts import Draft, Field, Step
from moderation.reporting.filing import REDELIVERY_WINDOW, already_reported, file_in, refusal_for
from moderation.reporting.targets import (
    ForwardOrigin,
    ParseProblem,
    TargetKind,
    TargetRef,
    from_forward,
    from_mention,
    looks_like_target,
    parse_result,
    search_term,
)
from moderation.reporting.types import (
    AlreadyFiled,
    FilingOutcome,
    NewReport,
    Refusal,
    ReportLimits,
    ReportSource,
)
from moderation.review.priority import CasePolicy
from moderation.text import clean_line, clean_multiline

QUERY_MAX = 256
COMMENT_MAX = 1000
RAW_INPUT_MAX = 2048
SEARCH_TERM_INPUT = "(the search term itself)"


@dataclass(frozen=True, slots=True)
class FlowConfig:
    categories: Categories
    limits: ReportLimits
    timeout: timedelta
    resolve_timeout: float = 3.0
    policy: CasePolicy = field(default_factory=CasePolicy)


# --- what the reporter did ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reporter:
    user_id: int
    chat_id: int
    language_code: str | None
    username: str | None = None  # their @username now, so admins can name them (/block)


@dataclass(frozen=True, slots=True)
class Mention:
    """A text_mention entity: a user without a username, known by id."""

    user_id: int
    is_bot: bool
    title: str | None = None


@dataclass(frozen=True, slots=True)
class TextInput:
    text: str
    link: str | None = None  # the URL of the first url / text_link entity, if any
    mention: Mention | None = None


@dataclass(frozen=True, slots=True)
class ForwardInput:
    origin: ForwardOrigin
    text: str = ""


@dataclass(frozen=True, slots=True)
class MediaInput:
    """Anything that is not text: a sticker, photo, voice, contact, location, ..."""

    what: str


class Action(StrEnum):
    START = "new"
    TERM = "term"
    CATEGORY = "cat"
    SKIP = "skip"
    SUBMIT = "submit"
    EDIT = "edit"
    FIELD = "field"
    BACK = "back"
    CANCEL = "cancel"
    CONTINUE = "cont"  # back to an on-hold report's current question


@dataclass(frozen=True, slots=True)
class ButtonInput:
    action: Action
    draft_id: int
    arg: str = ""


@dataclass(frozen=True, slots=True)
class CommandInput:
    name: Literal["report", "cancel", "skip"]


Input = TextInput | ForwardInput | MediaInput | ButtonInput | CommandInput


@dataclass(frozen=True, slots=True)
class Event:
    reporter: Reporter
    input: Input
    update_id: int


# --- what the bot answers -----------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Refused:
    refusal: Refusal


@dataclass(frozen=True, slots=True)
class AlreadyReported:
    report_id: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    had_draft: bool


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


# --- the machine --------------------------------------------------------------------------


async def handle(
    store: ReportingStore,
    resolver: ChatResolver,
    event: Event,
    config: FlowConfig,
    now: datetime,
) -> Reply:
    # Telegram lookups happen before the transaction, which must stay short: text that names
    # a public @username is resolved now in case the draft reads it as the unsafe result.
    resolution: tuple[str, TargetRef] | None = None
    value = event.input
    if isinstance(value, TextInput) and value.mention is None:
        guess = parse_result(_result_text(value))
        if isinstance(guess, TargetRef) and guess.username and guess.chat_id is None:
            resolved = await resolve_target(resolver, guess, config)
            if isinstance(resolved, TargetRef):
                resolution = (guess.key, resolved)
    async with store.transaction() as uow:
        if not await uow.updates.mark_processed(event.update_id, now):
            return await _redelivered(uow, event, now)
        return await _Step(uow, event, config, now, resolution).run()


async def hold_open_report(
    store: ReportingStore, user_id: int, config: FlowConfig, now: datetime
) -> Draft | None:
    """A command outside the report (/start, /help, /myreports ...) puts an open report on
    hold, so the reporter's next message is not silently taken as its answer. Returns the
    held draft, or None when there is no open report (an expired one is left to the sweep)."""
    async with store.reading() as uow:  # most commands come with no report open: no write
        draft = await uow.drafts.get(user_id)
    if draft is None or draft.expired(now):
        return None
    async with store.transaction() as uow:
        draft = await uow.drafts.get(user_id)
        if draft is None or draft.expired(now):
            return None
        held = replace(draft.touched(now, config.timeout), on_hold=True)
        await uow.drafts.save(held)
        return held


async def expire_drafts(store: ReportingStore, now: datetime, limit: int = 100) -> list[Draft]:
    """Drops drafts idle past their timeout; the caller tells each reporter."""
    async with store.transaction() as uow:
        expired = await uow.drafts.take_expired(now, limit)
        for draft in expired:
            await uow.audit.append(
                at=now,
                actor_id=draft.user_id,
                action="report.draft_expired",
                subject_type="draft",
                subject_id=draft.draft_id,
            )
        return expired


async def _redelivered(uow: ReportingUnit, event: Event, now: datetime) -> Reply:
    """Telegram sent this update again (we crashed before confirming it): answer, change nothing."""
    filed = await uow.reports.id_for_update(event.update_id, now - REDELIVERY_WINDOW)
    if filed is not None:
        return Submitted(AlreadyFiled(filed))
    draft = await uow.drafts.get(event.reporter.user_id)
    if draft is None:
        return Outside()
    return OnHold(draft, HoldReason.WAITING) if draft.on_hold else Prompt(draft)


def _result_from(
    value: Input, draft: Draft | None, now: datetime
) -> TargetRef | ParseProblem | None:
    """What `value` says about the unsafe result, when it is being read as one."""
    active = draft is not None and not draft.expired(now)
    expecting = draft is not None and active and draft.step is Step.RESULT
    early = draft is not None and active and draft.step is Step.QUERY and draft.target is None
    if isinstance(value, ForwardInput):
        return from_forward(value.origin) if (expecting or early or not active) else None
    if not isinstance(value, TextInput):
        return None
    if value.mention is not None and (expecting or early or not active):
        return from_mention(value.mention.user_id, value.mention.is_bot, value.mention.title)
    if expecting:
        return parse_result(_result_text(value))
    if (early or not active) and (
        looks_like_target(value.text) or (value.link and value.link.strip() == value.text.strip())
    ):
        return parse_result(_result_text(value))
    return None


def _result_text(value: TextInput) -> str:
    """A single pasted token is read whole; otherwise the first link (or hyperlink) in it."""
    text = value.text.strip()
    if value.link is None:
        return text
    single_token = bool(text) and not any(ch.isspace() for ch in text)
    return text if single_token and value.link in text else value.link


async def resolve_target(
    resolver: ChatResolver, found: TargetRef | ParseProblem | None, config: FlowConfig
) -> TargetRef | ParseProblem | None:
    if not isinstance(found, TargetRef) or found.username is None or found.chat_id is not None:
        return found
    try:
        chat = await asyncio.wait_for(resolver.resolve(found.username), config.resolve_timeout)
    except TimeoutError:
        chat = None
    return found if chat is None else found.resolved(chat.chat_id, chat.kind, chat.title)


class _Step:
    """One event applied to one draft, inside the caller's transaction."""

    def __init__(
        self,
        uow: ReportingUnit,
        event: Event,
        config: FlowConfig,
        now: datetime,
        resolution: tuple[str, TargetRef] | None,
    ) -> None:
        self.uow = uow
        self.event = event
        self.reporter = event.reporter
        self.config = config
        self.now = now
        self.resolution = resolution
        self.result: TargetRef | ParseProblem | None = None

    async def run(self) -> Reply:
        draft = await self.uow.drafts.get(self.reporter.user_id)
        notice: Notice | None = None
        if draft is not None and draft.expired(self.now):
            await self.uow.drafts.delete(self.reporter.user_id)
            draft, notice = None, Notice.EXPIRED
        value = self.event.input
        self.result = _result_from(value, draft, self.now)
        if (
            isinstance(self.result, TargetRef)
            and self.resolution is not None
            and self.resolution[0] == self.result.key
        ):
            self.result = self.resolution[1]
        if isinstance(value, CommandInput):
            return await self._command(value, draft, notice)
        if isinstance(value, ButtonInput):
            return await self._button(value, draft, notice)
        if draft is None:
            return await self._outside(value, notice)
        return await self._message(value, draft)

    # --- commands and buttons ---------------------------------------------------------

    async def _command(
        self, value: CommandInput, draft: Draft | None, notice: Notice | None
    ) -> Reply:
        if value.name == "cancel":
            if draft is not None:
                await self._drop(draft, "report.cancelled")
            return Cancelled(had_draft=draft is not None)
        if value.name == "report":
            if draft is not None:
                return await self._hold(draft, HoldReason.REPORT)
            return await self._start(None, notice)
        # /skip
        if draft is None:
            return Outside(Problem.SKIP_NOT_HERE, notice)
        if draft.on_hold:
            return await self._hold(draft, HoldReason.WAITING)
        if draft.step is not Step.COMMENT:
            return Prompt(draft, Problem.SKIP_NOT_HERE)
        return await self._save(replace(draft, comment=None, comment_done=True))

    async def _button(
        self, value: ButtonInput, draft: Draft | None, notice: Notice | None
    ) -> Reply:
        if value.action is Action.START:
            if draft is not None:
                return await self._hold(draft, HoldReason.REPORT)
            return await self._start(None, notice)
        if draft is None or draft.draft_id != value.draft_id:
            if value.action is Action.SUBMIT:
                filed = await self.uow.reports.id_for_draft(value.draft_id)
                if filed is not None:
                    return Submitted(AlreadyFiled(filed))
            return StaleButton(draft)
        if value.action is Action.CANCEL:
            await self._drop(draft, "report.cancelled")
            return Cancelled(had_draft=True)
        step = draft.step
        if value.action is Action.CONTINUE:
            return await self._save(draft, step=step)
        if value.action is Action.TERM and step is Step.RESULT and draft.query is not None:
            term = search_term(draft.query)
            if isinstance(term, ParseProblem):
                return Prompt(draft, Problem.QUERY_EMPTY)
            return await self._take_result(draft, term, SEARCH_TERM_INPUT, None)
        if value.action is Action.CATEGORY and step is Step.CATEGORY:
            if value.arg not in self.config.categories:
                return StaleButton(draft)
            return await self._save(replace(draft, category=value.arg))
        if value.action is Action.SKIP and step is Step.COMMENT:
            return await self._save(replace(draft, comment=None, comment_done=True))
        if value.action is Action.SUBMIT and step is Step.CONFIRM:
            return await self._submit(draft)
        if value.action is Action.EDIT and step is Step.CONFIRM:
            return await self._save(draft, step=Step.EDIT)
        if value.action is Action.BACK and step is Step.EDIT:
            return await self._save(draft, step=Step.CONFIRM)
        if value.action is Action.FIELD and step is Step.EDIT and value.arg in _FIELD_NAMES:
            return await self._save(
                replace(draft, editing=True), step=_FIELD_STEP[Field(value.arg)]
            )
        return StaleButton(draft)

    # --- messages ---------------------------------------------------------------------

    async def _outside(self, value: Input, notice: Notice | None) -> Reply:
        found = self.result
        if found is None:
            return Outside(None, notice, _media_kind(value))
        if isinstance(found, ParseProblem):
            return Outside(problem_for(found), notice)
        return await self._start(found, notice)

    async def _message(self, value: Input, draft: Draft) -> Reply:
        step = draft.step
        if draft.on_hold:
            return await self._hold(draft, HoldReason.WAITING)
        if step is Step.QUERY:
            if draft.target is None and self.result is not None:
                if isinstance(self.result, ParseProblem):
                    return Prompt(draft, problem_for(self.result))
                return await self._take_result(
                    draft, self.result, _raw(value), _origin(value), notice=Notice.RESULT_NOTED
                )
            if not isinstance(value, TextInput):
                return await self._hold(draft, HoldReason.MEDIA, _media_kind(value))
            query = clean_line(value.text)
            if not query:
                return Prompt(draft, Problem.QUERY_EMPTY)
            if len(query) > QUERY_MAX:
                return Prompt(draft, Problem.QUERY_TOO_LONG)
            target = draft.target
            if target is not None and target.kind is TargetKind.SEARCH_TERM:
                renamed = search_term(query)  # the term follows an edited query
                target = renamed if isinstance(renamed, TargetRef) else target
            return await self._save(replace(draft, query=query, target=target))
        if step is Step.RESULT:
            if self.result is None:
                return await self._hold(draft, HoldReason.MEDIA, _media_kind(value))
            if isinstance(self.result, ParseProblem):
                return Prompt(draft, problem_for(self.result))
            return await self._take_result(draft, self.result, _raw(value), _origin(value))
        if step is Step.CATEGORY and isinstance(value, TextInput):
            key = self._category_named(value.text)
            if key is not None:
                return await self._save(replace(draft, category=key))
        if step is Step.COMMENT:
            if not isinstance(value, TextInput):
                return await self._hold(draft, HoldReason.MEDIA, _media_kind(value))
            comment = clean_multiline(value.text)
            if not comment:
                return Prompt(draft, Problem.COMMENT_EMPTY)
            if len(comment) > COMMENT_MAX:
                return Prompt(draft, Problem.COMMENT_TOO_LONG)
            return await self._save(replace(draft, comment=comment, comment_done=True))
        # A step answered with a button (category, summary, edit menu): nothing to take here.
        if isinstance(value, TextInput):
            return await self._hold(draft, HoldReason.TEXT)
        return await self._hold(draft, HoldReason.MEDIA, _media_kind(value))

    # --- transitions ------------------------------------------------------------------

    async def _start(self, found: TargetRef | None, notice: Notice | None) -> Reply:
        refusal = await refusal_for(self.uow, self.reporter.user_id, self.config.limits, self.now)
        if refusal is not None:
            return Refused(refusal)
        if found is not None:
            previous = await already_reported(self.uow, self.reporter.user_id, found)
            if previous is not None:
                return AlreadyReported(previous)
        value = self.event.input
        draft = Draft(
            draft_id=new_draft_id(),
            user_id=self.reporter.user_id,
            chat_id=self.reporter.chat_id,
            step=Step.QUERY,
            language_code=self.reporter.language_code,
            started_at=self.now,
            updated_at=self.now,
            expires_at=self.now + self.config.timeout,
            source=ReportSource.GUIDED if found is None else ReportSource.SHORTCUT,
            target=found,
            raw_input=None if found is None else _raw(value),
            forward_origin=None if found is None else _origin(value),
        )
        # Remembers the reporter's language for the outcome notification (also on submit).
        await self.uow.users.touch(
            self.reporter.user_id,
            self.reporter.language_code,
            self.now,
            self.reporter.username,
        )
        reply = await self._save(draft)
        if found is not None and isinstance(reply, Prompt):
            return replace(reply, notice=Notice.STARTED_WITH_RESULT)
        return replace(reply, notice=notice) if isinstance(reply, Prompt) else reply

    async def _take_result(
        self,
        draft: Draft,
        target: TargetRef,
        raw: str,
        origin: ForwardOrigin | None,
        notice: Notice | None = None,
    ) -> Reply:
        previous = await already_reported(self.uow, self.reporter.user_id, target)
        if previous is not None:
            await self._drop(draft, "report.duplicate_refused")
            return AlreadyReported(previous)
        updated = replace(
            draft, target=target, raw_input=raw[:RAW_INPUT_MAX], forward_origin=origin
        )
        if notice is not None:  # the question stays the same, with the notice above it
            touched = updated.touched(self.now, self.config.timeout)
            await self.uow.drafts.save(touched)
            return Prompt(touched, notice=notice)
        return await self._save(updated)

    async def _save(self, draft: Draft, step: Step | None = None) -> Reply:
        following = step if step is not None else draft.next_step()
        saved = replace(
            draft.touched(self.now, self.config.timeout),
            step=following,
            editing=draft.editing and following is not Step.CONFIRM,
            on_hold=False,  # answering (or tapping Continue) takes it off hold
        )
        await self.uow.drafts.save(saved)
        return Prompt(saved)

    async def _hold(self, draft: Draft, reason: HoldReason, detail: str = "") -> Reply:
        held = replace(draft.touched(self.now, self.config.timeout), on_hold=True)
        await self.uow.drafts.save(held)
        return OnHold(held, reason, detail)

    async def _submit(self, draft: Draft) -> Reply:
        if draft.query is None or draft.target is None or draft.category is None:
            return Prompt(replace(draft, step=draft.next_step()))
        report = NewReport(
            reporter_id=draft.user_id,
            language_code=self.reporter.language_code or draft.language_code,
            query=draft.query,
            target=draft.target,
            category=draft.category,
            comment=draft.comment,
            raw_input=draft.raw_input or "",
            source=draft.source,
            forward_origin=draft.forward_origin,
            update_id=self.event.update_id,
            draft_id=draft.draft_id,
        )
        await self.uow.users.touch(
            self.reporter.user_id,
            self.reporter.language_code,
            self.now,
            self.reporter.username,
        )
        outcome = await file_in(self.uow, report, self.config.limits, self.now, self.config.policy)
        await self.uow.drafts.delete(draft.user_id)
        return Submitted(outcome)

    async def _drop(self, draft: Draft, action: str) -> None:
        await self.uow.drafts.delete(draft.user_id)
        await self.uow.audit.append(
            at=self.now,
            actor_id=draft.user_id,
            action=action,
            subject_type="draft",
            subject_id=draft.draft_id,
        )

    def _category_named(self, text: str) -> str | None:
        """Lets a reporter type a category's short name instead of tapping."""
        wanted = clean_line(text).casefold().lstrip("/")
        for category in self.config.categories:
            if wanted in {category.key, (category.label or "").casefold()}:
                return category.key
        return None


_FIELD_STEP = {
    Field.QUERY: Step.QUERY,
    Field.RESULT: Step.RESULT,
    Field.CATEGORY: Step.CATEGORY,
    Field.COMMENT: Step.COMMENT,
}


_FIELD_NAMES = frozenset(field.value for field in Field)


def new_draft_id() -> int:
    """Random, not the update id: Telegram may restart update ids after a quiet week."""
    return secrets.randbits(48) + 1


def problem_for(problem: ParseProblem) -> Problem:
    return Problem(f"result_{problem.kind.value}")


def _raw(value: Input) -> str:
    if isinstance(value, TextInput):
        return (value.link or value.text)[:RAW_INPUT_MAX]
    if isinstance(value, ForwardInput):
        return f"(forwarded from {value.origin.type})"
    return ""


def _origin(value: Input) -> ForwardOrigin | None:
    return value.origin if isinstance(value, ForwardInput) else None


def _media_kind(value: Input) -> str:
    if isinstance(value, MediaInput):
        return value.what
    if isinstance(value, ForwardInput):
        return "forward"
    return ""
