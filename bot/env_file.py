"""The settings file itself: that a named one is there, what names it holds, who may read it.

pydantic-settings reads the env file quietly: a file that is not there is skipped, a name it
does not know is ignored, and a token in a file everyone may read is read all the same. Each of
those has left an operator with a bot that runs without the settings they wrote (issue 28), so
every command checks the file first:

- a file named with --env-file that cannot be read stops every command (`unreadable`);
- a name in the file that is close to a known one ("ADMIN_ID", "REVEIW_CHAT_ID") stops every
  command that reads the settings (`misspelled`), and another unknown name is a warning
  (`unknown`), printed by `setup`, `run` and `db-check`;
- a file other users may read or write is a warning from the same three (`loose_mode`).

Only the env file is scanned, never the process environment: the project has no prefix for its
variables, so the environment's own (PATH, HOME, LANG, ...) could not be told from a typo.
"""

from __future__ import annotations

import difflib
import grp
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from dotenv import dotenv_values

#: Where the settings are read from when --env-file is not given.
DEFAULT_ENV_FILE: Final = Path(".env")

#: Names the deploy recipes have the operator put in the same .env on purpose, though the bot
#: reads none of them: deploy/compose/compose.yaml fills them into its services. A recipe that
#: adds such a name adds it here (tests/unit/test_env_file.py checks compose.yaml against it).
DEPLOY_RECIPE_NAMES: Final = frozenset(
    {
        "POSTGRES_PASSWORD",  # the tables' owner in the postgres service
        "BOT_DATABASE_PASSWORD",  # the bot's own PostgreSQL role
        "BOT_DOMAIN",  # the webhook's host name, and Caddy's certificate
    }
)
#: Prefixes of variables other programs read from the same .env: Docker Compose reads its own
#: COMPOSE_* settings from the project's .env.
OTHER_PROGRAMS_PREFIXES: Final = ("COMPOSE_",)

#: How alike two names must be (difflib's ratio) for one to be taken as a typo of the other.
CLOSE: Final = 0.8
#: A looser likeness, only to suggest a name in a warning.
LOOSE: Final = 0.7


class EnvFileError(Exception):
    """The env file cannot be used; the message is the one line to print."""


def in_use(named: Path | None) -> Path | None:
    """The env file the settings are read from: the one named, else ./.env when it is there."""
    if named is not None:
        return named
    return DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.exists() else None


def unreadable(named: Path | None) -> str | None:
    """Why the env file cannot be read (None: it can, or it is the default and absent).

    Only a regular file is accepted: a pipe would be read once and found empty the second
    time, and a folder or a device is never a settings file."""
    path = in_use(named)
    if path is None:
        return None
    shown = f"--env-file {path}" if named is not None else str(path)
    try:
        if not path.is_file():
            if not path.exists():
                return (
                    f"{shown}: no such file; check the path (without --env-file the settings "
                    "come from ./.env and the environment)"
                )
            return f"{shown}: not a regular file; name the settings file itself"
        with path.open("rb"):
            pass
    except OSError as exc:
        return (
            f"{shown}: cannot be read ({exc.strerror or type(exc).__name__}); run the command "
            "as the user the file belongs to, or give it read access"
        )
    return None


def names_in(path: Path) -> list[str]:
    """The variable names the file sets, read as pydantic-settings reads it (python-dotenv)."""
    return list(dotenv_values(path, encoding="utf-8"))


def closest(name: str, known: Iterable[str], cutoff: float) -> str | None:
    """The known name `name` most likely means, compared without regard to case."""
    upper = {item.upper(): item for item in known}
    found = difflib.get_close_matches(name.upper(), list(upper), n=1, cutoff=cutoff)
    return upper[found[0]] if found else None


def _unknown_names(path: Path, known: frozenset[str]) -> list[str]:
    upper = {name.upper() for name in known}
    return [
        name
        for name in names_in(path)
        if name.upper() not in upper and not name.upper().startswith(OTHER_PROGRAMS_PREFIXES)
    ]


def misspelled(path: Path, known: frozenset[str]) -> list[str]:
    """One problem per name in the file that is not a setting but close to one: the bot would
    run without what the operator meant to set (ADMIN_ID=... gives no admins)."""
    problems = []
    for name in _unknown_names(path, known):
        match = closest(name, known, CLOSE)
        if match is not None:
            problems.append(f"{name} in {path} is not a setting; did you mean {match}?")
    return problems


def unknown(path: Path, known: frozenset[str]) -> list[str]:
    """A warning per name in the file that is neither a setting nor close to one."""
    warnings = []
    for name in _unknown_names(path, known):
        if closest(name, known, CLOSE) is not None:
            continue  # `misspelled` stops the command for it
        loose = closest(name, known, LOOSE)
        hint = f" (perhaps {loose}?)" if loose else ""
        warnings.append(
            f"{name} in {path} is not a setting and is ignored{hint}; remove it or correct "
            "its name (.env.example lists every setting)"
        )
    return warnings


def exposed(mode: int, *, owned_by_reader: bool) -> int:
    """The permission bits that let others than the reader at the file: any for other users,
    write for the group, and read for the group unless the reader is not the owner (and so
    reads it through the group)."""
    return mode & 0o027 | (mode & 0o040 if owned_by_reader else 0)


def loose_mode(path: Path) -> str | None:
    """A warning when users other than the bot's may read or change the file (it holds the
    token and the keys), with the chmod that fixes it.

    Reading through the group is accepted when the file belongs to another user than the one
    reading it: that is how the systemd recipe lets the bot's user read a file root owns and
    the bot cannot change (root:report-bot, 0640)."""
    try:
        info = path.stat()
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    risky = exposed(mode, owned_by_reader=info.st_uid == os.geteuid())
    if not risky:
        return None
    who = []
    if risky & 0o070:
        who.append(f"group {_group_name(info.st_gid)}")
    if risky & 0o007:
        who.append("every user")
    can = {0o044: "read", 0o022: "changed"}
    verbs = " or ".join(verb for bits, verb in can.items() if risky & bits)
    return (
        f"{path} (mode {mode:04o}) may be {verbs} by {' and '.join(who)}; it holds the bot's "
        f"token and keys: chmod 600 {path}"
    )


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def warnings(named: Path | None, known: frozenset[str]) -> list[str]:
    """What `setup`, `run` and `db-check` warn about the env file in use: who may read it,
    and the names in it that are not settings (none when there is no file to read)."""
    path = in_use(named)
    if path is None or unreadable(named) is not None:
        return []
    mode = loose_mode(path)
    return [*([mode] if mode else []), *unknown(path, known)]
