"""The apply engine's fast paths give exactly what the general algorithms give.

The reference functions below are the straightforward algorithms the fast paths replaced
(`compare` walking both values whole, FieldsV1 encoded from path sets, canonical JSON by
`json.dumps`). Each fast path is checked against them on examples and on generated values.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kruise.apiserver.apply import fieldset as fs
from kruise.apiserver.apply import managed as mg
from kruise.apiserver.apply import track_update
from kruise.apiserver.apply.fieldset import (
    MISSING,
    FieldPathError,
    canonical_json,
    check_fields_v1,
    compare,
    created_fields_v1,
    decode_fields_v1,
    encode_fields_v1,
    exclude_trie,
    item_pe,
    key_pe,
    pe_order,
    trie_has,
    trie_with,
    trie_without,
    value_pe,
)
from kruise.apiserver.builtin_types import schema_for_builtin
from kruise.apiserver.defaults import apply_builtin_defaults
from kruise.apiserver.typemeta import SchemaNode as S

PORT = S(fields={"containerPort": S(), "protocol": S(), "name": S()})
CONTAINER = S(
    fields={
        "name": S(),
        "image": S(),
        "args": S(list_type="atomic", items=S()),
        "ports": S(list_type="map", list_map_keys=("containerPort", "protocol"), items=PORT),
        "resources": S(fields={"limits": S(values=S())}),
    }
)
META = S(
    fields={
        "name": S(),
        "namespace": S(),
        "labels": S(values=S()),
        "finalizers": S(list_type="set", items=S()),
    }
)
SCHEMA = S(
    fields={
        "apiVersion": S(),
        "kind": S(),
        "metadata": META,
        "spec": S(
            fields={
                "replicas": S(),
                "selector": S(map_type="atomic"),
                "containers": S(list_type="map", list_map_keys=("name",), items=CONTAINER),
                "tags": S(list_type="set", items=S()),
                "unkeyed": S(list_type="map", items=S()),
                "payload": S(untyped=True),
            }
        ),
    }
)
POD_SCHEMA = schema_for_builtin("", "Pod")
STRIPPED = mg._STRIPPED
NOW = "2024-05-01T10:00:00Z"


# ---- reference algorithms ------------------------------------------------------------------


def ref_canonical_json(value: Any) -> str:
    text = json.dumps(fs._normalize(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(raw, escaped)
    return text.replace("\u2029", "\\u2029")


def ref_item_pe(item: Any, node: S) -> str:
    if node.list_type == "map" and node.list_map_keys:
        if not isinstance(item, dict):
            what = "a null element" if item is None else "non-map elements"
            raise FieldPathError(f"associative list with keys may not have {what}")
        key = {}
        for name in node.list_map_keys:
            if name in item:
                key[name] = item[name]
            elif name in fs._KEY_DEFAULTS:
                key[name] = fs._KEY_DEFAULTS[name]
            else:
                raise FieldPathError(
                    f'associative list with keys has an element that omits key field "{name}"'
                    " (and doesn't have default value)"
                )
        return "k:" + ref_canonical_json(key)
    if isinstance(item, dict):
        raise FieldPathError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise FieldPathError("not supported: associative list with lists as elements")
    if item is None:
        raise FieldPathError("associative list without keys has an element that's an explicit null")
    return "v:" + ref_canonical_json(item)


def ref_group(items: list[Any], node: S, path: tuple[str, ...]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for i, item in enumerate(items):
        try:
            pe = ref_item_pe(item, node)
        except FieldPathError as e:
            raise FieldPathError(f"{fs.path_string(path)}: element {i}: {e}") from None
        groups.setdefault(pe, []).append(item)
    return groups


def ref_compare(old: Any, new: Any, schema: S) -> tuple[set, set, set]:
    """(added, removed, modified), walking both values whole."""
    added: set = set()
    removed: set = set()
    modified: set = set()

    def walk(old: Any, new: Any, node: S, path: tuple[str, ...]) -> None:
        def empty(v: Any) -> bool:
            return v is MISSING or v is None or v == {} or v == []

        def absent(v: Any) -> bool:
            return v is MISSING or v is None

        granular = False
        if empty(old) and empty(new):
            pass
        elif (absent(old) or fs.is_granular_map(node, old)) and (
            absent(new) or fs.is_granular_map(node, new)
        ):
            granular = True
            old_map = old if isinstance(old, dict) else {}
            new_map = new if isinstance(new, dict) else {}
            for name, child in old_map.items():
                walk(child, new_map.get(name, MISSING), node.child(name), (*path, "f:" + name))
            for name, child in new_map.items():
                if name not in old_map:
                    walk(MISSING, child, node.child(name), (*path, "f:" + name))
        elif (absent(old) or fs.is_granular_list(node, old)) and (
            absent(new) or fs.is_granular_list(node, new)
        ):
            granular = True
            olds = ref_group(old if isinstance(old, list) else [], node, path)
            news = ref_group(new if isinstance(new, list) else [], node, path)
            for pe in [*olds, *(pe for pe in news if pe not in olds)]:
                o, n = olds.get(pe, []), news.get(pe, [])
                item_path = (*path, pe)
                if len(o) > 1 or len(n) > 1:
                    if not o:
                        added.add(item_path)
                    elif not n:
                        removed.add(item_path)
                    elif not fs.json_equal(o, n):
                        modified.add(item_path)
                else:
                    walk(o[0] if o else MISSING, n[0] if n else MISSING, node.item(), item_path)
        if not path:
            return
        if old is MISSING:
            if new is not MISSING:
                added.add(path)
        elif new is MISSING:
            removed.add(path)
        elif not granular and not fs.json_equal(old, new):
            modified.add(path)

    walk(old, new, schema, ())
    return added, removed, modified


def ref_encode(paths: set) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for pe in path:
            node = node.setdefault(pe, {})
        node["."] = {}

    def emit(node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for pe in sorted((k for k in node if k != "."), key=pe_order):
            child = node[pe]
            children = {k: v for k, v in child.items() if k != "."}
            if "." in child and not children:
                out[pe] = {}
            elif "." in child:
                out[pe] = {".": {}, **emit(children)}
            else:
                out[pe] = emit(children)
        return out

    return emit(root)


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    """("ok", result as JSON text, key order included) or ("error", message)."""
    try:
        return "ok", json.dumps(fn(*args))
    except FieldPathError as e:
        return "error", str(e)


def ref_created(obj: dict[str, Any], schema: S) -> dict[str, Any]:
    return ref_encode(ref_compare({}, obj, schema)[0] - STRIPPED)


# ---- generated values ----------------------------------------------------------------------

_names = st.sampled_from(["a", "b", "name", "x<y", "é", "E0", "\u2028"])
_scalars = st.one_of(
    st.sampled_from([0, 1, 80, 1.0, 80.0, 2.5, 1e-7, 1e22, True, False, None, "", "a", "TCP", "x&y", 2**70]),
    st.integers(-(2**40), 2**40),
    st.text(max_size=4),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=3),
    max_leaves=6,
)
_key_values = st.sampled_from(["a", "b", "app", 80, 443, 80.0, True, 1, "TCP", "UDP", None])


def values(node: S, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for `node`: mostly well-formed, sometimes odd (nulls, empties, duplicates, list
    items without their keys, values of the wrong kind)."""
    odd = st.sampled_from([None, {}, []]) | _scalars
    if depth > 4:
        return odd
    if node.list_type in ("set", "map"):
        if node.list_type == "map" and node.list_map_keys:
            item = st.builds(
                lambda body, keys: {**body, **keys},
                values(node.item(), depth + 1).filter(lambda v: isinstance(v, dict)) | st.just({}),
                st.fixed_dictionaries({}, optional={k: _key_values for k in node.list_map_keys}),
            )
        else:
            item = st.sampled_from(["a", "b", 1, 1.0, True, 2.5, "x<"])
        items = st.lists(st.one_of(item, item, item, item, item, item, item, item, odd | _json), max_size=4)
        return st.one_of(items, items, items, odd)
    if node.fields:
        body = st.fixed_dictionaries(
            {}, optional={name: values(child, depth + 1) for name, child in node.fields.items()}
        )
        extra = st.dictionaries(_names, _json, max_size=1)
        return st.one_of(st.builds(lambda b, e: {**e, **b}, body, extra), odd)
    if node.values is not None:
        return st.dictionaries(_names, values(node.values, depth + 1), max_size=3) | odd
    return _json


