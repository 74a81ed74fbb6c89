"""deploy/compose: PostgreSQL, a one-shot migration, two bot instances and a TLS-terminating
proxy, read as Docker Compose reads it, and its bot and PostgreSQL parts run here as the file
configures them.

There is no container runtime in CI, so the images themselves are not started: the file is
checked for what the instances must share (the database, the webhook URL and secret, the
ledger's checkpoint folder), for the instances' own database role (never the superuser, never
the owner's password) and for the proxy reaching every instance; then the settings the file
gives an instance are loaded by the bot's own settings code, and the migrate service's command
and an instance's `report-bot db-check` run with them against a real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
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
    "BOT_DATABASE_PASSWORD": "compose-bot-test-password",
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
        assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "ledger:/ledger" in spec["volumes"]
        assert spec["env_file"] == ".env"
    assert "ledger" in compose()["volumes"]


def test_the_instances_connect_as_a_role_of_their_own_and_the_owner_migrates() -> None:
    """Replays issue 27, point 4: the instances connected as POSTGRES_USER, the superuser that
    may switch off every guard. Now only the one-shot `migrate` holds the owner's URL."""
    services = compose()["services"]
    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    migrate = services["migrate"]
    owner_url = environment_of(migrate)["DATABASE_OWNER_URL"]
    assert urlsplit(owner_url).username == superuser
    assert (
        environment_of(migrate)["DATABASE_URL"]
        == environment_of(next(iter(bots().values())))["DATABASE_URL"]
    )
    assert "report-bot db create-role && report-bot migrate" in " ".join(migrate["command"])
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"
    for spec in bots().values():
        env = environment_of(spec)
        bot_user = urlsplit(env["DATABASE_URL"]).username
        assert bot_user is not None
        assert bot_user != superuser
        # env_file .env holds the owner's password; the instance's environment empties it.
        assert env["DATABASE_OWNER_URL"] == ""
        assert env["POSTGRES_PASSWORD"] == ""
        assert OPERATOR["POSTGRES_PASSWORD"] not in "".join(env.values())


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


async def test_the_migrate_service_then_an_instances_db_check_run_with_the_files_settings(
    postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    """The file's URLs with the host, port and database of the tests' PostgreSQL (its owner
    being the tests' superuser, as POSTGRES_USER is in the image): the migrate service creates
    the bot's role and migrates, then an instance's db-check passes as that role."""
    dsn = await postgres_cluster.create_database()
    ours = urlsplit(dsn)
    migrate = environment_of(compose()["services"]["migrate"])
    bot_url = urlsplit(migrate["DATABASE_URL"])
    role = bot_url.username
    try:
        url = urlunsplit(
            bot_url._replace(
                netloc=f"{bot_url.netloc.rpartition('@')[0]}@", path=ours.path, query=ours.query
            )
        )
        env = cli_env(
            DATABASE_URL=url, DATABASE_OWNER_URL=dsn, LEDGER_ANCHOR_DIR=str(tmp_path / "ledger")
        )
        for command in migrate_commands():
            done = await cli(env, tmp_path, *command)
            assert done.returncode == 0, done.stderr
            assert "Traceback" not in done.stderr
        assert f"the bot's role {role} holds only its privileges" in done.stdout
        instance = {**env, "DATABASE_OWNER_URL": ""}
        checked = await cli(instance, tmp_path, "db-check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"the bot's role {role}: least privilege" in checked.stdout
        everything = done.stdout + done.stderr + checked.stdout + checked.stderr
        assert OPERATOR["BOT_DATABASE_PASSWORD"] not in everything
    finally:
        await postgres_cluster.drop_database(dsn)
        conn = await asyncpg.connect(postgres_cluster.admin_dsn)
        try:
            await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await conn.close()


def migrate_commands() -> list[list[str]]:
    """The migrate service's `sh -c "a && b"`, as the commands it runs."""
    command = compose()["services"]["migrate"]["command"]
    assert command[:2] == ["sh", "-c"]
    return [part.split()[1:] for part in command[2].split("&&")]


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
