"""The guided report's transitions: one event applied to one draft, inside the caller's
transaction (moderation/reporting/guided.py opens it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from moderation.ports import ReportingUnit
from moderation.reporting.categories import Categories
from moderation.reporting.drafts import Draft, Field, Step
from moderation.reporting.filing import already_reported, file_in, refusal_for
from moderation.reporting.guided_inputs import (
    RAW_INPUT_MAX,
    Action,
    ButtonInput,
    CommandInput,
    Event,
    Input,
    TextInput,
    media_kind,
    origin_of,
    raw_text,
    result_from,
)
from moderation.reporting.guided_replies import (
    AlreadyReported,
    Cancelled,
    HoldReason,
    Notice,
    OnHold,
    Outside,
    Problem,
    Prompt,
    Refused,
    Reply,
    StaleButton,
    Submitted,
    problem_for,
)
from moderation.reporting.target_terms import search_term
from moderation.reporting.targets import ForwardOrigin, ParseProblem, TargetKind, TargetRef
from moderation.reporting.types import AlreadyFiled, NewReport, ReportLimits, ReportSource
from moderation.review.priority import CasePolicy
from moderation.text import clean_line, clean_multiline

QUERY_MAX = 256
COMMENT_MAX = 1000
SEARCH_TERM_INPUT = "(the search term itself)"


@dataclass(frozen=True, slots=True)
class FlowConfig:
    categories: Categories
    limits: ReportLimits
    timeout: timedelta
    resolve_timeout: float = 3.0
    policy: CasePolicy = field(default_factory=CasePolicy)


class GuidedStep:
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
        self.result = result_from(value, draft, self.now)
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
            return Cancelled(had_draft=True, shown_in=self._shown_in(draft))
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
            return Outside(None, notice, media_kind(value))
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
                    draft,
                    self.result,
                    raw_text(value),
                    origin_of(value),
                    notice=Notice.RESULT_NOTED,
                )
            if not isinstance(value, TextInput):
                return await self._hold(draft, HoldReason.MEDIA, media_kind(value))
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
                return await self._hold(draft, HoldReason.MEDIA, media_kind(value))
            if isinstance(self.result, ParseProblem):
                return Prompt(draft, problem_for(self.result))
            return await self._take_result(draft, self.result, raw_text(value), origin_of(value))
        if step is Step.CATEGORY and isinstance(value, TextInput):
            key = self._category_named(value.text)
            if key is not None:
                return await self._save(replace(draft, category=key))
        if step is Step.COMMENT:
            if not isinstance(value, TextInput):
                return await self._hold(draft, HoldReason.MEDIA, media_kind(value))
            comment = clean_multiline(value.text)
            if not comment:
                return Prompt(draft, Problem.COMMENT_EMPTY)
            if len(comment) > COMMENT_MAX:
                return Prompt(draft, Problem.COMMENT_TOO_LONG)
            return await self._save(replace(draft, comment=comment, comment_done=True))
        # A step answered with a button (category, summary, edit menu): nothing to take here.
        if isinstance(value, TextInput):
            return await self._hold(draft, HoldReason.TEXT)
        return await self._hold(draft, HoldReason.MEDIA, media_kind(value))

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
            raw_input=None if found is None else raw_text(value),
            forward_origin=None if found is None else origin_of(value),
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
            touched = replace(updated.touched(self.now, self.config.timeout), shown_in=None)
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
            shown_in=self._shown_in(draft),
        )
        await self.uow.drafts.save(saved)
        return Prompt(saved)

    async def _hold(self, draft: Draft, reason: HoldReason, detail: str = "") -> Reply:
        held = replace(draft.touched(self.now, self.config.timeout), on_hold=True, shown_in=None)
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
        return Submitted(outcome, shown_in=self._shown_in(draft))

    async def _drop(self, draft: Draft, action: str) -> None:
        await self.uow.drafts.delete(draft.user_id)
        await self.uow.audit.append(
            at=self.now,
            actor_id=draft.user_id,
            action=action,
            subject_type="draft",
            subject_id=draft.draft_id,
        )

    def _shown_in(self, draft: Draft) -> int | None:
        """Where the answer will show: a press on a step's buttons edits the message that
        asks the step (the pressed one, or the newer copy `draft.shown_in` names); anything
        else (a message, a command, Continue) is answered with a new message: None."""
        value = self.event.input
        if isinstance(value, ButtonInput) and value.action is not Action.CONTINUE:
            return draft.shown_in
        return None

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
