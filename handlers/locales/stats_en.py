"""English texts of the stats feature (merged into the en catalog; keys must not collide)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "stats.refused": ("⛔ /stats is for admins, in a private chat with me or in the review chat."),
    "stats.usage": (
        "⚠️ I don't know the window “{given}”.\n"
        "Use <code>/stats 24h</code>, <code>/stats 7d</code> (the default), "
        "<code>/stats 30d</code> or <code>/stats all</code>."
    ),
    "stats.window.24h": "last 24 hours",
    "stats.window.7d": "last 7 days",
    "stats.window.30d": "last 30 days",
    "stats.window.all": "all time",
    "stats.period": "{start} – {end} UTC",
    "stats.period_all": "until {end} UTC",
    "stats.report": (
        "📊 <b>Statistics, {window}</b>\n"
        "{period}\n\n"
        "<b>Reports:</b> {reports} {reporters} {targets}; "
        "by their case's status: pending {reports_pending} · approved {reports_approved} · "
        "rejected {reports_rejected}\n"
        "<b>Cases opened:</b> {cases}; pending {cases_pending} · approved {cases_approved} · "
        "rejected {cases_rejected}\n"
        "{categories}\n"
        "<b>Decisions:</b> {decisions}; approved {approved} · rejected {rejected} · "
        "approval rate {rate}\n"
        "Time from report to decision: median {median} · 90th percentile {p90}\n"
        "<b>Pending now:</b> {pending_now}{oldest}\n\n"
        "<b>Decisions per moderator</b>\n{moderators}\n\n"
        "<b>Most reported targets</b>\n{targets_list}\n\n"
        "<b>Confirmed violators:</b> {violators_new} new · {violators_confirmations} · "
        "{violators_total} in total\n"
        "<b>Legal requests:</b> {legal_received} received · {legal_rejected} rejected · "
        "{legal_disclosed} · {legal_open} open now"
    ),
    "stats.categories": "<b>By category</b>",
    "stats.category": (
        "• {category}: {reports}; {cases}: pending {pending} · approved {approved} · "
        "rejected {rejected}"
    ),
    "stats.count.cases": Plural(one="{count} case", other="{count} cases"),
    "stats.oldest": "; oldest: case #{case_id} ({category}), waiting {age}",
    "stats.none": "none",
    "stats.no_rate": "—",
    "stats.rate": "{percent}%",
    "stats.moderator": "• {who}: {total}; approved {approved} · rejected {rejected}",
    "stats.moderator_named": "{name} (id {moderator_id})",
    "stats.moderator_unnamed": "id {moderator_id}",
    "stats.target": "{rank}. {target}: {reports}, {reporters}",
    "stats.count.from_reporters": Plural(
        one="from {count} reporter", other="from {count} different reporters"
    ),
    "stats.count.about_targets": Plural(one="about {count} target", other="about {count} targets"),
    "stats.count.reports": Plural(one="{count} report", other="{count} reports"),
    "stats.count.reporters": Plural(one="{count} reporter", other="{count} reporters"),
    "stats.count.confirmations": Plural(one="{count} confirmation", other="{count} confirmations"),
    "stats.count.disclosures": Plural(one="{count} disclosure", other="{count} disclosures"),
    "stats.more": "… and {count} more",
    "stats.duration.days": "{days} d {hours} h",
    "stats.duration.hours": "{hours} h {minutes} min",
    "stats.duration.minutes": "{minutes} min",
    "stats.duration.seconds": "{seconds} s",
    "stats.chart_caption": "📈 Reports and decisions per day, {window}",
    "stats.chart.title": "Reports and decisions per day ({window}, UTC)",
    "stats.chart.reports": "reports",
    "stats.chart.decisions": "decisions",
}
