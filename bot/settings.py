"""All configuration, read only from the environment and an optional .env file.

The environment wins over .env. Problems are reported as one line per variable naming what is
expected (bot/settings_problems.py); a secret's value never appears in a message. This module
is long because it is one pydantic model: each of the sixty-odd variables is declared once, next
to its validator and the objects built from it, so a variable is found by its name in one place.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit, urlunsplit

import iso3166
from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import env_file as settings_file
from bot.settings_problems import DEFAULT_API_BASE_URL, describe, problem
from bot.settings_problems import SettingsError as SettingsError  # callers import it from here
from handlers.runtime.settings import ConsoleSettings, HandlerSettings
from moderation.instances import LEASE_TERM, MIN_LEASE_TERM
from moderation.legal.ledger import Ledger, LedgerKeys
from moderation.legal.types import LegalPolicy, OrderType
from moderation.reporting.categories import DEFAULT_CATEGORIES, Categories, parse_categories
from moderation.review.priority import CasePolicy
from moderation.review.severe_waits import SeverePolicy
from moderation.staff.roles import Role
from storage.crypto import (
    DataKey,
    PersonalDataCipher,
    decode_secret,
    parse_index_key,
    parse_key,
)
from storage.legal.ledger_anchor import (
    FILE_NAME,
    LEGACY_FOLDER_NAME,
    FileAnchor,
    NoStateFolder,
    default_anchor_dir,
)
from storage.location import Location, PostgresLocation, SqliteLocation, parse_location

#: The categories whose pending cases admins hear about when they wait too long.
DEFAULT_SEVERE_CATEGORIES = "csam,terrorism"
_TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,200}$")
_WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_APP_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{3,30}$")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class LogFormat(StrEnum):
    """`auto` picks console output on a terminal and JSON lines everywhere else."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


#: Offences (as officers name them) that are criminal activities breaking the Terms of Service,
#: with the report category each corresponds to.
DEFAULT_LEGAL_OFFENCES = (
    "child_sexual_abuse=csam,csam=csam,terrorism=terrorism,terrorist_financing=terrorism,"
    "drug_trafficking=drugs,weapons_trafficking=weapons,violent_crime=violence,fraud=scam,"
    "extortion=scam,doxxing=doxxing,illegal_trade=illegal_goods,human_trafficking=illegal_goods"
)

IdSet = Annotated[frozenset[int], NoDecode]


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_policy_item(name: str, text: str) -> list[tuple[str, str]]:
    """Checks one LEGAL_* list; returns offence pairs for legal_offences."""
    pairs: list[tuple[str, str]] = []
    for n, item in enumerate(_items(text), 1):
        if name == "legal_order_types":
            if item not in {t.value for t in OrderType}:
                raise ValueError(f"item {n} is not an order type")
        elif name == "legal_denied_countries":
            if item.upper() not in iso3166.countries_by_alpha2:
                raise ValueError(f"item {n} is not an ISO 3166-1 alpha-2 country code")
        else:
            offence, sep, category = item.partition("=")
            if not sep or not re.fullmatch(r"[a-z0-9_]{2,60}", offence.strip()):
                raise ValueError(f"item {n} is not offence=category")
            pairs.append((offence.strip(), category.strip()))
    return pairs


