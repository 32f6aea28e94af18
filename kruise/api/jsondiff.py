"""RFC 6902 JSON patch between two documents (what a mutating webhook answers)."""

from __future__ import annotations

from typing import Any


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def json_patch(original: Any, modified: Any, path: str = "") -> list[dict[str, Any]]:
    """Operations turning `original` into `modified`. Maps diff per key; lists are replaced whole
    unless only their tail grew, which becomes appends (the common webhook case: add a container)."""
    if isinstance(original, dict) and isinstance(modified, dict):
        ops: list[dict[str, Any]] = []
        for key in original:
            if key not in modified:
                ops.append({"op": "remove", "path": f"{path}/{_escape(key)}"})
        for key, value in modified.items():
            sub = f"{path}/{_escape(key)}"
            if key not in original:
                ops.append({"op": "add", "path": sub, "value": value})
            elif original[key] != value:
                ops.extend(json_patch(original[key], value, sub))
        return ops
    if isinstance(original, list) and isinstance(modified, list):
        n = len(original)
        if len(modified) >= n and modified[:n] == original:
            return [{"op": "add", "path": f"{path}/-", "value": v} for v in modified[n:]]
    if original == modified:
        return []
    return [{"op": "replace", "path": path, "value": modified}]
