"""Refuses a second bot process on the same database (and so, usually, the same token).

Two processes polling one token end in an endless "Conflict: terminated by other getUpdates
request"; two writers on one evidence database are worse. The lock is an OS file lock next to
the database, released by the kernel when the process dies, so a crash never leaves it stale.
A lock file that cannot be made (a read-only or unwritable folder, a path through a file,
/proc) is `LockFileError`: one line naming the file and the OS's reason, never a traceback.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from storage.files import ensure_private_dir

#: What to do when the lock file (or the database beside it) cannot be made.
WHERE_TO = (
    "set DATABASE_PATH (or DATABASE_URL) to a file in a folder this user may create and write"
)


class AlreadyRunningError(Exception):
    def __init__(self, lock_path: Path, holder_pid: int | None) -> None:
        holder = f"process {holder_pid}" if holder_pid else "another process"
        super().__init__(
            f"another report-bot instance ({holder}) is already running with this database; "
            f"lock file {lock_path}. Stop it first: two instances polling the same bot token "
            "keep interrupting each other with 'Conflict: terminated by other getUpdates request'."
        )
        self.lock_path = lock_path
        self.holder_pid = holder_pid


class LockFileError(Exception):
    """The lock file beside the database could not be created or opened."""

    def __init__(self, what: str, path: Path, reason: str) -> None:
        super().__init__(f"cannot create the {what} {path}: {reason}; {WHERE_TO}")
        self.path = path


class InstanceLock:
    def __init__(self, database_path: Path) -> None:
        self.path = database_path.with_name(database_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            ensure_private_dir(self.path.parent)  # the database's folder: 0700, as storage makes it
        except OSError as exc:
            raise LockFileError("folder", self.path.parent, _reason(exc)) from None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LockFileError("lock file", self.path, _reason(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise AlreadyRunningError(self.path, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 32).decode(errors="replace").strip()
    return int(raw) if raw.isdigit() else None


def _reason(exc: OSError) -> str:
    """The OS's words (strerror), without the path and errno Python adds around them."""
    return exc.strerror or type(exc).__name__
