"""`report-bot sandbox` needs no settings, so none of the operator's can stop it: it runs the
same in a folder whose .env is half-filled and broken, under an environment with bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import cli_env, run_cli


@pytest.mark.slow
async def test_the_sandbox_runs_beside_a_broken_env_file_and_bad_variables(
    tmp_path: Path,
) -> None:
    """issue 28, point 5: `sandbox` failed on settings it does not need (an invalid
    BOT_TOKEN, a typo in .env, a bad value in the environment); it reads none of them."""
    (tmp_path / ".env").write_text(
        "BOT_TOKEN=not-a-token\nADMIN_ID=1\nLOG_LEVEL=loud\nDATABASE_PATH=/proc/no/such.db\n",
        encoding="utf-8",
    )
    env = cli_env(REPORT_LIMIT_PER_HOUR="many", WEBHOOK_URL="http://example.org/hook")
    code, out, err = await run_cli(env, tmp_path, "sandbox", seconds=120)
    assert code == 0, out + err
    assert "✔ Walk-through complete" in out
    assert err == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == [".env"]  # wrote nothing here