class Settings(BaseSettings):
    """The bot's whole configuration; `.env.example` documents every field."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        arbitrary_types_allowed=True,
    )

    bot_token: SecretStr | None = None
    review_chat_id: int | None = None
    review_thread_id: int | None = Field(default=None, gt=0)
    admin_ids: IdSet = frozenset()
    moderator_ids: IdSet = frozenset()
    legal_officer_ids: IdSet = frozenset()
    database_path: Path = Path("./data/reportbot.sqlite3")
    # SecretStr: a PostgreSQL URL may carry a password (`database` is the parsed form).
    database_url: SecretStr | None = None
    # The tables' owner on PostgreSQL: migrations run as it, the bot as DATABASE_URL's role.
    database_owner_url: SecretStr | None = None
    # Files holding those URLs' passwords (Compose secrets), so no password sits in the
    # environment; read once, at start (`_password_files`).
    database_password_file: Path | None = None
    database_owner_password_file: Path | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    log_level: LogLevel = LogLevel.INFO
    log_format: LogFormat = LogFormat.AUTO
    log_pseudonym_key: SecretStr | None = None
    log_unsafe_debug: bool = False
    webhook_url: str | None = None
    webhook_secret_token: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # The moderators' console (a Telegram Mini App served by the bot): off while CONSOLE_URL
    # is unset (bot/console_server.py, docs/console.md).
    console_url: str | None = None
    console_listen: str = "127.0.0.1"
    console_port: int = Field(default=8444, ge=1, le=65535)
    console_session_minutes: int = Field(default=30, ge=1, le=720)
    console_init_data_max_age_seconds: int = Field(default=3600, ge=60, le=86400)
    console_app_name: str | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_listen: str = "127.0.0.1"
    rate_limiter_enabled: bool = True
    rate_limiter_max_retries: int = Field(default=5, ge=0, le=20)
    max_concurrent_updates: int = Field(default=64, ge=1, le=1024)
    poll_timeout_seconds: int = Field(default=30, ge=0, le=50)
    poll_interval_seconds: float = Field(default=0.05, ge=0, le=5)
    startup_give_up_minutes: float = Field(default=10, gt=0, le=1440)
    report_categories: Annotated[Categories, NoDecode] = Field(
        default_factory=lambda: parse_categories(DEFAULT_CATEGORIES)
    )
    conversation_timeout_minutes: int = Field(default=15, ge=1, le=1440)
    report_limit_per_hour: int = Field(default=20, ge=1, le=10_000)
    report_limit_per_day: int = Field(default=100, ge=1, le=100_000)
    resolve_timeout_seconds: float = Field(default=3.0, ge=0.1, le=30)
    undo_window_minutes: int = Field(default=5, ge=1, le=1440)
    chat_admin_cache_seconds: int = Field(default=60, ge=0, le=86400)
    case_edit_debounce_seconds: int = Field(default=10, ge=0, le=3600)
    case_edit_recheck_seconds: int = Field(default=30, ge=1, le=3600)
    review_messages_per_minute: int = Field(default=20, ge=1, le=20)
    review_message_gap_seconds: float = Field(default=1.0, ge=0, le=10)
    # /review in a private chat: the bot's messages and edits there, one per this many seconds.
    private_message_gap_seconds: float = Field(default=1.0, ge=0, le=10)
    # Several instances: how long a dead leader holds the scheduled work, and a dead
    # instance a case post or notification it had claimed (moderation/instances.py).
    jobs_lease_seconds: int = Field(
        default=int(LEASE_TERM.total_seconds()), ge=int(MIN_LEASE_TERM.total_seconds()), le=600
    )
    outbox_claim_seconds: int = Field(default=20, ge=5, le=600)
    backlog_digest_minutes: int = Field(default=3, ge=1, le=60)
    # /review in a private chat and the console: a served case is that moderator's this long.
    review_claim_seconds: int = Field(default=300, ge=30, le=3600)
    sla_severe_categories: str = DEFAULT_SEVERE_CATEGORIES
    sla_severe_pending_minutes: int = Field(default=60, ge=0, le=10080)
    provisional_hide_reporters: int = Field(default=0, ge=0, le=1000)
    provisional_hide_after_minutes: int = Field(default=0, ge=0, le=10080)
    reopen_after_reporters: int = Field(default=3, ge=1, le=1000)
    reopen_cooloff_days: int = Field(default=30, ge=0, le=3650)
    registry_retention_days: int = Field(default=365, ge=1, le=36500)
    registry_observe_hours: int = Field(default=24, ge=1, le=8760)
    registry_observe_batch: int = Field(default=50, ge=1, le=1000)
    encryption_key: SecretStr | None = None
    encryption_previous_keys: SecretStr | None = None
    blind_index_key: SecretStr | None = None
    blind_index_previous_keys: SecretStr | None = None
    ledger_key: SecretStr | None = None
    ledger_previous_keys: SecretStr | None = None
    ledger_anchor_dir: Path | None = None
    ledger_head_every_hours: int = Field(default=24, ge=0, le=8760)
    legal_order_types: str = "court_order,judicial_warrant"
    legal_offences: str = DEFAULT_LEGAL_OFFENCES
    legal_denied_countries: str = ""
    legal_max_period_days: int = Field(default=366, ge=1, le=3660)
    legal_approvals: int = Field(default=2, ge=2, le=5)
    legal_registrar_may_approve: bool = False
    legal_grant_cool_off_hours: int = Field(default=24, ge=0, le=720)
    # DATABASE_URL and DATABASE_OWNER_URL with the passwords their files hold (by variable).
    _with_passwords: dict[str, SecretStr] = PrivateAttr(default_factory=dict)

    def bootstrap_roles(self) -> dict[Role, frozenset[int]]:
        """The roles the settings give, which cannot be revoked from the bot."""
        return {
            Role.ADMIN: self.admin_ids,
            Role.MODERATOR: self.moderator_ids,
            Role.LEGAL: self.legal_officer_ids,
        }

    def for_handlers(self) -> HandlerSettings:
        """What handlers read, with every policy built once (handlers/runtime/settings.py)."""
        return HandlerSettings(
            review_chat_id=self.review_chat_id,
            review_thread_id=self.review_thread_id,
            admin_ids=self.admin_ids,
            report_categories=self.report_categories,
            bootstrap_roles=self.bootstrap_roles(),
            case_policy=self.case_policy(),
            legal_policy=self.legal_policy(),
            severe_policy=self.severe_policy(),
            conversation_timeout_minutes=self.conversation_timeout_minutes,
            report_limit_per_hour=self.report_limit_per_hour,
            report_limit_per_day=self.report_limit_per_day,
            resolve_timeout_seconds=self.resolve_timeout_seconds,
            undo_window_minutes=self.undo_window_minutes,
            case_edit_debounce_seconds=self.case_edit_debounce_seconds,
            case_edit_recheck_seconds=self.case_edit_recheck_seconds,
            outbox_claim_seconds=self.outbox_claim_seconds,
            review_claim_seconds=self.review_claim_seconds,
            backlog_digest_minutes=self.backlog_digest_minutes,
            sla_severe_pending_minutes=self.sla_severe_pending_minutes,
            registry_retention_days=self.registry_retention_days,
            registry_observe_hours=self.registry_observe_hours,
            registry_observe_batch=self.registry_observe_batch,
            ledger_head_every_hours=self.ledger_head_every_hours,
            console=self.console_settings(),
        )

    def console_settings(self) -> ConsoleSettings | None:
        """The console's part of the handlers' settings; None while CONSOLE_URL is unset."""
        if self.console_url is None:
            return None
        return ConsoleSettings(
            url=self.console_url,
            session_minutes=self.console_session_minutes,
            init_data_max_age_seconds=self.console_init_data_max_age_seconds,
            app_name=self.console_app_name,
        )

    def case_policy(self) -> CasePolicy:
        return CasePolicy.from_categories(
            self.report_categories,
            provisional_reporters=self.provisional_hide_reporters,
            provisional_wait=timedelta(minutes=self.provisional_hide_after_minutes),
            reopen_reporters=self.reopen_after_reporters,
            reopen_cooloff=timedelta(days=self.reopen_cooloff_days),
        )

    @field_validator(
        "bot_token",
        "webhook_secret_token",
        "webhook_url",
        "console_url",
        "console_app_name",
        "encryption_key",
        "encryption_previous_keys",
        "blind_index_key",
        "blind_index_previous_keys",
        "ledger_key",
        "ledger_previous_keys",
        "ledger_anchor_dir",
        "log_pseudonym_key",
        "database_url",
        "database_owner_url",
        "database_password_file",
        "database_owner_password_file",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_location(value.get_secret_value())  # its ValueError names what is wrong
        return value

    @field_validator("database_owner_url")
    @classmethod
    def _owner_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not isinstance(
            parse_location(value.get_secret_value()), PostgresLocation
        ):
            raise ValueError(
                "must be a postgresql://owner@host:5432/database URL: the tables' owner, "
                "for migrations (SQLite has no roles)"
            )
        return value

    @model_validator(mode="after")
    def _password_files(self) -> Settings:
        """Each password file's content goes into its URL, which must name a user and no
        password of its own; the file is read here once, and its content is never shown."""
        for file_variable, url_variable, path, url in (
            (
                "DATABASE_PASSWORD_FILE",
                "DATABASE_URL",
                self.database_password_file,
                self.database_url,
            ),
            (
                "DATABASE_OWNER_PASSWORD_FILE",
                "DATABASE_OWNER_URL",
                self.database_owner_password_file,
                self.database_owner_url,
            ),
        ):
            if path is None:
                continue
            if url is None or not isinstance(
                parse_location(url.get_secret_value()), PostgresLocation
            ):
                raise ValueError(
                    f"{file_variable}: only with a postgresql:// {url_variable}, whose user's "
                    f"password the file holds; set {url_variable} to "
                    f"postgresql://user@host:5432/database, or leave {file_variable} empty"
                )
            parts = urlsplit(url.get_secret_value())
            if parts.password is not None:
                raise ValueError(
                    f"{file_variable}: {url_variable} carries a password too; keep it in one "
                    f"place: remove it from the URL (postgresql://user@host/database)"
                )
            if not parts.username:
                raise ValueError(
                    f"{file_variable}: {url_variable} names no user whose password it is; "
                    f"write postgresql://user@host/database"
                )
            password = read_password_file(file_variable, path)
            with_password = parts._replace(
                netloc=f"{parts.username}:{quote(password, safe='')}@"
                + parts.netloc.rpartition("@")[2]
            )
            self._with_passwords[url_variable] = SecretStr(urlunsplit(with_password))
        return self

    @model_validator(mode="after")
    def _owner_of_the_same_database(self) -> Settings:
        owner = self.database_owner
        if owner is None:
            return self
        database = self.database
        if not isinstance(database, PostgresLocation):
            raise ValueError(
                "DATABASE_OWNER_URL: only with a PostgreSQL DATABASE_URL (the bot's own role); "
                "leave it empty for SQLite"
            )
        if owner.without_user() != database.without_user():
            raise ValueError(
                f"DATABASE_OWNER_URL: names {owner.without_user()}, but DATABASE_URL names "
                f"{database.without_user()}: both must name the same database"
            )
        return self

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: Any, info: ValidationInfo) -> Any:
        """`info` works as `INFO`, `JSON` as `json`: the values are names, not passwords."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        return text.upper() if info.field_name == "log_level" else text.lower()

    @field_validator("review_chat_id", "review_thread_id", "metrics_port", mode="before")
    @classmethod
    def _empty_int_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_PATTERN.fullmatch(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("admin_ids", "moderator_ids", "legal_officer_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        ids: set[int] = set()
        for part in value.split(","):
            item = part.strip()
            if not item:
                continue
            if not re.fullmatch(r"\d{1,20}", item):
                raise ValueError(f"item {len(ids) + 1} is not a positive whole number")
            ids.add(int(item))
        return frozenset(ids)

    @field_validator("legal_order_types", "legal_offences", "legal_denied_countries")
    @classmethod
    def _legal_policy_lists(cls, value: str, info: ValidationInfo) -> str:
        # Parsed once here so a mistake stops start-up; legal_policy() parses again.
        parse_policy_item(str(info.field_name), value)
        return value

    def legal_policy(self) -> LegalPolicy:
        return LegalPolicy(
            judicial_order_types=frozenset(OrderType(t) for t in _items(self.legal_order_types)),
            offences=dict(
                parse_policy_item(
                    "legal_offences", self.legal_offences.strip() or DEFAULT_LEGAL_OFFENCES
                )
            ),
            denied_countries=frozenset(t.upper() for t in _items(self.legal_denied_countries)),
            max_period_days=self.legal_max_period_days,
            approvals_needed=self.legal_approvals,
            registrar_may_approve=self.legal_registrar_may_approve,
            bootstrap_legal=self.legal_officer_ids,
            bootstrap_admins=self.admin_ids,
            grant_cool_off=timedelta(hours=self.legal_grant_cool_off_hours),
            grant_keys=self.ledger_keys() if self.ledger_key is not None else None,
        )

    @field_validator("report_categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_categories(value if value.strip() else DEFAULT_CATEGORIES)
        return value

    @field_validator("encryption_key", "ledger_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_key(value.get_secret_value(), "the key")  # KeyProblem is a ValueError
        return value

    @field_validator(
        "encryption_previous_keys", "blind_index_previous_keys", "ledger_previous_keys"
    )
    @classmethod
    def _previous_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            for position, part in enumerate(value.get_secret_value().split(","), start=1):
                if part.strip():
                    parse_key(part, f"key {position}")
        return value

    @field_validator("log_pseudonym_key")
    @classmethod
    def _base64_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            decode_secret(value.get_secret_value(), "the key")
        return value

    @field_validator("blind_index_key")
    @classmethod
    def _index_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_index_key(value.get_secret_value(), "the key")
        return value

    @model_validator(mode="after")
    def _separate_ledger_key(self) -> Settings:
        if self.ledger_key is None:
            return self
        ledger = parse_key(self.ledger_key.get_secret_value(), "LEDGER_KEY")
        others: set[bytes] = set()
        if self.encryption_key is not None:
            others.add(parse_key(self.encryption_key.get_secret_value()).secret)
            others.update(key.secret for key in self._previous_keys_parsed())
        others.update(key.secret for key in self._index_keys_parsed())
        if ledger.secret in others:
            raise ValueError(
                "LEDGER_KEY: must be a separate key, not the encryption or blind-index key "
                "(generate one with: report-bot keys generate)"
            )
        if ledger.key_id in {key.key_id for key in self._ledger_previous_parsed()}:
            raise ValueError(
                "LEDGER_PREVIOUS_KEYS: repeats the id of LEDGER_KEY; give the new key a new id"
            )
        return self

    def _ledger_previous_parsed(self) -> list[DataKey]:
        return _key_list(self.ledger_previous_keys, "LEDGER_PREVIOUS_KEYS")

    @property
    def database(self) -> Location:
        """DATABASE_URL when set, else the SQLite file DATABASE_PATH."""
        if self.database_url is None:
            return SqliteLocation(self.database_path)
        url = self._with_passwords.get("DATABASE_URL", self.database_url)
        return parse_location(url.get_secret_value())

    @property
    def database_owner(self) -> PostgresLocation | None:
        """DATABASE_OWNER_URL: who migrates a PostgreSQL database (docs/postgresql.md)."""
        if self.database_owner_url is None:
            return None
        url = self._with_passwords.get("DATABASE_OWNER_URL", self.database_owner_url)
        location = parse_location(url.get_secret_value())
        assert isinstance(location, PostgresLocation)  # the validator checked it
        return location

    @property
    def anchor_dir(self) -> Path:
        """LEDGER_ANCHOR_DIR, or a per-user state folder that is not the database's folder
        (storage/legal/ledger_anchor.py: default_anchor_dir). Raises SettingsError, so every
        command that uses the checkpoints stops, while LEDGER_ANCHOR_DIR is unset and the
        checkpoint file is still in the old default folder beside the database (and not in the
        new one): the bot would otherwise start a new file and lose sight of the old one."""
        if self.ledger_anchor_dir is not None:
            return self.ledger_anchor_dir
        try:
            folder = default_anchor_dir()
        except NoStateFolder as exc:
            raise SettingsError([problem("LEDGER_ANCHOR_DIR", f"required: {exc}")]) from None
        old_file = (self.legacy_anchor_dir / FILE_NAME).absolute()
        if old_file.exists() and not (folder / FILE_NAME).exists():
            raise SettingsError(
                [
                    f"LEDGER_ANCHOR_DIR: not set, and the ledger's checkpoint file is still in "
                    f"the old default folder beside the database, {old_file}; the default is "
                    f"now {folder}, away from the database. Move the file there (mkdir -p -m "
                    f"700 {folder} && mv {old_file} {folder}/), or to a folder on another disk "
                    f"and set LEDGER_ANCHOR_DIR to that folder; nothing was changed"
                ]
            )
        return folder

    @property
    def legacy_anchor_dir(self) -> Path:
        """Where the checkpoints were by default before: beside a SQLite database, or
        ./data/ledger-anchors with PostgreSQL."""
        database = self.database
        folder = database.path.parent if isinstance(database, SqliteLocation) else Path("data")
        return folder / LEGACY_FOLDER_NAME

    def ledger(self) -> Ledger:
        """The ledger's keys and its checkpoint file; `require_ledger` checks the key is set."""
        return Ledger(self.ledger_keys(), FileAnchor(self.anchor_dir))

    def ledger_keys(self) -> LedgerKeys:
        """LEDGER_KEY and LEDGER_PREVIOUS_KEYS: they key the ledger and seal votes and legal
        and admin grants; `require_ledger` checks the key is set."""
        self.require_ledger()
        assert self.ledger_key is not None
        current = parse_key(self.ledger_key.get_secret_value(), "LEDGER_KEY")
        secrets = {key.key_id: key.secret for key in self._ledger_previous_parsed()}
        secrets[current.key_id] = current.secret
        return LedgerKeys(current.key_id, secrets)

    def require_ledger(self) -> None:
        if self.ledger_key is None:
            raise SettingsError(
                [
                    problem(
                        "LEDGER_KEY",
                        "required: every disclosure is chained in the ledger under this key "
                        "(generate one with: report-bot keys generate)",
                    )
                ]
            )

    @model_validator(mode="after")
    def _distinct_keys(self) -> Settings:
        if self.encryption_key is None:
            return self
        current = parse_key(self.encryption_key.get_secret_value())
        previous = self._previous_keys_parsed()
        if current.key_id in {key.key_id for key in previous}:
            raise ValueError(
                "ENCRYPTION_PREVIOUS_KEYS: repeats the id of ENCRYPTION_KEY; give the new key "
                "a new id"
            )
        index_keys = self._index_keys_parsed()
        if index_keys and {key.secret for key in index_keys} & {
            current.secret,
            *(key.secret for key in previous),
        }:
            raise ValueError("BLIND_INDEX_KEY: must be a separate key, not an encryption key")
        ids = [key.key_id for key in index_keys]
        if len(ids) != len(set(ids)):
            raise ValueError(
                "BLIND_INDEX_PREVIOUS_KEYS: repeats the id of BLIND_INDEX_KEY; write the new key "
                "as <new id>:<base64> (the first key's id is b1)"
            )
        return self

    def _index_keys_parsed(self) -> list[DataKey]:
        """BLIND_INDEX_KEY first, then BLIND_INDEX_PREVIOUS_KEYS."""
        if self.blind_index_key is None:
            return []
        previous = _key_list(self.blind_index_previous_keys, "BLIND_INDEX_PREVIOUS_KEYS")
        return [parse_index_key(self.blind_index_key.get_secret_value()), *previous]

    def _previous_keys_parsed(self) -> list[DataKey]:
        return _key_list(self.encryption_previous_keys, "ENCRYPTION_PREVIOUS_KEYS")

    def cipher(self) -> PersonalDataCipher:
        """The personal-data cipher; `require_keys` has checked the keys are there."""
        self.require_keys()
        assert self.encryption_key is not None
        assert self.blind_index_key is not None
        index_key, *previous_index_keys = self._index_keys_parsed()
        return PersonalDataCipher(
            parse_key(self.encryption_key.get_secret_value()),
            self._previous_keys_parsed(),
            index_key,
            previous_index_keys,
        )

    def require_keys(self) -> None:
        problems = [
            problem(variable, "required: personal data is stored only encrypted")
            for variable, value in (
                ("ENCRYPTION_KEY", self.encryption_key),
                ("BLIND_INDEX_KEY", self.blind_index_key),
            )
            if value is None
        ]
        if problems:
            raise SettingsError(problems)

    @field_validator("review_chat_id")
    @classmethod
    def _group_id(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("a group's id is negative; a positive id is a user, not a group")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("is not an http(s) URL")
        if not value.rstrip("/").endswith("/bot"):
            raise ValueError("must end with /bot (the token is appended to it)")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return _https_url(value, "Telegram only delivers webhooks over https")

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str | None) -> str | None:
        return _https_url(value, "Telegram opens Mini Apps over https only")

    @field_validator("console_app_name")
    @classmethod
    def _console_app_name(cls, value: str | None) -> str | None:
        if value is not None and not _APP_NAME_PATTERN.fullmatch(value):
            raise ValueError("is not a Mini App short name")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("contains characters Telegram does not allow or is too long")
        return value

    @model_validator(mode="after")
    def _daily_limit_covers_hourly(self) -> Settings:
        if self.report_limit_per_day < self.report_limit_per_hour:
            raise ValueError("REPORT_LIMIT_PER_DAY: is below REPORT_LIMIT_PER_HOUR")
        return self

    @model_validator(mode="after")
    def _severe_categories_are_categories(self) -> Settings:
        if "sla_severe_categories" not in self.model_fields_set:
            return self  # the default names only those of the built-in ones in use
        for position, item in enumerate(_items(self.sla_severe_categories), start=1):
            key = item.lower()
            if key not in self.report_categories:
                raise ValueError(
                    f"SLA_SEVERE_CATEGORIES: item {position} ({key[:20]!r}) is not one of the "
                    "REPORT_CATEGORIES"
                )
        return self

    def severe_policy(self) -> SeverePolicy:
        named = {key.lower() for key in _items(self.sla_severe_categories)}
        return SeverePolicy(
            frozenset(named & set(self.report_categories.keys)),
            timedelta(minutes=self.sla_severe_pending_minutes),
        )

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret_token is None:
            raise ValueError("WEBHOOK_SECRET_TOKEN: required when WEBHOOK_URL is set")
        return self

    @model_validator(mode="after")
    def _console_port_free(self) -> Settings:
        if (
            self.console_url is not None
            and self.webhook_url is not None
            and self.console_port == self.webhook_port
        ):
            raise ValueError("CONSOLE_PORT: is WEBHOOK_PORT; the console needs its own port")
        return self

    @property
    def api_file_url(self) -> str:
        """Bot API file downloads live at /file/bot next to /bot on every server."""
        return self.telegram_api_base_url[: -len("bot")] + "file/bot"

    @property
    def webhook_path(self) -> str:
        """The path PTB's webhook server listens on, taken from WEBHOOK_URL."""
        if self.webhook_url is None:
            return ""
        return urlsplit(self.webhook_url).path.lstrip("/")

    def token(self) -> str:
        """The bot token; only `run` needs it, so it is checked there (see `require_run`)."""
        if self.bot_token is None:
            raise SettingsError([problem("BOT_TOKEN", "required to run the bot")])
        return self.bot_token.get_secret_value()

    def bot_id(self) -> int:
        """The bot's id: the token's number before the colon, known without asking Telegram.
        Update ids are numbered per bot, so the journal and the redelivery marks key by it."""
        return int(self.token().partition(":")[0])

    def require_run(self) -> None:
        """Checks what `report-bot run` needs beyond what every command needs."""
        problems: list[str] = []
        if self.bot_token is None:
            problems.append(problem("BOT_TOKEN", "required to run the bot"))
        for variable, value in (
            ("ENCRYPTION_KEY", self.encryption_key),
            ("BLIND_INDEX_KEY", self.blind_index_key),
        ):
            if value is None:
                problems.append(
                    problem(variable, "required: personal data is stored only encrypted")
                )
        if problems:
            raise SettingsError(problems)
        if self.ledger_key is not None:
            _ = self.anchor_dir  # stops here, before anything starts, if the file was left behind


def read_password_file(variable: str, path: Path) -> str:
    """The password in `path` (one line; a final newline is not part of it). A file that
    cannot be read is a ValueError naming the path and why, never its content."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{variable}: {path} does not exist") from None
    except PermissionError:
        raise ValueError(
            f"{variable}: {path} cannot be read by this user (permission denied)"
        ) from None
    except IsADirectoryError:
        raise ValueError(f"{variable}: {path} is a folder, not a file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{variable}: {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"{variable}: {path} cannot be read ({exc.strerror})") from None
    password = text.removesuffix("\n").removesuffix("\r")
    if not password:
        raise ValueError(f"{variable}: {path} is empty")
    if "\n" in password or "\r" in password:
        raise ValueError(
            f"{variable}: {path} holds more than one line (only the password belongs there)"
        )
    return password


def _key_list(value: SecretStr | None, what: str) -> list[DataKey]:
    """Comma-separated <id>:<base64> keys (the validators have checked each)."""
    if value is None:
        return []
    return [parse_key(part, what) for part in value.get_secret_value().split(",") if part.strip()]


def known_names() -> frozenset[str]:
    """Every name the env file may hold: the settings' variables and the names the deploy
    recipes put beside them (bot/env_file.py: DEPLOY_RECIPE_NAMES)."""
    fields = frozenset(name.upper() for name in Settings.model_fields)
    return fields | settings_file.DEPLOY_RECIPE_NAMES


def load_settings(env_file: Path | None = None, **overrides: Any) -> Settings:
    """Reads settings, turning every validation failure into a `SettingsError`, and stops at
    a name in the env file that is a typo of a setting's (bot/env_file.py: misspelled)."""
    in_use = settings_file.in_use(env_file)
    problems = [] if in_use is None else settings_file.misspelled(in_use, known_names())
    try:
        if env_file is not None:
            settings = Settings(_env_file=env_file, **overrides)
        else:
            settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError([*problems, *describe(exc)]) from None
    if problems:
        raise SettingsError(problems)
    return settings


def _https_url(value: str | None, why_https: str) -> str | None:
    """An https URL (or http on this machine, for a local test): what Telegram talks to."""
    if value is None:
        return None
    parts = urlsplit(value)
    if not parts.netloc:
        raise ValueError("is not a URL")
    if parts.scheme != "https" and not (
        parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    ):
        raise ValueError(why_https)
    return value
