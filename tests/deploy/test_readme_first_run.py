"""The README's first sections, followed literally in a clean copy of the checkout.

A new operator reads the top of the README and types what it says: the two commands, the
sandbox, the first real run. Each shell command is taken from README.md as written and run by
bash in a folder holding only what `git ls-files` lists, with no `.env`. What cannot run here is
stood in for, and only that: the package install (network, minutes) by this test's own virtual
environment, linked as the copy's `.venv` (the install line itself is held to `.ci/run`'s);
Telegram by the loopback Bot API server (`TELEGRAM_API_BASE_URL` in the environment); and the
hands-on steps (create the bot, add it to a group, put a value in `.env`) by the test doing
them. A step the README adds, drops or rewords is followed as it then reads.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from loopback import ChatHandle, LoopbackServer
from tests.conftest import TEST_TOKEN

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: The README's own part ends where its table of the docs/ pages begins.
END_OF_TOP = "\n## Documentation\n"
#: A shell command in an inline code span of a step ("1. `cp .env.example .env`").
_COMMAND = re.compile(
    r"`((?:\.venv/bin/|python3 |cp |install |chmod |touch |umask |\(umask )[^`]*)`"
)
#: A hands-on step that puts a value in `.env`: "put ... in `.env` as `VARIABLE`".
_PUT_IN_ENV = re.compile(r"in\s+`\.env`\s+as\s+`([A-Z_]+)")
_ADD_THE_BOT = re.compile(r"add\s+the\s+bot\s+to\s+it\s+as\s+an\s+administrator")
_KEPT_ENV = ("PATH", "HOME", "LANG", "TMPDIR", "XDG_STATE_HOME")

pytestmark = pytest.mark.slow


def top() -> str:
    text = README.read_text(encoding="utf-8")
    assert END_OF_TOP in text, "the README's table of docs/ pages (## Documentation) is gone"
    return text[: text.index(END_OF_TOP)]


def section(title: str) -> str:
    """The text of the README section whose heading starts with `title`."""
    text = top()
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def numbered_steps(text: str) -> list[str]:
    """The items of the section's numbered list, each with what is indented under it."""
    steps = text[text.index("\n1. ") + 1 :]
    after = re.search(r"\n\n(?=[^\s\d])", steps)  # the first paragraph after the list
    return re.split(r"\n(?=\d+\. )", steps[: after.start() if after else len(steps)])


def ci_test_command() -> str:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return lines[lines.index("# The README's test command, verbatim (keep the two in step):") + 1]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files a clone has (`git ls-files`), nothing else, and this test's own virtual
    environment as its `.venv`, in place of the install the README's first command makes."""
    copy = tmp_path / "checkout"
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted in this worktree but not yet committed
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name, follow_symlinks=False)
    assert not (copy / ".env").exists()
    assert not (copy / "data").exists()
    venv = Path(sys.prefix)
    assert (venv / "bin" / "report-bot").exists(), "this test runs in the project's virtualenv"
    (copy / ".venv").symlink_to(venv, target_is_directory=True)
    return copy


def operator_env(loopback: LoopbackServer) -> dict[str, str]:
    """An operator's shell: no settings of ours but the stand-in for Telegram."""
    env = {name: os.environ[name] for name in _KEPT_ENV if name in os.environ}
    env.update(TELEGRAM_API_BASE_URL=loopback.base_url, POLL_TIMEOUT_SECONDS="1")
    return env


async def shell(command: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """One README command run by bash as typed: (exit code, stdout + stderr)."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    text = out.decode()
    assert "Traceback" not in text, f"{command}:\n{text}"
    assert TEST_TOKEN.rpartition(":")[2] not in text, f"{command} printed the token"
    return process.returncode, text


def test_the_readme_installs_as_ci_does() -> None:
    """issue 28, Show: the test command in the README is the one `.ci/run` runs verbatim, and
    the bot's command installs the same way into the same `.venv` before it runs the bot."""
    run_bot, run_tests = bash_blocks(section("Two commands"))
    assert run_tests == ci_test_command()
    venv, install, start = run_bot.split(" && ")
    assert venv == run_tests.split(" && ")[0] == "python3 -m venv .venv"
    assert install.startswith(".venv/bin/pip install ")
    assert start == ".venv/bin/report-bot run"


async def test_the_first_sections_followed_literally_in_a_clean_copy(
    checkout: Path, loopback: LoopbackServer
) -> None:
    """issue 28, Show: the README's first sections, run as written in a clean copy of the
    checkout: `run` stops at once naming what is missing, the sandbox plays to the end, and
    the first real run's steps take the bot from no `.env` to `setup` saying Ready and `run`
    polling Telegram, then stopping cleanly."""
    env = operator_env(loopback)

    # "Set up and run the bot": on a fresh checkout it stops at once and names what is missing.
    start = bash_blocks(section("Two commands"))[0].split(" && ")[-1]
    code, text = await shell(start, checkout, env)
    assert code == 2, text
    assert "BOT_TOKEN" in text
    assert "report-bot setup" in text

    # The sandbox needs nothing.
    for command in bash_blocks(section("See it work first")):
        code, text = await shell(command, checkout, env)
        assert code == 0, text

    # The first real run, step by step.
    group: ChatHandle | None = None
    setups: list[tuple[int, str]] = []
    ran: list[str] = []
    for step in numbered_steps(section("First real run")):
        if _ADD_THE_BOT.search(step):
            owner = loopback.add_user(first_name="Olga")
            group = loopback.add_supergroup(title="Trust team", owner=owner, bot_member=False)
            loopback.add_bot_to_chat(group, admin=True, by=owner)
        for variable in _PUT_IN_ENV.findall(step):
            value = {"BOT_TOKEN": TEST_TOKEN}.get(variable)
            if variable == "REVIEW_CHAT_ID":
                assert setups, "the README puts REVIEW_CHAT_ID in .env before setup named it"
                found = re.search(r"REVIEW_CHAT_ID=(-\d+)", setups[-1][1])
                assert found, f"setup named no review chat id:\n{setups[-1][1]}"
                value = found.group(1)
            assert value is not None, f"the test does not know what to put in {variable}"
            with (checkout / ".env").open("a", encoding="utf-8") as env_file:
                env_file.write(f"{variable}={value}\n")
        for command in _COMMAND.findall(step):
            ran.append(command)
            if command.endswith("report-bot run"):
                await run_until_polling_then_stop(command, checkout, env, loopback)
                continue
            code, text = await shell(command, checkout, env)
            if command.endswith("report-bot setup"):
                setups.append((code, text))
            else:
                assert code == 0, f"{command}:\n{text}"

    assert (checkout / ".env").exists()
    assert ran[-1].endswith("report-bot run"), ran
    assert group is not None, "the README's steps never add the bot to the review group"
    assert len(setups) >= 2, ran
    first, last = setups[0], setups[-1]
    assert first[0] == 1, first[1]
    assert f"REVIEW_CHAT_ID={group.id}" in first[1], first[1]
    assert last[0] == 0, last[1]
    assert "Ready." in last[1]


async def run_until_polling_then_stop(
    command: str, checkout: Path, env: dict[str, str], loopback: LoopbackServer
) -> None:
    """`report-bot run` as the README's last step: it polls the Bot API, and SIGTERM (what
    `systemctl stop` and `docker stop` send) stops it with exit 0."""
    polled = len(loopback.calls("getUpdates"))
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        f"exec {command}",
        cwd=checkout,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await loopback.wait_for(lambda: len(loopback.calls("getUpdates")) > polled, timeout=60)
        process.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
    assert process.returncode == 0, out.decode()
    assert "Traceback" not in out.decode()
