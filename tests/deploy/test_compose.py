"""deploy/compose: PostgreSQL, two bot instances and a TLS-terminating proxy, read as Docker
Compose reads it, and its bot and PostgreSQL parts run here as the file configures them.

There is no container runtime in CI, so the images themselves are not started: the file is
checked for what the instances must share (the database, the webhook URL and secret, the
ledger's checkpoint folder) and for the proxy reaching every instance; then the settings the
file gives an instance are loaded by the bot's own settings code, and `report-bot migrate`
and `report-bot db-check` run with them against a real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

from bot.settings import load_settings
from storage.location import PostgresLocation, parse_location
from tests.helpers import cli_command, cli_env
from tests.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
CADDYFILE = ROOT / "deploy" / "compose" / "Caddyfile"
#: What an operator puts in deploy/compose/.env besides the bot's own settings.
OPERATOR = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "BOT_DOMAIN": "bot.example.org",
    "WEBHOOK_SECRET_TOKEN": "compose_test_secret_token",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\?[^}]*)?\}")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def interpolated(value: str, variables: dict[str, str]) -> str:
    """${NAME} and ${NAME:?message} as Compose fills them in (a missing one is an error)."""

    def fill(match: re.Match[str]) -> str:
        return variables[match.group(1)]

    return _VARIABLE.sub(fill, value)


def bots() -> dict[str, dict[str, Any]]:
    services = compose()["services"]
    return {name: spec for name, spec in services.items() if name.startswith("bot-")}


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    return {
        key: interpolated(str(value), OPERATOR) for key, value in service["environment"].items()
    }


def test_two_instances_share_the_database_the_webhook_and_the_ledger_folder() -> None:
    instances = bots()
    assert len(instances) >= 2
    environments = [environment_of(spec) for spec in instances.values()]
    for key in ("DATABASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET_TOKEN", "LEDGER_ANCHOR_DIR"):
        assert len({env[key] for env in environments}) == 1, key
    database = parse_location(environments[0]["DATABASE_URL"])
    assert isinstance(database, PostgresLocation)
    assert urlsplit(database.dsn).hostname == "postgres"
    assert "compose-test-password" not in database.describe()
    for spec in instances.values():
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "ledger:/ledger" in spec["volumes"]
        assert spec["env_file"] == ".env"
    assert "ledger" in compose()["volumes"]


def test_the_proxy_hands_the_webhook_path_to_every_instance_on_its_port() -> None:
    caddy = CADDYFILE.read_text(encoding="utf-8")
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddy)
    assert upstreams is not None
    targets = set(upstreams.group(1).split())
    instances = bots()
    ports = {environment_of(spec)["WEBHOOK_PORT"] for spec in instances.values()}
    assert targets == {
        f"{spec['hostname']}:{port}" for spec in instances.values() for port in ports
    }
    path = urlsplit(environment_of(next(iter(instances.values())))["WEBHOOK_URL"]).path
    assert f"handle {path} {{" in caddy
    proxy = compose()["services"]["proxy"]
    assert "443:443" in proxy["ports"]
    assert set(proxy["depends_on"]) == set(instances)


def test_every_variable_the_file_needs_is_named_with_a_message() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    needed = {match.group(1) for match in _VARIABLE.finditer(text)}
    assert needed == set(OPERATOR)
    for name in needed:
        assert re.search(rf"\$\{{{name}:\?set {name} in \.env\}}", text), name


def test_an_instance_loads_its_settings_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From its environment, as the container's process reads it (no .env file in its cwd)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456789:AAcompose-test-token-not-real")
    for key, value in environment_of(next(iter(bots().values()))).items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert isinstance(settings.database, PostgresLocation)
    assert settings.webhook_url == f"https://{OPERATOR['BOT_DOMAIN']}/telegram"
    assert settings.anchor_dir == Path("/ledger")


@pytest.mark.parametrize("command", [("migrate",), ("db-check",)])
async def test_migrate_and_db_check_run_with_the_files_database_settings(
    postgres_cluster: PostgresCluster, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The file's DATABASE_URL with the host, port and database of the tests' PostgreSQL: the
    bot creates its tables and checks them as an instance of the compose file would."""
    dsn = await postgres_cluster.create_database()
    try:
        ours = urlsplit(dsn)
        theirs = urlsplit(environment_of(next(iter(bots().values())))["DATABASE_URL"])
        url = urlunsplit(
            theirs._replace(netloc=f"{ours.username}@", path=ours.path, query=ours.query)
        )
        env = cli_env(DATABASE_URL=url, LEDGER_ANCHOR_DIR=str(tmp_path / "ledger"))
        if command == ("db-check",):
            migrated = await cli(env, tmp_path, "migrate")
            assert migrated.returncode == 0, migrated.stderr
        done = await cli(env, tmp_path, *command)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    finally:
        await postgres_cluster.drop_database(dsn)


async def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        cli_command(*args),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
