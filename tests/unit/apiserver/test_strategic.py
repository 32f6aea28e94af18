"""Strategic merge patch: upstream's apply cases, the documented directives and kubectl-style patches."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kruise.apiserver.builtin_types import schema_for_builtin
from kruise.apiserver.patch import PatchError, apply_merge_patch, apply_strategic_merge_patch
from kruise.apiserver.typemeta import UNKNOWN, SchemaNode

# The struct apimachinery's own strategicpatch tests use (MergeItem), as patch metadata.
MERGE_ITEM = SchemaNode()
_RETAIN_ITEM = SchemaNode(patch_strategy="retainKeys")
MERGE_ITEM.fields = {
    "mergingList": SchemaNode(items=MERGE_ITEM, patch_strategy="merge", patch_merge_key="name"),
    "nonMergingList": SchemaNode(items=MERGE_ITEM),
    "mergingIntList": SchemaNode(patch_strategy="merge"),
    "nonMergingIntList": SchemaNode(),
    "simpleMap": SchemaNode(values=SchemaNode()),
    "replacingItem": SchemaNode(patch_strategy="replace", untyped=True),
    "retainKeysMap": _RETAIN_ITEM,
    "retainKeysMergingList": SchemaNode(
        items=MERGE_ITEM, patch_strategy="merge,retainKeys", patch_merge_key="name"
    ),
}
_RETAIN_ITEM.fields = {
    "simpleMap": SchemaNode(values=SchemaNode()),
    "mergingIntList": SchemaNode(patch_strategy="merge"),
    "mergingList": SchemaNode(items=MERGE_ITEM, patch_strategy="merge", patch_merge_key="name"),
    "nonMergingList": SchemaNode(items=MERGE_ITEM),
}

UPSTREAM_CASES = yaml.safe_load("""
- name: unique scalars when merging lists
  original: {mergingIntList: [1, 2]}
  patch: {mergingIntList: [2, 3]}
  result: {mergingIntList: [1, 2, 3]}
- name: delete map from nested map
  original: {simpleMap: {key1: 1, key2: 1}}
  patch: {simpleMap: {$patch: delete}}
  result: {simpleMap: {}}
- name: delete all items from merging list
  original: {mergingList: [{name: 1}, {name: 2}]}
  patch: {mergingList: [{$patch: replace}]}
  result: {mergingList: []}
- name: merge empty merging lists
  original: {mergingList: []}
  patch: {mergingList: []}
  result: {mergingList: []}
- name: delete all keys from map
  original: {name: 1, value: 1}
  patch: {$patch: replace}
  result: {}
- name: add key and delete all keys from map
  original: {name: 1, value: 1}
  patch: {other: a, $patch: replace}
  result: {other: a}
- name: delete all duplicate entries in a merging list
  original: {mergingList: [{name: 1}, {name: 1}, {name: 2, value: a}, {name: 3}, {name: 3}]}
  patch: {mergingList: [{name: 1, $patch: delete}, {name: 3, $patch: delete}]}
  result: {mergingList: [{name: 2, value: a}]}
- name: retainKeys map can add a field when no retainKeys directive present
  original: {retainKeysMap: {name: foo}}
  patch: {retainKeysMap: {value: bar}}
  result: {retainKeysMap: {name: foo, value: bar}}
- name: retainKeys map can delete a field when no retainKeys directive present
  original: {retainKeysMap: {name: foo, value: a}}
  patch: {retainKeysMap: {value: null}}
  result: {retainKeysMap: {name: foo}}
- name: retainKeys map merge an empty map
  original: {retainKeysMap: {name: foo, value: a}}
  patch: {retainKeysMap: {}}
  result: {retainKeysMap: {name: foo, value: a}}
- name: retainKeys list can change a field when no retainKeys directive present
  original: {retainKeysMergingList: [{name: bar}, {name: foo, value: a}]}
  patch: {retainKeysMergingList: [{name: foo, value: b}]}
  result: {retainKeysMergingList: [{name: bar}, {name: foo, value: b}]}
