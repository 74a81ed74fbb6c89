"""Renders the reporting flow's replies: one function per view, texts from the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callback_data import report_button
from handlers.i18n import Catalog, Html
from handlers.target_views import target_html
from moderation.reporting.categories import Categories
from moderation.reporting.drafts import Draft, Field, Step
from moderation.reporting.guided_inputs import Action
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
)
from moderation.reporting.one_message import Missing, OneMessageHelp
from moderation.reporting.targets import TargetRef
from moderation.reporting.types import (
    AlreadyFiled,
    AlreadyUnderReview,
    CaseStatus,
    Filed,
    FilingOutcome,
    LimitReached,
    ReporterBlocked,
    ReportSummary,
    Standing,
)
from moderation.text import shorten

#: The arg of the Cancel button under an on-hold notice: the notice may share its message with
#: another answer (/help, /myreports), so that message keeps its text and the reply is new.
HELD_NOTICE: Final = "held"

#: Where each step stands in the report, for "step 2 of 5".
_STEP_NUMBER: Final = {
    Step.QUERY: 1,
    Step.RESULT: 2,
    Step.CATEGORY: 3,
    Step.COMMENT: 4,
    Step.CONFIRM: 5,
    Step.EDIT: 5,
}


@dataclass(frozen=True, slots=True)
class View:
    text: str
    keyboard: InlineKeyboardMarkup | None = None
    alert: str | None = None  # for a button press: shown as a pop-up instead of a message
    ends_flow: bool = False  # the pressed message's buttons should go


class ReportViews:
    def __init__(self, texts: Catalog, categories: Categories, bot_username: str) -> None:
        self.texts = texts
        self.categories = categories
        self.bot_username = bot_username

    def t(self, language: str | None, key: str, **params: object) -> str:
        return self.texts.render(language, key, **params)

    # --- the flow's replies -----------------------------------------------------------

    def reply(self, reply: Reply, language: str | None) -> View:
        if isinstance(reply, Prompt):
            return self.prompt(reply, language)
        if isinstance(reply, OnHold):
            return self.on_hold(reply, language)
        if isinstance(reply, Submitted):
            return self.outcome(reply.outcome, language)
        if isinstance(reply, Refused):
            return self.refusal(reply.refusal, language)
        if isinstance(reply, AlreadyReported):
            return View(
                self.t(language, "report.already_under_review", report_id=reply.report_id),
                ends_flow=True,
            )
        if isinstance(reply, Cancelled):
            key = "report.cancelled" if reply.had_draft else "report.nothing_to_cancel"
            return View(self.t(language, key), ends_flow=True)
        if isinstance(reply, StaleButton):
            key = "report.button_stale" if reply.draft is None else "report.button_step_done"
            return View("", alert=self.t(language, key), ends_flow=reply.draft is None)
        return self.outside(reply, language)

    def prompt(self, prompt: Prompt, language: str | None) -> View:
        draft = prompt.draft
        parts: list[str] = []
        if prompt.notice is not None:
            parts.append(self._notice(prompt.notice, draft, language))
        if prompt.problem is not None:
            parts.append(self.problem(prompt.problem, language, prompt.detail))
        parts.append(self._question(draft, language))
        return View("\n\n".join(parts), self._keyboard(draft, language))

    def on_hold(self, held: OnHold, language: str | None) -> View:
        parts: list[str] = []
        if held.reason is HoldReason.MEDIA:
            what = self.t(language, f"media.{held.detail or 'other'}")
            parts.append(self.t(language, "report.held.media", what=what))
        elif held.reason in {HoldReason.TEXT, HoldReason.REPORT}:
            parts.append(self.t(language, f"report.held.{held.reason.value}"))
        parts.append(self.hold_notice(held.draft, language))
        return View("\n\n".join(parts), self.hold_keyboard(held.draft, language))

    def hold_notice(self, draft: Draft, language: str | None) -> str:
        """Which report is open (what it holds so far), where it stopped, and the choice."""
        lines = [self.t(language, "report.held.title")]
        if draft.query:
            lines.append(self.t(language, "report.held.query", query=shorten(draft.query, 80)))
        if draft.target is not None:
            target = Html(self.target(draft.target, language))
            lines.append(self.t(language, "report.held.result", target=target))
        if draft.category:
            category = self.category_label(draft.category, language)
            lines.append(self.t(language, "report.held.category", category=category))
        lines.append(
            self.t(
                language,
                "report.held.step",
                number=_STEP_NUMBER[draft.step],
                total=max(_STEP_NUMBER.values()),
                step=self.t(language, f"report.step.{draft.step.value}"),
            )
        )
        lines.append(self.t(language, "report.held.choice"))
        return "\n".join(lines)

    def hold_keyboard(self, draft: Draft, language: str | None) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self.t(language, "button.continue"),
                        callback_data=report_button(Action.CONTINUE, draft.draft_id),
                    ),
                    InlineKeyboardButton(
                        self.t(language, "button.cancel_report"),
                        callback_data=report_button(Action.CANCEL, draft.draft_id, HELD_NOTICE),
                    ),
                ]
            ]
        )

    def outcome(self, outcome: FilingOutcome, language: str | None) -> View:
        if isinstance(outcome, Filed | AlreadyFiled):
            text = self.t(language, "report.receipt", report_id=outcome.report_id)
            if isinstance(outcome, Filed) and outcome.standing is not Standing.OPEN:
                text += "\n\n" + self.t(language, f"report.standing.{outcome.standing.value}")
            return View(text, ends_flow=True)
        if isinstance(outcome, AlreadyUnderReview):
            key = (
                "report.already_under_review"
                if outcome.status is CaseStatus.PENDING
                else "report.already_reviewed"
            )
            return View(self.t(language, key, report_id=outcome.report_id), ends_flow=True)
        return self.refusal(outcome, language)

    def refusal(self, refusal: LimitReached | ReporterBlocked, language: str | None) -> View:
        if isinstance(refusal, ReporterBlocked):
            return View(self.t(language, "report.blocked"), ends_flow=True)
        return View(
            self.t(
                language,
                f"report.limit_{refusal.window.value}",
                limit=refusal.limit,
                retry_at=_when(refusal.retry_at),
            ),
            ends_flow=True,
        )

    def outside(self, outside: Outside, language: str | None) -> View:
        parts: list[str] = []
        if outside.notice is Notice.EXPIRED:
            parts.append(self.t(language, "report.notice.expired"))
        if outside.problem is Problem.SKIP_NOT_HERE:
            parts.append(self.t(language, "report.nothing_to_skip"))
        elif outside.problem is not None:
            parts.append(self.problem(outside.problem, language, outside.detail))
            parts.append(self.t(language, "report.outside.retry"))
        else:
            parts.append(self.t(language, "report.outside.hint"))
        return View("\n\n".join(parts), self.start_keyboard(language))

    def problem(self, problem: Problem, language: str | None, detail: str = "") -> str:
        what = self.t(language, f"media.{detail}") if detail else self.t(language, "media.other")
        return self.t(
            language,
            f"report.problem.{problem.value}",
            what=what,
            query_max=256,
            comment_max=1000,
        )

    def expired(self, draft: Draft, minutes: int) -> View:
        return View(
            self.t(draft.language_code, "report.timed_out", minutes=minutes),
            self.start_keyboard(draft.language_code),
        )

    # --- other reporter views ---------------------------------------------------------

    def one_message_help(self, help_: OneMessageHelp, language: str | None) -> View:
        parts: list[str] = []
        if help_.result_problem is not None:
            parts.append(self.problem(help_.result_problem, language))
        else:
            parts.append(
                self.t(language, f"report.one_message.{help_.missing.value}", given=help_.given)
            )
        parts.append(
            self.t(
                language,
                "report.one_message.usage",
                categories=Html(self.category_list(language)),
            )
        )
        if help_.missing is Missing.TARGET and help_.result_problem is None:
            parts = parts[1:]
        return View("\n\n".join(parts))

    def my_reports(self, reports: list[ReportSummary], language: str | None) -> View:
        if not reports:
            return View(self.t(language, "myreports.empty"), self.start_keyboard(language))
        lines = [self.t(language, "myreports.title", count=len(reports))]
        for report in reports:
            lines.append(
                self.t(
                    language,
                    "myreports.line",
                    report_id=report.id,
                    date=report.created_at.strftime("%Y-%m-%d"),
                    target=Html(self.target(report.target, language)),
                    category=self.category_label(report.category, language),
                    status=self.t(language, f"status.{report.status.value}"),
                )
            )
        lines.append(self.t(language, "myreports.footer"))
        return View("\n".join(lines))

    def notify(self, enabled: bool, changed: bool, language: str | None) -> View:
        key = "notify.on" if enabled else "notify.off"
        text = self.t(language, key)
        if not changed:
            text += "\n\n" + self.t(language, "notify.usage")
        return View(text)

    def group_redirect(self, language: str | None) -> View:
        url = f"https://t.me/{self.bot_username}?start=report"
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(self.t(language, "button.open_private"), url=url)]]
        )
        return View(self.t(language, "report.group_redirect"), keyboard)

    def start_keyboard(self, language: str | None) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self.t(language, "button.report"),
                        callback_data=report_button(Action.START),
                    )
                ]
            ]
        )

    # --- pieces -----------------------------------------------------------------------

    def category_label(self, key: str, language: str | None) -> str:
        category = self.categories.get(key)
        if category is not None and category.label is not None:
            return category.label
        if f"category.{key}" in self.texts.keys("en"):
            return self.t(language, f"category.{key}")
        return key

    def category_list(self, language: str | None) -> str:
        return "\n".join(
            self.t(
                language,
                "category.list_line",
                short_name=category.key,
                label=self.category_label(category.key, language),
            )
            for category in self.categories
        )

    def target(self, target: TargetRef, language: str | None) -> str:
        return target_html(self.texts, target, language)

    def _notice(self, notice: Notice, draft: Draft, language: str | None) -> str:
        if notice is Notice.STARTED_WITH_RESULT or notice is Notice.RESULT_NOTED:
            target = draft.target
            return self.t(
                language,
                f"report.notice.{notice.value}",
                target=Html(self.target(target, language)) if target else "",
            )
        return self.t(language, f"report.notice.{notice.value}")

    def _question(self, draft: Draft, language: str | None) -> str:
        if draft.step is Step.CONFIRM:
            return self._summary(draft, language)
        if draft.step is Step.CATEGORY:
            return self.t(language, "report.ask.category", categories=Html(""))
        return self.t(language, f"report.ask.{draft.step.value}", comment_max=1000)

    def _summary(self, draft: Draft, language: str | None) -> str:
        none = self.t(language, "report.summary.none")
        text = self.t(
            language,
            "report.summary",
            query=draft.query or none,
            target=Html(self.target(draft.target, language)) if draft.target else none,
            category=self.category_label(draft.category, language) if draft.category else none,
            comment=shorten(draft.comment, 300) if draft.comment else none,
        )
        if draft.target is not None and draft.target.private_link_id is not None:
            # Moderators who are not members of that chat see nothing behind the link.
            text += "\n\n" + self.t(language, "report.summary.private_link")
            if draft.forward_origin is None:
                text += " " + self.t(language, "report.summary.private_link_forward")
        return text + "\n\n" + self.t(language, "report.summary.submit")

    def _keyboard(self, draft: Draft, language: str | None) -> InlineKeyboardMarkup:
        def button(label_key: str, action: Action, arg: str = "") -> InlineKeyboardButton:
            return InlineKeyboardButton(
                self.t(language, label_key),
                callback_data=report_button(action, draft.draft_id, arg),
            )

        cancel = button("button.cancel", Action.CANCEL)
        rows: list[list[InlineKeyboardButton]] = []
        if draft.step is Step.RESULT:
            rows.append([button("button.search_term", Action.TERM)])
        elif draft.step is Step.CATEGORY:
            choices = [
                InlineKeyboardButton(
                    self.category_label(category.key, language),
                    callback_data=report_button(Action.CATEGORY, draft.draft_id, category.key),
                )
                for category in self.categories
            ]
            rows.extend(choices[i : i + 2] for i in range(0, len(choices), 2))
        elif draft.step is Step.COMMENT:
            rows.append([button("button.skip", Action.SKIP)])
        elif draft.step is Step.CONFIRM:
            rows.append([button("button.submit", Action.SUBMIT)])
            rows.append([button("button.edit", Action.EDIT)])
        elif draft.step is Step.EDIT:
            rows.append(
                [
                    button("button.edit_query", Action.FIELD, Field.QUERY.value),
                    button("button.edit_result", Action.FIELD, Field.RESULT.value),
                ]
            )
            rows.append(
                [
                    button("button.edit_category", Action.FIELD, Field.CATEGORY.value),
                    button("button.edit_comment", Action.FIELD, Field.COMMENT.value),
                ]
            )
            rows.append([button("button.back", Action.BACK)])
            return InlineKeyboardMarkup(rows)
        rows.append([cancel])
        return InlineKeyboardMarkup(rows)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
