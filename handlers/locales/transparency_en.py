"""English texts of the transparency report (merged into the en catalog)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "transparency.refused": (
        "⛔ The transparency report is for admins and legal officers, in a private chat with me "
        "(admins also in the review chat)."
    ),
    "transparency.private_only": (
        "⛔ Ask for the transparency report in a private chat with me (admins may also ask in "
        "the review chat)."
    ),
    "transparency.bad_period": (
        "⚠️ I can't read the period “{given}”. Write it as <code>2026Q3</code> (a quarter), "
        "<code>2026H1</code> (a half year) or <code>2026</code> (a year), between 2000 and "
        "2999; without it you get the current quarter.\n"
        "Example: <code>/transparency 2026Q3</code>"
    ),
    "transparency.to_date": " — to date, the period is not over",
    "transparency.report": (
        "<b>Transparency report {period}</b> ({start} to {end}, UTC){to_date}\n"
        "Legal requests per country: received (registered in the period), fulfilled (data "
        "disclosed in the period), rejected (in the period), and users whose data was "
        "disclosed.\n"
        "<pre>{table}</pre>{more}\n"
        "Counted from the disclosure ledger: {entries} in the period, {users}; {copies}."
    ),
    "transparency.report_empty": (
        "<b>Transparency report {period}</b> ({start} to {end}, UTC){to_date}\n"
        "No legal request was received, fulfilled or rejected in this period."
    ),
    "transparency.more": Plural(
        one=(
            "\n… and {count} more country, counted in the total (all of them: "
            "<code>report-bot transparency export</code>)"
        ),
        other=(
            "\n… and {count} more countries, counted in the total (all of them: "
            "<code>report-bot transparency export</code>)"
        ),
    ),
    "transparency.count.entries": Plural(one="{count} disclosure", other="{count} disclosures"),
    "transparency.count.users": Plural(
        one="about {count} user", other="about {count} different users"
    ),
    "transparency.count.copies": Plural(
        one="{count} copy of an earlier disclosure sent again",
        other="{count} copies of earlier disclosures sent again",
    ),
    "transparency.total": "all",
    "transparency.col.received": "received",
    "transparency.col.fulfilled": "fulfilled",
    "transparency.col.rejected": "rejected",
    "transparency.col.users": "users",
    "transparency.chart.title": "Legal requests by country, {period}",
    "transparency.chart.title_top": "Legal requests by country, {period} (top {count})",
    "transparency.chart.axis": "requests",
    "transparency.chart_caption": "Legal requests by country, {period}",
}
