"""The appeal message in the review chat, its buttons, and what the appellant is told.

Like case messages, appeal messages never name who appealed and never unfurl links.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callback_data import AppealAction, appeal_button
from handlers.i18n import Html
from handlers.review_views import NOTE_SHOWN, ReviewViews, when_text
from moderation.review.appeals import (
    AppealFiled,
    AppealLimit,
    AppealPending,
    AppealStatus,
    AppealView,
    FileOutcome,
    NothingToAppeal,
)
from moderation.text import shorten

STATEMENT_SHOWN = 600


class AppealViews:
    def __init__(self, review: ReviewViews) -> None:
        self.review = review

    def t(self, key: str, **params: object) -> str:
        return self.review.t(key, **params)

    def text(self, view: AppealView) -> str:
        appeal, case = view.appeal, view.case
        lines = [
            self.t(
                "appeal.case.title",
                appeal_id=appeal.id,
                case_id=case.id,
                status=self.t(f"appeal.status.{appeal.status.value}"),
            ),
            self.t(
                "review.case.target",
                target=Html(self.review.reports.target(case.target, self.review.language)),
                resolved="",
            ),
            self.t(
                "appeal.case.original",
                decision=self.t(f"review.status.{appeal.original_status.value}"),
                when=when_text(appeal.original_decided_at),
            ),
            self.t("appeal.case.statement", statement=shorten(appeal.statement, STATEMENT_SHOWN)),
            self.t("appeal.case.filed", when=when_text(appeal.created_at)),
        ]
        if appeal.status is AppealStatus.PENDING:
            lines.append(self.t("appeal.case.other_moderator"))
        elif appeal.decided_at is not None:
            lines.append("")
            lines.append(
                self.t(
                    f"appeal.decided.{appeal.status.value}",
                    who=shorten(appeal.decided_by_name or "", NOTE_SHOWN),
                    when=when_text(appeal.decided_at),
                    case_id=case.id,
                )
            )
        return "\n".join(lines)

    def keyboard(self, view: AppealView) -> InlineKeyboardMarkup | None:
        if view.appeal.status is not AppealStatus.PENDING:
            return None
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self.t("appeal.button.uphold"),
                        callback_data=appeal_button(AppealAction.UPHOLD, view.appeal.id),
                    ),
                    InlineKeyboardButton(
                        self.t("appeal.button.overturn"),
                        callback_data=appeal_button(AppealAction.OVERTURN, view.appeal.id),
                    ),
                ]
            ]
        )


def filing_reply(review: ReviewViews, language: str | None, outcome: FileOutcome) -> str:
    texts = review.texts
    if isinstance(outcome, AppealFiled):
        return texts.render(language, "appeal.filed", appeal_id=outcome.appeal_id)
    if isinstance(outcome, AppealPending):
        return texts.render(language, "appeal.pending", appeal_id=outcome.appeal_id)
    if isinstance(outcome, NothingToAppeal):
        return texts.render(language, f"appeal.nothing.{outcome.reason.value}")
    if isinstance(outcome, AppealLimit):
        return texts.render(language, "appeal.limit", limit=outcome.limit)
    raise AssertionError(outcome)  # pragma: no cover - every outcome is handled above
