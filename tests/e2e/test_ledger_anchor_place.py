"""Where the ledger's checkpoints live, as an operator meets it from the shell: not beside the
database by default, a checkpoint file left in the old default folder stops every command that
uses it (never silently replaced by a new one), and `db-check` and `setup` warn when the
checkpoints share the database's filesystem."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.settings import load_settings
from storage.legal.ledger_anchor import FILE_NAME
from storage.location import Location, SqliteLocation
from tests.conftest import ENGINES
from tests.engines import database_env
from tests.helpers import cli_command, cli_env, database_in

DEFAULT = Path("report-bot") / "ledger-anchors"


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=90
    )


def test_the_default_checkpoint_folder_is_a_state_folder_not_the_database_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_state_folder: Path
) -> None:
    """Replays issue 27's point 5: by default the checkpoints sat in `ledger-anchors` beside
    the database, where whoever could write the database as the bot's user cut both."""
    monkeypatch.chdir(tmp_path)
    database = database_in(tmp_path)
    settings = load_settings(tmp_path / "no.env", database_path=database)
    assert settings.anchor_dir == own_state_folder / DEFAULT
    assert database.parent not in settings.anchor_dir.parents
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert settings.anchor_dir == tmp_path / "home" / ".local" / "state" / DEFAULT
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")  # not absolute: ignored, as XDG says
    assert settings.anchor_dir == tmp_path / "home" / ".local" / "state" / DEFAULT


def test_a_checkpoint_file_left_in_the_old_default_folder_stops_every_command_using_it(
    tmp_path: Path, own_state_folder: Path
) -> None:
    """Upgraded without LEDGER_ANCHOR_DIR, the bot would start a new checkpoint file in the new
    folder and lose sight of the old one: each command stops, saying where it is and what to
    do, until the file is moved (or the folder named)."""
    database = database_in(tmp_path)
    old = database.parent / "ledger-anchors" / FILE_NAME
    old.parent.mkdir(parents=True)
    old.write_text("")
    new_folder = own_state_folder / DEFAULT
    env = cli_env(DATABASE_PATH=str(database), BOT_TOKEN="123456789:" + "A" * 35)
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    for args in (
        ("ledger", "verify"),
        ("db-check",),
        ("run",),
        ("legal", "disclose", "1", "--by", "900003", "--to", str(out)),
        ("db", "copy", "--to", "postgresql://bot@127.0.0.1:1/bot"),
    ):
        stopped = run(env, tmp_path, *args)
        assert stopped.returncode == 2, (args, stopped.stdout, stopped.stderr)
        lines = stopped.stderr.splitlines()
        assert lines[0] == (
            "report-bot: configuration: LEDGER_ANCHOR_DIR: not set, and the ledger's "
            f"checkpoint file is still in the old default folder beside the database, {old}; "
            f"the default is now {new_folder}, away from the database. Move the file there "
            f"(mkdir -p -m 700 {new_folder} && mv {old} {new_folder}/), or to a folder on "
            "another disk and set LEDGER_ANCHOR_DIR to that folder; nothing was changed"
        ), args
        assert "Traceback" not in stopped.stderr
    no_token = {key: value for key, value in env.items() if key != "BOT_TOKEN"}
    setup = run(no_token, tmp_path, "setup")  # without a token it asks Telegram nothing
    assert setup.returncode == 1
    assert (
        "TODO  LEDGER_ANCHOR_DIR: not set, and the ledger's checkpoint file is still in the old "
        f"default folder beside the database, {old}"
    ) in setup.stdout
    assert not new_folder.exists()  # nothing was moved or started behind the operator's back

    named = run({**env, "LEDGER_ANCHOR_DIR": str(old.parent)}, tmp_path, "ledger", "verify")
    assert named.returncode == 0, named.stderr
    new_folder.mkdir(parents=True)
    old.rename(new_folder / FILE_NAME)
    moved = run(env, tmp_path, "ledger", "verify")
    assert moved.returncode == 0, moved.stderr
    assert f"checked against {new_folder / FILE_NAME}" in moved.stdout


@pytest.mark.engines(*ENGINES)
def test_db_check_and_setup_warn_when_the_checkpoints_share_the_database_filesystem(
    tmp_path: Path, store_location: Location, own_state_folder: Path
) -> None:
    """The test's database and its state folder are on one filesystem: a SQLite database gets
    a warning naming both paths and why; with PostgreSQL the database's filesystem is unknown,
    so a note says where the folder should be instead."""
    env = cli_env(**database_env(store_location))
    folder = own_state_folder / DEFAULT
    checked = run(env, tmp_path, "db-check")
    setup = run(env, tmp_path, "setup")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.rstrip().endswith("result: ok")
    if isinstance(store_location, SqliteLocation):
        same = (
            f"the ledger's checkpoint folder {folder} is on the same filesystem as the database "
            f"{store_location.path}: someone who can write one can cut the other"
        )
        assert f"ledger checkpoints: {folder} (WARNING)" in checked.stdout
        assert f"  warning: {same}" in checked.stdout
        assert f"WARN  {same}" in setup.stdout
    else:
        unknown = (
            "the database is on a PostgreSQL server, whose filesystem is unknown from here: keep "
            f"the ledger's checkpoint folder {folder} on a host the database's writers do not "
            "control"
        )
        assert f"  note: {unknown}" in checked.stdout
        assert f"note  {unknown}" in setup.stdout
    for said in (checked.stdout, setup.stdout):
        assert "another disk, or on a mounted append-only or remote folder" in said
        assert "keep the ledger heads the legal officers receive" in said
