"""Files the bot uploaded or users sent, addressable by file_id and by download path."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from enum import StrEnum


class FileKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    STICKER = "sticker"


_FOLDERS = {FileKind.PHOTO: "photos", FileKind.DOCUMENT: "documents", FileKind.STICKER: "stickers"}
_ID_PREFIXES = {FileKind.PHOTO: "AgAC", FileKind.DOCUMENT: "BQAC", FileKind.STICKER: "CAAC"}


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: FileKind
    data: bytes
    filename: str | None
    mime_type: str | None
    file_path: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(
        self,
        kind: FileKind,
        data: bytes,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        number = next(self._numbers)
        extension = ""
        if filename and "." in filename:
            extension = "." + filename.rsplit(".", 1)[1]
        elif kind == FileKind.PHOTO:
            extension = ".jpg"
        elif kind == FileKind.STICKER:
            extension = ".webp"
        stored = StoredFile(
            file_id=f"{_ID_PREFIXES[kind]}AgADAQAD{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{secrets.token_urlsafe(8)}",
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime_type,
            file_path=f"{_FOLDERS[kind]}/file_{number}{extension}",
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def by_id(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)
