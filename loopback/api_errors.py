"""Bot API failures as exceptions, so method code raises and the server writes the envelope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """A failed Bot API call: HTTP status equals `error_code`, like Telegram's answers."""

    def __init__(
        self, error_code: int, description: str, parameters: Mapping[str, int] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str, parameters: Mapping[str, int] | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}", parameters)


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def conflict(detail: str) -> ApiError:
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


UNAUTHORIZED = 401
NOT_FOUND = 404


def unauthorized() -> ApiError:
    return ApiError(UNAUTHORIZED, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(NOT_FOUND, "Not Found")


def server_error() -> ApiError:
    return ApiError(500, "Internal Server Error")


def bad_gateway() -> ApiError:
    return ApiError(502, "Bad Gateway")
