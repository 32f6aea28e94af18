"""Merging applied configurations into live objects, and removing fields."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kruise.apiserver.apply.merge import merge, remove_paths
from kruise.apiserver.typemeta import SchemaNode as S

CONTAINER = S(fields={"name": S(), "image": S(), "args": S(list_type="atomic", items=S())})
SCHEMA = S(
    fields={
        "metadata": S(fields={"labels": S(values=S()), "finalizers": S(list_type="set", items=S())}),
        "spec": S(
            fields={
                "replicas": S(),
                "selector": S(map_type="atomic"),
                "containers": S(list_type="map", list_map_keys=("name",), items=CONTAINER),
            }
        ),
    }
)


def c(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


def names(obj: dict[str, Any]) -> list[str]:
    return [x["name"] for x in obj["spec"]["containers"]]


MERGES = [
    pytest.param(
        {"spec": {"replicas": 1, "paused": True}},
        {"spec": {"replicas": 3}},
        {"spec": {"replicas": 3, "paused": True}},
        id="granular map keeps keys the config omits",
    ),
    pytest.param(
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"b": "2"}}},
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        id="string map merges per key",
    ),
    pytest.param(
        {"spec": {"selector": {"matchLabels": {"a": "1"}, "x": 1}}},
        {"spec": {"selector": {"matchLabels": {"b": "2"}}}},
        {"spec": {"selector": {"matchLabels": {"b": "2"}}}},
        id="atomic map is replaced whole",
    ),
    pytest.param(
        {"spec": {"containers": [c("app", image="a", args=["x", "y"]), c("sidecar", image="s")]}},
        {"spec": {"containers": [c("app", image="b")]}},
        {"spec": {"containers": [c("app", image="b", args=["x", "y"]), c("sidecar", image="s")]}},
        id="map list merges per key and keeps other items",
    ),
    pytest.param(
        {"spec": {"containers": [c("app", args=["x", "y"])]}},
        {"spec": {"containers": [c("app", args=["z"])]}},
        {"spec": {"containers": [c("app", args=["z"])]}},
        id="atomic list is replaced whole",
    ),
    pytest.param(
        {"metadata": {"finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["c", "a"]}},
        {"metadata": {"finalizers": ["c", "a", "b"]}},
        id="set list is a union",
    ),
    pytest.param(
        {"spec": {"replicas": 1, "paused": True}},
        {"spec": {"replicas": None}},
        {"spec": {"paused": True}},
        id="null leaves the field unset",
    ),
    pytest.param(
        {"x": {"a": [1, 2], "m": {"k": 1}}},
        {"x": {"a": [3], "m": {"j": 2}}},
        {"x": {"a": [3], "m": {"k": 1, "j": 2}}},
        id="untyped maps are granular and lists atomic",
    ),
]


@pytest.mark.parametrize(("live", "applied", "expected"), MERGES)
def test_merge(live: dict[str, Any], applied: dict[str, Any], expected: dict[str, Any]) -> None:
    before = copy.deepcopy((live, applied))
    assert merge(live, applied, SCHEMA) == expected
    assert (live, applied) == before


@pytest.mark.parametrize(
    ("live", "applied", "order"),
    [
        (["x", "a", "y"], ["a", "n"], ["x", "a", "y", "n"]),
        (["a", "b"], ["b", "a"], ["b", "a"]),
        (["a", "x"], ["n", "a"], ["n", "a", "x"]),
        (["x", "a", "y", "b"], ["b", "n", "a"], ["x", "y", "b", "n", "a"]),
        ([], ["a", "b"], ["a", "b"]),
    ],
)
def test_map_list_order(live: list[str], applied: list[str], order: list[str]) -> None:
    out = merge(
        {"spec": {"containers": [c(n) for n in live]}},
        {"spec": {"containers": [c(n) for n in applied]}},
        SCHEMA,
    )
    assert names(out) == order


def test_merge_result_shares_nothing_with_inputs() -> None:
    live = {"spec": {"containers": [c("app", args=["x"])], "other": {"deep": [1]}}}
    out = merge(live, {"spec": {"replicas": 1}}, SCHEMA)
    out["spec"]["other"]["deep"].append(2)
    out["spec"]["containers"][0]["args"].append("y")
    assert live == {"spec": {"containers": [c("app", args=["x"])], "other": {"deep": [1]}}}


def test_remove_paths_drops_emptied_parents() -> None:
    obj = {
        "metadata": {"name": "n", "labels": {"a": "1"}},
        "spec": {"replicas": 1, "containers": [c("app", image="a"), c("side", image="s")]},
    }
    out = remove_paths(
        obj,
        {
            ("f:metadata", "f:labels", "f:a"),
            ("f:spec", "f:containers", 'k:{"name":"app"}'),
            ("f:spec", "f:containers", 'k:{"name":"side"}', "f:image"),
        },
        SCHEMA,
    )
    assert out == {"metadata": {"name": "n"}, "spec": {"replicas": 1, "containers": [c("side")]}}
    assert obj["metadata"]["labels"] == {"a": "1"}
