"""Typed errors from Kubernetes Status bodies: callers branch on the class, not on numbers."""

from __future__ import annotations

from typing import Any

import orjson


class ApiError(Exception):
    """The server answered with a Status (or another error body) and a non-2xx code."""

    def __init__(
        self, status: int, reason: str = "", message: str = "", details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {reason}: {message}" if reason else f"{status}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details or {}

    @property
    def causes(self) -> list[dict[str, Any]]:
        return list(self.details.get("causes") or [])

    @property
    def retry_after(self) -> float | None:
        value = self.details.get("retryAfterSeconds")
        return float(value) if isinstance(value, int | float) and value > 0 else None


class BadRequest(ApiError): ...


class Unauthorized(ApiError): ...


class Forbidden(ApiError): ...


class NotFound(ApiError): ...


class Conflict(ApiError):
    """The object changed since it was read (stale resourceVersion): re-read and retry."""


class AlreadyExists(ApiError): ...


class Gone(ApiError):
    """The resourceVersion (or continue token) is too old: relist."""


class Invalid(ApiError):
    """422: the object failed validation; `causes` name the fields."""


class TooManyRequests(ApiError): ...


class ServerError(ApiError):
    """5xx: the server could not answer; usually worth retrying later."""


class TransportError(Exception):
    """No HTTP answer at all (connection refused, reset, timeout) after the allowed retries."""


_BY_REASON: dict[str, type[ApiError]] = {
    "BadRequest": BadRequest,
    "Unauthorized": Unauthorized,
    "Forbidden": Forbidden,
    "NotFound": NotFound,
    "Conflict": Conflict,
    "AlreadyExists": AlreadyExists,
    "Gone": Gone,
    "Expired": Gone,
    "Invalid": Invalid,
    "TooManyRequests": TooManyRequests,
    "InternalError": ServerError,
    "ServiceUnavailable": ServerError,
    "Timeout": ServerError,
    "ServerTimeout": ServerError,
}

_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}


def from_status(status: dict[str, Any], status_code: int | None = None) -> ApiError:
    """An error from a decoded Status; the HTTP code wins over the body's `code` when both exist."""
    code = status_code or _int(status.get("code")) or 500
    reason = str(status.get("reason") or "")
    details = status.get("details") if isinstance(status.get("details"), dict) else None
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code) or (ServerError if code >= 500 else ApiError)
    return cls(code, reason, str(status.get("message") or ""), details)


def from_response(status_code: int, body: bytes | str | dict[str, Any] | None) -> ApiError:
    """Map an error response; a body that is not a Status (a proxy's HTML page) still maps by code."""
    if isinstance(body, dict):
        return from_status(body, status_code)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        decoded = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        decoded = None
    if isinstance(decoded, dict) and decoded.get("kind") == "Status":
        return from_status(decoded, status_code)
    return from_status({"message": text.strip()[:500]}, status_code)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
