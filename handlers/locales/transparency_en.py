"""English texts of the transparency report (merged into the en catalog)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "transparency.refused": (
        "⛔ The transparency report is for admins and legal officers (legal officers: in a "
        "private chat with me)."
    ),
    "transparency.bad_period": "⚠️ {problem}. Example: <code>/transparency 2026Q3</code>",
    "transparency.more": "… and {count} more countries (full list: report-bot transparency export)",
    "transparency.report": (
        "<b>Transparency report {period}</b> ({start} to {end})\n"
        "Legal requests per country: received, fulfilled (data disclosed), rejected, and "
        "users whose data was disclosed.\n<pre>{table}</pre>\n"
        "Counted from the disclosure ledger: {entries} disclosure(s) in the period."
    ),
    "transparency.chart": "Legal requests by country, {period}",
}
