"""Strategic merge patch, as kube-apiserver applies it (k8s.io/apimachinery strategicpatch).

A JSON merge patch that knows, per field, whether a list merges by key (`patchMergeKey`), is a set of
primitives (`patchStrategy: merge` without key) or is replaced, plus the directives kubectl sends:
`$patch` (replace/delete a map or a list element), `$retainKeys`, `$deleteFromPrimitiveList/<f>` and
`$setElementOrder/<f>`. Fields the schema does not know behave as in a JSON merge patch.

Ordering follows upstream exactly: after a merge, items named in the patch come in patch order and are
interleaved with server-only items by their position in the live list; an item the live list lacks
goes before the server-only items still pending (so a patch naming only a new container puts it
first, as kubectl users see), unless `$setElementOrder` says otherwise.

Unlike upstream, directives inside values that are added wholesale (a key the live object lacks, a
replaced list) are resolved instead of being stored verbatim.
"""

from __future__ import annotations

from typing import Any

from ...api.objects import clone
from ..typemeta import SchemaNode
from .mergepatch import PatchError, go_repr, json_equal

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PREFIX = "$deleteFromPrimitiveList"
_ORDER_PREFIX = "$setElementOrder"
_DROP = object()  # "this value vanishes" (a `$patch: delete` map added where nothing was)


def apply_strategic_merge_patch(doc: dict, patch: dict, schema: SchemaNode) -> dict:
    """Apply `patch` to a copy of `doc` using the patch metadata in `schema`; inputs are not mutated."""
    if not isinstance(doc, dict) or not isinstance(patch, dict):
        raise PatchError(400, "invalid JSON document")
    return _merge_map(clone(doc), clone(patch), schema)


# ---------------------------------------------------------------------------- helpers


def _strategy(node: SchemaNode) -> str:
    """The list/map strategy without the retainKeys flag (which only matters when generating patches)."""
    parts = [p for p in node.patch_strategy.split(",") if p and p != "retainKeys"]
    return parts[0] if parts else ""


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "scalar"


def _same(a: Any, b: Any) -> bool:
    """Merge-key / primitive identity (Go interface equality on decoded JSON)."""
    return json_equal(a, b)


def _extract_key(key: str, prefix: str, error: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise PatchError(400, error)
    return rest


def _no_merge_key(item: Any, merge_key: str, code: int = 400) -> PatchError:
    return PatchError(code, f"map: {go_repr(item)} does not contain declared merge key: {merge_key}")


def _element_kind(*lists: list[Any]) -> str | None:
    """The common element kind of the lists; upstream refuses lists of lists and mixed element types."""
    seen: str | None = None
    for items in lists:
        for item in items:
            if item is None:
                continue
            kind = _kind(item)
            if kind == "list":
                raise PatchError(422, "lists of lists are not supported")
            if seen is None:
                seen = kind
            elif seen != kind:
                raise PatchError(422, f"list element types are not identical: {go_repr(list(lists))}")
    return seen


# ---------------------------------------------------------------------------- maps


def _merge_map(original: dict, patch: dict, schema: SchemaNode) -> dict:
    if _DIRECTIVE in patch:
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            return _merge_map({}, patch, schema)
        if directive == "delete":
            return {}
        patch[_DIRECTIVE] = directive
        raise PatchError(400, f"unknown patch type: {go_repr(directive)} in map: {go_repr(patch)}")

    _apply_retain_keys(original, patch)
    _apply_element_order(original, patch, schema)

    deletions = []
    for key, value in patch.items():
        if key.startswith(_DELETE_PREFIX):
            deletions.append((key, value))
        elif value is None:
            original.pop(key, None)
        elif key not in original or _kind(original[key]) != _kind(value) or _kind(value) == "scalar":
            _set(original, key, _fresh(value, schema.child(key)))
        elif isinstance(value, dict):
            child = schema.child(key)
            if _strategy(child) == "replace":
                _set(original, key, _fresh(value, child))
            else:
                original[key] = _merge_map(original[key], value, child)
        else:
            original[key] = _merge_list_field(original[key], value, schema.child(key))

    # after the merges, so a value both added and deleted in one patch ends up deleted
    for key, value in deletions:
        field = _extract_key(key, _DELETE_PREFIX, "invalid patch format of primitive list")
        if value is None:
            original.pop(field, None)
        elif isinstance(original.get(field), list) and isinstance(value, list):
            original[field] = [x for x in original[field] if not any(_same(x, d) for d in value)]
    return original


def _set(target: dict, key: str, value: Any) -> None:
    if value is _DROP:
        target.pop(key, None)
    else:
        target[key] = value


def _fresh(value: Any, schema: SchemaNode) -> Any:
    """A patch value placed where the live object has nothing comparable: resolve its directives and
    drop its nulls, as merging it into an empty value would."""
    if isinstance(value, dict):
        if value.get(_DIRECTIVE) == "delete":
            return _DROP
        return _merge_map({}, value, schema)
    if isinstance(value, list):
        if _strategy(schema) == "merge":
            return _merge_list([], value, schema.item(), schema.patch_merge_key or "")
        out = [_fresh(item, schema.item()) for item in value]
        return [item for item in out if item is not _DROP]
    return value


def _apply_retain_keys(original: dict, patch: dict) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise PatchError(400, "invalid patch format of retainKeys")
    keep = {k for k in retain if isinstance(k, str)}
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_PREFIX, _ORDER_PREFIX)):
            continue
        if key not in keep:
            raise PatchError(400, "invalid patch format of retainKeys")
    for key in [k for k in original if k not in keep]:
        del original[key]


