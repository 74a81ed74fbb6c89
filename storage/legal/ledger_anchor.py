"""The ledger's checkpoints outside the database: one append-only file in LEDGER_ANCHOR_DIR.

Each line is written with O_APPEND and fsynced before the disclosure's transaction commits, so
a disclosure that is on record has its checkpoint on disk. The file and folder are created
readable by the bot's user only. Put the folder on another volume or machine (a mount that is
synced off the host, or `chattr +a` on the file) so that someone who can rewrite the database
cannot rewrite the checkpoints too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

FILE_NAME: Final = "ledger-checkpoints.jsonl"


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
