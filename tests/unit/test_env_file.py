"""The settings file as `report-bot` reads it: a named file that is not there, names in it that
are not settings, who may read it, and where --env-file may stand (issue 28)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot import env_file
from bot.cli import build_parser, main
from bot.settings import LogFormat, LogLevel, SettingsError, known_names, load_settings
from tests.helpers import cli_env, run_cli

ROOT = Path(__file__).resolve().parents[2]
MISSING = "report-bot.env.typo"


def env_in(folder: Path, text: str, mode: int = 0o600, name: str = ".env") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def config_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("report-bot: configuration:")]


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("report-bot: warning:")]


@pytest.mark.parametrize(
    "command",
    [
        ("migrate",),
        ("run",),
        ("db-check",),
        ("setup",),
        ("sandbox",),
        ("keys", "generate"),
        ("purge",),
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("where", ["before", "after"])
async def test_a_named_env_file_that_is_not_there_stops_the_command(
    tmp_path: Path, command: tuple[str, ...], where: str
) -> None:
    """issue 28, point 1: `--env-file <typo> migrate` exited 0 after creating an empty
    database in the current folder; a named env file that is not there is now one line and
    exit 2 for every command, wherever --env-file stands, and nothing is created."""
    option = ("--env-file", MISSING)
    args = (*option, *command) if where == "before" else (*command, *option)
    code, out, err = await run_cli(cli_env(), tmp_path, *args)
    assert code == 2, out + err
    assert err.splitlines() == [
        f"report-bot: --env-file {MISSING}: no such file; check the path (without --env-file "
        "the settings come from ./.env and the environment)"
    ]
    assert out == ""
    assert list(tmp_path.iterdir()) == []  # no database, no folder


async def test_an_env_file_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    """issue 28, point 1: a path that is not a readable file is refused like a missing one."""
    (tmp_path / "settings").mkdir()
    code, _, err = await run_cli(cli_env(), tmp_path, "--env-file", "settings", "migrate")
    assert code == 2
    assert err.splitlines() == [
        "report-bot: --env-file settings: not a regular file; name the settings file itself"
    ]
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ADMIN_ID=12345", "ADMIN_ID in .env is not a setting; did you mean ADMIN_IDS?"),
        (
            "REVEIW_CHAT_ID=-1001234567890",
            "REVEIW_CHAT_ID in .env is not a setting; did you mean REVIEW_CHAT_ID?",
        ),
        ("database_uri=sqlite:///x.db", "database_uri in .env is not a setting; did you mean"),
    ],
)
@pytest.mark.parametrize("command", ["migrate", "run", "db-check", "purge"])
async def test_a_misspelled_setting_stops_every_command_that_reads_the_settings(
    tmp_path: Path, line: str, expected: str, command: str
) -> None:
    """issue 28, point 2: `ADMIN_ID=12345` or `REVEIW_CHAT_ID=...` in .env was ignored
    without a word and the bot ran with no admins; a name close to a setting's is an error."""
    env_in(tmp_path, f"{line}\n")
    code, _, err = await run_cli(cli_env(), tmp_path, command)
    assert code == 2, err
    problems = config_lines(err)
    assert len(problems) == 1, err
    assert problems[0].startswith(f"report-bot: configuration: {expected}")
    assert not (tmp_path / "data").exists()
    assert "Traceback" not in err


async def test_setup_names_a_misspelled_setting_as_the_thing_to_fix(tmp_path: Path) -> None:
    """issue 28, point 2: `setup` reports the typo among what is still to do (its own way of
    reporting unusable settings, exit 1)."""
    env_in(tmp_path, "ADMIN_ID=12345\n")
    code, out, _ = await run_cli(cli_env(), tmp_path, "setup")
    assert code == 1
    assert "TODO  configuration: ADMIN_ID in .env is not a setting; did you mean ADMIN_IDS?" in out