- name: preserve the order from the patch in a merging list
  original: {mergingList: [{name: 1}, {name: 2, value: b}, {name: 3}]}
  patch: {mergingList: [{name: 3, value: c}, {name: 1, value: a}, {name: 2, other: x}]}
  result: {mergingList: [{name: 3, value: c}, {name: 1, value: a}, {name: 2, value: b, other: x}]}
- name: preserve the order from the patch in a merging list 2
  original: {mergingList: [{name: 1}, {name: 2, value: b}, {name: 3}]}
  patch: {mergingList: [{name: 3, value: c}, {name: 1, value: a}]}
  result: {mergingList: [{name: 2, value: b}, {name: 3, value: c}, {name: 1, value: a}]}
- name: preserve the order from the patch in a merging int list
  original: {mergingIntList: [1, 2, 3]}
  patch: {mergingIntList: [3, 1]}
  result: {mergingIntList: [2, 3, 1]}
- name: $setElementOrder contains item that is not present in the list to be merged
  original: {mergingList: [{name: 1}, {name: 3}]}
  patch:
    $setElementOrder/mergingList: [{name: 3}, {name: 2}, {name: 1}]
    mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]
  result: {mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]}
- name: $setElementOrder contains item that is not present in the int list to be merged
  original: {mergingIntList: [1, 3]}
  patch: {$setElementOrder/mergingIntList: [3, 2, 1]}
  result: {mergingIntList: [3, 1]}
- name: $deleteFromPrimitiveList of nonexistent item does not add it
  original: {mergingIntList: [1, 2]}
  patch: {$deleteFromPrimitiveList/mergingIntList: [3]}
  result: {mergingIntList: [1, 2]}
- name: $deleteFromPrimitiveList on a nonexistent list does not add the list
  original: {foo: [bar]}
  patch: {$deleteFromPrimitiveList/mergingIntList: [3]}
  result: {foo: [bar]}
- name: $deleteFromPrimitiveList deletes from a list with merge strategy
  original: {mergingIntList: [1, 2, 3]}
  patch: {$deleteFromPrimitiveList/mergingIntList: [2]}
  result: {mergingIntList: [1, 3]}
- name: $deleteFromPrimitiveList deletes from a list without merge strategy
  original: {nonMergingIntList: [1, 2, 3]}
  patch: {$deleteFromPrimitiveList/nonMergingIntList: [2]}
  result: {nonMergingIntList: [1, 3]}
- name: delete all duplicate items in lists of scalars
  original: {mergingIntList: [1, 2, 3, 3, 4]}
  patch: {$setElementOrder/mergingIntList: [1, 2], $deleteFromPrimitiveList/mergingIntList: [3]}
  result: {mergingIntList: [1, 2, 4]}
- name: add and delete items in lists of scalars
  original: {mergingIntList: [1, 2, 3]}
  patch:
    $setElementOrder/mergingIntList: [1, 2, 4]
    $deleteFromPrimitiveList/mergingIntList: [3]
    mergingIntList: [4]
  result: {mergingIntList: [1, 2, 4]}
- name: merge lists of maps with $setElementOrder (three-way patch on the live object)
  original: {mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]}
  patch:
    $setElementOrder/mergingList: [{name: 4}, {name: 1}, {name: 2}, {name: 3}]
    mergingList: [{name: 4, value: 4}, {name: 3, value: 3}]
  result:
    mergingList:
    - {name: 4, value: 4}
    - {name: 1, other: a}
    - {name: 2, value: 2, other: b}
    - {name: 3, value: 3}
- name: nested patch merge with empty list
  original: {name: hi}
  patch: {mergingList: [{name: hello}, {$patch: delete, name: doesntexist}]}
  result: {name: hi, mergingList: [{name: hello}]}
