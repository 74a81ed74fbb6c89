"""What `report-bot setup` found, and how it is printed: in the order found, the first problem's
remedy as the next step, and never a secret, even one a URL or a Telegram answer carried.

The checks themselves are in bot/setup_check.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlsplit

from bot.redaction import SECRET_MASK, TOKEN_MASK
from bot.settings import Settings
from storage.location import PostgresLocation

EXIT_READY = 0
EXIT_NOT_READY = 1


@dataclass
class SetupReport:
    """Lines in the order they were found; the first problem's remedy is the next step."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def ok(self, text: str) -> None:
        self.lines.append(("ok", text))

    def note(self, text: str) -> None:
        self.lines.append(("note", text))

    def warning(self, text: str) -> None:
        """Worth fixing, but the bot can run: not a next step."""
        self.lines.append(("WARN", text))

    def problem(self, text: str, next_step: str) -> None:
        self.lines.append(("TODO", text))
        self.next_steps.append(next_step)

    @property
    def ready(self) -> bool:
        return not self.next_steps


def print_header(out: TextIO, source: Path) -> None:
    where = f"{source} and the environment" if source.is_file() else "the environment only"
    print(f"report-bot setup: settings from {where}", file=out)


def secrets_of(settings: Settings) -> list[str]:
    values = (
        settings.bot_token,
        settings.webhook_secret_token,
        settings.encryption_key,
        settings.encryption_previous_keys,
        settings.blind_index_key,
        settings.blind_index_previous_keys,
        settings.ledger_key,
        settings.ledger_previous_keys,
        settings.log_pseudonym_key,
    )
    found = [value.get_secret_value() for value in values if value is not None]
    for url in (settings.database_url, settings.database_owner_url):
        if url is None:
            continue
        password = urlsplit(url.get_secret_value()).password
        if password:  # a URL is never printed whole; its password is masked anyway
            found.extend((url.get_secret_value(), password))
    for location in (settings.database, settings.database_owner):
        # A password read from DATABASE_PASSWORD_FILE / DATABASE_OWNER_PASSWORD_FILE.
        if isinstance(location, PostgresLocation):
            secret = urlsplit(location.dsn).password
            if secret:
                found.extend((location.dsn, secret, unquote(secret)))
    return found


def print_report(report: SetupReport, out: TextIO, secrets: Iterable[str]) -> int:
    """The lines found, then the next step (the first problem's remedy); the exit code."""
    for mark, text in report.lines:
        print(f"  {mark:<5} {_masked(text, secrets)}", file=out)
    if report.ready:
        print("Ready. Next: start the bot with `report-bot run`.", file=out)
        return EXIT_READY
    print(f"Next step: {_masked(report.next_steps[0], secrets)}", file=out)
    return EXIT_NOT_READY


def _masked(text: str, secrets: Iterable[str]) -> str:
    """Belt and braces: no line is built from a secret, but a URL or an answer might hold one."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            mask = TOKEN_MASK if secret.partition(":")[0].isdigit() else SECRET_MASK
            text = text.replace(secret, mask)
    return text
