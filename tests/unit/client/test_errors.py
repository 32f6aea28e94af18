"""Status bodies map to typed errors: reason first, then the HTTP code."""

from __future__ import annotations

import orjson
import pytest

from kruise.client import errors as e


def status(code: int, reason: str = "", message: str = "m", **details: object) -> dict[str, object]:
    out: dict[str, object] = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code}
    if reason:
        out["reason"] = reason
    out["message"] = message
    if details:
        out["details"] = details
    return out


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        (404, "NotFound", e.NotFound),
        (409, "AlreadyExists", e.AlreadyExists),
        (409, "Conflict", e.Conflict),
        (422, "Invalid", e.Invalid),
        (410, "Gone", e.Gone),
        (410, "Expired", e.Gone),
        (429, "TooManyRequests", e.TooManyRequests),
        (403, "Forbidden", e.Forbidden),
        (401, "Unauthorized", e.Unauthorized),
        (400, "BadRequest", e.BadRequest),
        (500, "InternalError", e.ServerError),
        (503, "ServiceUnavailable", e.ServerError),
        (504, "Timeout", e.ServerError),
        # no reason: the code decides
        (404, "", e.NotFound),
        (409, "", e.Conflict),
        (422, "", e.Invalid),
        (410, "", e.Gone),
        (502, "", e.ServerError),
        (405, "MethodNotAllowed", e.ApiError),
        (418, "", e.ApiError),
        # reason wins over the code
        (500, "Conflict", e.Conflict),
    ],
)
def test_mapping(code: int, reason: str, cls: type[e.ApiError]) -> None:
    err = e.from_response(code, orjson.dumps(status(code, reason)))
    assert type(err) is cls
    assert err.status == code
    assert err.reason == reason
    assert err.message == "m"


def test_details_causes_and_retry_after() -> None:
    body = status(
        422,
        "Invalid",
        'Pod "p" is invalid',
        name="p",
        kind="pods",
        causes=[{"reason": "FieldValueRequired", "field": "spec.containers"}],
        retryAfterSeconds=3,
    )
    err = e.from_response(422, body)
    assert isinstance(err, e.Invalid)
    assert err.causes == [{"reason": "FieldValueRequired", "field": "spec.containers"}]
    assert err.details["name"] == "p"
    assert err.retry_after == 3.0
    assert "Invalid" in str(err) and "is invalid" in str(err)


@pytest.mark.parametrize("body", [b"<html>bad gateway</html>", b"", None, "plain text", b'{"kind":"Pod"}'])
def test_non_status_bodies_map_by_code(body: bytes | str | None) -> None:
    err = e.from_response(502, body)
    assert isinstance(err, e.ServerError)
    assert err.status == 502
    assert err.reason == ""


def test_http_code_wins_over_body_code_and_watch_errors_use_body_code() -> None:
    assert e.from_response(404, status(500, "")).status == 404
    # a watch ERROR event has no HTTP status of its own
    gone = e.from_status(status(410, "Expired", "too old resource version: 1 (5)"))
    assert isinstance(gone, e.Gone)
    assert gone.status == 410


def test_errors_are_exceptions_with_a_common_base() -> None:
    for cls in (e.NotFound, e.Conflict, e.AlreadyExists, e.Invalid, e.Gone, e.ServerError):
        assert issubclass(cls, e.ApiError)
    assert not issubclass(e.AlreadyExists, e.Conflict)
    assert not issubclass(e.TransportError, e.ApiError)