- name: nested patch merge with a server-only item
  original: {name: hi, mergingList: [{name: hello2}]}
  patch:
    $setElementOrder/mergingList: [{name: hello}, {name: doesntexist}]
    mergingList: [{name: hello}, {$patch: delete, name: doesntexist}]
  result: {name: hi, mergingList: [{name: hello}, {name: hello2}]}
- name: defined null values remove fields and are not stored
  original: {name: 2}
  patch: {name: 1, value: 1, other: null}
  result: {name: 1, value: 1}
- name: non-merging list is replaced
  original: {nonMergingList: [{name: 1}, {name: 2}]}
  patch: {nonMergingList: [{name: 3}]}
  result: {nonMergingList: [{name: 3}]}
- name: replace strategy map is replaced, not merged
  original: {replacingItem: {a: 1, b: 2}}
  patch: {replacingItem: {c: 3}}
  result: {replacingItem: {c: 3}}
- name: a type change replaces the value
  original: {simpleMap: {a: "1"}}
  patch: {simpleMap: [x]}
  result: {simpleMap: [x]}
""")


@pytest.mark.parametrize("case", UPSTREAM_CASES, ids=[c["name"] for c in UPSTREAM_CASES])
def test_upstream_cases(case: dict) -> None:
    assert apply_strategic_merge_patch(case["original"], case["patch"], MERGE_ITEM) == case["result"]


POD = yaml.safe_load("""
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
  finalizers: [a.example.com/x, b.example.com/y]
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u1, controller: true}
spec:
  containers:
  - name: app
    image: nginx:1
    env: [{name: A, value: "1"}, {name: B, value: "2"}]
    ports: [{containerPort: 80, protocol: TCP}, {containerPort: 443, protocol: TCP}]
    volumeMounts: [{name: data, mountPath: /data}]
  - name: sidecar
    image: envoy:1
  tolerations:
  - {key: a, operator: Exists}
  volumes:
  - {name: data, emptyDir: {}}
status:
  conditions:
  - {type: Initialized, status: "True"}
  - {type: Ready, status: "False"}
  - {type: ContainersReady, status: "False"}
  - {type: PodScheduled, status: "True"}