async def test_an_unknown_name_is_a_warning_from_setup_run_and_db_check(tmp_path: Path) -> None:
    """issue 28, point 2: a name that is no setting and like none is named, with the file, by
    `setup`, `run` and `db-check`; the commands carry on."""
    env_in(tmp_path, "FAVOURITE_COLOUR=blue\nADMIN_IDS=5\n")
    warning = (
        "FAVOURITE_COLOUR in .env is not a setting and is ignored; remove it or correct its "
        "name (.env.example lists every setting)"
    )
    env = cli_env()
    code, out, err = await run_cli(env, tmp_path, "migrate")
    assert code == 0, err
    assert warnings_in(err) == []
    code, out, err = await run_cli(env, tmp_path, "db-check")
    assert code == 0, out + err
    assert warnings_in(err) == [f"report-bot: warning: {warning}"]
    code, _, err = await run_cli(env, tmp_path, "run")
    assert code == 2  # no BOT_TOKEN: stops before it starts, after the warning
    assert warnings_in(err) == [f"report-bot: warning: {warning}"]
    code, out, _ = await run_cli(env, tmp_path, "setup")
    assert f"WARN  {warning}" in out


def test_a_loosely_close_name_is_suggested_in_the_warning(tmp_path: Path) -> None:
    """issue 28, point 2: a name too far from any setting to stop the bot still gets the
    likeliest one named."""
    path = env_in(tmp_path, "TOKEN=x\n")
    assert env_file.warnings(path, known_names()) == [
        f"TOKEN in {path} is not a setting and is ignored (perhaps BOT_TOKEN?); remove it or "
        "correct its name (.env.example lists every setting)"
    ]


def test_names_in_any_case_and_the_deploy_recipes_names_are_known(tmp_path: Path) -> None:
    """issue 28, point 2: pydantic-settings reads names in any case, so `admin_ids` is a
    setting; the names the Compose recipe asks for in the same .env, and Compose's own
    COMPOSE_* settings, are not typos."""
    path = env_in(
        tmp_path,
        "admin_ids=5\nPOSTGRES_PASSWORD=pw\nBOT_DATABASE_PASSWORD=pw\nBOT_DOMAIN=bot.example.org\n"
        "COMPOSE_PROJECT_NAME=reportbot\n",
    )
    assert load_settings(path).admin_ids == frozenset({5})
    assert env_file.warnings(path, known_names()) == []


def test_every_name_the_deploy_recipes_and_the_example_use_is_known() -> None:
    """issue 28, point 2: the names compose.yaml fills in from .env, and those .env.example
    sets, are all known: a recipe that adds one adds it to env_file.DEPLOY_RECIPE_NAMES."""
    compose = (ROOT / "deploy" / "compose" / "compose.yaml").read_text(encoding="utf-8")
    interpolated = set(re.findall(r"\$\{(\w+)", compose))
    example = set(dotenv_values(ROOT / ".env.example"))
    assert interpolated
    assert (interpolated | example) - known_names() == set()


def test_the_environment_is_not_scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 28, point 2: the project has no prefix, so a variable of the environment is never
    taken for a typo (the environment holds PATH, HOME and whatever else the shell sets)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADMIN_ID", "12345")
    assert load_settings().admin_ids == frozenset()


def test_log_level_and_format_are_read_in_any_case(tmp_path: Path) -> None:
    """issue 28, point 5: `LOG_LEVEL=info` was refused (upper case only)."""
    path = env_in(tmp_path, "LOG_LEVEL=info\nLOG_FORMAT=JSON\n")
    settings = load_settings(path)
    assert settings.log_level is LogLevel.INFO
    assert settings.log_format is LogFormat.JSON
    assert load_settings(path, log_level=" Warning ").log_level is LogLevel.WARNING
    with pytest.raises(SettingsError) as refused:
        load_settings(path, log_level="loud")
    assert refused.value.problems[0].startswith("LOG_LEVEL: ")


async def test_keys_generate_reads_no_settings(tmp_path: Path) -> None:
    """issue 28, point 5: `keys generate` failed on settings it does not need (it is what a
    new operator runs while .env is still incomplete)."""
    env_in(tmp_path, "ADMIN_ID=1\nBOT_TOKEN=not-a-token\nLOG_LEVEL=loud\n", mode=0o644)
    env = cli_env(REPORT_LIMIT_PER_HOUR="many")
    code, out, err = await run_cli(env, tmp_path, "keys", "generate")
    assert code == 0, err
    assert [line.split("=")[0] for line in out.splitlines()] == [
        "ENCRYPTION_KEY",
        "BLIND_INDEX_KEY",
        "LEDGER_KEY",
    ]
    assert err == ""


