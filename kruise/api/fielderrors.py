"""Field errors rendered like apimachinery's `field.Error`, for webhook validation messages.

Go formats the bad value by its Go type (`%q` for strings, `%v` for numbers, `%#v` for structs and
maps), so callers pass the value already rendered with the helpers below when it is not a plain
string or number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# cause reason -> text kube prints before the value
_TEXT = {
    "FieldValueNotFound": "Not found",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "FieldValueTypeInvalid": "Invalid value",
    "InternalError": "Internal error",
}
_NO_VALUE = ("FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError")


class GoValue(str):
    """A value already rendered the way Go's fmt would print it (printed as is, never quoted)."""


def go_quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def render(value: Any) -> str:
    if isinstance(value, GoValue):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def go_string_map(m: dict[str, str] | None) -> GoValue:
    """`%#v` of a map[string]string (Go prints keys sorted)."""
    if m is None:
        return GoValue("map[string]string(nil)")
    items = ", ".join(f"{go_quote(k)}:{go_quote(str(v))}" for k, v in sorted(m.items()))
    return GoValue("map[string]string{" + items + "}")


def go_string_slice(items: Iterable[str] | None) -> GoValue:
    """`%#v` of a []string."""
    if items is None:
        return GoValue("[]string(nil)")
    return GoValue("[]string{" + ", ".join(go_quote(s) for s in items) + "}")


def go_list(items: Iterable[Any]) -> str:
    """`%v` of a []string: `[a b]`."""
    return "[" + " ".join(str(i) for i in items) + "]"


def go_intstr(value: int | str | None) -> GoValue:
    """`%#v` of an intstr.IntOrString (what field.Invalid prints for a *IntOrString)."""
    if value is None:
        return GoValue("null")
    if isinstance(value, int) and not isinstance(value, bool):
        return GoValue(f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}')
    return GoValue(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(str(value))}}}")


@dataclass(frozen=True)
class FieldError:
    """One invalid field. `type` is the cause reason, e.g. "FieldValueInvalid"."""

    type: str
    field: str
    detail: str = ""
    value: Any = None
    has_value: bool = False

    def body(self) -> str:
        text = _TEXT.get(self.type, self.type)
        if self.has_value and self.type not in _NO_VALUE:
            text += ": " + render(self.value)
        if self.detail:
            text += ": " + self.detail
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> dict[str, str]:
        return {"reason": self.type, "message": self.body(), "field": self.field}


def required(path: str, detail: str = "") -> FieldError:
    return FieldError("FieldValueRequired", path, detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueInvalid", path, detail, value, True)


def type_invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueTypeInvalid", path, detail, value, True)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError("FieldValueForbidden", path, detail)


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError("FieldValueDuplicate", path, "", value, True)


def not_supported(path: str, value: Any, supported: Iterable[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(s) for s in supported)
    return FieldError("FieldValueNotSupported", path, detail, value, True)


def aggregate(errors: list[FieldError]) -> str:
    """`ErrorList.ToAggregate().Error()`: one message, or `[a, b]` with duplicates dropped."""
    seen: list[str] = []
    for e in errors:
        text = str(e)
        if text not in seen:
            seen.append(text)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"
