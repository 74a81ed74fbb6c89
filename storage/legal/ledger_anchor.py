"""The ledger's checkpoints outside the database: one append-only file in LEDGER_ANCHOR_DIR.

Each line is written with O_APPEND and fsynced before the disclosure's transaction commits, so
a disclosure that is on record has its checkpoint on disk. The file and folder are created
readable by the bot's user only. Put the folder on another volume or machine (a mount that is
synced off the host, or `chattr +a` on the file) so that someone who can rewrite the database
cannot rewrite the checkpoints too.

Unset, LEDGER_ANCHOR_DIR defaults to a per-user state folder (`default_anchor_dir`), not the
database's folder: a folder beside the database let whoever could write the database as the
same user cut the ledger's last entries and the checkpoints naming them in one go.
`shares_filesystem` tells `db-check` and `setup` when the two still sit on one filesystem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from storage.location import Location, SqliteLocation

FILE_NAME: Final = "ledger-checkpoints.jsonl"
#: The folder under the per-user state folder that holds the checkpoint file by default.
DEFAULT_SUBFOLDER: Final = Path("report-bot") / "ledger-anchors"
#: Where the checkpoints were kept by default before: this folder beside the database.
LEGACY_FOLDER_NAME: Final = "ledger-anchors"


class NoStateFolder(Exception):
    """Neither XDG_STATE_HOME nor a home folder is known: LEDGER_ANCHOR_DIR must be set."""


def default_anchor_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/report-bot/ledger-anchors`, else `~/.local/state/report-bot/
    ledger-anchors` (the XDG base-directory default); a relative XDG_STATE_HOME is ignored,
    as the specification says. NoStateFolder when there is no home folder either."""
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "").strip()
    if state and Path(state).is_absolute():
        return Path(state) / DEFAULT_SUBFOLDER
    home = env.get("HOME", "").strip()
    if not home:
        try:
            home = str(Path.home())
        except (RuntimeError, KeyError):
            raise NoStateFolder(
                "there is no home folder (HOME unset, no passwd entry) for the default "
                "checkpoint folder"
            ) from None
    return Path(home) / ".local" / "state" / DEFAULT_SUBFOLDER


def nearest_existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists (the folder it would be created in)."""
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def shares_filesystem(one: Path, other: Path) -> bool:
    """Whether the two paths (or, for one not created yet, its nearest existing ancestor) are
    on the same filesystem: the same `st_dev`."""
    return nearest_existing(one).stat().st_dev == nearest_existing(other).stat().st_dev


class AnchorUnwritable(OSError):
    """The checkpoint could not be written; the message names the file, never its content."""


class FileAnchor:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._path = folder / FILE_NAME

    @property
    def where(self) -> str:
        return str(self._path)

    def append(self, line: str) -> None:
        if "\n" in line:
            raise ValueError("a checkpoint is one line")
        try:
            self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            created = not self._path.exists()
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                prefix = b"" if created or _ends_with_newline(self._path) else b"\n"
                os.write(fd, prefix + line.encode() + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_folder(self._folder)
        except OSError as exc:
            raise AnchorUnwritable(
                f"the ledger checkpoint could not be written to {self._path} "
                f"({exc.strerror or type(exc).__name__})"
            ) from None

    def lines(self) -> list[str] | None:
        if not self._path.exists():
            return None
        return self._path.read_text(encoding="utf-8", errors="replace").splitlines()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class Placement:
    """What `db-check` and `setup` say about where the checkpoint folder is: a warning (it
    shares the database's filesystem) or a note (the database's filesystem is unknown)."""

    warning: str | None = None
    note: str | None = None


def placement(anchor_dir: Path, database: Location) -> Placement:
    """Whether the checkpoints sit where whoever can write the database could cut them too."""
    keep = (
        "put LEDGER_ANCHOR_DIR on another disk, or on a mounted append-only or remote folder "
        "(synced off this host), and keep the ledger heads the legal officers receive in "
        "Telegram: `report-bot ledger verify --heads FILE` checks the tail against them"
    )
    if isinstance(database, SqliteLocation):
        if not shares_filesystem(anchor_dir, database.path):
            return Placement()
        return Placement(
            warning=f"the ledger's checkpoint folder {anchor_dir} is on the same filesystem as "
            f"the database {database.path}: someone who can write one can cut the other (delete "
            f"the last ledger entries and the checkpoint lines naming them) and `ledger verify` "
            f"cannot tell without an officer's head; {keep}"
        )
    return Placement(
        note=f"the database is on a PostgreSQL server, whose filesystem is unknown from here: "
        f"keep the ledger's checkpoint folder {anchor_dir} on a host the database's writers do "
        f"not control; {keep}"
    )
