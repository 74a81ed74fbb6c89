"""How a bad setting is reported: one line per variable, naming what it expects.

pydantic's own errors echo the input, which may be a secret: they are rewritten here into
"VARIABLE: what is wrong; expected ..." without the value.
"""

from __future__ import annotations

from pydantic import ValidationError

from moderation.reporting.categories import DEFAULT_CATEGORIES

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"

#: What each variable is for, one line each: the Meaning column of the configuration table
#: (`python -m bot.settings_table`, docs/configuration.md). A new setting gets a line here and
#: one in EXPECTED below.
MEANING: dict[str, str] = {
    "BOT_TOKEN": "Token from @BotFather (required for `run`); masked in every log line",
    "REVIEW_CHAT_ID": "Review group id (negative)",
    "REVIEW_THREAD_ID": "Forum topic id in the review group",
    "ADMIN_IDS": "Bootstrap admins, comma-separated user ids",
    "MODERATOR_IDS": "Bootstrap moderators, comma-separated user ids",
    "LEGAL_OFFICER_IDS": "Bootstrap legal officers, comma-separated user ids",
    "DATABASE_PATH": "SQLite database file",
    "DATABASE_URL": "Wins over `DATABASE_PATH`: `sqlite:///path` or "
    "`postgresql://user:password@host:5432/database` (or the password in "
    "`DATABASE_PASSWORD_FILE`); on PostgreSQL the bot's own role, never the tables' owner (see "
    "[PostgreSQL roles](postgresql.md#postgresql-roles))",
    "DATABASE_OWNER_URL": "PostgreSQL only, secret: the tables' owner, for `migrate` (and "
    "`run`'s start-up migration when set); same database as `DATABASE_URL`",
    "DATABASE_PASSWORD_FILE": "PostgreSQL only: a file holding the password of `DATABASE_URL`'s "
    "user (e.g. a Compose secret in `/run/secrets/`), read once at start; `DATABASE_URL` then "
    "names the user and carries no password. One line; a final newline is ignored",
    "DATABASE_OWNER_PASSWORD_FILE": "The same for `DATABASE_OWNER_URL`'s user (the tables' "
    "owner, for `migrate`)",
    "TELEGRAM_API_BASE_URL": "Bot API server (self-hosted or test)",
    "LOG_LEVEL": "How much is logged",
    "LOG_FORMAT": "`auto` (console on a terminal, JSON lines otherwise), `json`, `console`",
    "LOG_PSEUDONYM_KEY": "Key for user pseudonyms in logs; empty: derived from "
    "`BLIND_INDEX_KEY` (see [Privacy in logs](privacy.md#privacy-in-logs))",
    "LOG_UNSAFE_DEBUG": "Developer only: library log records unsummarised, with names, texts "
    "and SQL values",
    "WEBHOOK_URL": "Public https URL for webhook mode; polling when empty",
    "WEBHOOK_SECRET_TOKEN": "Required with `WEBHOOK_URL`: Telegram sends it with every update",
    "WEBHOOK_LISTEN": "Address the webhook server binds",
    "WEBHOOK_PORT": "Port the webhook server binds",
    "CONSOLE_URL": "Public https URL of the moderators' console (a Telegram Mini App the bot "
    "serves, see [the console](console.md)); no console when empty",
    "CONSOLE_LISTEN": "Address the console's server binds",
    "CONSOLE_PORT": "Port the console's server binds",
    "CONSOLE_SESSION_MINUTES": "How long a console session lasts before the page signs in again",
    "CONSOLE_INIT_DATA_MAX_AGE_SECONDS": "How old the Mini App's signed init data may be when it "
    "opens a session",
    "CONSOLE_APP_NAME": "The Mini App's short name from @BotFather, for the direct link "
    "`https://t.me/<bot>/<name>` the review chat's button opens; no button there when empty",
    "METRICS_PORT": "Serve Prometheus metrics at `http://METRICS_LISTEN:METRICS_PORT/metrics`; "
    "no metrics when empty",
    "METRICS_LISTEN": "Address the metrics server binds",
    "RATE_LIMITER_ENABLED": "Respect Telegram's flood limits (turn off for benchmarks only; "
    "also `run --no-rate-limiter`)",
    "RATE_LIMITER_MAX_RETRIES": 'Retries of a request answered 429 "retry after"',
    "MAX_CONCURRENT_UPDATES": "Updates handled at once (one user's updates stay in order)",
    "POLL_TIMEOUT_SECONDS": "Long-poll timeout for `getUpdates`",
    "POLL_INTERVAL_SECONDS": "Pause between `getUpdates` calls, so updates arrive in batches "
    "under load",
    "STARTUP_GIVE_UP_MINUTES": "How long start-up keeps trying to reach the Bot API (one line "
    "per attempt) before it exits 1",
    "REPORT_CATEGORIES": "Categories reporters pick from, in order; custom ones as `key=Label`",
    "CONVERSATION_TIMEOUT_MINUTES": "An unfinished report (or legal registration) is dropped "
    "(and the reporter told) after this idle time",
    "REPORT_LIMIT_PER_HOUR": "Reports one person may file per rolling hour",
    "REPORT_LIMIT_PER_DAY": "Reports one person may file per rolling day",
    "RESOLVE_TIMEOUT_SECONDS": "How long to wait for Telegram to resolve a public @username "
    "(never blocks a report)",
    "UNDO_WINDOW_MINUTES": "How long a decision can be undone (the Undo button says until when "
    "and goes after it); reporters are told the outcome after it",
    "CHAT_ADMIN_CACHE_SECONDS": "How long the review chat's administrator list is cached",
    "CASE_EDIT_DEBOUNCE_SECONDS": "New reports update a posted case message at most this often",
    "CASE_EDIT_RECHECK_SECONDS": "A case message edit whose answer was lost (Telegram may apply "
    "it late) is followed by one more edit after this",
    "REVIEW_MESSAGES_PER_MINUTE": "Posts and edits the bot allows itself per minute in the "
    "review chat (Telegram: ~20)",
    "REVIEW_MESSAGE_GAP_SECONDS": "Seconds between two messages to the review chat (Telegram: "
    "~1 per second per chat)",
    "PRIVATE_MESSAGE_GAP_SECONDS": "Seconds between two messages or edits of the bot in one "
    "moderator's private review chat (Telegram: ~1 per second per chat)",
    "BACKLOG_DIGEST_MINUTES": "A backlog longer than this much posting gets a digest message",
    "JOBS_LEASE_SECONDS": "Several instances: a killed leader's scheduled work passes to another "
    "instance after this (renewed every 5 s)",
    "OUTBOX_CLAIM_SECONDS": "Several instances: a case post or notification a killed instance was "
    "sending is sent by another after this (keep it above a slow Telegram call)",
    "REVIEW_CLAIM_SECONDS": "A case /review (private chat) or the console serves is that "
    "moderator's this long: nobody else is served it meanwhile (Skip or Stop give it back)",
    "SLA_SEVERE_CATEGORIES": "Categories whose pending cases admins are told about when they "
    "wait too long (keys of `REPORT_CATEGORIES`)",
    "SLA_SEVERE_PENDING_MINUTES": "A severe case pending longer than this: one private notice "
    "to each admin per breach, and a digest line (0: off)",
    "PROVISIONAL_HIDE_REPORTERS": "Trusted distinct reporters that hide a pending target "
    "provisionally (0: off)",
    "PROVISIONAL_HIDE_AFTER_MINUTES": "How long a case must also have waited undecided, since "
    "it opened, before its trusted reporters hide its target provisionally (0: at once)",
    "REOPEN_AFTER_REPORTERS": "New distinct reporters that reopen a rejected target",
    "REOPEN_COOLOFF_DAYS": "After this, one report reopens a rejected target",
    "REGISTRY_RETENTION_DAYS": "Metadata kept this long after a violator's last confirmed case",
    "REGISTRY_OBSERVE_HOURS": "Each confirmed violator's chat is re-read with getChat this often",
    "REGISTRY_OBSERVE_BATCH": "Violators re-read per run of the observation job (every 10 minutes)",
    "ENCRYPTION_KEY": "Encrypts phone numbers, IPs and every other sealed value (`report-bot "
    "keys generate`)",
    "ENCRYPTION_PREVIOUS_KEYS": "Older keys, still needed until `report-bot keys rotate`",
    "BLIND_INDEX_KEY": "Separate key for exact-match lookups of phone and IP (bare = id `b1`)",
    "BLIND_INDEX_PREVIOUS_KEYS": "Older blind index keys until `keys rotate` has rebuilt the "
    "indexes",
    "LEDGER_KEY": "Keys the disclosure ledger and seals the votes on legal requests and the "
    "legal and admin grants, separate from the two above; nothing is approved, rejected or "
    "disclosed, and no legal or admin role proposed or confirmed, without it",
    "LEDGER_PREVIOUS_KEYS": "Older ledger keys, to verify older entries, votes and grants",
    "LEDGER_ANCHOR_DIR": "Folder of the append-only checkpoint file, never the database's "
    "folder by default; put it on another volume or machine (`db-check` and `setup` warn when "
    "it shares the database's filesystem); several instances share one",
    "LEDGER_HEAD_EVERY_HOURS": "A head of the ledger, signed under `LEDGER_KEY`, is sent to "
    "every legal officer this often when the ledger moved; `0` turns it off",
    "LEGAL_ORDER_TYPES": "Order types the legal analysis accepts as issued by a judicial authority",
    "LEGAL_OFFENCES": "Offences (as officers name them) that are criminal activities breaking "
    "the Terms of Service, each mapped to a report category",
    "LEGAL_DENIED_COUNTRIES": "Countries whose requests the legal analysis refuses",
    "LEGAL_MAX_PERIOD_DAYS": "The longest period of data one legal request may ask for",
    "LEGAL_APPROVALS": "Different legal officers who must approve a disclosure (2: four eyes)",
    "LEGAL_REGISTRAR_MAY_APPROVE": "Whether the officer who registered a request may also "
    "approve it",
    "LEGAL_GRANT_COOL_OFF_HOURS": "A legal role granted from the bot counts for approvals only "
    "this many hours after a second admin confirmed it (bootstrap officers have none)",
}

