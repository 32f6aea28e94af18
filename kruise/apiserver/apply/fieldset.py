"""Field sets: which fields of an object a manager owns, and their FieldsV1 encoding.

A path is a tuple of path elements, each element spelled exactly as a FieldsV1 key:
`f:<name>` (struct field or map key), `k:<json object>` (map-list item by its key fields),
`v:<json value>` (set-list item), `i:<n>` (index, only read back from foreign data). A set of
paths holds *members* only: a parent is owned only if its own path is in the set, which is
what the "." marker means in FieldsV1. JSON inside elements is canonical (sorted keys, Go's
escaping, integral floats as integers), so element equality is string equality.

`field_set` and `compare` walk a value with its `SchemaNode` the way structured-merge-diff
does, because ownership must match what kube-apiserver records for the same object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson

from ..typemeta import UNKNOWN, SchemaNode

Path = tuple[str, ...]
FieldSet = set[Path]

MISSING: Any = object()
"""Marks an absent value (distinct from JSON null) in walks over two values."""

# Key fields kube's schemas default when an applied item omits them (ports' protocol).
_KEY_DEFAULTS: dict[str, Any] = {"protocol": "TCP"}


class FieldPathError(ValueError):
    """A value that cannot be mapped to field paths (bad list item, duplicate key)."""


# ---- JSON helpers -------------------------------------------------------------------------


def _normalize(value: Any) -> Any:
    # Go decodes 80.0 and 80 to the same value and prints it as 80.
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys and Go's HTML-safe escaping, as FieldsV1 keys are written."""
    text = _flat_json(value)
    if text is None:
        text = json.dumps(_normalize(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return _go_escape(text)


def _go_escape(text: str) -> str:
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        return (
            text.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
    return text


# Types orjson prints exactly as `json.dumps(..., ensure_ascii=False)` does. Floats are left out
# (their spelling differs, e.g. 1e-07 and 1e-7), and so are subclasses.
_FLAT_TYPES = frozenset((str, int, bool, type(None)))
_SORT_KEYS = orjson.OPT_SORT_KEYS
_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))


def _flat_json(value: Any) -> str | None:
    """Canonical JSON of a scalar or a flat object of scalars by the fast encoder, or None when
    the value needs the general one (floats, nested values, integers beyond 64 bits, lone
    surrogates)."""
    if type(value) is dict:
        for v in value.values():
            if type(v) not in _FLAT_TYPES:
                return None
    elif type(value) not in _FLAT_TYPES:
        return None
    try:
        return orjson.dumps(value, option=_SORT_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError
        return None


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values where `true` is not `1`."""
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if ta in (int, float) and tb in (int, float):
        return bool(a == b)
    if ta is not tb:
        return False
    if ta is dict:
        return len(a) == len(b) and all(k in b and json_equal(v, b[k]) for k, v in a.items())
    if ta is list:
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# ---- path elements ------------------------------------------------------------------------


def field_pe(name: str) -> str:
    return "f:" + name


def value_pe(value: Any) -> str:
    return "v:" + canonical_json(value)


def key_pe(fields: dict[str, Any]) -> str:
    return "k:" + canonical_json(fields)


def parse_pe(pe: str) -> str:
    """Validate one FieldsV1 key and return it in canonical form."""
    if pe.startswith("f:"):
        return pe
    return _parse_pe(pe)


@lru_cache(maxsize=16384)
def _parse_pe(pe: str) -> str:
    kind, sep, rest = pe.partition(":")
    if not sep:
        raise ValueError(f"invalid path element {pe!r}")
    if kind == "f":
        return pe
    if kind in ("k", "v"):
        try:
            value = json.loads(rest)
        except ValueError as e:
            raise ValueError(f"invalid path element {pe!r}: {e}") from None
        if kind == "k" and not isinstance(value, dict):
            raise ValueError(f"invalid path element {pe!r}: key must be an object")
        return kind + ":" + canonical_json(value)
    if kind == "i":
        try:
            return "i:" + str(int(rest))
        except ValueError:
            raise ValueError(f"invalid path element {pe!r}") from None
    raise ValueError(f"invalid path element {pe!r}: unknown prefix {kind!r}")


def _to_string(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pe_string(pe: str) -> str:
    """A path element as kube prints it: `.name`, `[name="app"]`, `[=value]`, `[3]`."""
    kind, rest = pe[0], pe[2:]
    if kind == "f":
        return "." + rest
    if kind == "k":
        key = json.loads(rest)
        return "[" + ",".join(f"{n}={_to_string(key[n])}" for n in sorted(key)) + "]"
    if kind == "v":
        return "[=" + _to_string(json.loads(rest)) + "]"
    return "[" + rest + "]"


def path_string(path: Path) -> str:
    """A path as kube prints it, e.g. `.spec.containers[name="app"].image`."""
    return "".join(pe_string(pe) for pe in path)


def _value_order(value: Any) -> tuple[Any, ...]:
    # structured-merge-diff's total order: numbers, strings, booleans, lists, maps, null.
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (3, tuple(_value_order(v) for v in value))
    if isinstance(value, dict):
        return (4, tuple((k, _value_order(value[k])) for k in sorted(value)))
    return (5,)


_KIND_ORDER = {"f": 0, "k": 1, "v": 2, "i": 3}


@lru_cache(maxsize=16384)
def pe_order(pe: str) -> tuple[Any, ...]:
    """Sort key for path elements: fields by name, then keys, values, indexes."""
    kind, rest = pe[0], pe[2:]
    if kind == "f":
        return (0, rest)
    if kind == "k":
        key = json.loads(rest)
        return (1, tuple((n, _value_order(key[n])) for n in sorted(key)))
    if kind == "v":
        return (2, _value_order(json.loads(rest)))
    return (3, int(rest))


def ordered_paths(paths: Iterable[Path]) -> list[Path]:
    """Paths in the order kube iterates a set: at each level its members, then its children."""

    def key(path: Path) -> tuple[Any, ...]:
        last = len(path) - 1
        return tuple((0 if i == last else 1, pe_order(pe)) for i, pe in enumerate(path))

    return sorted(paths, key=key)


# ---- FieldsV1 -----------------------------------------------------------------------------


def encode_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """The FieldsV1 trie for a set of paths, keys in kube's order ("." first)."""
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for pe in path:
            child = node.get(pe)
            if child is None:
                child = node[pe] = {}
            node = child
        node["."] = True
    root.pop(".", None)
    return _emit(root)


def _emit(node: dict[str, Any]) -> dict[str, Any]:
    # `node` is a trie node of encode_fields_v1 ("." marks a member); it is consumed
    out: dict[str, Any] = {".": {}} if node.pop(".", False) else {}
    if len(node) == 1:
        for pe, child in node.items():
            out[pe] = _emit(child) if len(child) > 1 or "." not in child else {}
    elif node:
        for pe in _sorted_pes(node):
            child = node[pe]
            out[pe] = _emit(child) if len(child) > 1 or "." not in child else {}
    return out


def _sorted_pes(pes: Iterable[str]) -> list[str]:
    """Path elements in `pe_order`."""
    out = sorted(pes)
    # Field elements sort as their strings do, and a string between two "f:" strings is one.
    if not (out[0].startswith("f:") and out[-1].startswith("f:")):
        out.sort(key=pe_order)
    return out


def decode_fields_v1(fields: Any) -> FieldSet:
    """Paths of a FieldsV1 trie. Raises ValueError on malformed input."""
    if not isinstance(fields, dict):
        raise ValueError("FieldsV1 must be a JSON object")
    out: FieldSet = set()
    _collect(fields, (), out)
    return out


def _collect(node: dict[str, Any], prefix: Path, out: FieldSet) -> None:
    for key, child in node.items():
        if type(child) is not dict and not isinstance(child, dict):
            raise ValueError(f"FieldsV1 entry {key!r} must be an object")
        if key == ".":
            if child:
                raise ValueError('FieldsV1 "." must map to an empty object')
            if prefix:
                out.add(prefix)
            continue
        path = (*prefix, key if key.startswith("f:") else _parse_pe(key))
        if child:
            _collect(child, path, out)
        else:
            out.add(path)


# ---- canonical FieldsV1 tries, used as field sets ------------------------------------------
#
# A FieldsV1 trie that `encode_fields_v1` would write back unchanged ("canonical") can stand for
# its set of paths: lookups, removals and additions work on the trie directly (copy-on-write,
# never mutating it), so an update that touches a few fields of a large entry need not decode and
# re-encode the whole entry.


class IdentityMemo:
    """Answers about objects that are never modified (stored objects and their parts), kept per
    object identity: the next write of an object meets the same stored parts again. Holds each
    object (so an id is never reused while remembered), at most `size` of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._known: dict[int, tuple[Any, Any]] = {}

    def get(self, obj: Any, default: Any = None) -> Any:
        known = self._known.get(id(obj))
        return known[1] if known is not None and known[0] is obj else default

    def put(self, obj: Any, answer: Any) -> None:
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[id(obj)] = (obj, answer)


# whether a stored FieldsV1 trie is canonical (malformed ones raise and are not remembered)
_CANONICAL = IdentityMemo(16384)


def check_fields_v1(fields: Any) -> bool:
    """Validate a FieldsV1 trie as `decode_fields_v1` does (ValueError when it is malformed) and
    tell whether it is canonical: `encode_fields_v1(decode_fields_v1(fields)) == fields`, key
    order included. Tries are never modified in place, so the answer is remembered per trie."""
    if not isinstance(fields, dict):
        raise ValueError("FieldsV1 must be a JSON object")
    known = _CANONICAL.get(fields)
    if known is None:
        known = _check(fields, True)
        _CANONICAL.put(fields, known)
    return known


def known_canonical(fields: dict[str, Any]) -> dict[str, Any]:
    """Remember a trie this module built as canonical (encode_fields_v1, trie_with, trie_without
    and the held tries they start from all are), so the next write of the object it is stored in
    does not walk it again to find out. Returns it."""
    _CANONICAL.put(fields, True)
    return fields


def _check(node: dict[str, Any], root: bool) -> bool:
    canonical = _keys_canonical(tuple(node))
    dot = node.get(".")
    if dot is not None:
        if not isinstance(dot, dict):
            raise ValueError("FieldsV1 entry '.' must be an object")
        if dot:
            raise ValueError('FieldsV1 "." must map to an empty object')
        if root:
            canonical = False  # never written at the root
    for child in node.values():
        if type(child) is not dict and not isinstance(child, dict):
            raise ValueError("FieldsV1 entries must be objects")
        if child and not _check(child, False):
            canonical = False
    return canonical


_KEYS_CANONICAL: dict[tuple[str, ...], bool] = {}


def _keys_canonical(keys: tuple[str, ...]) -> bool:
    """Validate the keys of a FieldsV1 node (ValueError) and tell whether they are spelled and
    ordered as `encode_fields_v1` writes them below the root. Remembered per key tuple, as
    objects of a kind share their keys."""
    known = _KEYS_CANONICAL.get(keys)
    if known is None:
        canonical = True
        field = ""  # the last field element ("f:...") seen
        other = None  # the last other element, once one was seen (they sort after fields)
        for i, key in enumerate(keys):
            if key.startswith("f:"):
                if other is not None or field >= key:
                    canonical = False
                field = key
            elif key == ".":
                # written only first, and only for a member with children
                if i or len(keys) < 2:
                    canonical = False
            else:
                if _parse_pe(key) != key or (other is not None and pe_order(other) >= pe_order(key)):
                    canonical = False
                other = key
        if len(_KEYS_CANONICAL) > 4096:
            _KEYS_CANONICAL.clear()
        known = _KEYS_CANONICAL[keys] = canonical
    return known


def trie_has(trie: dict[str, Any], path: Path) -> bool:
    """Whether `path` is a member of the canonical trie."""
    if not path:
        return False
    node = trie
    for pe in path:
        node = node.get(pe)  # type: ignore[assignment]
        if node is None:
            return False
    return not node or "." in node


def trie_without(trie: dict[str, Any], paths: Iterable[Path]) -> dict[str, Any]:
    """The canonical trie of `decode(trie) - paths` (`trie` is not modified)."""
    return _without(trie, list(paths), 0)


def _without(kids: dict[str, Any], paths: list[Path], depth: int) -> dict[str, Any]:
    # `kids`: a trie node without its "." marker; paths all longer than `depth`
    groups: dict[str, list[Path]] = {}
    for p in paths:
        groups.setdefault(p[depth], []).append(p)
    out = dict(kids)
    for pe, group in groups.items():
        child = out.get(pe)
        if child is None:
            continue
        member = not child or "." in child
        below = {k: v for k, v in child.items() if k != "."} if member else child
        deeper = [p for p in group if len(p) > depth + 1]
        if deeper and below:
            below = _without(below, deeper, depth + 1)
        if len(deeper) < len(group):
            member = False
        if below:
            out[pe] = {".": {}, **below} if member else below
        elif member:
            out[pe] = {}
        else:
            del out[pe]
    return out


def trie_with(trie: dict[str, Any], paths: Iterable[Path]) -> dict[str, Any]:
    """The canonical trie of `decode(trie) | paths` (`trie` is not modified)."""
    return _with(trie, [p for p in paths if p], 0)


def _with(kids: dict[str, Any], paths: list[Path], depth: int) -> dict[str, Any]:
    groups: dict[str, list[Path]] = {}
    for p in paths:
        groups.setdefault(p[depth], []).append(p)
    out = dict(kids)
    added = False
    for pe, group in groups.items():
        child = out.get(pe)
        if child is None:
            added = True
            member = False
            below: dict[str, Any] = {}
        else:
            member = not child or "." in child
            below = {k: v for k, v in child.items() if k != "."} if member else child
        deeper = [p for p in group if len(p) > depth + 1]
        if deeper:
            below = _with(below, deeper, depth + 1)
        if len(deeper) < len(group):
            member = True
        if below:
            out[pe] = {".": {}, **below} if member else below
        else:
            out[pe] = {}
    if added:
        out = {pe: out[pe] for pe in _sorted_pes(out)}
    return out


# ---- set helpers --------------------------------------------------------------------------


def strict_prefixes(paths: Iterable[Path]) -> set[Path]:
    """Every proper, non-empty prefix of the given paths."""
    out: set[Path] = set()
    for path in paths:
        for i in range(1, len(path)):
            out.add(path[:i])
    return out


def recursive_difference(paths: FieldSet, remove: FieldSet) -> FieldSet:
    """`paths` without any path that is in `remove` or lies under one of its members."""
    return {p for p in paths if not any(p[:i] in remove for i in range(1, len(p) + 1))}


# ---- walking values with a schema ---------------------------------------------------------


def is_granular_list(node: SchemaNode, value: Any) -> bool:
    return isinstance(value, list) and node.list_type in ("set", "map")


def is_granular_map(node: SchemaNode, value: Any) -> bool:
    return isinstance(value, dict) and node.map_type != "atomic"


def item_pe(item: Any, node: SchemaNode) -> str:
    """The path element of one item of a set or map list (`node` is the list's schema)."""
    keys = node.list_map_keys
    if keys and node.list_type == "map":
        if isinstance(item, dict):
            if len(keys) == 1:
                value = item.get(keys[0])
                if type(value) is str or type(value) is int:
                    return _scalar_key_pe(keys, (value,))
            else:
                values = tuple(item.get(name) for name in keys)
                if all(type(v) is str or type(v) is int for v in values):
                    return _scalar_key_pe(keys, values)
        return _key_item_pe(item, node)
    if isinstance(item, dict):
        raise FieldPathError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise FieldPathError("not supported: associative list with lists as elements")
    if item is None:
        raise FieldPathError("associative list without keys has an element that's an explicit null")
    return value_pe(item)


@lru_cache(maxsize=16384)
def _scalar_key_pe(names: tuple[str, ...], values: tuple[str | int, ...]) -> str:
    # only strings and ints (never bools, which would hash as ints) reach this cache
    return key_pe(dict(zip(names, values, strict=True)))


def _key_item_pe(item: Any, node: SchemaNode) -> str:
    if not isinstance(item, dict):
        what = "a null element" if item is None else "non-map elements"
        raise FieldPathError(f"associative list with keys may not have {what}")
    key: dict[str, Any] = {}
    item_node = node.item()
    for name in node.list_map_keys:
        if name in item:
            key[name] = item[name]
            continue
        default = getattr(item_node.child(name), "default", None)
        if default is None:
            default = _KEY_DEFAULTS.get(name)
        if default is None:
            raise FieldPathError(
                f'associative list with keys has an element that omits key field "{name}"'
                " (and doesn't have default value)"
            )
        key[name] = default
    return key_pe(key)


def _item_pes(items: list[Any], node: SchemaNode, path: Path) -> list[str]:
    out = []
    for i, item in enumerate(items):
        try:
            out.append(item_pe(item, node))
        except FieldPathError as e:
            raise FieldPathError(f"{path_string(path)}: element {i}: {e}") from None
    return out


def field_set(value: Any, schema: SchemaNode, *, allow_duplicates: bool = True) -> FieldSet:
    """Every path `value` sets: leaves, set/map-list items, map entries, empty or null values.

    Struct fields (names listed in `SchemaNode.fields`) are members only when null or `{}`;
    map entries always are. With `allow_duplicates=False` (applied configurations) duplicate
    items of a set or map list raise FieldPathError, as kube-apiserver rejects them.
    """
    out: FieldSet = set()
    _fields(value, schema, (), out, allow_duplicates)
    return out


def _fields(value: Any, node: SchemaNode, path: Path, out: FieldSet, dups: bool) -> None:
    if is_granular_map(node, value):
        for name, child in value.items():
            child_path = (*path, "f:" + name)
            _fields(child, node.child(name), child_path, out, dups)
            if child is None or child == {} or name not in node.fields:
                out.add(child_path)
    elif is_granular_list(node, value):
        pes = _item_pes(value, node, path)
        if not dups and len(set(pes)) != len(pes):
            seen: set[str] = set()
            for pe in pes:
                if pe in seen:
                    raise FieldPathError(f"{path_string(path)}: duplicate entries for key {pe_string(pe)}")
                seen.add(pe)
        item_node = node.item()
        for pe, item in zip(pes, value, strict=True):
            item_path = (*path, pe)
            _fields(item, item_node, item_path, out, dups)
            out.add(item_path)
    elif path:
        out.add(path)


class Comparison:
    """Paths added, removed and modified between two versions of an object."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: FieldSet = set()
        self.removed: FieldSet = set()
        self.modified: FieldSet = set()

    def changed(self) -> FieldSet:
        return self.added | self.modified


def compare(old: Any, new: Any, schema: SchemaNode) -> Comparison:
    """Compare two values field by field. Granular maps and lists also record their own path
    as added/removed when the whole container appears or disappears."""
    result = Comparison()
    _compare(old, new, schema, (), result)
    return result


def _empty(value: Any) -> bool:
    return value is MISSING or value is None or value == {} or value == []


def _compare(old: Any, new: Any, node: SchemaNode, path: Path, res: Comparison) -> None:
    if old is MISSING:
        if new is not MISSING:
            _all_paths(new, node, path, res.added)
        return
    if new is MISSING:
        _all_paths(old, node, path, res.removed)
        return
    if old is new or (old == new and _same_json(old, new)):
        # nothing below changed; only the errors a full walk would raise are left to find
        if _may_hold_keyed_list(node) and _VALID.get(old) is not node:
            _validate(old, node, path)  # in the order a full walk takes: old's
            if type(old) is dict:
                _VALID.put(old, node)  # passed: a stored part meets this check again next write
        return
    if _empty(old) and _empty(new):
        granular = False  # empty/null on both sides compares as a leaf, keeping the distinction
    elif (old is None or is_granular_map(node, old)) and (new is None or is_granular_map(node, new)):
        granular = True
        _compare_maps(old, new, node, path, res)
    elif (old is None or is_granular_list(node, old)) and (new is None or is_granular_list(node, new)):
        granular = True
        _compare_lists(old, new, node, path, res)
    else:
        granular = False
    if path and not granular and not json_equal(old, new):
        res.modified.add(path)


def _same_json(a: Any, b: Any) -> bool:
    """Whether `a == b` (given) is also `json_equal(a, b)`: they differ only where a boolean
    meets a number, which the JSON texts tell apart. False may also mean "unsure"."""
    if type(a) is dict or type(a) is list:
        try:
            return orjson.dumps(a) == orjson.dumps(b)
        except TypeError:  # not plain JSON data (orjson.JSONEncodeError)
            return json_equal(a, b)
    return json_equal(a, b)


def _all_paths(value: Any, node: SchemaNode, path: Path, out: FieldSet) -> None:
    """Add every path `_compare` reports for `value` against MISSING (on either side)."""
    if value is None:
        pass
    elif isinstance(value, dict):
        if value and node.map_type != "atomic":
            fields, values = node.fields, node.values
            for name, child in value.items():
                child_path = (*path, "f:" + name)
                if isinstance(child, (dict, list)):
                    if name in fields:
                        child_node = fields[name]
                    else:
                        child_node = values if values is not None else UNKNOWN
                    _all_paths(child, child_node, child_path, out)
                else:
                    out.add(child_path)
    elif isinstance(value, list) and value and node.list_type in ("set", "map"):
        item_node = node.item()
        for pe, items in _group(value, node, path).items():
            item_path = (*path, pe)
            if len(items) == 1:
                _all_paths(items[0], item_node, item_path, out)
            else:
                out.add(item_path)
    if path:
        out.add(path)


# the schema node each (stored, never modified) object last passed `_validate` against
_VALID = IdentityMemo(16384)


def _validate(value: Any, node: SchemaNode, path: Path) -> None:
    """Raise the FieldPathError `_compare` raises for two equal copies of `value`, if any
    (`node` may hold a set or map list)."""
    if isinstance(value, dict):
        if value and node.map_type != "atomic":
            fields, values = node.fields, node.values
            for name, child in value.items():
                if type(child) in _SCALAR_TYPES or not child:
                    continue
                if name in fields:
                    child_node = fields[name]
                else:
                    child_node = values if values is not None else UNKNOWN
                if _may_hold_keyed_list(child_node) and isinstance(child, (dict, list)):
                    _validate(child, child_node, (*path, "f:" + name))
    elif isinstance(value, list) and value and node.list_type in ("set", "map"):
        item_node = node.item()
        if not _may_hold_keyed_list(item_node):
            _check_items(value, node, path)
            return
        for pe, items in _group(value, node, path).items():
            if len(items) == 1 and isinstance(items[0], (dict, list)) and items[0]:
                _validate(items[0], item_node, (*path, pe))


def _check_items(items: list[Any], node: SchemaNode, path: Path) -> None:
    """Raise the FieldPathError `_group` raises for these items, if any."""
    keys = node.list_map_keys if node.list_type == "map" else ()
    for item in items:
        if keys:
            if type(item) is not dict or not all(name in item for name in keys):
                break
        elif item is None or isinstance(item, (dict, list)):
            break
    else:
        return
    _group(items, node, path)  # raises, unless a key field has a default


_HOLDS_KEYED_LIST: dict[int, tuple[SchemaNode, bool]] = {}


def _may_hold_keyed_list(node: SchemaNode) -> bool:
    """Whether a value of `node` may hold a set or map list that `_compare` walks into, the
    only place it raises. Remembered per schema node (schema nodes are not modified once in
    use)."""
    known = _HOLDS_KEYED_LIST.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    if len(_HOLDS_KEYED_LIST) > 100_000:
        _HOLDS_KEYED_LIST.clear()
    return _holds_keyed_list(node, set())


def _holds_keyed_list(node: SchemaNode, stack: set[int]) -> bool:
    known = _HOLDS_KEYED_LIST.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    if node.list_type in ("set", "map"):
        result = True
    elif node.map_type == "atomic":
        result = False  # a dict of it is a leaf, and so is a list of it (atomic)
    elif id(node) in stack:
        return True  # a recursive schema: assume so (not remembered)
    else:
        stack.add(id(node))
        children = list(node.fields.values())
        if node.values is not None:
            children.append(node.values)
        result = any(_holds_keyed_list(child, stack) for child in children)
        stack.discard(id(node))
    _HOLDS_KEYED_LIST[id(node)] = (node, result)
    return result


def _compare_maps(old: Any, new: Any, node: SchemaNode, path: Path, res: Comparison) -> None:
    old_map = old if isinstance(old, dict) else {}
    new_map = new if isinstance(new, dict) else {}
    for name, old_child in old_map.items():
        new_child = new_map.get(name, MISSING)
        if type(old_child) is type(new_child) and type(old_child) in _SCALAR_TYPES and old_child == new_child:
            continue  # an unchanged scalar (json_equal for two values of one scalar type)
        _compare(old_child, new_child, node.child(name), (*path, "f:" + name), res)
    for name, new_child in new_map.items():
        if name not in old_map:
            _compare(MISSING, new_child, node.child(name), (*path, "f:" + name), res)


def _group(items: list[Any], node: SchemaNode, path: Path) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for i, item in enumerate(items):
        try:
            pe = item_pe(item, node)
        except FieldPathError as e:
            raise FieldPathError(f"{path_string(path)}: element {i}: {e}") from None
        group = groups.get(pe)
        if group is None:
            groups[pe] = [item]
        else:
            group.append(item)
    return groups


def _compare_lists(old: Any, new: Any, node: SchemaNode, path: Path, res: Comparison) -> None:
    old_groups = _group(old if isinstance(old, list) else [], node, path)
    new_groups = _group(new if isinstance(new, list) else [], node, path)
    item_node = node.item()
    for pe in [*old_groups, *(pe for pe in new_groups if pe not in old_groups)]:
        olds, news = old_groups.get(pe, []), new_groups.get(pe, [])
        item_path = (*path, pe)
        if len(olds) > 1 or len(news) > 1:
            # duplicated items cannot be told apart; the group is compared as a whole
            if not olds:
                res.added.add(item_path)
            elif not news:
                res.removed.add(item_path)
            elif not json_equal(olds, news):
                res.modified.add(item_path)
        else:
            _compare(olds[0] if olds else MISSING, news[0] if news else MISSING, item_node, item_path, res)


def schema_at(schema: SchemaNode, path: Path) -> tuple[SchemaNode, bool]:
    """The schema node at `path` and whether its last element is a declared struct field."""
    node, named = schema, False
    for pe in path:
        if pe.startswith("f:"):
            name = pe[2:]
            named = name in node.fields
            node = node.child(name)
        else:
            named = False
            node = node.item()
    return node, named


# ---- FieldsV1 of a new object in one pass -------------------------------------------------

ExcludeTrie = dict[str, tuple[bool, "ExcludeTrie"]]
"""Paths to leave out of `created_fields_v1`: per element, (whether the path itself is left out,
the trie below it)."""


def exclude_trie(paths: Iterable[Path]) -> ExcludeTrie:
    """The `ExcludeTrie` of a set of paths (only the paths themselves, not what is under them)."""
    root: ExcludeTrie = {}
    for path in paths:
        node = root
        for i, pe in enumerate(path):
            excluded, below = node.get(pe, (False, {}))
            node[pe] = (excluded or i == len(path) - 1, below)
            node = below
    return root


def created_fields_v1(value: dict[str, Any], schema: SchemaNode, exclude: ExcludeTrie) -> dict[str, Any]:
    """`encode_fields_v1(compare({}, value, schema).added - excluded)`, built in one walk: the
    FieldsV1 a manager gets for creating `value`. Raises FieldPathError as `compare` does."""
    if not isinstance(value, dict):
        return {}  # compare({}, value) reports nothing for a value that is not an object
    try:
        return _created(value, schema, False, exclude, _SUBTREES) or {}
    except FieldPathError:
        compare({}, value, schema)  # raises the error with its path
        raise


def _created(
    value: Any, node: SchemaNode, member: bool, exclude: ExcludeTrie, memo: SubtreeMemo | None = None
) -> dict[str, Any] | None:
    # `value` at a path that is a member unless excluded; None: nothing to record here; `memo`
    # (top level only) answers for whole members seen before
    out: dict[str, Any] = {".": {}} if member else {}
    if isinstance(value, dict):
        if not value or node.map_type == "atomic":
            return {} if member else None
        fields, values = node.fields, node.values
        for name, pe in _field_pes(value):
            if name in fields:
                child_node = fields[name]
            else:
                child_node = values if values is not None else UNKNOWN
            sub = exclude.get(pe)
            if sub is None:
                child_value = value[name]
                if memo is not None and type(child_value) is dict:
                    out[pe] = memo.new_member(child_value, child_node)
                else:
                    out[pe] = _new_member(child_value, child_node)
            else:
                child = _created(value[name], child_node, not sub[0], sub[1])
                if child is not None:
                    out[pe] = child
    elif isinstance(value, list):
        if not value or (node.list_type != "set" and node.list_type != "map"):
            return {} if member else None
        groups = _group(value, node, ())
        item_node = node.item()
        for pe in sorted(groups, key=pe_order):
            items = groups[pe]
            sub = exclude.get(pe)
            if len(items) > 1:
                if sub is None or not sub[0]:
                    out[pe] = {}
            elif sub is None:
                out[pe] = _new_member(items[0], item_node)
            else:
                child = _created(items[0], item_node, not sub[0], sub[1])
                if child is not None:
                    out[pe] = child
    else:
        return {} if member else None
    return out if out else None


class SubtreeMemo:
    """`_new_member` of whole subtrees, remembered by their JSON: Pods stamped from one template
    share their spec byte for byte, and walking it was a fifth of the API server's time per create.
    Answers are shared between objects, so, like every stored FieldsV1 trie, never modified."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._known: dict[bytes, tuple[SchemaNode, dict[str, Any]]] = {}

    def new_member(self, value: dict[str, Any], node: SchemaNode) -> dict[str, Any]:
        try:
            key = orjson.dumps(value)
        except TypeError:  # not representable by orjson (a lone surrogate, a huge integer)
            return _new_member(value, node)
        known = self._known.get(key)
        if known is not None and known[0] is node:
            return known[1]
        fields = _new_member(value, node)
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[key] = (node, fields)
        return fields


_SUBTREES = SubtreeMemo(256)

_FIELD_PES: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}


def _field_pes(value: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(name, "f:" + name) for the keys of `value`, in name order; remembered per key tuple, as
    objects of a kind share their keys."""
    names = tuple(value)
    known = _FIELD_PES.get(names)
    if known is None:
        if len(_FIELD_PES) > 4096:
            _FIELD_PES.clear()
        known = _FIELD_PES[names] = tuple((name, "f:" + name) for name in sorted(names))
    return known


def _new_member(value: Any, node: SchemaNode) -> dict[str, Any]:
    # `_created` for a member with nothing excluded at or below it
    if isinstance(value, dict):
        return _new_map(value, node) if value and node.map_type != "atomic" else {}
    if isinstance(value, list):
        return _new_list(value, node) if value and node.list_type in ("set", "map") else {}
    return {}


def _new_map(value: dict[str, Any], node: SchemaNode) -> dict[str, Any]:
    # `_new_member` of a non-empty granular map
    out: dict[str, Any] = {".": {}}
    fields, values = node.fields, node.values
    for name, pe in _field_pes(value):
        child = value[name]
        if type(child) in _SCALAR_TYPES or not child:
            out[pe] = {}
            continue
        if name in fields:
            child_node = fields[name]
        else:
            child_node = values if values is not None else UNKNOWN
        if type(child) is dict:
            out[pe] = _new_map(child, child_node) if child_node.map_type != "atomic" else {}
        elif type(child) is list:
            out[pe] = _new_list(child, child_node) if child_node.list_type in ("set", "map") else {}
        else:
            out[pe] = _new_member(child, child_node)
    return out


def _new_list(value: list[Any], node: SchemaNode) -> dict[str, Any]:
    # `_new_member` of a non-empty set or map list
    groups = _group(value, node, ())
    item_node = node.item()
    out: dict[str, Any] = {".": {}}
    for pe in _sorted_pes(groups) if len(groups) > 1 else groups:
        items = groups[pe]
        item = items[0]
        if len(items) > 1 or type(item) in _SCALAR_TYPES or not item:
            out[pe] = {}
        elif type(item) is dict:
            out[pe] = _new_map(item, item_node) if item_node.map_type != "atomic" else {}
        else:
            out[pe] = _new_member(item, item_node)
    return out