def objects(schema: S) -> st.SearchStrategy[dict[str, Any]]:
    return values(schema).filter(lambda v: isinstance(v, dict))


_FAST = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def bench_pod() -> dict[str, Any]:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns", "labels": {"app": "x"}, "annotations": {"a": "b" * 100}},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.25",
                    "ports": [{"containerPort": 80}],
                    "env": [{"name": f"E{i}", "value": "v"} for i in range(8)],
                    "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1"}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
                },
                {"name": "side", "image": "busybox", "command": ["sh", "-c", "sleep 1d"]},
            ]
        },
    }
    apply_builtin_defaults("", "pods", pod)
    return pod


def _pod_variants() -> list[dict[str, Any]]:
    pod = bench_pod()
    dup_env = copy.deepcopy(pod)
    dup_env["spec"]["containers"][0]["env"].append({"name": "E0", "value": "again"})
    keyless = copy.deepcopy(pod)
    keyless["spec"]["containers"][0]["env"].append({"value": "no name"})
    null_item = copy.deepcopy(pod)
    null_item["spec"]["containers"].append(None)
    weird_meta = copy.deepcopy(pod)
    weird_meta["metadata"].update(name={"nested": 1}, generation=3, managedFields=[{"manager": "x"}])
    weird_meta["apiVersion"] = {"v": [1]}
    empties = {"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {"containers": [], "volumes": None}}
    return [pod, dup_env, keyless, null_item, weird_meta, empties, {}, {"metadata": None}]


# ---- creates -------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", _pod_variants())
def test_created_fields_v1_matches_the_general_path_on_pods(obj: dict[str, Any]) -> None:
    expected = outcome(ref_created, mg._without_managed_fields(obj), POD_SCHEMA)
    fast = outcome(created_fields_v1, mg._without_managed_fields(obj), POD_SCHEMA, mg._STRIPPED_TRIE)
    assert fast == expected


@pytest.mark.parametrize("obj", _pod_variants())
def test_track_update_create_matches_the_general_path_on_pods(obj: dict[str, Any]) -> None:
    assert track_update(None, obj, POD_SCHEMA, manager="m", now=NOW, api_version="v1") == general_create(
        obj, POD_SCHEMA
    )


def general_create(obj: dict[str, Any], schema: S, manager: str = "m") -> list[dict[str, Any]]:
    """`track_update(None, obj)` by the general Update path, with the reference compare."""
    try:
        fields = ref_compare({}, mg._without_managed_fields(obj), schema)[0] - STRIPPED
    except FieldPathError:
        return []
    if not fields:
        return []
    doc = {
        "manager": manager,
        "operation": "Update",
        "apiVersion": "v1",
        "time": NOW,
        "fieldsType": "FieldsV1",
    }
    return [{**doc, "fieldsV1": ref_encode(fields)}]


@_FAST
@given(objects(SCHEMA))
def test_created_fields_v1_matches_the_general_path(obj: dict[str, Any]) -> None:
    expected = outcome(ref_created, obj, SCHEMA)
    assert outcome(created_fields_v1, obj, SCHEMA, mg._STRIPPED_TRIE) == expected
    if not isinstance(obj.get("metadata", {}), dict):
        return  # track_update needs metadata to be an object
    result = track_update(None, obj, SCHEMA, manager="m", now=NOW, api_version="v1")
    assert json.dumps(result) == json.dumps(general_create(obj, SCHEMA))


def test_a_repeated_subtree_is_answered_from_the_memo_only_under_the_same_schema() -> None:
    memo = fs.SubtreeMemo(2)
    pod_schema = schema_for_builtin("", "Pod")
    spec = {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]}
    first = memo.new_member(spec, pod_schema.child("spec"))
    assert memo.new_member(copy.deepcopy(spec), pod_schema.child("spec")) is first
    assert first == ref_created({"spec": spec}, pod_schema)["f:spec"]
    # the same JSON under an untyped node: containers is an atomic list there
    assert memo.new_member(spec, fs.UNKNOWN) == {".": {}, "f:containers": {}}
    # more distinct subtrees than the memo holds: it starts over rather than grow
    for image in ("a", "b", "c"):
        memo.new_member({"image": image}, fs.UNKNOWN)
    assert len(memo._known) <= 2


