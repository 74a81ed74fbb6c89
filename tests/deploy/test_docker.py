"""deploy/Dockerfile run as `docker run --env-file .env` runs it, with the README's env file.

There is no container runtime in CI, so the image is not built: the Dockerfile's ENV, WORKDIR
and user are read as Docker reads them, the env file (.env.example filled in as the README's
"First real run" says) is parsed as `docker run --env-file` parses it (no quotes processing,
empty values set, and both win over the image's ENV), and the container's command runs with
that environment in a scratch root standing for the container's `/`: every absolute path of
the environment, the working directory and the home folder are moved under it, nothing else.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings
from tests.helpers import cli_command

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
#: Where the README's Docker section says the files are, inside the container.
README_DATABASE = Path("/data/reportbot.sqlite3")
README_CHECKPOINTS = Path("/data/.local/state/report-bot/ledger-anchors")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        found.append((keyword.upper(), arguments.strip()))
        pending = ""
    return found


def image_environment() -> dict[str, str]:
    """ENV KEY=VALUE ... as Docker sets it, and HOME as Docker takes it from the USER's entry
    in /etc/passwd (here the `useradd --home-dir` that created that user)."""
    env: dict[str, str] = {}
    homes: dict[str, str] = {}
    user = "root"
    for keyword, arguments in instructions():
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, sep, value = pair.partition("=")
                assert sep, f"ENV {pair}: the legacy `ENV KEY VALUE` form is not read here"
                env[name] = value
        elif keyword == "RUN" and "useradd" in arguments:
            words = shlex.split(arguments.split("useradd", 1)[1].split("&&", 1)[0])
            homes[words[-1]] = words[words.index("--home-dir") + 1]
        elif keyword == "USER":
            user = arguments.split(":")[0]
    env["HOME"] = homes.get(user, "/root")
    return env


def workdir() -> str:
    [*_, last] = [arguments for keyword, arguments in instructions() if keyword == "WORKDIR"]
    return last


def command() -> list[str]:
    [*_, cmd] = [arguments for keyword, arguments in instructions() if keyword == "CMD"]
    parsed = json.loads(cmd)
    assert isinstance(parsed, list)
    return [str(word) for word in parsed]


def docker_env_file(text: str) -> dict[str, str]:
    """The Docker CLI's env file reading (opts/envfile.go): leading blanks trimmed, `#` lines
    skipped, KEY=VALUE taken verbatim (quotes included, an empty value set as empty), a bare
    KEY taken from the caller's environment (the README's file has none)."""
    variables: dict[str, str] = {}
    for raw in text.removeprefix("\ufeff").splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f"{name}: a bare name takes the caller's value, which this test has not"
        assert not re.search(r"\s", name.lstrip()), f"{name!r}: Docker refuses blanks in a name"
        variables[name.lstrip()] = value
    return variables


def readme_env_file(tmp_path: Path) -> str:
    """`cp .env.example .env`, `report-bot keys generate >> .env`, then the token, the review
    group and an admin filled in (README, "First real run")."""
    keys = subprocess.run(
        cli_command("keys", "generate"),
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    filled = {
        "BOT_TOKEN": "123456789:AAdocker-test-token-not-real-0000",
        "REVIEW_CHAT_ID": "-1001234567890",
        "ADMIN_IDS": "11111",
    }
    lines = [
        f"{name}={filled[name]}" if (name := line.partition("=")[0]) in filled else line
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    ]
    return "\n".join(lines) + "\n" + keys


def rebased(value: str, root: Path) -> str:
    return f"{root}{value}" if value.startswith("/") else value


def test_the_readme_env_file_sets_none_of_the_images_settings() -> None:
    """Issue 28, point 8: `.env.example`'s DATABASE_PATH and LOG_FORMAT lines won over the
    image's ENV (`docker run --env-file` sets every line, empty ones too)."""
    settings = {name.upper() for name in Settings.model_fields}
    image_settings = set(image_environment()) & settings
    assert "DATABASE_PATH" in image_settings
    env_file = docker_env_file(ENV_EXAMPLE.read_text(encoding="utf-8"))
    assert sorted(image_settings & set(env_file)) == []


def test_the_database_and_the_checkpoints_land_where_the_readme_says(tmp_path: Path) -> None:
    """Issue 28, point 8: with the README's env file the database was created in /data/data/,
    not at /data/reportbot.sqlite3. The container's environment (the image's ENV and HOME,
    then the env file's lines over them) with its paths under a scratch root: the container's
    command with --check names the database, `migrate` (which that command runs first)
    creates it, and `db-check` names the folder the ledger's checkpoints go to."""
    assert command() == ["report-bot", "run"]
    env_file = docker_env_file(readme_env_file(tmp_path))
    container_env = {**image_environment(), **env_file}
    root = tmp_path / "container"
    cwd = Path(rebased(workdir(), root))
    home = Path(rebased(container_env["HOME"], root))
    for folder in (cwd, home):
        folder.mkdir(parents=True, exist_ok=True)  # the image's `mkdir -p /data /ledger`
    env = {name: rebased(value, root) for name, value in container_env.items()}
    env["PATH"] = str(Path(sys.executable).parent)

    def report_bot(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            cli_command(*args),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        return done

    database = Path(rebased(str(README_DATABASE), root))
    # The container's command as `run` reads its settings, stopping before it would start.
    checked_run = report_bot(*command()[1:], "--check")
    assert f"database {database}" in checked_run.stdout
    report_bot("migrate")
    assert database.is_file()
    created = sorted(
        str(path.relative_to(root)) for path in root.rglob("*.sqlite3") if path.is_file()
    )
    assert created == [str(README_DATABASE.relative_to("/"))]
    checked = report_bot("db-check")
    checkpoints = Path(rebased(str(README_CHECKPOINTS), root))
    assert f"ledger checkpoints: {checkpoints} " in checked.stdout


def test_keys_generate_runs_with_the_image_alone(tmp_path: Path) -> None:
    """Issue 28, point 9: the Compose header's `docker run --rm report-bot report-bot keys
    generate`: the image's environment and nothing else (no env file, no volume)."""
    root = tmp_path / "container"
    cwd = Path(rebased(workdir(), root))
    cwd.mkdir(parents=True)
    env = {name: rebased(value, root) for name, value in image_environment().items()}
    done = subprocess.run(
        cli_command("keys", "generate"),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = [line.partition("=")[0] for line in done.stdout.splitlines()]
    assert names == ["ENCRYPTION_KEY", "BLIND_INDEX_KEY", "LEDGER_KEY"]
    assert list(root.rglob("*.sqlite3")) == []
