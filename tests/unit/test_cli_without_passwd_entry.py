"""A uid with no passwd entry (`docker run --user 4242`, a scratch deployment) still gets the
CLI (`hold` once took the OS user's name as its default --by; it is now told who acts with
--by, as the legal commands are)."""

from __future__ import annotations

import pwd
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def nameless_uid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env


@pytest.mark.usefixtures("nameless_uid")
def test_commands_run_for_a_uid_without_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    assert "LEDGER_KEY=" in capsys.readouterr().out
