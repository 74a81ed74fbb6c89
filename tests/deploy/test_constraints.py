"""constraints.txt: the runtime dependencies pinned, and every install path installing with it.

pyproject.toml says what the bot needs (ranges); constraints.txt says which exact releases
were tested, so the image, the systemd recipe and CI install the same set and a release made
after the tests ran cannot slip into one of them. Its first lines name the command that
refreshes it.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.test_docker import instructions
from tests.deploy.test_systemd_recipe import unit_header_recipe

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints.txt"
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)(\s*;\s*.+)?$")


def pins() -> dict[str, list[Version]]:
    """name -> the versions pinned (one per environment marker); every line is an exact pin."""
    found: dict[str, list[Version]] = {}
    for raw in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        assert match is not None, f"not an exact pin: {line}"
        name = canonicalize_name(match.group("name"))
        found.setdefault(name, []).append(Version(match.group("version")))
    return found


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"]]


def pip_installs(line: str) -> bool:
    return re.search(r"\bpip install\b", line) is not None


def installs_with_constraints(line: str) -> bool:
    """Every `pip install` of the line (`a && b` too) passes `-c constraints.txt`."""
    commands = [part for part in line.split("&&") if pip_installs(part)]
    for part in commands:
        words = shlex.split(part)
        if "-c" not in words or words[words.index("-c") + 1] != CONSTRAINTS.name:
            return False
    return bool(commands)


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    """Issue 28, point 10: nothing pinned the versions the image, systemd and CI installed."""
    pinned = pins()
    for requirement in runtime_requirements():
        versions = pinned.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in constraints.txt"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{requirement.name}=={version} is outside pyproject.toml's {requirement}"
            )


def test_the_file_names_the_command_that_refreshes_it() -> None:
    header = CONSTRAINTS.read_text(encoding="utf-8").splitlines()[:2]
    command = header[1].lstrip("# ").split()
    assert command[:3] == ["uv", "pip", "compile"]
    assert "pyproject.toml" in command
    assert command[command.index("-o") + 1] == CONSTRAINTS.name


def test_the_image_the_systemd_recipe_and_ci_install_with_the_constraints() -> None:
    """Issue 28, point 10: each install path installs the package with `-c constraints.txt`."""
    copied = [arguments for keyword, arguments in instructions() if keyword == "COPY"]
    assert any(CONSTRAINTS.name in arguments.split()[:-1] for arguments in copied)
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert f"!{CONSTRAINTS.name}" in ignore.splitlines()
    image = [a for k, a in instructions() if k == "RUN" and pip_installs(a)]
    assert image
    assert all(installs_with_constraints(line) for line in image)

    recipe = [line for line in unit_header_recipe() if pip_installs(line)]
    assert recipe
    assert all(installs_with_constraints(line) for line in recipe)

    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci_installs = [line for line in ci if pip_installs(line) and "--upgrade pip" not in line]
    assert len(ci_installs) == 2
    assert all(installs_with_constraints(line) for line in ci_installs)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ci_installs[-1] in readme.splitlines()  # the README's test command, verbatim
