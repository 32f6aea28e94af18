# ruff: noqa: E501  (exact upstream messages read best unsplit)
"""CRD structural schema: validation messages as kube-apiserver prints them, defaulting, pruning."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kruise.apiserver.errors import invalid_object
from kruise.apiserver.schema import apply_defaults, check_structural, go_float, prune, validate

SPEC = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5, "minLength": 2},
                "replicas": {"type": "integer", "minimum": 0, "maximum": 10, "format": "int32"},
                "ratio": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "multipleOf": 0.5},
                "step": {"type": "integer", "multipleOf": 3},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "level": {"type": "integer", "enum": [1, 2]},
                "paused": {"type": "boolean"},
                "maxUnavailable": {"x-kubernetes-int-or-string": True},
                "when": {"type": "string", "format": "date-time"},
                "nick": {"type": "string", "nullable": True},
                "containers": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 2,
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}, "image": {"type": "string"}},
                    },
                },
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                "ports": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["port", "protocol"],
                    "items": {
                        "type": "object",
                        "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}},
                    },
                },
                "env": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
                "labels": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
                "choice": {"type": "string", "oneOf": [{"pattern": "^a"}, {"pattern": "b$"}]},
                "either": {"type": "string", "anyOf": [{"maxLength": 1}, {"pattern": "^x"}]},
                "notx": {"type": "string", "not": {"pattern": "^x"}},
            },
        }
    },
}


def _spec(**fields: object) -> dict:
    return {"spec": {"name": "ok", **fields}}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"replicas": "string"},
            [
                'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'
            ],
        ),
        (
            {"replicas": -1},
            ["spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"],
        ),
        (
            {"replicas": 11},
            ["spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"],
        ),
        ({"replicas": 3.0}, []),  # whole floats are integers, as in kube-openapi
        (
            {"replicas": 2.5},
            # format int32 is checked first for non-strings, as kube-openapi's type validator does
            [
                'spec.replicas: Invalid value: "float64": spec.replicas in body must be of type int32: "float64"'
            ],
        ),
        (
            {"step": 2.5},
            # the number checks still run after a type error, as upstream
            [
                'spec.step: Invalid value: "number": spec.step in body must be of type integer: "number"',
                "spec.step: Invalid value: 2.5: spec.step in body should be a multiple of 3",
            ],
        ),
        (
            {"replicas": None},
            ['spec.replicas: Invalid value: "null": spec.replicas in body must be of type integer: "null"'],
        ),
        ({"ratio": 0}, ["spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0"]),
        ({"ratio": 0.7}, ["spec.ratio: Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5"]),
        ({"ratio": 1.5}, []),
        ({"step": 4}, ["spec.step: Invalid value: 4: spec.step in body should be a multiple of 3"]),
        ({"mode": "x"}, ['spec.mode: Unsupported value: "x": supported values: "a", "b"']),
        ({"level": 3}, ['spec.level: Unsupported value: 3: supported values: "1", "2"']),
        ({"level": 2.0}, []),
        (
            {"paused": "yes"},
            ['spec.paused: Invalid value: "string": spec.paused in body must be of type boolean: "string"'],
        ),
        ({"maxUnavailable": "25%"}, []),
        ({"maxUnavailable": 1}, []),
        (
            {"maxUnavailable": True},
            [
                'spec.maxUnavailable: Invalid value: "boolean": '
                'spec.maxUnavailable in body must be of type integer,string: "boolean"'
            ],
        ),
        ({"when": "2024-01-02T03:04:05Z"}, []),
        (
            {"when": "yesterday"},
            [
                'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"'
            ],
        ),
        ({"nick": None}, []),
        (
            {"containers": []},
            ["spec.containers: Invalid value: 0: spec.containers in body should have at least 1 items"],
        ),
        (
            {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
            ["spec.containers: Too many: 3: must have at most 2 items"],
        ),
        (
            {"containers": [{"image": "x"}, {"name": 5}]},
            [
                "spec.containers[0].name: Required value",
                'spec.containers[1].name: Invalid value: "integer": '
                'spec.containers[1].name in body must be of type string: "integer"',
            ],
        ),
        (
            {"tags": ["a", "b", "a", "a", "b"]},
            ['spec.tags[2]: Duplicate value: "a"', 'spec.tags[4]: Duplicate value: "b"'],
        ),
        ({"tags": ["1", "2"]}, []),
        (
            {
                "ports": [
                    {"port": 80, "protocol": "TCP"},
                    {"port": 80, "protocol": "UDP"},
                    {"port": 80, "protocol": "TCP"},
                ]
            },
            ['spec.ports[2]: Duplicate value: {"port":80,"protocol":"TCP"}'],
        ),
        ({"env": [{"name": "A"}, {"name": "A"}]}, ['spec.env[1]: Duplicate value: {"name":"A"}']),
        (
            {"env": ["A"]},
            [
                'spec.env[0]: Invalid value: "string": spec.env[0] in body must be of type object: "string"',
                'spec.env[0]: Invalid value: "A": must be an object for an array of list-type map',
            ],
        ),
        ({"labels": {"a": "1", "b": "2"}}, ["spec.labels: Too many: 2: must have at most 1 items"]),
        (
            {"labels": {"a": 1}},
            [
                'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"'
            ],
        ),
        (
            {"choice": "ab"},
            [
                '<nil>: Invalid value: "": "spec.choice" must validate one and only one schema (oneOf). '
                "Found 2 valid alternatives"
            ],
        ),
        (
            {"choice": "zz"},
            [
                '<nil>: Invalid value: "": "spec.choice" must validate one and only one schema (oneOf). Found none valid',
                "spec.choice: Invalid value: \"zz\": spec.choice in body should match '^a'",
            ],
        ),
        ({"either": "xyz"}, []),
        (
            {"either": "abc"},
            [
                '<nil>: Invalid value: "": "spec.either" must validate at least one schema (anyOf)',
                "spec.either: Too long: may not be longer than 1",
            ],
        ),
        ({"notx": "xa"}, ['<nil>: Invalid value: "": "spec.notx" must not validate the schema (not)']),
    ],
)
def test_validate_messages(spec: dict, expected: list[str]) -> None:
    assert [str(e) for e in validate(_spec(**spec), SPEC)] == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, ["spec.name: Required value"]),
        ("ABC", ["spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"]),
        ("abcdefg", ["spec.name: Too long: may not be longer than 5"]),
        ("a", ['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long']),
        ("ab", []),
    ],
)
def test_string_checks(name: str | None, expected: list[str]) -> None:
    obj: dict = {"spec": {} if name is None else {"name": name}}
    assert [str(e) for e in validate(obj, SPEC)] == expected


def test_error_causes_and_422() -> None:
    errs = validate({"spec": {"replicas": -1}}, SPEC)
    assert [(e.type, e.field) for e in errs] == [("Invalid", "spec.replicas"), ("Required", "spec.name")]
    assert errs[1].cause() == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.name",
    }
    st_ = invalid_object("CloneSet", "demo", errs, "apps.kruise.io").status()
    assert st_["code"] == 422
    assert st_["message"].startswith(
        'CloneSet.apps.kruise.io "demo" is invalid: [spec.replicas: Invalid value: -1:'
    )


def test_type_error_cause_reason() -> None:
    (err,) = validate({"spec": {"name": "ok", "replicas": "x"}}, SPEC)
    assert err.cause()["reason"] == "FieldValueTypeInvalid"


def test_path_prefix_and_root() -> None:
    errs = validate({"a": "x"}, {"type": "object", "properties": {"a": {"type": "integer"}}}, path="spec")
    assert [str(e) for e in errs] == [
        'spec.a: Invalid value: "string": a in body must be of type integer: "string"'
    ]


def test_map_additional_properties_list_paths() -> None:
    schema = {
        "type": "object",
        "properties": {
            "m": {
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "x-kubernetes-list-type": "set",
                    "items": {"type": "integer"},
                },
            }
        },
    }
    assert [str(e) for e in validate({"m": {"k": [1, 1]}}, schema)] == ["m[k][1]: Duplicate value: 1"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e6, "1e+06"),
        (0.5, "0.5"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (-2.5, "-2.5"),
        (10.0, "10"),
    ],
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text


# ---------------------------------------------------------------------------------------------
# defaulting

DEFAULTS = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "default": {},
            "properties": {
                "replicas": {"type": "integer", "default": 1},
                "strategy": {
                    "type": "object",
                    "default": {"type": "RollingUpdate"},
                    "properties": {
                        "type": {"type": "string"},
                        "rollingUpdate": {
                            "type": "object",
                            "properties": {"partition": {"type": "integer", "default": 0}},
                        },
                        "maxSurge": {"x-kubernetes-int-or-string": True, "default": "25%"},
                    },
                },
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"w": {"type": "integer", "default": 5}}},
                },
                "nick": {"type": "string"},
                "nullableNick": {"type": "string", "nullable": True},
                "m": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"on": {"type": "boolean", "default": True}},
                    },
                },
            },
        }
    },
}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({}, {"spec": {"replicas": 1, "strategy": {"type": "RollingUpdate", "maxSurge": "25%"}}}),
        (
            {"spec": {"replicas": 3, "strategy": {"rollingUpdate": {}}}},
            {"spec": {"replicas": 3, "strategy": {"rollingUpdate": {"partition": 0}, "maxSurge": "25%"}}},
        ),
        (
            {"spec": {"replicas": None, "items": [{}, {"w": 2}]}},
            {
                "spec": {
                    "replicas": 1,
                    "items": [{"w": 5}, {"w": 2}],
                    "strategy": {"type": "RollingUpdate", "maxSurge": "25%"},
                }
            },
        ),
        (
            {"spec": {"nick": None, "nullableNick": None, "strategy": {}}},
            {"spec": {"nullableNick": None, "replicas": 1, "strategy": {"maxSurge": "25%"}}},
        ),
        (
            {"spec": {"m": {"x": {}}, "strategy": {}}},
            {"spec": {"m": {"x": {"on": True}}, "replicas": 1, "strategy": {"maxSurge": "25%"}}},
        ),
    ],
)
def test_apply_defaults(obj: dict, expected: dict) -> None:
    assert apply_defaults(obj, DEFAULTS) is obj
    assert obj == expected


def test_defaults_are_copied() -> None:
    a = apply_defaults({}, DEFAULTS)
    a["spec"]["strategy"]["type"] = "changed"
    assert apply_defaults({}, DEFAULTS)["spec"]["strategy"]["type"] == "RollingUpdate"


# ---------------------------------------------------------------------------------------------
# pruning

PRUNE = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "template": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"strict": {"type": "object", "properties": {"a": {"type": "string"}}}},
                },
                "raw": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object", "properties": {"x": {"type": "integer"}}}},
                },
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"n": {"type": "string"}}},
                },
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "status": {"type": "object", "properties": {"ready": {"type": "integer"}}},
    },
}


def test_prune() -> None:
    obj = {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": "x", "labels": {"a": "b"}},
        "junk": 1,
        "spec": {
            "replicas": 1,
            "unknown": {"deep": True},
            "template": {"anything": {"goes": 1}, "strict": {"a": "1", "b": "2"}},
            "raw": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p"},
                "spec": {"x": 1, "y": 2},
                "z": 3,
            },
            "items": [{"n": "a", "m": "b"}, {"n": "c"}],
            "labels": {"k": "v"},
        },
        "status": {"ready": 1, "other": 2},
    }
    pruned = prune(obj, PRUNE)
    assert pruned == [
        "junk",
        "spec.unknown",
        "spec.template.strict.b",
        "spec.raw.spec.y",
        "spec.raw.z",
        "spec.items[0].m",
        "status.other",
    ]
    assert obj == {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": "x", "labels": {"a": "b"}},
        "spec": {
            "replicas": 1,
            "template": {"anything": {"goes": 1}, "strict": {"a": "1"}},
            "raw": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}},
            "items": [{"n": "a"}, {"n": "c"}],
            "labels": {"k": "v"},
        },
        "status": {"ready": 1},
    }


def test_prune_root_preserve_unknown() -> None:
    obj = {"apiVersion": "v", "kind": "K", "metadata": {}, "anything": 1}
    assert prune(obj, {"type": "object", "x-kubernetes-preserve-unknown-fields": True}) == []
    assert obj["anything"] == 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab", max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["spec", "replicas", "x"]), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(_json)
def test_prune_is_idempotent_and_validate_never_crashes(value: object) -> None:
    obj = {"spec": value}
    prune(obj, PRUNE)
    snapshot = copy.deepcopy(obj)
    assert prune(obj, PRUNE) == []
    assert obj == snapshot
    for e in validate(obj, SPEC):
        assert str(e)


# ---------------------------------------------------------------------------------------------
# structural check

P = "spec.versions[0].schema.openAPIV3Schema"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "object", "properties": {"spec": {"type": "object"}}}, []),
        (
            {"properties": {"spec": {}}},
            [
                f"{P}.properties[spec].type: Required value: must not be empty for specified object fields",
                f"{P}.type: Required value: must not be empty at the root",
            ],
        ),
        (
            {"type": "array", "items": {"type": "string"}},
            [f'{P}.type: Invalid value: "array": must be object at the root'],
        ),
        (
            {"type": "object", "properties": {"l": {"type": "array"}}},
            [f"{P}.properties[l].items: Required value: must be specified"],
        ),
        (
            {"type": "object", "properties": {"l": {"type": "array", "items": {}}}},
            [f"{P}.properties[l].items.type: Required value: must not be empty for specified array items"],
        ),
        (
            {"type": "object", "properties": {"s": {"type": "strin"}}},
            [
                f'{P}.properties[s].type: Unsupported value: "strin": supported values: "array", "boolean", "integer", '
                '"number", "object", "string"'
            ],
        ),
        (
            {
                "type": "object",
                "properties": {
                    "i": {
                        "x-kubernetes-int-or-string": True,
                        "anyOf": [{"type": "integer"}, {"type": "string"}],
                    }
                },
            },
            [],
        ),
        (
            {"type": "object", "properties": {"i": {"type": "string", "anyOf": [{"type": "string"}]}}},
            [f"{P}.properties[i].anyOf[0].type: Forbidden: must be empty to be structural"],
        ),
        (
            {
                "type": "object",
                "properties": {"l": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}},
            },
            [
                f"{P}.properties[l].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime "
                "complexity becomes quadratic"
            ],
        ),
        (
            {
                "type": "object",
                "properties": {
                    "l": {"type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "map"}
                },
            },
            [
                f"{P}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if "
                "x-kubernetes-list-type is map"
            ],
        ),
        (
            {"type": "object", "additionalProperties": {"type": "string"}},
            [f"{P}.additionalProperties: Forbidden: must not be used at the root"],
        ),
        (
            {
                "type": "object",
                "properties": {"e": {"type": "object", "x-kubernetes-embedded-resource": True}},
            },
            [
                f"{P}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource "
                "is true without x-kubernetes-preserve-unknown-fields"
            ],
        ),
    ],
)
def test_check_structural(schema: dict, expected: list[str]) -> None:
    assert [str(e) for e in check_structural(schema, P)] == expected