""")
POD_SCHEMA = schema_for_builtin("", "Pod")


def _patched_pod(patch_yaml: str) -> dict:
    assert POD_SCHEMA is not None
    return apply_strategic_merge_patch(POD, yaml.safe_load(patch_yaml), POD_SCHEMA)


def test_kubectl_patch_changes_only_that_containers_image() -> None:
    out = _patched_pod('{"spec":{"containers":[{"name":"app","image":"nginx:2"}]}}')
    expected = copy.deepcopy(POD)
    expected["spec"]["containers"][0]["image"] = "nginx:2"
    assert out == expected


def test_new_container_goes_first_as_kubectl_docs_show() -> None:
    out = _patched_pod('{"spec":{"containers":[{"name":"redis","image":"redis"}]}}')
    assert [c["name"] for c in out["spec"]["containers"]] == ["redis", "app", "sidecar"]


def test_nested_merge_keys_env_ports_mounts() -> None:
    out = _patched_pod("""
    spec:
      containers:
      - name: app
        env: [{name: B, value: "3"}, {name: C, value: "4"}]
        ports: [{containerPort: 443, name: https}]
        volumeMounts: [{mountPath: /data, readOnly: true}]
    """)
    app = out["spec"]["containers"][0]
    assert app["env"] == [
        {"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}
    ]
    assert app["ports"] == [
        {"containerPort": 80, "protocol": "TCP"},
        {"containerPort": 443, "protocol": "TCP", "name": "https"},
    ]
    assert app["volumeMounts"] == [{"name": "data", "mountPath": "/data", "readOnly": True}]


def test_tolerations_are_atomic() -> None:
    out = _patched_pod("spec: {tolerations: [{key: b, operator: Exists}]}")
    assert out["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_finalizers_union_and_delete_from_primitive_list() -> None:
    out = _patched_pod("metadata: {finalizers: [b.example.com/y, c.example.com/z]}")
    assert out["metadata"]["finalizers"] == ["a.example.com/x", "b.example.com/y", "c.example.com/z"]
    out = _patched_pod("metadata: {$deleteFromPrimitiveList/finalizers: [a.example.com/x]}")
    assert out["metadata"]["finalizers"] == ["b.example.com/y"]


def test_owner_references_merge_by_uid() -> None:
    out = _patched_pod("metadata: {ownerReferences: [{uid: u1, blockOwnerDeletion: true}]}")
    assert out["metadata"]["ownerReferences"] == [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1", "controller": True,
         "blockOwnerDeletion": True},
    ]


def test_kubelet_style_status_patch_with_set_element_order() -> None:
    out = _patched_pod("""
    metadata: {uid: x}
    status:
      $setElementOrder/conditions: [{type: Initialized}, {type: Ready}, {type: ContainersReady},
                                    {type: PodScheduled}]
      conditions: [{type: Ready, status: "True"}, {type: ContainersReady, status: "True"}]
      podIP: 10.0.0.5
    """)
    assert out["status"] == {
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True"},
            {"type": "ContainersReady", "status": "True"},
            {"type": "PodScheduled", "status": "True"},
        ],
        "podIP": "10.0.0.5",
    }
    assert out["metadata"]["uid"] == "x"


def test_set_element_order_reorders_merge_key_list() -> None:
    out = _patched_pod("""
    spec:
      $setElementOrder/containers: [{name: sidecar}, {name: app}]
      containers: [{name: app, image: nginx:3}]
    """)
    assert [(c["name"], c["image"]) for c in out["spec"]["containers"]] == [
        ("sidecar", "envoy:1"), ("app", "nginx:3")
    ]


def test_patch_delete_and_replace_in_lists() -> None:
    out = _patched_pod('{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}')
    assert [c["name"] for c in out["spec"]["containers"]] == ["app"]
    out = _patched_pod('{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"busybox"}]}}')
    assert out["spec"]["containers"] == [{"name": "only", "image": "busybox"}]


def test_patch_replace_and_delete_on_maps_and_null_deletion() -> None:
    out = _patched_pod('{"metadata":{"labels":{"$patch":"replace","new":"yes"}}}')
    assert out["metadata"]["labels"] == {"new": "yes"}
    out = _patched_pod('{"metadata":{"labels":{"$patch":"delete"}}}')
    assert out["metadata"]["labels"] == {}
    out = _patched_pod('{"metadata":{"labels":{"tier":null,"x":"y"}}}')
    assert out["metadata"]["labels"] == {"app": "web", "x": "y"}


def test_retain_keys_on_volume_source_switch() -> None:
    out = _patched_pod("""
    spec:
      volumes:
      - {name: data, $retainKeys: [hostPath, name], hostPath: {path: /srv}}
    """)
    assert out["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/srv"}}]


def test_retain_keys_on_deployment_strategy() -> None:
    rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
    deploy = {"spec": {"replicas": 2, "strategy": rolling}}
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    schema = schema_for_builtin("apps", "Deployment")
    assert schema is not None
    assert apply_strategic_merge_patch(deploy, patch, schema) == {
        "spec": {"replicas": 2, "strategy": {"type": "Recreate"}}
    }


def test_new_subtree_has_its_directives_resolved() -> None:
    out = _patched_pod("""
    spec:
      initContainers:
      - {name: init, image: busybox, env: [{name: X, value: "1"}, {name: Y, $patch: delete}], foo: null}
      nodeSelector: {$patch: delete}
    """)
    assert out["spec"]["initContainers"] == [
        {"name": "init", "image": "busybox", "env": [{"name": "X", "value": "1"}]}
    ]
    assert "nodeSelector" not in out["spec"]


def test_unknown_paths_behave_like_json_merge_patch() -> None:
    doc = {"spec": {"custom": {"a": 1, "list": [1, 2]}, "keep": True}}
    patch = {"spec": {"custom": {"b": 2, "a": None, "list": [3]}}}
    assert apply_strategic_merge_patch(doc, patch, UNKNOWN) == {
        "spec": {"custom": {"b": 2, "list": [3]}, "keep": True}
    }


def test_inputs_are_not_mutated() -> None:
    before = copy.deepcopy(POD)
    patch = {"spec": {"containers": [{"name": "app", "image": "x", "$patch": "replace"}]}}
    patch_before = copy.deepcopy(patch)
    assert POD_SCHEMA is not None
    apply_strategic_merge_patch(POD, patch, POD_SCHEMA)
    assert before == POD
    assert patch == patch_before


ERROR_CASES = yaml.safe_load("""
- name: unknown $patch on a map
  patch: {simpleMap: {$patch: explode}}
  code: 400
  message: "unknown patch type: explode in map: map[$patch:explode]"
