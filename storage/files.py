"""Files the bot writes hold evidence and personal data: only the bot's own user may read them.

A umask of 022 (the usual default; only the systemd unit sets UMask) would make every new file
0644, readable by anyone on the machine. So files are created with an explicit mode instead of
trusting the umask: 0600 for files, 0700 for folders the bot creates. Existing folders are left
as they are (the database may live in a folder the operator chose, such as the project's own);
existing files with looser modes are reported by `report-bot db-check`, not changed behind the
operator's back.

Also here: reading a file an operator names by a path relative to another file, refusing
anything that is not a regular file inside that file's folder. The path is resolved and checked,
then opened from the root one component at a time with O_NOFOLLOW, so a link swapped in after
the check is refused rather than followed out of the folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PRIVATE_FILE_MODE: Final = 0o600
PRIVATE_DIR_MODE: Final = 0o700
#: Whoever else may read, write or run a file: none of these bits should be set.
_OTHERS: Final = 0o077


def write_private_file(path: Path, data: bytes | str, *, replace: bool = True) -> None:
    """Writes `data` (str as UTF-8) to `path` with mode 0600 whatever the umask.

    The bytes go to a new temporary file next to `path` (created 0600 with O_EXCL), are
    fsynced, and the file is renamed into place and the folder fsynced: a reader never sees half
    a file and a crash leaves either the old file or the new one. With `replace=False` an
    existing `path` is never overwritten (FileExistsError). Raises OSError as the OS does;
    callers turn it into a message for the operator.
    """
    content = data.encode("utf-8") if isinstance(data, str) else data
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = create_private_file(temporary, replace_stale=True)
    try:
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # atomic, and fails if `path` exists
    finally:
        temporary.unlink(missing_ok=True)
    fsync_folder(path.parent)


def create_private_file(path: Path, *, replace_stale: bool = False) -> int:
    """Creates `path` empty with mode 0600 and returns its descriptor, open for writing.

    O_EXCL: never opens a file that is already there (nor follows a symlink planted in its
    place). `replace_stale` first removes a leftover by that name (a temporary file of a run
    that crashed)."""
    if replace_stale:
        path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # O_CREAT's mode is masked by the umask; this is not
    except OSError:
        os.close(fd)
        raise
    return fd


def ensure_private_file(path: Path) -> None:
    """Creates `path` empty with mode 0600 unless it exists (then it is left as it is).

    SQLite creates a missing database with the umask's mode and gives the -wal and -shm files
    the database file's mode, so creating the database file first makes all three private."""
    with contextlib.suppress(FileExistsError):
        os.close(create_private_file(path))


def ensure_private_dir(path: Path) -> None:
    """Creates `path` and any missing parents with mode 0700; folders that exist stay as they
    are."""
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            new.mkdir(mode=PRIVATE_DIR_MODE)
            os.chmod(new, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask too
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "it is not a folder", str(path))


def fsync_folder(path: Path) -> None:
    """Makes a rename or a new file in `path` durable across power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class LooseFile:
    """A file others than its owner may read or write."""

    path: Path
    mode: int

    def warning(self) -> str:
        return (
            f"{self.path} has mode {self.mode:04o}: other users on this machine can read it "
            f"(fix: chmod 600 {self.path})"
        )


def loose_files(paths: Iterable[Path]) -> list[LooseFile]:
    """Those of `paths` that exist and give any permission to the group or others."""
    found: list[LooseFile] = []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:  # missing, or not ours to see: nothing to warn about here
            continue
        if mode & _OTHERS:
            found.append(LooseFile(path, mode))
    return found


class UnsafeFile(ValueError):
    """A path an operator named cannot be read safely; the message says why and what to do."""


def read_file_inside(folder: Path, relative: str, max_bytes: int) -> tuple[Path, bytes]:
    """The bytes of the regular file at `relative` inside `folder`, and its resolved path.

    Refuses an absolute path, any `..`, a symlink resolving outside `folder`, anything but a
    regular file (a folder, a FIFO that would block the read, a device) and a file larger than
    `max_bytes`, each with UnsafeFile. The path is resolved first, then opened by
    `read_resolved` one component at a time without following any link: a link swapped in
    between the check and the open is refused, not followed out of the folder."""
    given = Path(relative)
    if given.is_absolute() or ".." in given.parts or not relative.strip():
        raise UnsafeFile(
            f"{relative!r} must be a path relative to the folder of the request file, inside it "
            "(no absolute path, no ..); put the file next to the request file"
        )
    base = folder.resolve()
    try:
        target = (base / given).resolve(strict=True)
    except FileNotFoundError:
        raise UnsafeFile(f"{relative!r} does not exist in {base}") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise UnsafeFile(f"{relative!r} cannot be read: {exc}") from None
    if not target.is_relative_to(base):
        raise UnsafeFile(
            f"{relative!r} is a link to a file outside the folder {base}; copy the file itself "
            "next to the request file"
        )
    return target, read_resolved(target, max_bytes, shown=repr(relative))


def read_resolved(path: Path, max_bytes: int, *, shown: str | None = None) -> bytes:
    """The bytes of `path`, an absolute path already resolved (no link in it), opened without
    following a link at any component (O_NOFOLLOW, each folder relative to the one before):
    a component that is a link now, swapped in after the path was resolved and checked, is
    refused with UnsafeFile instead of followed. Otherwise as `read_regular_file`."""
    name = shown or str(path)
    if not path.is_absolute() or ".." in path.parts:
        raise UnsafeFile(f"{name} must be an absolute path without ..")  # a caller's mistake
    *folders, last = path.parts[1:] or ("",)
    try:
        fd = os.open(path.anchor, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise UnsafeFile(f"{name} cannot be read: {exc.strerror}") from None
    try:
        for part in folders:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        file_fd = os.open(last, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeFile(
                f"{name} (or a folder on its way) became a link after it was checked, so it "
                "was not opened; make sure nobody else can write to the folder, put the file "
                "itself there and try again"
            ) from None
        raise UnsafeFile(f"{name} cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    return _read_checked(file_fd, max_bytes, name)


def read_regular_file(path: Path, max_bytes: int, *, shown: str | None = None) -> bytes:
    """The bytes of `path` if it is a regular file of at most `max_bytes`; UnsafeFile if not.

    Opened without blocking (a FIFO would wait forever for a writer) and checked through the
    descriptor, so what is read is what was checked. `shown` names the file in messages."""
    name = shown or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UnsafeFile(f"{name} cannot be read: {exc.strerror}") from None
    return _read_checked(fd, max_bytes, name)


def _read_checked(fd: int, max_bytes: int, name: str) -> bytes:
    """Reads the open `fd` (and closes it) if it is a regular file of at most `max_bytes`."""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{name} is not a regular file (a folder, pipe or device)")
        if info.st_size > max_bytes:
            raise UnsafeFile(
                f"{name} is larger than {_megabytes(max_bytes)} ({info.st_size:,} bytes)"
            )
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:  # the file grew after fstat
                raise UnsafeFile(f"{name} is larger than {_megabytes(max_bytes)}")
    except OSError as exc:
        raise UnsafeFile(f"{name} cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):g} MB"
