"""English texts of the operating feature (merged into the en catalog; keys must not collide)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "command.description.health": "Bot health: uptime, queue, last error",
    "health.refused": (
        "⛔ /health is for admins, in a private chat with me or in the review chat."
    ),
    "health.report": (
        "<b>🩺 Bot health</b>\n"
        "Version: <code>{version}</code>\n"
        "Up for {uptime} (since {started} UTC)\n"
        "{database}\n"
        "{instances}\n"
        "Review queue: {pending} pending ({escalated} escalated), {unposted} not yet posted\n"
        "Outbox: {outbox}\n"
        "Last Telegram error: {last_error}"
    ),
    "health.last_error": "<code>{kind}</code> on {method} at {at} UTC ({ago} ago)",
    "health.no_error": "none since the start",
    "health.database_file": "Database: SQLite, {size} (file {file}, WAL {wal})",
    "health.database_server": "Database: PostgreSQL <code>{where}</code>, {size}",
    "health.instances": "Instances: {count}; the scheduled work runs on {leader}",
    "health.instance": "• {process} ({mode}, {version}), up for {uptime}{this}",
    "health.process": "host <code>{host}</code>, process {pid}",
    "health.this_instance": " ← this one",
    "health.no_leader": "none right now (taken over within a minute)",
    "health.duration_days": "{days} d {clock}",
    "health.count.outbox": Plural(
        one="{count} message owed to users, not yet sent",
        other="{count} messages owed to users, not yet sent",
    ),
}
