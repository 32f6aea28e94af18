"""JSON patch (RFC 6902): add, remove, replace, move, copy and test on parsed JSON.

Error messages follow evanphx/json-patch, the library behind kube-apiserver, because clients and
scripts match on them. Two deliberate choices where that library (v4) is laxer than the RFC:
`replace` and `copy` of a missing object member fail instead of acting like `add` / copying null.
Negative array indices are accepted, as kube-apiserver does.
"""

from __future__ import annotations

from typing import Any

from ...api.objects import clone
from .mergepatch import PatchError, json_equal

_MISSING = object()


def _go_kind(value: Any) -> str:
    """The JSON kind Go's encoding/json names in its unmarshal errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def apply_json_patch(doc: Any, ops: Any) -> Any:
    """Apply RFC 6902 `ops` (a list of operation objects) to a copy of `doc` and return it."""
    if not isinstance(ops, list):
        raise PatchError(400, f"json: cannot unmarshal {_go_kind(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError(
                400, f"json: cannot unmarshal {_go_kind(op)} into Go value of type jsonpatch.Operation"
            )
    root = clone(doc)
    for op in ops:
        root = _apply_one(root, op)
    return root


class _OpError(Exception):
    """Internal: a failed container step; callers wrap the text like upstream does."""


def _fail(message: str) -> PatchError:
    return PatchError(422, message)


def _string_field(op: dict[str, Any], name: str, what: str) -> str:
    value = op.get(name)
    if value is None:
        raise _fail(f"{what}: missing value")
    if not isinstance(value, str):
        raise PatchError(400, f"json: cannot unmarshal {_go_kind(value)} into Go value of type string")
    return value


_NO_PATH = "operation missing path field"
_NO_FROM = "operation, missing from field"


def _apply_one(root: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    kind = kind if isinstance(kind, str) else "unknown"
    if kind == "add":
        path = _string_field(op, "path", "add operation failed to decode path")
        _add(root, path, clone(op.get("value")), "add")
    elif kind == "remove":
        path = _string_field(op, "path", "remove operation failed to decode path")
        _remove(root, path)
    elif kind == "replace":
        path = _string_field(op, "path", f"replace operation failed to decode path: {_NO_PATH}")
        root = _replace(root, path, clone(op.get("value")))
    elif kind == "move":
        source = _string_field(op, "from", f"move operation failed to decode from: {_NO_FROM}")
        path = _string_field(op, "path", f"move operation failed to decode path: {_NO_PATH}")
        _move(root, source, path)
    elif kind == "copy":
        source = _string_field(op, "from", f"copy operation failed to decode from: {_NO_FROM}")
        path = _string_field(op, "path", "copy operation failed to decode path")
        _copy(root, source, path)
    elif kind == "test":
        path = _string_field(op, "path", f"test operation failed to decode path: {_NO_PATH}")
        _test(root, path, op)
    else:
        raise _fail(f"Unexpected kind: {kind}")
    return root


# ---------------------------------------------------------------------------- pointers


def _tokens(path: str) -> list[str] | None:
    if not path.startswith("/"):
        return None
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _parse_index(token: str) -> int:
    text = token[1:] if token[:1] in "+-" else token
    if not text.isdigit() or not text.isascii():
        raise _OpError(f'strconv.Atoi: parsing "{token}": invalid syntax')
    return int(token)


def _existing_index(items: list[Any], token: str) -> int:
    index = _parse_index(token)
    resolved = index + len(items) if index < 0 else index
    if not 0 <= resolved < len(items):
        raise _OpError(f"Unable to access invalid index: {index}: invalid index referenced")
    return resolved


def _parent(root: Any, path: str) -> tuple[Any, str] | None:
    """The container holding the last token of `path`, and that token; None when it does not exist."""
    tokens = _tokens(path)
    if not tokens or not isinstance(root, dict | list):
        return None
    node = root
    for token in tokens[:-1]:
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list):
            try:
                node = node[_existing_index(node, token)]
            except _OpError:
                return None
        else:
            return None
        if not isinstance(node, dict | list):
            return None
    return node, tokens[-1]


def _get(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key, _MISSING)
    return container[_existing_index(container, key)]


def _insert(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    try:
        index = _parse_index(key)
    except _OpError as e:
        raise _OpError(f"value was not a proper array index: '{key}': {e}") from None
    size = len(container) + 1
    if index >= size or index < -size:
        raise _OpError(f"Unable to access invalid index: {index}: invalid index referenced")
    container.insert(index + size if index < 0 else index, value)


def _delete(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise _OpError(f"Unable to remove nonexistent key: {key}: missing value")
        return container.pop(key)
    return container.pop(_existing_index(container, key))


# ---------------------------------------------------------------------------- operations


def _add(root: Any, path: str, value: Any, verb: str) -> None:
    found = _parent(root, path)
    if found is None:
        raise _fail(f'{verb} operation does not apply: doc is missing path: "{path}": missing value')
    try:
        _insert(*found, value)
    except _OpError as e:
        raise _fail(f"error in {verb} for path: '{path}': {e}") from None


def _remove(root: Any, path: str) -> None:
    found = _parent(root, path)
    if found is None:
        raise _fail(f'remove operation does not apply: doc is missing path: "{path}": missing value')
    try:
        _delete(*found)
    except _OpError as e:
        raise _fail(f"error in remove for path: '{path}': {e}") from None


def _replace(root: Any, path: str, value: Any) -> Any:
    if path == "":
        if not isinstance(value, dict | list):
            raise _fail("replace operation value must be object or array")
        return value
    found = _parent(root, path)
    if found is None:
        raise _fail(f"replace operation does not apply: doc is missing path: {path}: missing value")
    container, key = found
    try:
        if _get(container, key) is _MISSING:
            raise _OpError
    except _OpError:
        raise _fail(f"replace operation does not apply: doc is missing key: {path}: missing value") from None
    if isinstance(container, dict):
        container[key] = value
    else:
        container[_existing_index(container, key)] = value
    return root


def _move(root: Any, source: str, path: str) -> None:
    found = _parent(root, source)
    if found is None:
        raise _fail(f"move operation does not apply: doc is missing from path: {source}: missing value")
    container, key = found
    try:
        value = _delete(container, key)
    except _OpError as e:
        raise _fail(f"error in move for path: '{key}': {e}") from None
    target = _parent(root, path)
    if target is None:
        raise _fail(f"move operation does not apply: doc is missing destination path: {path}: missing value")
    try:
        _insert(*target, value)
    except _OpError as e:
        raise _fail(f"error in move for path: '{path}': {e}") from None


def _copy(root: Any, source: str, path: str) -> None:
    found = _parent(root, source)
    if found is None:
        raise _fail(f"copy operation does not apply: doc is missing from path: {source}: missing value")
    container, key = found
    try:
        value = _get(container, key)
    except _OpError as e:
        raise _fail(f"error in copy for from: '{source}': {e}") from None
    if value is _MISSING:
        missing = f"Unable to get nonexistent key: {key}: missing value"
        raise _fail(f"error in copy for from: '{source}': {missing}")
    target = _parent(root, path)
    if target is None:
        raise _fail(f"copy operation does not apply: doc is missing destination path: {path}: missing value")
    try:
        _insert(*target, clone(value))
    except _OpError as e:
        raise _fail(f"error while adding value during copy: {e}") from None


def _test(root: Any, path: str, op: dict[str, Any]) -> None:
    expected = op.get("value", _MISSING)
    if path == "":
        actual = root
    else:
        found = _parent(root, path)
        if found is None:
            raise _fail(f"test operation does not apply: is missing path: {path}: missing value")
        try:
            actual = _get(*found)
        except _OpError as e:
            raise _fail(f"error in test for path: '{path}': {e}") from None
    if actual is _MISSING or actual is None:
        passed = expected is None  # an explicit null matches an absent or null member
    else:
        passed = expected is not _MISSING and json_equal(actual, expected)
    if not passed:
        raise _fail(f"testing value {path} failed: test failed")
