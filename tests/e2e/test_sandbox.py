"""`report-bot sandbox` as a newcomer runs it: a real process, no token, no network."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import cli_env, run_cli

#: A line that is a log record at warning level or above (console or JSON rendering, stdlib's
#: default format), or a traceback, or asyncio complaining about what was left open.
NOISE = re.compile(
    r"\[\s*(warning|error|critical|exception)\s*\]"
    r'|"level":\s*"(warning|error|critical|exception)"'
    r"|^(WARNING|ERROR|CRITICAL)[: ]"
    r"|Traceback|Unclosed|unclosed|Task was destroyed|Exception ignored",
    re.IGNORECASE | re.MULTILINE,
)


async def run_sandbox(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    return await run_cli(cli_env(), tmp_path, "sandbox", *args, seconds=120)


async def test_the_walk_through_runs_to_the_end_and_prints_the_conversation(
    tmp_path: Path,
) -> None:
    code, out, err = await run_sandbox(tmp_path)
    assert code == 0, out + err
    lines = out.splitlines()
    expected_in_order = [
        "[Rita → chat with @report_sandbox_bot] /start",
        "[Rita → chat with @report_sandbox_bot] /report t.me/example_shop drugs cheap pills",
        "[bot → Rita's chat] ✅ Report #1 received.",
        "[bot → Review chat] 🚩 Case #1 · pending",
        "[Mona presses “✅ Approve” in Review chat]",
        "[bot edits its message in Review chat] 🚩 Case #1 · approved",
        "[bot → Rita's chat with @report_sandbox_bot] ✅ Your report #1",
        "[Ada → chat with @report_sandbox_bot] /stats",
        "[bot → Ada's chat]",  # whatever /stats answers, it answers
        "✔ Walk-through complete",
    ]
    position = 0
    for expected in expected_in_order:
        found = next(
            (n for n in range(position, len(lines)) if lines[n].startswith(expected)), None
        )
        assert found is not None, f"{expected!r} missing after line {position}:\n{out}"
        position = found + 1
    assert "Traceback" not in err


async def test_the_walk_through_prints_no_warning_or_error_of_its_own(tmp_path: Path) -> None:
    """The sandbox's own setup causes no Telegram error: the staff have opened the bot's chat
    before it starts, so their command menus are set (a real missing chat still warns)."""
    code, out, err = await run_sandbox(tmp_path)
    assert code == 0, out + err
    noisy = [line for line in (out + err).splitlines() if NOISE.search(line)]
    assert noisy == [], out + err
    assert err == "", err  # the sandbox logs at WARNING: any line there is a warning or worse
    health = next(line for line in out.splitlines() if "Last Telegram error:" in line)
    assert health.endswith("Last Telegram error: none since the start"), health


async def test_a_step_without_an_answer_in_time_exits_1_naming_the_step(tmp_path: Path) -> None:
    code, _, err = await run_sandbox(tmp_path, "--timeout", "0.001")
    assert code == 1
    assert "report-bot: sandbox: step “start the bot”" in err
    assert "Traceback" not in err
