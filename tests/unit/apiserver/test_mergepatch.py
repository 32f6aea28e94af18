"""JSON merge patch (RFC 7386), including the RFC's appendix examples."""

from __future__ import annotations

import copy

import pytest

from kruise.apiserver.patch import PatchError, apply_merge_patch

# RFC 7386 appendix A (target, patch, result); a non-object target merges into {}.
RFC_CASES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_CASES)
def test_rfc7386_examples(target: object, patch: object, result: object) -> None:
    assert apply_merge_patch(target, patch) == result


def test_kubernetes_object_merge() -> None:
    pod = {
        "metadata": {"name": "p", "labels": {"app": "web", "tier": "front"}},
        "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]},
    }
    before = copy.deepcopy(pod)
    patch = {"metadata": {"labels": {"tier": None, "env": "prod"}},
             "spec": {"containers": [{"name": "a", "image": "z"}]}}
    out = apply_merge_patch(pod, patch)
    # lists are replaced wholesale: merge patch knows nothing about merge keys
    assert out == {
        "metadata": {"name": "p", "labels": {"app": "web", "env": "prod"}},
        "spec": {"containers": [{"name": "a", "image": "z"}]},
    }
    assert pod == before
    out["metadata"]["name"] = "changed"
    assert pod["metadata"]["name"] == "p"  # the result shares nothing with the input


@pytest.mark.parametrize("patch", [None, "x", 5, True])
def test_non_object_patch_is_rejected(patch: object) -> None:
    with pytest.raises(PatchError) as err:
        apply_merge_patch({"a": 1}, patch)
    assert (err.value.code, err.value.message) == (400, "Invalid JSON Patch")
