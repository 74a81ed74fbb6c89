"""How a bad setting is reported: one line per variable, naming what it expects.

pydantic's own errors echo the input, which may be a secret: they are rewritten here into
"VARIABLE: what is wrong; expected ..." without the value.
"""

from __future__ import annotations

from pydantic import ValidationError

from moderation.reporting.categories import DEFAULT_CATEGORIES

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"

#: What each variable expects, appended to every problem reported about it.
EXPECTED: dict[str, str] = {
    "BOT_TOKEN": "the token @BotFather gave you, like 123456789:AA... (digits, a colon, then "
    "letters, digits, _ or -)",
    "REVIEW_CHAT_ID": "the numeric id of the review group, negative, e.g. -1001234567890",
    "REVIEW_THREAD_ID": "a forum topic id (a positive integer), or leave it empty",
    "ADMIN_IDS": "comma-separated Telegram user ids, e.g. 11111,22222",
    "MODERATOR_IDS": "comma-separated Telegram user ids, e.g. 11111,22222",
    "LEGAL_OFFICER_IDS": "comma-separated Telegram user ids, e.g. 11111,22222",
    "DATABASE_PATH": "a file path such as ./data/reportbot.sqlite3",
    "DATABASE_URL": "empty (DATABASE_PATH), sqlite:///path/to/file.sqlite3 or "
    "postgresql://user:password@host:5432/database",
    "DATABASE_OWNER_URL": "empty, or postgresql://owner:password@host:5432/database: the "
    "tables' owner, the same database as DATABASE_URL",
    "DATABASE_PASSWORD_FILE": "empty, or a file holding only the password of DATABASE_URL's "
    "user (a postgresql:// URL without one), e.g. /run/secrets/bot_database_password",
    "DATABASE_OWNER_PASSWORD_FILE": "empty, or a file holding only the password of "
    "DATABASE_OWNER_URL's user (a URL without one), e.g. /run/secrets/postgres_password",
    "TELEGRAM_API_BASE_URL": f"a URL ending in /bot, e.g. {DEFAULT_API_BASE_URL}",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "LOG_FORMAT": "one of auto, json, console",
    "LOG_PSEUDONYM_KEY": "base64 of 32 random bytes, or empty (derived from BLIND_INDEX_KEY)",
    "LOG_UNSAFE_DEBUG": "true or false (false in production)",
    "WEBHOOK_URL": "an https:// URL Telegram can reach, e.g. https://bot.example.org/telegram",
    "WEBHOOK_SECRET_TOKEN": "1-256 characters of A-Z, a-z, 0-9, _ and -",
    "WEBHOOK_LISTEN": "the address to listen on, e.g. 127.0.0.1 or 0.0.0.0",
    "WEBHOOK_PORT": "a TCP port number, 1-65535",
    "METRICS_PORT": "a TCP port number, 1-65535, or empty (no metrics)",
    "METRICS_LISTEN": "the address to serve metrics on, e.g. 127.0.0.1 or 0.0.0.0",
    "RATE_LIMITER_ENABLED": "true or false",
    "RATE_LIMITER_MAX_RETRIES": "a whole number from 0 to 20",
    "MAX_CONCURRENT_UPDATES": "a whole number from 1 to 1024",
    "POLL_TIMEOUT_SECONDS": "a whole number of seconds from 0 to 50",
    "POLL_INTERVAL_SECONDS": "a number of seconds from 0 to 5, e.g. 0.05",
    "STARTUP_GIVE_UP_MINUTES": "a number of minutes above 0, up to 1440, e.g. 10",
    "REPORT_CATEGORIES": f"comma-separated category keys, custom ones as key=Label, e.g. "
    f"{DEFAULT_CATEGORIES}",
    "CONVERSATION_TIMEOUT_MINUTES": "a whole number of minutes from 1 to 1440",
    "REPORT_LIMIT_PER_HOUR": "a whole number from 1 to 10000",
    "REPORT_LIMIT_PER_DAY": "a whole number from 1 to 100000, not below REPORT_LIMIT_PER_HOUR",
    "RESOLVE_TIMEOUT_SECONDS": "a number of seconds from 0.1 to 30",
    "UNDO_WINDOW_MINUTES": "a whole number of minutes from 1 to 1440",
    "CHAT_ADMIN_CACHE_SECONDS": "a whole number of seconds from 0 to 86400",
    "CASE_EDIT_DEBOUNCE_SECONDS": "a whole number of seconds from 0 to 3600",
    "REVIEW_MESSAGES_PER_MINUTE": "a whole number from 1 to 20",
    "REVIEW_MESSAGE_GAP_SECONDS": "seconds from 0 to 10 between two messages to the review chat",
    "BACKLOG_DIGEST_MINUTES": "a whole number of minutes from 1 to 60",
    "SLA_SEVERE_CATEGORIES": "comma-separated keys of REPORT_CATEGORIES, e.g. csam,terrorism",
    "SLA_SEVERE_PENDING_MINUTES": "a whole number of minutes from 0 (off) to 10080",
    "PROVISIONAL_HIDE_REPORTERS": "a whole number from 0 (off) to 1000",
    "REOPEN_AFTER_REPORTERS": "a whole number from 1 to 1000",
    "REOPEN_COOLOFF_DAYS": "a whole number of days from 0 to 3650",
    "REGISTRY_RETENTION_DAYS": "a whole number of days from 1 to 36500",
    "REGISTRY_OBSERVE_HOURS": "a whole number of hours from 1 to 8760",
    "REGISTRY_OBSERVE_BATCH": "a whole number from 1 to 1000",
    "ENCRYPTION_KEY": "<id>:<base64 of 32 random bytes>, as `report-bot keys generate` prints it",
    "ENCRYPTION_PREVIOUS_KEYS": "comma-separated <id>:<base64> keys still needed to decrypt, "
    "or empty",
    "BLIND_INDEX_KEY": "base64 of 32 random bytes, as `report-bot keys generate` prints it "
    "(after a rotation <id>:<base64>)",
    "BLIND_INDEX_PREVIOUS_KEYS": "comma-separated <id>:<base64> index keys still being replaced "
    "by `report-bot keys rotate`, or empty",
    "LEDGER_KEY": "<id>:<base64 of 32 random bytes>, separate from the other keys, as "
    "`report-bot keys generate` prints it",
    "LEDGER_PREVIOUS_KEYS": "comma-separated <id>:<base64> ledger keys older entries were "
    "written under, or empty",
    "LEDGER_ANCHOR_DIR": "a folder for the checkpoint file, on another volume than the "
    "database, or empty ($XDG_STATE_HOME/report-bot/ledger-anchors, else "
    "~/.local/state/report-bot/ledger-anchors)",
    "LEDGER_HEAD_EVERY_HOURS": "a whole number of hours from 0 (off) to 8760 between two signed "
    "ledger heads sent to the legal officers, e.g. 24",
    "LEGAL_ORDER_TYPES": "comma-separated order types a judicial authority issues, from "
    "court_order, judicial_warrant, subpoena, emergency, other",
    "LEGAL_OFFENCES": "comma-separated offence=category pairs, e.g. drug_trafficking=drugs",
    "LEGAL_DENIED_COUNTRIES": "comma-separated ISO 3166-1 alpha-2 codes, or empty (none denied)",
    "LEGAL_MAX_PERIOD_DAYS": "a whole number of days from 1 to 3660",
    "LEGAL_APPROVALS": "a whole number from 2 to 5",
    "LEGAL_REGISTRAR_MAY_APPROVE": "true or false",
    "LEGAL_GRANT_COOL_OFF_HOURS": "a whole number of hours from 0 to 720",
}


class SettingsError(Exception):
    """Configuration is unusable; `problems` holds one human-readable line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def problem(variable: str, what: str) -> str:
    hint = EXPECTED.get(variable)
    return f"{variable}: {what}" + (f"; expected {hint}" if hint else "")


def describe(exc: ValidationError) -> list[str]:
    problems: list[str] = []
    for error in exc.errors(include_input=False, include_url=False):
        location = [str(part) for part in error["loc"] if not isinstance(part, int)]
        message = str(error["msg"]).removeprefix("Value error, ")
        if not location:
            # model-level validators name their variable themselves: "VAR: what"
            variable, _, what = message.partition(": ")
            problems.append(problem(variable, what) if what else message)
            continue
        problems.append(problem(location[0].upper(), message[:1].lower() + message[1:]))
    return problems