- name: missing merge key
  original: {mergingList: [{name: 1, value: a}]}
  patch: {mergingList: [{value: b}]}
  code: 400
  message: "map: map[value:b] does not contain declared merge key: name"
- name: $setElementOrder does not match the patch list
  original: {mergingList: [{name: 1}, {name: 3}, {name: 2}]}
  patch:
    $setElementOrder/mergingList: [{name: 1}, {name: 2}, {name: 3}]
    mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]
  code: 400
  message: doesn't match
- name: $setElementOrder of ints does not match
  original: {mergingIntList: [1, 3, 2]}
  patch: {$setElementOrder/mergingIntList: [1, 2, 3], mergingIntList: [3, 1]}
  code: 400
  message: doesn't match
- name: $setElementOrder is not a list
  patch: {$setElementOrder/mergingList: x}
  code: 400
  message: invalid patch format of setElementOrder list
- name: $retainKeys is not a list
  patch: {retainKeysMap: {$retainKeys: name}}
  code: 400
  message: invalid patch format of retainKeys
- name: patch content outside $retainKeys
  original: {retainKeysMap: {name: a}}
  patch: {retainKeysMap: {$retainKeys: [name], value: b}}
  code: 400
  message: invalid patch format of retainKeys
- name: $deleteFromPrimitiveList without a field
  patch: {$deleteFromPrimitiveList: [1]}
  code: 400
  message: invalid patch format of primitive list
- name: $patch merge inside a list
  original: {mergingList: [{name: 1}]}
  patch: {mergingList: [{$patch: merge, name: 1}]}
  code: 400
  message: merging lists cannot yet be specified in the patch
- name: lists of lists
  original: {mergingIntList: [[1]]}
  patch: {mergingIntList: [[2]]}
  code: 422
  message: lists of lists are not supported
- name: live list item without the merge key
  original: {mergingList: [{value: 1}]}
  patch: {mergingList: [{name: 2}]}
  code: 422
  message: "does not contain declared merge key: name"
""")


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_errors(case: dict) -> None:
    with pytest.raises(PatchError) as err:
        apply_strategic_merge_patch(case.get("original", {}), case["patch"], MERGE_ITEM)
    assert err.value.code == case["code"]
    assert case["message"] in err.value.message


def test_non_object_patch_is_a_bad_request() -> None:
    with pytest.raises(PatchError) as err:
        apply_strategic_merge_patch({}, [], UNKNOWN)  # type: ignore[arg-type]
    assert (err.value.code, err.value.message) == (400, "invalid JSON document")


_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab", max_size=2)
_keys = st.text("abc", min_size=1, max_size=2)
_json = st.recursive(
    _scalars | st.lists(_scalars.filter(lambda v: v is not None), max_size=3),
    lambda inner: st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@given(doc=st.dictionaries(_keys, _json, max_size=4), patch=st.dictionaries(_keys, _json, max_size=4))
def test_without_type_information_it_is_a_json_merge_patch(doc: dict, patch: dict) -> None:
    assert apply_strategic_merge_patch(doc, patch, UNKNOWN) == apply_merge_patch(doc, patch)
