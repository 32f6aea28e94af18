"""JSON merge patch (RFC 7386), plus the error type and JSON helpers the three patch formats share.

Objects merge key by key, `null` deletes a key, anything else (including arrays) replaces the target.
"""

from __future__ import annotations

from typing import Any

from ...api.objects import clone


class PatchError(Exception):
    """A patch that cannot be applied. `code` is 400 for a malformed patch document and 422 for a
    well-formed patch that does not apply to this object (kube-apiserver answers the same codes)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: unlike Python's ==, `true` is not `1`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def go_repr(value: Any) -> str:
    """Render a value the way Go's %v prints decoded JSON, so error messages read like upstream's."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_repr(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_repr(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """Apply an RFC 7386 merge patch; returns a new document and never mutates `doc` or `patch`."""
    if isinstance(patch, list):
        return clone(patch)  # a non-object patch replaces the whole target
    if not isinstance(patch, dict):
        # evanphx/json-patch (as used by kube-apiserver) rejects null and scalar patches
        raise PatchError(400, "Invalid JSON Patch")
    return _merge(doc, patch)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    # untouched subtrees of `target` are still shared with the caller's document
    return {k: (v if k in patch else clone(v)) for k, v in result.items()}