# ---------------------------------------------------------------------------- lists


def _merge_list_field(original: list, patch: list, node: SchemaNode) -> list:
    if _strategy(node) == "merge":
        return _merge_list(original, patch, node.item(), node.patch_merge_key or "")
    return _fresh(patch, node)


def _merge_list(original: list, patch: list, item_schema: SchemaNode, merge_key: str) -> list:
    if not original and not patch:
        return original
    if _element_kind(original, patch) != "map":
        merged = _dedupe(original + patch)
        return _order_after_merge(merged, patch, original, "")
    if not merge_key:
        raise PatchError(422, "cannot merge lists without merge key for type struct")
    original, patch = _apply_list_directives(original, patch, merge_key, item_schema)
    merged = list(original)
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        at = _find(merged, merge_key, item[merge_key])
        if at is None:
            _append_fresh(merged, item, item_schema)
        else:
            merged[at] = _merge_map(merged[at], item, item_schema)
    return _order_after_merge(merged, patch, original, merge_key)


def _append_fresh(items: list, item: Any, schema: SchemaNode) -> None:
    value = _fresh(item, schema)
    if value is not _DROP:
        items.append(value)


def _apply_list_directives(original: list, patch: list, merge_key: str,
                           item_schema: SchemaNode) -> tuple[list, list]:
    """Handle list elements carrying `$patch`; returns the new original and the plain patch items."""
    plain = []
    replace = False
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(400, f"expected a map[string]interface {{}}, but received a {go_repr(item)}")
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            original = [o for o in original if not _has_key_value(o, merge_key, item[merge_key])]
        elif directive == "replace":
            replace = True  # keep scanning: other `$patch` elements are still pruned
        elif directive == "merge":
            raise PatchError(400, "merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(400, f"unknown patch type: {go_repr(directive)} in map: {go_repr(item)}")
    if replace:
        replaced: list = []
        for item in plain:
            _append_fresh(replaced, item, item_schema)
        return replaced, []
    return original, plain


def _has_key_value(item: Any, merge_key: str, value: Any) -> bool:
    return isinstance(item, dict) and merge_key in item and _same(item[merge_key], value)


def _find(items: list, merge_key: str, value: Any) -> int | None:
    for i, item in enumerate(items):
        if _has_key_value(item, merge_key, value):
            return i
    return None


def _dedupe(items: list) -> list:
    out: list = []
    for item in items:
        if not any(_same(item, seen) for seen in out):
            out.append(item)
    return out


def _identity(item: Any, merge_key: str) -> Any:
    return item.get(merge_key) if merge_key and isinstance(item, dict) else item


def _position(order: list, item: Any, merge_key: str) -> int:
    wanted = _identity(item, merge_key)
    for i, candidate in enumerate(order):
        if _same(_identity(candidate, merge_key), wanted):
            return i
    return -1


def _order_after_merge(merged: list, patch_order: list, server_order: list, merge_key: str) -> list:
    """Split merged items into those the patch (or $setElementOrder) names and server-only ones, then
    interleave them: patch items in patch order, server items in live order, a server item going first
    only when the live list has it before the patch item."""
    if merge_key:
        for item in merged:
            if not isinstance(item, dict) or merge_key not in item:
                raise _no_merge_key(item, merge_key, 422)
    named = [m for m in merged if _position(patch_order, m, merge_key) >= 0]
    server_only = [m for m in merged if _position(patch_order, m, merge_key) < 0]
    named.sort(key=lambda m: _position(patch_order, m, merge_key))
    server_only.sort(key=lambda m: _rank(server_order, m, merge_key))

    out = []
    i = j = 0
    while i < len(server_only) or j < len(named):
        if j >= len(named):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(named[j])
            j += 1
        else:
            left = _position(server_order, server_only[i], merge_key)
            right = _position(server_order, named[j], merge_key)
            if left >= 0 and right >= 0 and left < right:
                out.append(server_only[i])
                i += 1
            else:
                out.append(named[j])
                j += 1
    return out


def _rank(order: list, item: Any, merge_key: str) -> int:
    at = _position(order, item, merge_key)
    return at if at >= 0 else len(order)


# ---------------------------------------------------------------------------- $setElementOrder


def _apply_element_order(original: dict, patch: dict, schema: SchemaNode) -> None:
    """Merge each list that has a `$setElementOrder/<field>` companion and order it by that list."""
    for directive_key in [k for k in patch if k.startswith(_ORDER_PREFIX)]:
        order = patch.pop(directive_key)
        bad_format = "invalid patch format of setElementOrder list"
        if not isinstance(order, list):
            raise PatchError(400, bad_format)
        field = _extract_key(directive_key, _ORDER_PREFIX, bad_format)
        node = schema.child(field)
        merge_key = node.patch_merge_key or ""
        live = original.get(field)
        wanted = patch.get(field)
        if live is not None and not isinstance(live, list):
            raise PatchError(422, f"expected a []interface {{}}, but received a {go_repr(live)}")
        if wanted is not None and not isinstance(wanted, list):
            raise PatchError(400, bad_format)
        _check_order(wanted or [], order, merge_key)
        if live is None and wanted is None:
            continue
        if wanted is None:
            merged = live
        elif live is None:
            merged = _fresh(wanted, node)
        else:
            merged = _merge_list_field(live, wanted, node)
        if merge_key:
            for entry in order:
                if not isinstance(entry, dict) or merge_key not in entry:
                    raise _no_merge_key(entry, merge_key)
        original[field] = _order_after_merge(merged, order, live or [], merge_key)
        patch.pop(field, None)


def _check_order(patch_list: list, order: list, merge_key: str) -> None:
    """The patch list's items (ignoring deletions) must appear in $setElementOrder in the same order."""
    if not patch_list or not order:
        return
    items = patch_list
    if merge_key:
        if any(not isinstance(i, dict) for i in patch_list):
            raise PatchError(400, "invalid patch format of setElementOrder list")
        items = [i for i in patch_list if i.get(_DIRECTIVE) != "delete"]
    p = s = 0
    while p < len(items) and s < len(order):
        item = items[p]
        if isinstance(item, dict) and _DIRECTIVE in item:
            p += 1
            continue
        if merge_key:
            entry = order[s]
            if not isinstance(entry, dict) or merge_key not in entry:
                raise _no_merge_key(entry, merge_key)
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            if _same(item[merge_key], entry[merge_key]):
                p += 1
        elif _same(item, order[s]):
            p += 1
        s += 1
    if p < len(items):
        raise PatchError(
            400,
            f"The order in patch list:\n{go_repr(patch_list)}\n doesn't match {_ORDER_PREFIX} list:\n"
            f"{go_repr(order)}\n",
        )
