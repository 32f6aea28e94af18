"""Kubernetes Status errors: every client mistake becomes one of these, never a traceback.

`FieldError` renders exactly like apimachinery's field.Error so messages match kube-apiserver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

# field.ErrorType -> (cause reason, human text)
_FIELD_TYPES = {
    "NotFound": ("FieldValueNotFound", "Not found"),
    "Required": ("FieldValueRequired", "Required value"),
    "Duplicate": ("FieldValueDuplicate", "Duplicate value"),
    "Invalid": ("FieldValueInvalid", "Invalid value"),
    "NotSupported": ("FieldValueNotSupported", "Unsupported value"),
    "Forbidden": ("FieldValueForbidden", "Forbidden"),
    "TooLong": ("FieldValueTooLong", "Too long"),
    "TooMany": ("FieldValueTooMany", "Too many"),
    "TypeInvalid": ("FieldValueTypeInvalid", "Invalid value"),
}
_SHOWS_VALUE = {"NotFound", "Duplicate", "Invalid", "NotSupported", "TypeInvalid", "TooMany"}
_NO_VALUE = object()


def go_float(f: float) -> str:
    """Format a float as Go's %v does: shortest digits, exponent form below 1e-4 or from 1e6 up."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    sign, digits, exponent = Decimal(repr(f)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digits) - len(ds)
    if not ds:
        ds = "0"
    nd = len(ds)
    dp = nd + exponent  # position of the decimal point relative to the digits
    exp = dp - 1
    neg = "-" if sign else ""
    if exp < -4 or exp >= 6:  # strconv 'g' with shortest precision switches at 6
        mant = ds[0] + ("." + ds[1:] if nd > 1 else "")
        esign = "-" if exp < 0 else "+"
        return f"{neg}{mant}e{esign}{abs(exp):02d}"
    if dp <= 0:
        return f"{neg}0.{'0' * -dp}{ds}"
    if dp >= nd:
        return f"{neg}{ds}{'0' * (dp - nd)}"
    return f"{neg}{ds[:dp]}.{ds[dp:]}"


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    return orjson.dumps(value).decode()


@dataclass
class FieldError:
    """One invalid field. `type` is a key of _FIELD_TYPES (e.g. "Invalid", "Required")."""

    type: str
    field: str
    detail: str = ""
    value: Any = _NO_VALUE

    def body(self) -> str:
        text = _FIELD_TYPES[self.type][1]
        if self.type in _SHOWS_VALUE and self.value is not _NO_VALUE:
            text += ": " + _render_value(self.value)
        if self.detail:
            text += ": " + self.detail
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> dict[str, str]:
        return {"reason": _FIELD_TYPES[self.type][0], "message": self.body(), "field": self.field}


def required(path: str, detail: str = "") -> FieldError:
    return FieldError("Required", path, detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError("Invalid", path, detail, value)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError("Forbidden", path, detail)


def not_supported(path: str, value: Any, supported: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(f'"{s}"' for s in supported)
    return FieldError("NotSupported", path, detail, value)


@dataclass
class APIError(Exception):
    """An error answered to the client as a meta/v1 Status."""

    code: int
    reason: str
    message: str
    details: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "code": self.code,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.details:
            out["details"] = self.details
        return out


def _details(kind: str | None, name: str | None, group: str = "", **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if kind:
        d["kind"] = kind
    d.update(extra)
    return d


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> APIError:
    return APIError(
        404, "NotFound", f'{_qualified(resource, group)} "{name}" not found', _details(resource, name, group)
    )


def already_exists(resource: str, name: str, group: str = "") -> APIError:
    return APIError(
        409,
        "AlreadyExists",
        f'{_qualified(resource, group)} "{name}" already exists',
        _details(resource, name, group),
    )


def conflict(resource: str, name: str, why: str, group: str = "") -> APIError:
    return APIError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
        _details(resource, name, group),
    )


def stale_update(resource: str, name: str, group: str = "") -> APIError:
    return conflict(
        resource,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
        group,
    )


def invalid_object(kind: str, name: str, errors: list[FieldError], group: str = "") -> APIError:
    if len(errors) == 1:
        summary = str(errors[0])
    else:
        summary = "[" + ", ".join(str(e) for e in errors) + "]"
    return APIError(
        422,
        "Invalid",
        f'{kind}.{group} "{name}" is invalid: {summary}'
        if group
        else f'{kind} "{name}" is invalid: {summary}',
        _details(kind, name, group, causes=[e.cause() for e in errors]),
    )


def bad_request(message: str) -> APIError:
    return APIError(400, "BadRequest", message)


def gone(message: str) -> APIError:
    return APIError(410, "Expired", message)


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> APIError:
    return APIError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> APIError:
    return APIError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        f'application/json, application/yaml, application/vnd.kubernetes.protobuf (got "{content_type}")',
    )


def too_large(limit: int) -> APIError:
    return APIError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def forbidden_error(resource: str, name: str, message: str, group: str = "") -> APIError:
    return APIError(
        403,
        "Forbidden",
        f'{_qualified(resource, group)} "{name}" is forbidden: {message}',
        _details(resource, name, group),
    )


def unauthorized() -> APIError:
    return APIError(401, "Unauthorized", "Unauthorized")