async def test_env_file_may_follow_the_command(tmp_path: Path) -> None:
    """issue 28, point 5: `db-check --env-file .env` said "unrecognized arguments"; the
    option now stands before or after the command, and twice is a usage error."""
    database = tmp_path / "elsewhere" / "bot.sqlite3"
    settings = env_in(tmp_path, f"DATABASE_PATH={database}\n", name="bot.env")
    env = cli_env()
    code, out, err = await run_cli(env, tmp_path, "migrate", "--env-file", str(settings))
    assert code == 0, err
    assert database.exists()
    code, out, err = await run_cli(env, tmp_path, "db-check", "--env-file", str(settings))
    assert code == 0, out + err
    assert f"database: {database}" in out
    code, out, err = await run_cli(env, tmp_path, "--env-file", str(settings), "db-check")
    assert code == 0, out + err
    code, _, err = await run_cli(
        env, tmp_path, "--env-file", str(settings), "db-check", "--env-file", str(settings)
    )
    assert code == 2
    assert err.splitlines()[-1] == (
        "report-bot: error: --env-file given both before and after db-check: give it once, in "
        "either place"
    )
    assert not (tmp_path / "data").exists()


def test_every_command_takes_env_file_after_it(capsys: pytest.CaptureFixture[str]) -> None:
    """issue 28, point 5: each command's --help offers the option, and the main --help says
    both places work but not both at once."""
    for command in (["run"], ["db-check"], ["keys", "generate"], ["legal", "disclose"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args([*command, "--help"])
        assert "--env-file PATH" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    assert "usage error" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "soon"])
def test_sandbox_timeout_must_be_a_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue 28, point 5: `sandbox --timeout -1` was accepted."""
    with pytest.raises(SystemExit) as stopped:
        main(["sandbox", f"--timeout={value}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "report-bot sandbox: error: argument --timeout:" in err
    assert "seconds" in err


def test_a_positive_timeout_is_taken() -> None:
    """issue 28, point 5: the check refuses only what is no wait."""
    args = build_parser().parse_args(["sandbox", "--timeout", "2.5"])
    assert args.timeout == 2.5
    assert math.isfinite(args.timeout)


@pytest.mark.parametrize("command", ["db-check", "run", "setup"])
async def test_an_env_file_others_may_read_is_warned_about(tmp_path: Path, command: str) -> None:
    """issue 28, point 7: `cp .env.example .env` leaves the token and keys in a 0644 file;
    `setup`, `run` and `db-check` name the file and the chmod (a warning, nothing stops)."""
    env_in(tmp_path, "ADMIN_IDS=5\n", mode=0o644)
    env = cli_env()
    assert (await run_cli(env, tmp_path, "migrate"))[0] == 0
    code, out, err = await run_cli(env, tmp_path, command)
    expected = "chmod 600 .env"
    found = [line for line in (out + err).splitlines() if expected in line]
    assert len(found) == 1, out + err
    assert ".env (mode 0644) may be read by" in found[0]
    assert code == {"db-check": 0, "run": 2, "setup": 1}[command]  # as without the warning

    (tmp_path / ".env").chmod(0o600)
    code, out, err = await run_cli(env, tmp_path, command)
    assert expected not in out + err


def test_only_the_bits_that_let_others_in_count() -> None:
    """issue 28, point 7: any access by other users and group write are warned about; group
    read only when the reader owns the file (the systemd recipe's root:report-bot 0640 file,
    read by the bot's user through its group, is how it should be)."""
    assert env_file.exposed(0o600, owned_by_reader=True) == 0
    assert env_file.exposed(0o400, owned_by_reader=True) == 0
    assert env_file.exposed(0o644, owned_by_reader=True) == 0o044
    assert env_file.exposed(0o640, owned_by_reader=True) == 0o040
    assert env_file.exposed(0o640, owned_by_reader=False) == 0
    assert env_file.exposed(0o660, owned_by_reader=False) == 0o020
    assert env_file.exposed(0o604, owned_by_reader=False) == 0o004
