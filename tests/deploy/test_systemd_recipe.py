"""The systemd recipe runs as written: the install steps of docs/deploying.md, run in a
scratch root, create every path the unit names, with the owner and mode the unit needs.

The recipe once installed the env file into /etc/report-bot/ without creating that folder. What
needs real root and systemd is checked by shape instead of run: `useradd` (it must create the
unit's User and Group), the owners given to `install -o/-g` (root or the unit's user), the
package install (the venv is made, pip is not run: that is the README's first command), and
`systemctl` (it must name the unit).
"""

from __future__ import annotations

import configparser
import itertools
import re
import shlex
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "report-bot.service"
# Absolute paths the recipe creates, moved under the scratch root; values written into the env
# file (after "=") stay as the unit will see them.
_ABSOLUTE = re.compile(r"(?<![\w.$/=])/(etc|opt|var)/")


#: Where the recipe is written (it was the README's, before the README's split into docs/).
RECIPE_PAGE = ROOT / "docs" / "deploying.md"


def readme_recipe() -> list[str]:
    text = RECIPE_PAGE.read_text(encoding="utf-8")
    section = text[text.index("**systemd** (`deploy/report-bot.service`)") :]
    block = section[section.index("```bash\n") + len("```bash\n") :]
    return block[: block.index("```")].strip().splitlines()


def unit_header_recipe() -> list[str]:
    """The header's first run of indented comment lines (the commands after it are examples)."""
    lines = UNIT.read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("#   "))
    recipe = itertools.takewhile(lambda line: line.startswith("#   "), lines[start:])
    return [line.removeprefix("#   ") for line in recipe]


class _UnitFile(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # systemd keys are case-sensitive


def unit_file() -> _UnitFile:
    parser = _UnitFile(strict=False, interpolation=None)
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def in_root(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def test_the_unit_file_carries_the_readme_recipe() -> None:
    assert unit_header_recipe() == readme_recipe()


def test_the_recipe_creates_every_path_the_unit_names(tmp_path: Path) -> None:
    parsed = unit_file()
    unit = parsed["Service"]
    user, group = unit["User"], unit["Group"]
    root = tmp_path / "root"
    checkout = tmp_path / "checkout"
    (checkout / "deploy").mkdir(parents=True)
    (checkout / "README.md").write_text("readme\n")
    (checkout / "docs").mkdir()
    for page in ("deploying.md", "configuration.md"):
        (checkout / "docs" / page).write_text("page\n")
    (checkout / ".env").write_text("BOT_TOKEN=\nDATABASE_PATH=./data/reportbot.sqlite3\n")
    (checkout / "deploy" / "report-bot.service").write_text(UNIT.read_text(encoding="utf-8"))
    (root / "etc" / "systemd" / "system").mkdir(parents=True)  # there on any systemd host

    script: list[str] = ["set -euo pipefail"]
    for line in readme_recipe():
        words = shlex.split(line)
        if words[0] == "useradd":
            assert words[-1] == user
            assert "--user-group" in words
            assert group == user  # --user-group names the group after the user
            home = words[words.index("--home-dir") + 1]
            assert home == unit["WorkingDirectory"]
            continue
        if words[0] == "systemctl":
            assert words[-1] == UNIT.stem
            continue
        if words[:3] == ["python3", "-m", "venv"]:
            venv = words[3]
            assert words[5] == f"{venv}/bin/pip"  # the venv's own pip installs the checkout
            assert unit["ExecStart"].split()[0] == f"{venv}/bin/report-bot"
            line = f"python3 -m venv --without-pip {venv}"
        if words[0] == "install" and {"-o", "-g"} & set(words):
            for flag in ("-o", "-g"):
                while flag in words:
                    owner = words.pop(words.index(flag) + 1)
                    words.remove(flag)
                    assert owner in {"root", user}
            line = shlex.join(words)
        script.append(_ABSOLUTE.sub(lambda m: f"{root}/{m.group(1)}/", line))
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    def mode(path: str) -> int:
        return stat.S_IMODE(in_root(root, path).stat().st_mode)

    assert in_root(root, unit["WorkingDirectory"]).is_dir()
    for writable in unit["ReadWritePaths"].split():
        assert in_root(root, writable).is_dir(), writable
        assert mode(writable) == 0o700
    env_file = unit["EnvironmentFile"].lstrip("-")
    assert in_root(root, env_file).is_file()
    assert mode(env_file) == 0o640
    assert mode(str(Path(env_file).parent)) == 0o750
    assert Path(unit["ExecStart"].split()[0]).parent.as_posix().endswith("/bin")
    assert in_root(root, str(Path(unit["ExecStart"].split()[0]).parent)).is_dir()
    for documentation in parsed["Unit"]["Documentation"].split():
        assert in_root(root, documentation.removeprefix("file://")).is_file(), documentation
    assert in_root(root, f"/etc/systemd/system/{UNIT.name}").is_file()

    # What the bot writes lies where the hardened unit lets it write; the last value wins.
    values: dict[str, str] = {}
    for raw in in_root(root, env_file).read_text().splitlines():
        name, _, value = raw.partition("=")
        values[name] = value
    writable_paths = [Path(path) for path in unit["ReadWritePaths"].split()]
    for name in ("DATABASE_PATH", "LEDGER_ANCHOR_DIR"):
        written = Path(values[name])
        assert written.is_absolute(), name
        assert any(written.is_relative_to(path) for path in writable_paths), name