#: The Default column where the model's own default does not say it (a computed default).
DEFAULT_SHOWN: dict[str, str] = {
    "REPORT_CATEGORIES": "built-in list",
    "LOG_PSEUDONYM_KEY": "derived from `BLIND_INDEX_KEY`",
    "LEDGER_ANCHOR_DIR": "`$XDG_STATE_HOME/report-bot/ledger-anchors`, else "
    "`~/.local/state/report-bot/ledger-anchors`",
    "LEGAL_OFFENCES": "built-in list (`.env.example`)",
}

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
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR (in any case)",
    "LOG_FORMAT": "one of auto, json, console (in any case)",
    "LOG_PSEUDONYM_KEY": "base64 of 32 random bytes, or empty (derived from BLIND_INDEX_KEY)",
    "LOG_UNSAFE_DEBUG": "true or false (false in production)",
    "WEBHOOK_URL": "an https:// URL Telegram can reach, e.g. https://bot.example.org/telegram",
    "WEBHOOK_SECRET_TOKEN": "1-256 characters of A-Z, a-z, 0-9, _ and -",
    "WEBHOOK_LISTEN": "the address to listen on, e.g. 127.0.0.1 or 0.0.0.0",
    "WEBHOOK_PORT": "a TCP port number, 1-65535",
    "CONSOLE_URL": "an https:// URL the proxy passes to CONSOLE_LISTEN:CONSOLE_PORT, e.g. "
    "https://bot.example.org/console/",
    "CONSOLE_LISTEN": "the address to listen on, e.g. 127.0.0.1 or 0.0.0.0",
    "CONSOLE_PORT": "a TCP port number, 1-65535, not WEBHOOK_PORT",
    "CONSOLE_SESSION_MINUTES": "a whole number of minutes from 1 to 720",
    "CONSOLE_INIT_DATA_MAX_AGE_SECONDS": "a whole number of seconds from 60 to 86400",
    "CONSOLE_APP_NAME": "3-30 characters of A-Z, a-z, 0-9 and _, as @BotFather's /newapp set it",
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
    "CASE_EDIT_RECHECK_SECONDS": "a whole number of seconds from 1 to 3600",
    "REVIEW_MESSAGES_PER_MINUTE": "a whole number from 1 to 20",
    "REVIEW_MESSAGE_GAP_SECONDS": "seconds from 0 to 10 between two messages to the review chat",
    "PRIVATE_MESSAGE_GAP_SECONDS": "seconds from 0 to 10 between two messages in a private "
    "review chat",
    "BACKLOG_DIGEST_MINUTES": "a whole number of minutes from 1 to 60",
    "JOBS_LEASE_SECONDS": "a whole number of seconds from 10 to 600",
    "OUTBOX_CLAIM_SECONDS": "a whole number of seconds from 5 to 600",
    "REVIEW_CLAIM_SECONDS": "a whole number of seconds from 30 to 3600",
    "SLA_SEVERE_CATEGORIES": "comma-separated keys of REPORT_CATEGORIES, e.g. csam,terrorism",
    "SLA_SEVERE_PENDING_MINUTES": "a whole number of minutes from 0 (off) to 10080",
    "PROVISIONAL_HIDE_REPORTERS": "a whole number from 0 (off) to 1000",
    "PROVISIONAL_HIDE_AFTER_MINUTES": "a whole number of minutes from 0 (at once) to 10080",
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
