"""A Bot API call's parameters from query, form, multipart or JSON, with Telegram's checks.

Values are kept the way PTB sends them (strings, non-strings JSON-encoded), which is also
how tests read them back from `ApiCall.params`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from loopback.api_errors import bad_request


@dataclass(frozen=True, slots=True)
class UploadedFile:
    field: str
    filename: str
    content_type: str
    data: bytes


class Params:
    """Typed, validating access to one call's parameters."""

    def __init__(self, values: Mapping[str, str], files: Mapping[str, UploadedFile]) -> None:
        self.values = dict(values)
        self.files = dict(files)

    def summary(self) -> dict[str, str]:
        """Values plus each uploaded file's name, for the call log."""
        described = {name: upload.filename for name, upload in self.files.items()}
        return {**self.values, **described}

    def text(self, name: str) -> str | None:
        return self.values.get(name)

    def required_text(self, name: str, *, error: str | None = None) -> str:
        value = self.values.get(name)
        if not value:
            raise bad_request(error or f"{name} is empty")
        return value

    def integer(self, name: str, *, error: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise bad_request(error or f"invalid {name} specified") from None

    def required_integer(self, name: str, *, error: str | None = None) -> int:
        value = self.integer(name, error=error)
        if value is None:
            raise bad_request(error or f"{name} is empty")
        return value

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        return self.values.get(name, "").lower() in {"true", "1"}

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_ref(self, name: str = "chat_id") -> int | str:
        """A numeric chat id or an @username, as Telegram accepts either."""
        value = self.required_text(name)
        try:
            return int(value)
        except ValueError:
            return value

    def upload(self, name: str) -> UploadedFile | str | None:
        """An uploaded file (also via attach://name), or the string given (file_id or URL)."""
        if name in self.files:
            return self.files[name]
        value = self.values.get(name)
        if value is not None and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value or None


def _encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


async def read_params(request: web.Request) -> Params:
    values: dict[str, str] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            values.update({key: _encode(value) for key, value in body.items()})
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, FileField):
                    files[key] = UploadedFile(
                        field=key,
                        filename=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                elif isinstance(value, str):
                    values[key] = value
                else:
                    values[key] = bytes(value).decode("utf-8", "replace")
    return Params(values, files)
