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
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import yaml

from bot.app import build_application
from bot.runner import serve
from bot.settings import Settings, load_settings
from loopback import LoopbackServer
from storage.location import PostgresLocation, parse_location
from tests.conftest import RunningBot, no_pause
from tests.deploy.test_docker import instructions
from tests.helpers import cli_command, cli_env, free_port
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
SECRETS = "/run/secrets/"


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


def secrets_of(service: dict[str, Any]) -> list[str]:
    return [entry if isinstance(entry, str) else entry["source"] for entry in service["secrets"]]


def mounted(service: dict[str, Any], folder: Path) -> dict[str, str]:
    """The service's environment with the secrets it is given as files in `folder` standing
    for /run/secrets/ (their content: the operator's variable each secret is read from)."""
    folder.mkdir(parents=True, exist_ok=True)
    given = set(secrets_of(service))
    for name, source in compose()["secrets"].items():
        if name in given:
            (folder / name).write_text(OPERATOR[source["environment"]])
    return {
        key: str(folder / value.removeprefix(SECRETS)) if value.startswith(SECRETS) else value
        for key, value in environment_of(service).items()
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
    """Issue 28, point 9: the header's steps left WEBHOOK_SECRET_TOKEN out. Each variable the
    file reads from .env is either filled in with a message naming it when it is missing, or
    read into a secret; the header's steps add every one of them to .env."""
    text = COMPOSE.read_text(encoding="utf-8")
    interpolated_names = {match.group(1) for match in _VARIABLE.finditer(text)}
    secret_sources = {source["environment"] for source in compose()["secrets"].values()}
    assert interpolated_names | secret_sources == set(OPERATOR)
    for name in interpolated_names:
        assert re.search(rf"\$\{{{name}:\?set {name} in \.env\}}", text), name
    header = [line.removeprefix("#   ") for line in text.splitlines() if line.startswith("#   ")]
    for name in OPERATOR:
        assert any(line.startswith(f'echo "{name}=') for line in header), name
    assert "docker run --rm report-bot report-bot keys generate >> .env" in " ".join(header)


def test_no_password_sits_in_a_containers_environment() -> None:
    """Issue 28, point 9: the bot's password was in DATABASE_URL, in the instances'
    environment. Now the URLs carry none; each password reaches a container as a secret file
    its settings name, readable by the bot's user alone; the .env lines holding them (which
    env_file passes on) are emptied in every container of the image."""
    services = compose()["services"]
    uses_image = {n: s for n, s in services.items() if s.get("env_file") == ".env"}
    assert set(bots()) | {"check", "migrate"} <= set(uses_image)
    for name, spec in uses_image.items():
        env = environment_of(spec)
        for variable in ("DATABASE_URL", "DATABASE_OWNER_URL"):
            assert urlsplit(env.get(variable, "")).password is None, (name, variable)
        for variable in ("POSTGRES_PASSWORD", "BOT_DATABASE_PASSWORD"):
            assert env[variable] == "", (name, variable)
        for file_variable in ("DATABASE_PASSWORD_FILE", "DATABASE_OWNER_PASSWORD_FILE"):
            if env.get(file_variable):
                assert env[file_variable].removeprefix(SECRETS) in secrets_of(spec), name
        for entry in spec["secrets"]:
            assert (entry["uid"], entry["gid"], str(entry["mode"])) == ("10001", "10001", "0o400")
        assert OPERATOR["POSTGRES_PASSWORD"] not in "".join(env.values())
        assert OPERATOR["BOT_DATABASE_PASSWORD"] not in "".join(env.values())
    postgres = services["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == f"{SECRETS}postgres_password"
    assert "POSTGRES_PASSWORD" not in postgres["environment"]


def test_a_configuration_error_stops_before_any_instance_starts(tmp_path: Path) -> None:
    """Issue 28, point 9: `restart: unless-stopped` restarted a configuration error (exit 2)
    for ever. Docker cannot leave an exit code out of a restart policy, so the instances start
    only after the one-shot check, run with exactly their settings, has exited 0; here it runs
    as the file configures it, once without the token (exit 2, one line naming it) and once
    with everything an instance needs (exit 0)."""
    services = compose()["services"]
    check = services["check"]
    assert check["restart"] == "no"
    assert "depends_on" not in check
    for spec in bots().values():
        assert spec["restart"] == "unless-stopped"
        assert spec["depends_on"]["check"]["condition"] == "service_completed_successfully"
        for key in ("environment", "env_file", "secrets", "volumes", "build"):
            assert check[key] == spec[key], key
    assert check["command"][:2] == ["report-bot", "run"]
    env = {**cli_env(), **mounted(check, tmp_path / "secrets")}
    env["LEDGER_ANCHOR_DIR"] = str(tmp_path / "ledger")  # the `ledger` volume
    command = check["command"][1:]

    def check_run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli_command(*command),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    missing = check_run()
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert "Traceback" not in missing.stderr
    assert missing.stderr.splitlines()[0].startswith("report-bot: configuration: BOT_TOKEN: ")

    env["BOT_TOKEN"] = "123456789:AAcompose-test-token-not-real"
    ready = check_run()
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "webhook" in ready.stdout
    assert OPERATOR["BOT_DATABASE_PASSWORD"] not in ready.stdout + ready.stderr


def test_an_instance_loads_its_settings_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From its environment, as the container's process reads it (no .env file in its cwd)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456789:AAcompose-test-token-not-real")
    for key, value in mounted(next(iter(bots().values())), tmp_path / "secrets").items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert isinstance(settings.database, PostgresLocation)
    # The password from the secret file, in the DSN the driver gets and nowhere shown.
    assert urlsplit(settings.database.dsn).password == OPERATOR["BOT_DATABASE_PASSWORD"]
    assert OPERATOR["BOT_DATABASE_PASSWORD"] not in settings.database.describe()
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
    migrate = mounted(compose()["services"]["migrate"], tmp_path / "secrets")
    bot_url = urlsplit(migrate["DATABASE_URL"])
    role = bot_url.username
    try:
        url = urlunsplit(
            bot_url._replace(
                netloc=f"{bot_url.netloc.rpartition('@')[0]}@", path=ours.path, query=ours.query
            )
        )
        # The tests' superuser stands for the owner: its URL as it is, without the file.
        env = cli_env(
            **{**migrate, "DATABASE_OWNER_PASSWORD_FILE": ""},
        )
        env.update(
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


async def healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    """An instance's healthcheck as the file configures it, with the python running the tests
    standing for the image's (a real process asking a real endpoint)."""
    test = next(iter(bots().values()))["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]  # the image's own: it is built FROM python
    [base] = [arguments for keyword, arguments in instructions() if keyword == "FROM"]
    assert base.startswith("python:")
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, *test[2:]],
        env={"WEBHOOK_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def instance_settings(make_settings: Callable[..., Settings]) -> Settings:
    port = free_port()
    return make_settings(
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret_token=OPERATOR["WEBHOOK_SECRET_TOKEN"],
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )


async def test_the_healthcheck_passes_for_a_serving_instance(
    start_bot: Callable[..., Any], make_settings: Callable[..., Settings]
) -> None:
    """Issue 28, point 9: the instances had no healthcheck. The file's command, against a
    real instance in webhook mode: 200 from GET /health once it serves, exit 0."""
    bot: RunningBot = await start_bot(instance_settings(make_settings))
    done = await healthcheck(bot.settings.webhook_port)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "serving"


async def test_the_healthcheck_fails_in_one_line_while_an_instance_is_starting(
    make_settings: Callable[..., Settings], loopback: LoopbackServer
) -> None:
    """Issue 28, point 9: Telegram keeps failing setWebhook, so start-up waits with the
    endpoint listening; GET /health answers 503 and the command fails with one line."""
    loopback.faults.inject("setWebhook", kind="server_error", times=1000)
    settings = instance_settings(make_settings)

    async def endless(seconds: float) -> None:
        await asyncio.Event().wait()

    application = build_application(settings, pause=no_pause)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(application, settings, stop, pause=endless))
    try:
        # One call's own attempts failed: start-up now pauses, the endpoint listening.
        await loopback.wait_for(lambda: len(loopback.calls("setWebhook")) >= 4)
        done = await healthcheck(settings.webhook_port)
        assert done.returncode == 1
        assert done.stderr.splitlines() == ["not serving: HTTP Error 503: Service Unavailable"]
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=10)
