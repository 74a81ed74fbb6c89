"""The case message in the review chat and its keyboards: one renderer, every state.

Reporter identities never appear here; comments and queries are escaped and shortened, and
the target is a link the moderator opens deliberately (previews are off on every message).
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callback_data import ReviewAction, review_button
from handlers.i18n import DEFAULT_LANGUAGE, Catalog, Html
from handlers.report_views import ReportViews
from moderation.reporting.categories import Categories
from moderation.reporting.types import CaseStatus
from moderation.review.case_actions import Queue
from moderation.review.case_copies import PostRef
from moderation.review.severe_waits import NONE_OVERDUE, Overdue
from moderation.review.types import CaseView, Decision, Menu, QueueEntry, RejectReason
from moderation.text import shorten

QUERY_SHOWN = 60
COMMENT_SHOWN = 200
NOTE_SHOWN = 300


#: The line a pending case's post shows under the case while a menu is open: what its buttons
#: are for.
_MENU_PROMPTS = {
    Menu.CATEGORIES: "review.case.choose_category",
    Menu.REASONS: "review.case.choose_reason",
}


class ReviewViews:
    def __init__(
        self, texts: Catalog, reports: ReportViews, language: str = DEFAULT_LANGUAGE
    ) -> None:
        self.texts = texts
        self.reports = reports
        self.language = language

    def t(self, key: str, **params: object) -> str:
        return self.texts.render(self.language, key, **params)

    def case_text(self, case: CaseView, menu: Menu = Menu.MAIN) -> str:
        """The case post; with a menu open on a pending case, the line saying what the menu's
        buttons do (the keyboard for the same `menu` shows them)."""
        text = self._case_text(case)
        prompt = _MENU_PROMPTS.get(menu)
        if prompt is None or case.status is not CaseStatus.PENDING:
            return text
        return f"{text}\n\n{self.t(prompt)}"

    def _case_text(self, case: CaseView) -> str:
        target = self.reports.target(case.target, self.language)
        resolved = (
            self.t("review.case.resolved", chat_id=case.target.chat_id)
            if case.target.chat_id is not None
            else ""
        )
        lines = [
            self.t(
                "review.case.title",
                case_id=case.id,
                status=self.t(f"review.status.{case.status.value}"),
            ),
        ]
        if case.copy_since is not None:
            lines.append(self.t("review.case.copy_above", when=when_text(case.copy_since)))
        lines += [
            self.t("review.case.target", target=Html(target), resolved=Html(resolved)),
        ]
        if case.target.private_link_id is not None:  # moderators may not be able to open it
            lines.append(self.t("review.case.private_link"))
        lines.append(
            self.t(
                "review.case.category",
                category=self.reports.category_label(case.category, self.language),
            )
        )
        lines.append(self.t("review.case.counts", reports=case.reports, reporters=case.reporters))
        if case.sample_queries:
            quoted = ", ".join(f"“{shorten(q, QUERY_SHOWN)}”" for q in case.sample_queries)
            lines.append(self.t("review.case.queries", queries=quoted))
        if case.comments:
            shown = "\n".join(f"• {shorten(c, COMMENT_SHOWN)}" for c in case.comments)
            lines.append(self.t("review.case.comments", comments=shown))
        lines.append(
            self.t(
                "review.case.times",
                first=when_text(case.first_report_at),
                last=when_text(case.last_report_at),
            )
        )
        hiding = self.hiding_line(case)
        if hiding:
            lines.append(hiding)
        if case.escalation is not None:
            lines.append(
                self.t(
                    "review.case.escalated",
                    who=case.escalation.by_name,
                    when=when_text(case.escalation.at),
                )
            )
            if case.escalation.note:
                lines.append(
                    self.t(
                        "review.case.escalation_note",
                        note=shorten(case.escalation.note, NOTE_SHOWN),
                    )
                )
        if case.notes:
            shown = "\n".join(
                self.t(
                    "review.case.note", who=note.author_name, note=shorten(note.text, NOTE_SHOWN)
                )
                for note in case.notes
            )
            lines.append(self.t("review.case.notes", count=case.notes_total, notes=Html(shown)))
        decision = self.decision_line(case)
        if decision:
            lines.append("")
            lines.append(decision)
        return "\n".join(lines)

    def hiding_line(self, case: CaseView) -> str:
        if case.provisionally_hidden_at is None:
            return ""
        if case.status is CaseStatus.PENDING and case.hidden_now:
            return self.t("review.case.provisional", when=when_text(case.provisionally_hidden_at))
        if case.status is CaseStatus.REJECTED:
            return self.t("review.case.provisional_lifted")
        return ""

    def decision_line(self, case: CaseView) -> str:
        if case.status is CaseStatus.PENDING or case.decided_at is None:
            return ""
        who = case.decided_by_name or str(case.decided_by)
        if case.status is CaseStatus.APPROVED:
            category = self.reports.category_label(
                case.decision_category or case.category, self.language
            )
            return self.t(
                "review.decided.approved",
                who=who,
                when=when_text(case.decided_at),
                category=category,
            )
        reason = case.reject_reason or RejectReason.OTHER
        label = self.t(f"review.reason.{reason.value}")
        if case.reject_note:
            label = f"{label}: {shorten(case.reject_note, NOTE_SHOWN)}"
        return self.t(
            "review.decided.rejected", who=who, when=when_text(case.decided_at), reason=label
        )

    def keyboard(
        self, case: CaseView, menu: Menu = Menu.MAIN, *, undo_until: datetime | None = None
    ) -> InlineKeyboardMarkup | None:
        """`undo_until`: the end of the undo window while it is open (shown on the button)."""

        def button(label: str, action: ReviewAction, arg: str = "") -> InlineKeyboardButton:
            return InlineKeyboardButton(label, callback_data=review_button(action, case.id, arg))

        if case.status is not CaseStatus.PENDING:
            if undo_until is None:
                return None
            # Minutes only, rounded down: the button never promises time the window lacks.
            label = self.t("review.button.undo", until=undo_until.strftime("%H:%M UTC"))
            return InlineKeyboardMarkup([[button(label, ReviewAction.UNDO)]])
        if menu is Menu.CATEGORIES:
            categories = list(self.reports.categories)
            categories.sort(key=lambda c: c.key != case.category)  # the reported one first
            choices = [
                button(
                    ("✓ " if c.key == case.category else "")
                    + self.reports.category_label(c.key, self.language),
                    ReviewAction.CONFIRM,
                    c.key,
                )
                for c in categories
            ]
            rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
            rows.append([button(self.t("review.button.back"), ReviewAction.BACK)])
            return InlineKeyboardMarkup(rows)
        if menu is Menu.REASONS:
            reasons = [
                [button(self.t(f"review.reason.{reason.value}"), ReviewAction.REASON, reason.value)]
                for reason in RejectReason
            ]
            reasons.append([button(self.t("review.button.back"), ReviewAction.BACK)])
            return InlineKeyboardMarkup(reasons)
        rows = [
            [
                button(self.t("review.button.approve"), ReviewAction.APPROVE),
                button(self.t("review.button.reject"), ReviewAction.REJECT),
            ]
        ]
        if not case.escalated:
            rows.append([button(self.t("review.button.escalate"), ReviewAction.ESCALATE)])
        return InlineKeyboardMarkup(rows)

    def copy_retired_text(self, case_id: int, live: PostRef | None) -> str:
        """What a copy that could not be deleted (over 48 hours old) is edited into."""
        link = (
            _post_link(live.chat_id, live.message_id, f"#{case_id}") if live is not None else None
        )
        return self.t(
            "review.case.copy_retired",
            case_id=case_id,
            link=Html(link) if link else self.t("review.case.copy_below"),
        )

    def digest_text(
        self, backlog: int, per_minute: int, overdue: Overdue = NONE_OVERDUE, minutes: int = 0
    ) -> str:
        lines = []
        if backlog > 0:
            lines.append(self.t("review.digest", count=backlog, per_minute=per_minute))
        if overdue.count and overdue.oldest_since is not None:
            lines.append(
                self.t(
                    "review.digest_severe",
                    count=overdue.count,
                    minutes=minutes,
                    case_id=overdue.oldest_case_id,
                    since=when_text(overdue.oldest_since),
                )
            )
        return "\n\n".join(lines) or self.digest_cleared_text()

    def digest_cleared_text(self) -> str:
        return self.t("review.digest_cleared")

    def queue_text(self, queue: Queue, *, escalated: bool) -> str:
        if not queue.entries:
            return self.t("review.queue.empty_escalated" if escalated else "review.queue.empty")
        lines = [
            self.t(
                "review.queue.title_escalated" if escalated else "review.queue.title",
                pending=queue.pending,
                escalated=queue.escalated,
                unposted=queue.unposted,
            )
        ]
        for position, entry in enumerate(queue.entries, start=1):
            where = (
                self.t("review.queue.posted", link=Html(_message_link(entry)))
                if entry.message_id is not None
                else self.t("review.queue.unposted")
            )
            lines.append(
                self.t(
                    "review.queue.entry",
                    position=position,
                    case_id=entry.case_id,
                    category=self.reports.category_label(entry.category, self.language),
                    reporters=self.texts.count(
                        self.language, "review.count.reporters", entry.reporters
                    ),
                    target=Html(self.reports.target(entry.target, self.language)),
                    where=Html(where),
                )
            )
        return "\n".join(lines)

    def queue_keyboard(self, queue: Queue) -> InlineKeyboardMarkup | None:
        buttons = [
            InlineKeyboardButton(
                self.t("review.button.post", case_id=entry.case_id),
                callback_data=review_button(ReviewAction.POST, entry.case_id),
            )
            for entry in queue.entries
            if entry.message_id is None
        ]
        if not buttons:
            return None
        return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])

    def already(self, case: CaseView) -> str:
        decision = Decision(case.status.value) if case.status is not CaseStatus.PENDING else None
        return self.t(
            "review.alert.already",
            decision=self.t(f"review.status.{decision.value}") if decision else "",
            who=case.decided_by_name or str(case.decided_by),
            when=when_text(case.decided_at) if case.decided_at else "",
        )


def build_review_views(texts: Catalog, categories: Categories, bot_username: str) -> ReviewViews:
    return ReviewViews(texts, ReportViews(texts, categories, bot_username))


def _message_link(entry: QueueEntry) -> str:
    """A link to the case message; only supergroups (-100...) have message links."""
    if entry.chat_id is not None and entry.message_id is not None:
        link = _post_link(entry.chat_id, entry.message_id, f"#{entry.case_id}")
        if link is not None:
            return link
    return f"#{entry.case_id}"


def _post_link(chat_id: int, message_id: int, label: str) -> str | None:
    chat = str(chat_id)
    if chat.startswith("-100"):
        return f'<a href="https://t.me/c/{chat[4:]}/{message_id}">{label}</a>'
    return None


def when_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
