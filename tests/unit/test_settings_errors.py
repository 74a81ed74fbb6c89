"""Each bad setting stops `report-bot` with one clear line, exit code 2, and no secret echoed."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import load_settings
from storage.crypto import new_key_text, new_secret_text

GOOD_TOKEN = "123456789:TEST-loopback-token-not-a-secret-0000"
SHARED_KEY = new_key_text("same")
SHARED_SECRET = new_secret_text()
OTHER = new_secret_text()


def run_cli(
    tmp_path: Path, env: dict[str, str], *args: str, dotenv: str | None = None
) -> subprocess.CompletedProcess[str]:
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    clean.update(ENCRYPTION_KEY=new_key_text("test"), BLIND_INDEX_KEY=new_secret_text())
    clean.update(env)
    clean.setdefault("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


BAD_SETTINGS = [
    pytest.param({}, "BOT_TOKEN: required to run the bot", id="missing-token"),
    pytest.param(
        {"BOT_TOKEN": "not-a-token-SECRETVALUE"},
        "BOT_TOKEN: does not look like a bot token",
        id="malformed-token",
    ),
    pytest.param(
        {"REVIEW_CHAT_ID": "review-group"},
        "REVIEW_CHAT_ID: input should be a valid integer",
        id="review-chat-not-a-number",
    ),
    pytest.param(
        {"REVIEW_CHAT_ID": "12345"},
        "REVIEW_CHAT_ID: a group's id is negative",
        id="review-chat-positive",
    ),
    pytest.param(
        {"REVIEW_THREAD_ID": "0"},
        "REVIEW_THREAD_ID: input should be greater than 0",
        id="thread-id-zero",
    ),
    pytest.param(
        {"ADMIN_IDS": "1,two,3"},
        "ADMIN_IDS: item 2 is not a positive whole number",
        id="admin-ids-malformed",
    ),
    pytest.param(
        {"MODERATOR_IDS": "[1, 2]"},
        "MODERATOR_IDS: item 1 is not a positive whole number",
        id="moderator-ids-json",
    ),
    pytest.param(
        {"LEGAL_OFFICER_IDS": "-5"},
        "LEGAL_OFFICER_IDS: item 1 is not a positive whole number",
        id="legal-ids-negative",
    ),
    pytest.param(
        {"REPORT_CATEGORIES": "drugs,scam", "SLA_SEVERE_CATEGORIES": "drugs,csam"},
        "SLA_SEVERE_CATEGORIES: item 2 ('csam') is not one of the REPORT_CATEGORIES",
        id="severe-category-not-reported",
    ),
    pytest.param(
        {"SLA_SEVERE_PENDING_MINUTES": "-1"},
        "SLA_SEVERE_PENDING_MINUTES: input should be greater than or equal to 0",
        id="severe-wait-negative",
    ),
    pytest.param(
        {"LEGAL_GRANT_COOL_OFF_HOURS": "721"},
        "LEGAL_GRANT_COOL_OFF_HOURS: input should be less than or equal to 720",
        id="grant-cool-off-too-long",
    ),
    pytest.param({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: input should be", id="log-level"),
    pytest.param({"LOG_FORMAT": "xml"}, "LOG_FORMAT: input should be", id="log-format"),
    pytest.param(
        {"TELEGRAM_API_BASE_URL": "https://botapi.example.net/"},
        "TELEGRAM_API_BASE_URL: must end with /bot",
        id="api-url-without-bot",
    ),
    pytest.param(
        {"TELEGRAM_API_BASE_URL": "botapi.example.net/bot"},
        "TELEGRAM_API_BASE_URL: is not an http(s) URL",
        id="api-url-no-scheme",
    ),
    pytest.param(
        {"WEBHOOK_URL": "http://bot.example.org/hook", "WEBHOOK_SECRET_TOKEN": "abc"},
        "WEBHOOK_URL: Telegram only delivers webhooks over https",
        id="webhook-http",
    ),
    pytest.param(
        {"WEBHOOK_URL": "https://bot.example.org/hook"},
        "WEBHOOK_SECRET_TOKEN: required when WEBHOOK_URL is set",
        id="webhook-without-secret",
    ),
    pytest.param(
        {"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET_TOKEN": "bad secret!"},
        "WEBHOOK_SECRET_TOKEN: contains characters Telegram does not allow",
        id="webhook-secret-charset",
    ),
    pytest.param({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT: input should be", id="webhook-port"),
    pytest.param(
        {"RATE_LIMITER_ENABLED": "maybe"},
        "RATE_LIMITER_ENABLED: input should be a valid boolean",
        id="rate-limiter-flag",
    ),
    pytest.param(
        {"POLL_TIMEOUT_SECONDS": "600"},
        "POLL_TIMEOUT_SECONDS: input should be less than or equal to 50",
        id="poll-timeout",
    ),
    pytest.param(
        {"ENCRYPTION_KEY": "k1:" + base64.b64encode(bytes(32)).decode()},
        "ENCRYPTION_KEY: the key is the same byte repeated (all zero?)",
        id="encryption-key-all-zero",
    ),
    pytest.param(
        {"BLIND_INDEX_KEY": base64.b64encode(b"secret!!" * 4).decode()},
        "BLIND_INDEX_KEY: the key repeats a 8-byte pattern",
        id="index-key-repeated-pattern",
    ),
    pytest.param(
        {"LEDGER_KEY": "l1:" + base64.b64encode(b"short").decode()},
        "LEDGER_KEY: the key must be 32 bytes",
        id="ledger-key-short",
    ),
    pytest.param(
        {"LEDGER_KEY": SHARED_KEY, "ENCRYPTION_KEY": SHARED_KEY},
        "must be a separate key, not the encryption or blind-index key",
        id="ledger-key-reused",
    ),
    pytest.param(
        {"BLIND_INDEX_KEY": "b1:" + SHARED_SECRET, "BLIND_INDEX_PREVIOUS_KEYS": "b1:" + OTHER},
        "BLIND_INDEX_PREVIOUS_KEYS: repeats the id of BLIND_INDEX_KEY",
        id="index-key-ids-repeat",
    ),
]


@pytest.mark.parametrize(("env", "expected"), BAD_SETTINGS)
def test_bad_setting_names_the_variable_and_exits_2(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    full = {"BOT_TOKEN": GOOD_TOKEN, **env} if env else {}
    result = run_cli(tmp_path, full, "run")
    assert result.returncode == 2, result.stderr
    problem_lines = [
        ln for ln in result.stderr.splitlines() if ln.startswith("report-bot: configuration:")
    ]
    assert len(problem_lines) == 1, result.stderr
    assert expected.lower() in problem_lines[0].lower()
    assert "; expected " in problem_lines[0]
    assert "Traceback" not in result.stderr
    for value in env.values():
        if len(value) > 6:
            assert value not in result.stderr
            assert value not in result.stdout


def test_several_bad_settings_give_one_line_each(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        {"BOT_TOKEN": GOOD_TOKEN, "LOG_LEVEL": "LOUD", "REVIEW_CHAT_ID": "x", "ADMIN_IDS": "a"},
        "run",
    )
    assert result.returncode == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("report-bot: configuration:")]
    assert {ln.split(":")[2].strip() for ln in lines} == {
        "LOG_LEVEL",
        "REVIEW_CHAT_ID",
        "ADMIN_IDS",
    }


def test_token_value_is_never_echoed(tmp_path: Path) -> None:
    secret = "123456789:short-SECRETVALUE"
    result = run_cli(tmp_path, {"BOT_TOKEN": secret}, "run")
    assert result.returncode == 2
    assert "SECRETVALUE" not in result.stderr + result.stdout


def test_settings_come_from_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REVIEW_CHAT_ID=-100777\nADMIN_IDS=5, 6\n")
    settings = load_settings(tmp_path / ".env")
    assert settings.review_chat_id == -100777
    assert settings.admin_ids == frozenset({5, 6})


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("REVIEW_CHAT_ID=-100777\n")
    monkeypatch.setenv("REVIEW_CHAT_ID", "-100888")
    assert load_settings(tmp_path / ".env").review_chat_id == -100888


def test_bad_value_in_dotenv_is_reported_like_the_environment(tmp_path: Path) -> None:
    result = run_cli(tmp_path, {"BOT_TOKEN": GOOD_TOKEN}, "run", dotenv="LOG_FORMAT=yaml\n")
    assert result.returncode == 2
    assert "report-bot: configuration: LOG_FORMAT:" in result.stderr


def test_empty_optional_values_mean_unset(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REVIEW_CHAT_ID=\nREVIEW_THREAD_ID=\nADMIN_IDS=\nWEBHOOK_URL=\n")
    settings = load_settings(tmp_path / ".env")
    assert settings.review_chat_id is None
    assert settings.admin_ids == frozenset()
    assert settings.webhook_url is None


def test_migrate_does_not_need_a_token(tmp_path: Path) -> None:
    result = run_cli(tmp_path, {}, "migrate")
    assert result.returncode == 0, result.stderr
    assert "schema version" in result.stdout


@pytest.mark.parametrize("command", ["run", "migrate", "db-check", "backup"])
def test_every_subcommand_has_help(tmp_path: Path, command: str) -> None:
    result = run_cli(tmp_path, {}, command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: report-bot")


def test_console_script_and_module_share_the_cli(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("report-bot")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert result.stdout == run_cli(tmp_path, {}, "--help").stdout


def test_run_without_the_registry_keys_says_how_to_make_them(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path, {"BOT_TOKEN": GOOD_TOKEN, "ENCRYPTION_KEY": "", "BLIND_INDEX_KEY": ""}, "run"
    )
    assert result.returncode == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("report-bot: configuration:")]
    assert [ln.split(":")[2].strip() for ln in lines] == ["ENCRYPTION_KEY", "BLIND_INDEX_KEY"]
    assert "report-bot keys generate" in result.stderr


def test_a_malformed_key_stops_start_up_without_echoing_it(tmp_path: Path) -> None:
    result = run_cli(tmp_path, {"BOT_TOKEN": GOOD_TOKEN, "ENCRYPTION_KEY": "k1:SECRETVALUE"}, "run")
    assert result.returncode == 2
    assert "report-bot: configuration: ENCRYPTION_KEY:" in result.stderr
    assert "SECRETVALUE" not in result.stderr + result.stdout