@_FAST
@given(
    objects(SCHEMA),
    st.sets(
        st.lists(
            st.sampled_from(
                ["f:spec", "f:containers", "f:metadata", "f:tags", 'k:{"name":"a"}', 'v:"a"', "f:name", "f:a"]
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
        max_size=5,
    ),
)
def test_created_fields_v1_leaves_out_what_it_is_told(obj: dict[str, Any], exclude: set) -> None:
    def expected(obj: dict[str, Any]) -> dict[str, Any]:
        return ref_encode(ref_compare({}, obj, SCHEMA)[0] - exclude)

    assert outcome(created_fields_v1, obj, SCHEMA, exclude_trie(exclude)) == outcome(expected, obj)


def test_created_fields_v1_of_a_value_that_is_not_an_object() -> None:
    for value in (None, [], [1], "x", 3):
        assert created_fields_v1(value, SCHEMA, {}) == ref_encode(ref_compare({}, value, SCHEMA)[0]) == {}


# ---- compare -------------------------------------------------------------------------------


def _cmp(old: Any, new: Any, schema: S) -> tuple[set, set, set]:
    res = compare(old, new, schema)
    return res.added, res.removed, res.modified


def _retype(value: Any) -> Any:
    """`value` with true as 1, and whole numbers as floats: equal in Python, not in JSON."""
    if value is True:
        return 1
    if type(value) is int:
        return float(value) if abs(value) < 2**53 else value
    if isinstance(value, dict):
        return {k: _retype(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_retype(v) for v in value]
    return value


@st.composite
def pairs(draw: st.DrawFn, schema: S) -> tuple[dict[str, Any], dict[str, Any]]:
    old = draw(objects(schema))
    how = draw(st.sampled_from(["copy", "change", "other", "reorder", "retype"]))
    new = copy.deepcopy(old)
    if how == "change" and new:
        name = draw(st.sampled_from(sorted(new)))
        sub = new[name]
        if isinstance(sub, dict) and sub and draw(st.booleans()):
            inner = draw(st.sampled_from(sorted(sub)))
            sub[inner] = draw(values(schema.child(name).child(inner), 2))
        else:
            new[name] = draw(values(schema.child(name), 1))
    elif how == "other":
        new = draw(objects(schema))
    elif how == "reorder":
        new = dict(reversed(list(new.items())))
    elif how == "retype":
        new = _retype(new)
    return old, new


@_FAST
@given(pairs(SCHEMA))
def test_compare_matches_the_full_walk(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    old, new = pair
    assert outcome(lambda: [sorted(s) for s in _cmp(old, new, SCHEMA)]) == outcome(
        lambda: [sorted(s) for s in ref_compare(old, new, SCHEMA)]
    )
    assert outcome(lambda: [sorted(s) for s in _cmp(new, old, SCHEMA)]) == outcome(
        lambda: [sorted(s) for s in ref_compare(new, old, SCHEMA)]
    )


@pytest.mark.parametrize("obj", _pod_variants())
def test_compare_matches_the_full_walk_on_pods(obj: dict[str, Any]) -> None:
    changed = copy.deepcopy(obj)
    if changed.get("spec", {}).get("containers"):
        changed["spec"]["containers"][0] = {**changed["spec"]["containers"][0], "image": "other"}
    for old, new in ((obj, copy.deepcopy(obj)), (obj, changed), (changed, obj), ({}, obj), (obj, {})):
        assert outcome(lambda: [sorted(s) for s in _cmp(old, new, POD_SCHEMA)]) == outcome(  # noqa: B023
            lambda: [sorted(s) for s in ref_compare(old, new, POD_SCHEMA)]  # noqa: B023
        )


def test_equal_values_still_report_bad_list_items_in_walk_order() -> None:
    old = {"spec": {"containers": [{"image": "x"}], "tags": [None]}, "metadata": {"finalizers": [{}]}}
    new = dict(reversed(list(copy.deepcopy(old).items())))
    with pytest.raises(FieldPathError) as fast:
        compare(old, new, SCHEMA)
    with pytest.raises(FieldPathError) as ref:
        ref_compare(old, new, SCHEMA)
    assert str(fast.value) == str(ref.value)


def test_a_boolean_is_not_a_number_in_equal_looking_values() -> None:
    old = {"spec": {"selector": {"a": True}, "payload": [1, {"b": 0}]}}
    new = {"spec": {"selector": {"a": 1}, "payload": [True, {"b": False}]}}
    assert old == new  # as Python sees them
    assert _cmp(old, new, SCHEMA) == ref_compare(old, new, SCHEMA)
    assert _cmp(old, new, SCHEMA)[2] == {("f:spec", "f:selector"), ("f:spec", "f:payload")}


# ---- canonical FieldsV1 tries --------------------------------------------------------------

_elements = st.one_of(
    st.sampled_from(["f:a", "f:b", "f:spec", "f:é", "f:"]),
    st.dictionaries(st.sampled_from(["name", "port"]), _scalars, min_size=1, max_size=2).map(key_pe),
    _scalars.map(value_pe),
    st.integers(0, 12).map(lambda i: f"i:{i}"),
)
_path_sets = st.sets(st.lists(_elements, min_size=1, max_size=4).map(tuple), max_size=12)


def _perturb(trie: dict[str, Any], how: int) -> dict[str, Any]:
    """A variant of a FieldsV1 trie that may not be canonical, or valid."""
    if how == 0 or not trie:
        return trie
    if how == 1:
        return dict(reversed(list(trie.items())))
    if how == 2:
        return {".": {}, **trie}
    if how == 3:
        first = next(iter(trie))
        return {**trie, first: {".": {}}} if trie[first] == {} else {**trie, first: {**trie[first], ".": {}}}
    if how == 4:
        return {**trie, 'k:{"port":1.0,"name":"a"}': {}}
    if how == 5:
        return {**trie, "i:01": {"f:x": {}}}
    if how == 6:
        first = next(iter(trie))
        return {**trie, first: {"f:z": {}, ".": {}}}
    if how == 7:
        return {**trie, "f:bad": {".": {"x": {}}}}
    if how == 8:
        return {**trie, "f:bad": []}
    return {**trie, "q:what": {}}


@given(_path_sets, st.integers(0, 9))
def test_check_fields_v1_tells_canonical_tries(paths: set, how: int) -> None:
    trie = _perturb(encode_fields_v1(paths), how)
    try:
        decoded = decode_fields_v1(trie)
    except ValueError:
        with pytest.raises(ValueError):
            check_fields_v1(trie)
        return
    round_trip = json.dumps(encode_fields_v1(decoded)) == json.dumps(trie)
    assert check_fields_v1(trie) == round_trip
    if how == 0:
        assert round_trip


@given(_path_sets, _path_sets)
def test_trie_operations_match_set_operations(paths: set, other: set) -> None:
    trie = encode_fields_v1(paths)
    before = json.dumps(trie)
    assert all(trie_has(trie, p) for p in paths)
    assert not any(trie_has(trie, p) for p in other - paths)
    assert json.dumps(trie_without(trie, other & paths)) == json.dumps(encode_fields_v1(paths - other))
    assert json.dumps(trie_with(trie, other)) == json.dumps(encode_fields_v1(paths | other))
    assert json.dumps(trie) == before, "tries are never modified"


@given(_path_sets, _path_sets, st.integers(0, 1))
def test_entries_held_as_tries_behave_as_sets(paths: set, other: set, how: int) -> None:
    mid = mg.ManagerId("m", "Update", "v1", "")
    trie = _perturb(encode_fields_v1(paths), how)
    entry = (
        mg._Entry(mid, "v1", None, raw=trie)
        if check_fields_v1(trie)
        else mg._Entry(mid, "v1", None, set(paths))
    )
    plain = mg._Entry(mid, "v1", None, set(paths))
    assert entry.owned(other) == plain.owned(other) == paths & other
    entry.disown(other)
    plain.disown(other)
    assert entry.has_fields() == plain.has_fields()
    assert json.dumps(entry.fields_v1()) == json.dumps(plain.fields_v1())
    entry.own(other)
    plain.own(other)
    assert (
        json.dumps(entry.fields_v1())
        == json.dumps(plain.fields_v1())
        == json.dumps(encode_fields_v1(paths | other))
    )
    assert entry.fields == plain.fields == paths | other


# ---- updates -------------------------------------------------------------------------------


@_FAST
@given(pairs(SCHEMA), st.sampled_from(["m", "other"]), st.booleans())
def test_updates_do_not_depend_on_how_managed_fields_are_held(
    pair: tuple[dict[str, Any], dict[str, Any]], manager: str, echo: bool
) -> None:
    """A stored canonical FieldsV1 is worked on as a trie, any other as a set: same result.
    `echo`: the write sends the stored managedFields back, as clients do."""
    old, new = pair
    if not isinstance(old.get("metadata", {}), dict) or not isinstance(new.get("metadata", {}), dict):
        return  # track_update needs metadata to be an object
    stored = copy.deepcopy(old)
    managed = track_update(None, stored, SCHEMA, manager="m", now=NOW, api_version="v1")
    if not managed:
        return
    stored.setdefault("metadata", {})["managedFields"] = managed
    shuffled = copy.deepcopy(stored)
    for entry in shuffled["metadata"]["managedFields"]:
        entry["fieldsV1"] = dict(reversed(list(entry["fieldsV1"].items())))
    kw: dict[str, Any] = {"manager": manager, "now": "2024-05-01T10:00:05Z", "api_version": "v1"}
    results = []
    for base in (stored, shuffled):
        written = copy.deepcopy(new)
        if echo:
            sent = copy.deepcopy(base["metadata"]["managedFields"])
            written.setdefault("metadata", {})["managedFields"] = sent
        snapshot = copy.deepcopy((base, written))
        results.append(json.dumps(track_update(base, written, SCHEMA, **kw)))
        assert (base, written) == snapshot, "inputs are not modified"
    assert results[0] == results[1]


def test_a_pod_update_as_trie_and_as_set() -> None:
    pod = bench_pod()
    stored = copy.deepcopy(pod)
    stored["metadata"]["managedFields"] = track_update(
        None, pod, POD_SCHEMA, manager="a", now=NOW, api_version="v1"
    )
    shuffled = copy.deepcopy(stored)
    fields = shuffled["metadata"]["managedFields"][0]["fieldsV1"]
    shuffled["metadata"]["managedFields"][0]["fieldsV1"] = dict(reversed(list(fields.items())))
    updated = copy.deepcopy(stored)
    updated["spec"]["containers"][0]["image"] = "nginx:2"
    updated["metadata"]["labels"]["new"] = "yes"
    del updated["spec"]["containers"][1]
    for manager in ("a", "b"):
        kw: dict[str, Any] = {"manager": manager, "now": "2024-05-01T10:00:05Z", "api_version": "v1"}
        snapshot = copy.deepcopy((stored, updated))
        result = track_update(stored, updated, POD_SCHEMA, **kw)
        assert (stored, updated) == snapshot
        assert json.dumps(result) == json.dumps(track_update(shuffled, updated, POD_SCHEMA, **kw))
        by_manager = {e["manager"]: e for e in result}
        image = ("f:spec", "f:containers", 'k:{"name":"app"}', "f:image")
        assert image in decode_fields_v1(by_manager[manager]["fieldsV1"])
        assert not any(
            p[:3] == (*image[:2], 'k:{"name":"side"}')
            for e in result
            for p in decode_fields_v1(e["fieldsV1"])
        )


# ---- path elements -------------------------------------------------------------------------


@given(st.one_of(_scalars, st.dictionaries(st.text(max_size=3), _scalars, max_size=3), _json))
def test_canonical_json_matches_json_dumps(value: Any) -> None:
    assert canonical_json(value) == ref_canonical_json(value)


@pytest.mark.parametrize(
    "value",
    [
        "\ud800",
        {"a": "\udfff"},
        2**64,
        {"n": -(2**63) - 1},
        "<&>\u2028\u2029",
        {"b": 1, "a": "é"},
        1e-7,
        {"x": 2.0},
    ],
)
def test_canonical_json_edge_cases(value: Any) -> None:
    assert canonical_json(value) == ref_canonical_json(value)


@given(
    st.lists(
        st.fixed_dictionaries(
            {}, optional={"containerPort": _key_values, "protocol": _key_values, "x": _json}
        ),
        max_size=6,
    ),
    st.lists(st.fixed_dictionaries({}, optional={"name": _key_values | _json}), max_size=6),
)
def test_item_pe_matches_the_reference(ports: list[dict[str, Any]], named: list[dict[str, Any]]) -> None:
    for items, node in ((ports, CONTAINER.child("ports")), (named, SCHEMA.child("spec").child("containers"))):
        for item in items:  # in turn, so that True, 1 and 1.0 meet in the memo
            assert outcome(item_pe, item, node) == outcome(ref_item_pe, item, node)


def test_an_identity_memo_answers_for_the_same_object_only() -> None:
    memo = fs.IdentityMemo(2)
    trie = {"f:spec": {}}
    memo.put(trie, True)
    assert memo.get(trie) is True
    assert memo.get({"f:spec": {}}) is None  # equal, but another object: never assumed
    for i in range(3):
        memo.put({"f:x": {str(i): {}}}, False)
    assert len(memo._known) <= 2  # bounded: it starts over rather than grow


def test_a_status_write_keeps_the_other_managers_tries_as_they_are() -> None:
    schema = schema_for_builtin("", "Pod")
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
    pod["metadata"]["managedFields"] = track_update(
        None, pod, schema, manager="creator", now=NOW, api_version="v1"
    )
    created_trie = pod["metadata"]["managedFields"][0]["fieldsV1"]
    assert fs.check_fields_v1(created_trie) is True
    updated = {**pod, "status": {"phase": "Running"}}
    managed = track_update(
        pod, updated, schema, manager="node", now=NOW, api_version="v1", subresource="status"
    )
    assert [e["manager"] for e in managed] == ["creator", "node"]
    assert managed[0]["fieldsV1"] is created_trie  # shared (tries are never modified), not copied
    assert managed[1]["fieldsV1"] == {"f:status": {".": {}, "f:phase": {}}}


def test_the_tries_a_write_stores_are_known_canonical_at_the_next_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = schema_for_builtin("", "Pod")
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
    pod["metadata"]["managedFields"] = track_update(
        None, pod, schema, manager="creator", now=NOW, api_version="v1"
    )
    # from here no trie this module built is walked again to learn it is canonical
    monkeypatch.setattr(fs, "_check", lambda *_a: pytest.fail("a stored trie was walked again"))
    updated = {**pod, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    managed = track_update(
        pod, updated, schema, manager="node", now=NOW, api_version="v1", subresource="status"
    )
    assert [fs.check_fields_v1(e["fieldsV1"]) for e in managed] == [True, True]
    # a trie that came from a client is still checked
    monkeypatch.undo()
    foreign = {"f:status": {"f:phase": {}, ".": {}}}  # "." not first: valid, not canonical
    assert fs.check_fields_v1(foreign) is False
