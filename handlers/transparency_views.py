"""The /transparency message and chart labels: one renderer, kept within Telegram's limit.

The table is monospace text in a <pre> block (every value escaped by the catalog); countries
past MAX_COUNTRIES, or past what fits in 4096 characters, are left to an "… and N more" line,
while the all-countries row still counts them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from handlers.i18n import Catalog, Html
from handlers.transparency_chart import MAX_COUNTRIES as CHART_COUNTRIES
from handlers.transparency_chart import ChartLabels
from moderation.legal.transparency import CountryCounts, Period, TransparencyReport
from moderation.text import shorten

#: Telegram's limit for a message text (UTF-16 code units after entity parsing); the HTML we
#: send is never shorter than its parsed text, so measuring the HTML is on the safe side.
MAX_TEXT: Final = 4096
#: Countries listed in the table, most requests first; the rest are summed in the total row.
MAX_COUNTRIES: Final = 25
_COLUMNS: Final = ("received", "fulfilled", "rejected", "users")


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TransparencyViews:
    def __init__(self, texts: Catalog) -> None:
        self.texts = texts

    def t(self, language: str | None, key: str, **params: object) -> str:
        return self.texts.render(language, key, **params)

    def bad_period(self, language: str | None, given: str) -> str:
        return self.t(language, "transparency.bad_period", given=shorten(given, 32))

    def caption(self, period: Period, language: str | None) -> str:
        return self.t(language, "transparency.chart_caption", period=period.label)

    def chart_labels(self, report: TransparencyReport, language: str | None) -> ChartLabels:
        shown = min(len(report.countries), CHART_COUNTRIES)
        title_key = "transparency.chart.title"
        if shown < len(report.countries):
            title_key = "transparency.chart.title_top"
        return ChartLabels(
            title=self.t(language, title_key, period=report.period.label, count=shown),
            received=self.t(language, "transparency.col.received"),
            fulfilled=self.t(language, "transparency.col.fulfilled"),
            rejected=self.t(language, "transparency.col.rejected"),
            axis=self.t(language, "transparency.chart.axis"),
        )

    def report(self, report: TransparencyReport, language: str | None, now: datetime) -> str:
        """The whole message; the country list shortened from the end until it fits."""
        shown = min(len(report.countries), MAX_COUNTRIES)
        while True:
            text = self._render(report, language, now, shown)
            if telegram_length(text) <= MAX_TEXT or shown == 0:
                return text
            shown -= 1

    def table(self, report: TransparencyReport, language: str | None, shown: int) -> str:
        """Country code, then one right-aligned column per number; the all-countries row last."""
        headers = [self.t(language, f"transparency.col.{name}") for name in _COLUMNS]
        total_label = self.t(language, "transparency.total")
        totals = report.totals
        body = [_numbers(c) for c in report.countries[:shown]]
        total = [totals.received, totals.fulfilled, totals.rejected, totals.users]
        widths = [
            max(len(header), *(len(str(row[i])) for row in [*body, total]))
            for i, header in enumerate(headers)
        ]
        first = max(2, len(total_label))
        codes = [c.country for c in report.countries[:shown]]

        def line(label: str, cells: list[str]) -> str:
            padded = " ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True))
            return f"{label.ljust(first)} {padded}"

        lines = [line("", headers)]
        lines += [line(code, [str(n) for n in row]) for code, row in zip(codes, body, strict=True)]
        lines.append(line(total_label, [str(n) for n in total]))
        return "\n".join(lines)

    def _render(
        self, report: TransparencyReport, language: str | None, now: datetime, shown: int
    ) -> str:
        period = report.period
        to_date = "" if period.is_over(now) else self.t(language, "transparency.to_date")
        common: dict[str, object] = {
            "period": period.label,
            "start": period.start.isoformat(),
            "end": period.last_day.isoformat(),
            "to_date": Html(to_date),
        }
        if report.is_empty:
            return self.t(language, "transparency.report_empty", **common)
        hidden = len(report.countries) - shown
        more = self.t(language, "transparency.more", count=hidden) if hidden > 0 else ""
        return self.t(
            language,
            "transparency.report",
            **common,
            table=self.table(report, language, shown),
            more=Html(more),
            entries=self.texts.count(language, "transparency.count.entries", report.ledger_entries),
            users=self.texts.count(language, "transparency.count.users", report.totals.users),
            copies=self.texts.count(language, "transparency.count.copies", report.totals.copies),
        )


def _numbers(country: CountryCounts) -> list[int]:
    return [country.received, country.fulfilled, country.rejected, country.users]
