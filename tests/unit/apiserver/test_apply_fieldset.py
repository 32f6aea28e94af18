"""Field sets: FieldsV1 encoding, kube's path printing, sets from values, comparisons."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kruise.apiserver.apply.fieldset import (
    FieldPathError,
    compare,
    decode_fields_v1,
    encode_fields_v1,
    field_set,
    item_pe,
    key_pe,
    ordered_paths,
    path_string,
    value_pe,
)
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
            }
        ),
    }
)
APP = 'k:{"name":"app"}'


# ---- FieldsV1 ---------------------------------------------------------------------------


def test_encode_orders_members_first_and_fields_before_keys_and_values() -> None:
    paths = {
        ("f:metadata", "f:labels", "f:b"),
        ("f:metadata", "f:labels", "f:a"),
        ("f:metadata", "f:labels"),
        ("f:metadata", "f:finalizers", 'v:"z"'),
        ("f:metadata", "f:finalizers", 'v:"a"'),
        ("f:spec", "f:containers", APP),
        ("f:spec", "f:containers", APP, "f:image"),
        ("f:spec", "f:containers", 'k:{"name":"abc"}'),
        ("f:spec", "f:replicas"),
    }
    encoded = json.dumps(encode_fields_v1(paths), separators=(",", ":"))
    assert encoded == (
        '{"f:metadata":{"f:finalizers":{"v:\\"a\\"":{},"v:\\"z\\"":{}},"f:labels":{".":{},"f:a":{},"f:b":{}}},'
        '"f:spec":{"f:containers":{"k:{\\"name\\":\\"abc\\"}":{},"k:{\\"name\\":\\"app\\"}":{".":{},"f:image":{}}},'
        '"f:replicas":{}}}'
    )


def test_decode_kube_managed_fields() -> None:
    fields = {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:template": {
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"nginx"}': {
                            ".": {},
                            "f:ports": {
                                'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}
                            },
                        }
                    }
                }
            }
        },
    }
    nginx = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"nginx"}')
    port = (*nginx, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')
    assert decode_fields_v1(fields) == {
        ("f:metadata", "f:labels"),
        ("f:metadata", "f:labels", "f:app"),
        nginx,
        port,
        (*port, "f:containerPort"),
    }


def test_decode_canonicalises_foreign_json_spelling() -> None:
    assert decode_fields_v1({'k:{ "protocol": "TCP", "containerPort": 80.0 }': {}}) == {
        ('k:{"containerPort":80,"protocol":"TCP"}',)
    }


@pytest.mark.parametrize(
    "fields",
    [[], {"f:a": []}, {"x:a": {}}, {"k:[1]": {}}, {"f:a": {".": {"f:b": {}}}}, {"v:{": {}}],
)
def test_decode_rejects_malformed(fields: object) -> None:
    with pytest.raises(ValueError):
        decode_fields_v1(fields)


_names = st.text(min_size=1, max_size=6)
_scalars = st.one_of(
    st.integers(-(2**40), 2**40),
    st.text(max_size=6),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_elements = st.one_of(
    _names.map(lambda n: "f:" + n),
    st.dictionaries(_names, _scalars, min_size=1, max_size=3).map(key_pe),
    _scalars.map(value_pe),
    st.integers(0, 50).map(lambda i: f"i:{i}"),
)
_path_sets = st.sets(st.lists(_elements, min_size=1, max_size=4).map(tuple), max_size=12)


@given(_path_sets)
def test_fields_v1_round_trip(paths: set[tuple[str, ...]]) -> None:
    encoded = encode_fields_v1(paths)
    assert decode_fields_v1(encoded) == paths
    # the encoding is canonical: it survives a JSON round trip and re-encoding unchanged
    text = json.dumps(encoded)
    assert json.dumps(encode_fields_v1(decode_fields_v1(json.loads(text)))) == text


# ---- printing and ordering --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("f:spec", "f:replicas"), ".spec.replicas"),
        (("f:spec", "f:containers", APP, "f:image"), '.spec.containers[name="app"].image'),
        (("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'), '.ports[containerPort=80,protocol="TCP"]'),
        (("f:metadata", "f:finalizers", 'v:"x"'), '.metadata.finalizers[="x"]'),
        (("f:args", "i:2"), ".args[2]"),
    ],
)
def test_path_string(path: tuple[str, ...], text: str) -> None:
    assert path_string(path) == text


def test_ordered_paths_lists_members_before_children() -> None:
    paths = [
        ("f:spec", "f:template", "f:x"),
        ("f:spec", "f:replicas"),
        ("f:metadata", "f:labels", "f:a"),
        ("f:zeta",),
        ("f:spec",),
    ]
    assert ordered_paths(paths) == [
        ("f:spec",),
        ("f:zeta",),
        ("f:metadata", "f:labels", "f:a"),
        ("f:spec", "f:replicas"),
        ("f:spec", "f:template", "f:x"),
    ]


# ---- sets from values -------------------------------------------------------------------


def test_field_set_of_applied_configuration() -> None:
    config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"app": "web"}, "finalizers": ["a"]},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "containers": [
                {
                    "name": "app",
                    "image": "nginx",
                    "args": ["-v"],
                    "ports": [{"containerPort": 80}],
                    "resources": {},
                }
            ],
        },
    }
    port = ("f:spec", "f:containers", APP, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')
    assert field_set(config, SCHEMA) == {
        ("f:apiVersion",),
        ("f:kind",),
        ("f:metadata", "f:name"),
        ("f:metadata", "f:labels", "f:app"),
        ("f:metadata", "f:finalizers", 'v:"a"'),
        ("f:spec", "f:replicas"),
        ("f:spec", "f:selector"),
        ("f:spec", "f:containers", APP),
        ("f:spec", "f:containers", APP, "f:name"),
        ("f:spec", "f:containers", APP, "f:image"),
        ("f:spec", "f:containers", APP, "f:args"),
        ("f:spec", "f:containers", APP, "f:resources"),  # an empty struct is owned itself
        port,
        (*port, "f:containerPort"),
    }


def test_untyped_maps_own_their_entries_and_lists_are_atomic() -> None:
    value = {"spec": {"a": {"b": 1}, "l": [{"x": 1}]}}
    assert field_set(value, S()) == {
        ("f:spec",),
        ("f:spec", "f:a"),
        ("f:spec", "f:a", "f:b"),
        ("f:spec", "f:l"),
    }


def test_item_pe_errors_and_key_defaults() -> None:
    containers = SCHEMA.fields["spec"].fields["containers"]
    with pytest.raises(FieldPathError, match='omits key field "name"'):
        item_pe({"image": "x"}, containers)
    with pytest.raises(FieldPathError, match="non-map elements"):
        item_pe("x", containers)
    with pytest.raises(FieldPathError, match="map type"):
        item_pe({"a": 1}, S(list_type="set"))
    ports = CONTAINER.fields["ports"]
    assert item_pe({"containerPort": 80}, ports) == 'k:{"containerPort":80,"protocol":"TCP"}'


def test_applied_duplicates_are_rejected_with_kube_message() -> None:
    config = {"spec": {"containers": [{"name": "app"}, {"name": "app"}]}}
    assert field_set(config, SCHEMA)  # stored objects may hold duplicates
    with pytest.raises(FieldPathError) as err:
        field_set(config, SCHEMA, allow_duplicates=False)
    assert str(err.value) == '.spec.containers: duplicate entries for key [name="app"]'


def test_missing_key_error_names_the_list_and_element() -> None:
    with pytest.raises(FieldPathError) as err:
        field_set({"spec": {"containers": [{"name": "a"}, {"image": "x"}]}}, SCHEMA)
    assert str(err.value).startswith(".spec.containers: element 1: associative list with keys")


# ---- comparisons ------------------------------------------------------------------------


def test_compare_reports_added_removed_modified() -> None:
    old = {
        "metadata": {"labels": {"a": "1", "b": "2"}},
        "spec": {"replicas": 1, "containers": [{"name": "app", "image": "x"}, {"name": "old", "image": "o"}]},
    }
    new = {
        "metadata": {"labels": {"a": "1", "c": "3"}, "finalizers": ["f"]},
        "spec": {"replicas": 2, "containers": [{"name": "app", "image": "y"}, {"name": "new", "image": "n"}]},
    }
    cmp = compare(old, new, SCHEMA)
    old_c, new_c = (
        ("f:spec", "f:containers", 'k:{"name":"old"}'),
        ("f:spec", "f:containers", 'k:{"name":"new"}'),
    )
    assert cmp.modified == {("f:spec", "f:replicas"), ("f:spec", "f:containers", APP, "f:image")}
    assert cmp.added == {
        ("f:metadata", "f:labels", "f:c"),
        ("f:metadata", "f:finalizers"),
        ("f:metadata", "f:finalizers", 'v:"f"'),
        new_c,
        (*new_c, "f:name"),
        (*new_c, "f:image"),
    }
    assert cmp.removed == {("f:metadata", "f:labels", "f:b"), old_c, (*old_c, "f:name"), (*old_c, "f:image")}


def test_compare_atomic_values_as_a_whole_and_bool_is_not_int() -> None:
    old = {"spec": {"selector": {"matchLabels": {"a": "1"}}, "replicas": 1}}
    new = {"spec": {"selector": {"matchLabels": {"a": "2"}}, "replicas": True}}
    assert compare(old, new, SCHEMA).modified == {("f:spec", "f:selector"), ("f:spec", "f:replicas")}


def test_compare_empty_and_null_are_leaves() -> None:
    cmp = compare({"spec": {}}, {"spec": None}, SCHEMA)
    assert cmp.modified == {("f:spec",)}
    assert not cmp.added and not cmp.removed
