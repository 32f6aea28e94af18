"""Helpers over Kubernetes objects as JSON-like dicts."""

from __future__ import annotations

from typing import Any

import orjson


def clone(obj: Any) -> Any:
    """Deep copy of a JSON document; several times faster than copy.deepcopy."""
    return orjson.loads(orjson.dumps(obj))


def json_kind(value: Any) -> str:
    """JSON type name of a decoded value, as kube-openapi names it in validation messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return ""
