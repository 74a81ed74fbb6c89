"""The /stats message: one renderer, kept within Telegram's 4096-character limit.

Lists that can grow (most reported targets, moderators, categories) are cut from the end, with
"… and N more", until the message fits. Every value goes through the catalog, which escapes it.
Categories are listed by their label, one line each with its figures in words: a table of
full-word columns is wider than a phone shows monospace text, and wrapped lines stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from handlers.i18n import Catalog, Html
from handlers.report_views import ReportViews
from moderation.stats.figures import StatsReport, StatusCounts, Window
from moderation.text import shorten

#: Telegram's limit for a message text, in UTF-16 code units after entity parsing. The HTML
#: we send is never shorter than its parsed text, so measuring the HTML is on the safe side.
MAX_TEXT: Final = 4096
MAX_MODERATORS: Final = 15
MAX_CATEGORIES: Final = 20
NAME_CHARS: Final = 40
CATEGORY_CHARS: Final = 40


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    reports: str
    decisions: str


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class StatsViews:
    def __init__(self, texts: Catalog, reports: ReportViews) -> None:
        self.texts = texts
        self.reports = reports

    def t(self, language: str | None, key: str, **params: object) -> str:
        return self.texts.render(language, key, **params)

    def usage(self, language: str | None, given: str) -> str:
        return self.t(language, "stats.usage", given=shorten(given, 32))

    def window(self, window: Window, language: str | None) -> str:
        return self.t(language, f"stats.window.{window.label}")

    def caption(self, window: Window, language: str | None) -> str:
        return self.t(language, "stats.chart_caption", window=self.window(window, language))

    def chart_labels(self, window: Window, language: str | None) -> ChartLabels:
        return ChartLabels(
            title=self.t(language, "stats.chart.title", window=self.window(window, language)),
            reports=self.t(language, "stats.chart.reports"),
            decisions=self.t(language, "stats.chart.decisions"),
        )

    def report(self, report: StatsReport, language: str | None) -> str:
        """The whole message; long lists shortened from the end until it fits MAX_TEXT."""
        targets = len(report.top_targets)
        moderators = min(len(report.moderators), MAX_MODERATORS)
        categories = min(len(_category_keys(report)), MAX_CATEGORIES)
        while True:
            text = self._render(report, language, targets, moderators, categories)
            if telegram_length(text) <= MAX_TEXT or not (targets or moderators or categories):
                return text
            if targets:
                targets -= 1
            elif moderators:
                moderators -= 1
            else:
                categories -= 1

    # --- pieces -----------------------------------------------------------------------

    def _render(
        self,
        report: StatsReport,
        language: str | None,
        targets: int,
        moderators: int,
        categories: int,
    ) -> str:
        reports, cases = report.reports_total, report.cases_total
        return self.t(
            language,
            "stats.report",
            window=self.window(report.window, language),
            period=self._period(report, language),
            reports=reports.total,
            reporters=self._count(language, "stats.count.from_reporters", report.reach.reporters),
            targets=self._count(language, "stats.count.about_targets", report.reach.targets),
            reports_pending=reports.pending,
            reports_approved=reports.approved,
            reports_rejected=reports.rejected,
            cases=cases.total,
            cases_pending=cases.pending,
            cases_approved=cases.approved,
            cases_rejected=cases.rejected,
            categories=Html(self._categories(report, language, categories)),
            decisions=report.decisions,
            approved=report.approved,
            rejected=report.rejected,
            rate=self._rate(report.approval_rate, language),
            median=self._duration(report.times.median, language),
            p90=self._duration(report.times.p90, language),
            pending_now=report.pending_now,
            oldest=Html(self._oldest(report, language)),
            moderators=Html(self._moderators(report, language, moderators)),
            targets_list=Html(self._targets(report, language, targets)),
            violators_new=report.violators.new,
            violators_confirmations=self._count(
                language, "stats.count.confirmations", report.violators.confirmations
            ),
            violators_total=report.violators.total,
            legal_received=report.legal.received,
            legal_rejected=report.legal.rejected,
            legal_disclosed=self._count(
                language, "stats.count.disclosures", report.legal.disclosed
            ),
            legal_open=report.legal.open_now,
        )

    def _period(self, report: StatsReport, language: str | None) -> str:
        end = _minute(report.end)
        if report.start is None:
            return self.t(language, "stats.period_all", end=end)
        return self.t(language, "stats.period", start=_minute(report.start), end=end)

    def _categories(self, report: StatsReport, language: str | None, shown: int) -> str:
        keys = _category_keys(report)
        if not keys:
            return ""
        reports = {row.category: row.total for row in report.reports}
        cases = {row.category: row for row in report.cases}
        lines = [self.t(language, "stats.categories")]
        for key in keys[:shown]:
            row = cases.get(key, StatusCounts(key))
            label = self.reports.category_label(key, language)
            lines.append(
                self.t(
                    language,
                    "stats.category",
                    category=shorten(label, CATEGORY_CHARS),
                    reports=self._count(language, "stats.count.reports", reports.get(key, 0)),
                    cases=self._count(language, "stats.count.cases", row.total),
                    pending=row.pending,
                    approved=row.approved,
                    rejected=row.rejected,
                )
            )
        if len(keys) > shown:
            lines.append(self.texts.render(language, "stats.more", count=len(keys) - shown))
        return "\n".join(lines) + "\n"

    def _count(self, language: str | None, key: str, count: int) -> Html:
        return self.texts.count(language, key, count)

    def _rate(self, rate: float | None, language: str | None) -> str:
        if rate is None:
            return self.t(language, "stats.no_rate")
        return self.t(language, "stats.rate", percent=round(rate * 100))

    def _duration(self, value: timedelta | None, language: str | None) -> str:
        if value is None:
            return self.t(language, "stats.no_rate")
        seconds = int(value.total_seconds())
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        if days:
            return self.t(language, "stats.duration.days", days=days, hours=hours)
        if hours:
            return self.t(language, "stats.duration.hours", hours=hours, minutes=minutes)
        if minutes:
            return self.t(language, "stats.duration.minutes", minutes=minutes)
        return self.t(language, "stats.duration.seconds", seconds=secs)

    def _oldest(self, report: StatsReport, language: str | None) -> str:
        oldest = report.oldest_pending
        if oldest is None:
            return ""
        return self.t(
            language,
            "stats.oldest",
            case_id=oldest.case_id,
            category=self.reports.category_label(oldest.category, language),
            age=self._duration(report.oldest_pending_age(), language),
        )

    def _moderators(self, report: StatsReport, language: str | None, shown: int) -> str:
        if not report.moderators:
            return self.t(language, "stats.none")
        lines = []
        for item in report.moderators[:shown]:
            who = (
                self.t(
                    language,
                    "stats.moderator_named",
                    name=shorten(item.name, NAME_CHARS),
                    moderator_id=item.moderator_id,
                )
                if item.name
                else self.t(language, "stats.moderator_unnamed", moderator_id=item.moderator_id)
            )
            lines.append(
                self.t(
                    language,
                    "stats.moderator",
                    who=Html(who),
                    total=item.total,
                    approved=item.approved,
                    rejected=item.rejected,
                )
            )
        more = len(report.moderators) - shown
        if more > 0:
            lines.append(self.t(language, "stats.more", count=more))
        return "\n".join(lines)

    def _targets(self, report: StatsReport, language: str | None, shown: int) -> str:
        if not report.top_targets:
            return self.t(language, "stats.none")
        lines = [
            self.t(
                language,
                "stats.target",
                rank=rank,
                target=Html(self.reports.target(item.target, language)),
                reports=self._count(language, "stats.count.reports", item.reports),
                reporters=self._count(language, "stats.count.reporters", item.reporters),
            )
            for rank, item in enumerate(report.top_targets[:shown], start=1)
        ]
        more = report.reach.targets - shown
        if more > 0:
            lines.append(self.t(language, "stats.more", count=more))
        return "\n".join(lines)


def _category_keys(report: StatsReport) -> list[str]:
    """Categories with any report or case in the window, the busiest first."""
    totals: dict[str, int] = {}
    for row in (*report.reports, *report.cases):
        totals[row.category] = totals.get(row.category, 0) + row.total
    return sorted(totals, key=lambda key: (-totals[key], key))


def _minute(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")
