"""Built-in type metadata (as in the k8s.io/api struct tags and markers) and CRD schema conversion."""

from __future__ import annotations

import pytest

from kruise.apiserver.builtin_types import schema_for_builtin
from kruise.apiserver.typemeta import UNKNOWN, SchemaNode, from_openapi_v3

COVERED = [
    ("", "Pod"), ("", "Node"), ("", "Namespace"), ("", "Service"), ("", "Endpoints"), ("", "ConfigMap"),
    ("", "Secret"), ("", "ServiceAccount"), ("", "Event"), ("", "PersistentVolumeClaim"),
    ("", "PersistentVolume"), ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"),
    ("apps", "DaemonSet"), ("apps", "ControllerRevision"), ("batch", "Job"), ("coordination.k8s.io", "Lease"),
    ("policy", "PodDisruptionBudget"), ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
]


@pytest.mark.parametrize(("group", "kind"), COVERED)
def test_kinds_are_covered_with_object_meta(group: str, kind: str) -> None:
    schema = schema_for_builtin(group, kind)
    assert schema is not None
    assert _at(schema, "metadata.finalizers").patch_strategy == "merge"


def test_unknown_kind() -> None:
    assert schema_for_builtin("apps.kruise.io", "CloneSet") is None
    assert schema_for_builtin("", "Deployment") is None


def _at(node: SchemaNode, path: str) -> SchemaNode:
    for part in path.split("."):
        node = node.item() if part == "[]" else node.child(part)
    return node


# (group, kind, path, patch strategy, merge key, list type, list-map keys)
LISTS = [
    ("", "Pod", "metadata.finalizers", "merge", None, "set", ()),
    ("", "Pod", "metadata.ownerReferences", "merge", "uid", "map", ("uid",)),
    ("", "Pod", "metadata.managedFields", "", None, "atomic", ()),
    ("", "Pod", "spec.containers", "merge", "name", "map", ("name",)),
    ("", "Pod", "spec.initContainers", "merge", "name", "map", ("name",)),
    ("", "Pod", "spec.ephemeralContainers", "merge", "name", "map", ("name",)),
    ("", "Pod", "spec.containers.[].ports", "merge", "containerPort", "map", ("containerPort", "protocol")),
    ("", "Pod", "spec.containers.[].env", "merge", "name", "map", ("name",)),
    ("", "Pod", "spec.containers.[].volumeMounts", "merge", "mountPath", "map", ("mountPath",)),
    ("", "Pod", "spec.containers.[].volumeDevices", "merge", "devicePath", "map", ("devicePath",)),
    ("", "Pod", "spec.containers.[].command", "", None, "atomic", ()),
    ("", "Pod", "spec.volumes", "merge,retainKeys", "name", "map", ("name",)),
    ("", "Pod", "spec.imagePullSecrets", "merge", "name", "map", ("name",)),
    ("", "Pod", "spec.hostAliases", "merge", "ip", "map", ("ip",)),
    ("", "Pod", "spec.tolerations", "", None, "atomic", ()),
    ("", "Pod", "spec.topologySpreadConstraints", "merge", "topologyKey", "map",
     ("topologyKey", "whenUnsatisfiable")),
    ("", "Pod", "status.conditions", "merge", "type", "map", ("type",)),
    ("", "Pod", "status.podIPs", "merge", "ip", "map", ("ip",)),
    ("", "Pod", "status.hostIPs", "merge", "ip", "atomic", ()),
    ("", "Pod", "status.containerStatuses", "", None, "atomic", ()),
    ("", "Node", "spec.podCIDRs", "merge", None, "set", ()),
    ("", "Node", "spec.taints", "", None, "atomic", ()),
    ("", "Node", "status.conditions", "merge", "type", "map", ("type",)),
    ("", "Node", "status.addresses", "merge", "type", "map", ("type",)),
    ("", "Service", "spec.ports", "merge", "port", "map", ("port", "protocol")),
    ("", "Endpoints", "subsets", "", None, "atomic", ()),
    ("", "ServiceAccount", "secrets", "merge", "name", "map", ("name",)),
    ("", "PersistentVolumeClaim", "status.conditions", "merge", "type", "map", ("type",)),
    ("", "Namespace", "status.conditions", "merge", "type", "map", ("type",)),
    ("apps", "Deployment", "spec.template.spec.containers", "merge", "name", "map", ("name",)),
    ("apps", "Deployment", "status.conditions", "merge", "type", "map", ("type",)),
    ("apps", "ReplicaSet", "spec.template.metadata.finalizers", "merge", None, "set", ()),
    ("apps", "StatefulSet", "spec.volumeClaimTemplates", "", None, "atomic", ()),
    ("apps", "StatefulSet", "spec.template.spec.volumes", "merge,retainKeys", "name", "map", ("name",)),
    ("apps", "StatefulSet", "status.conditions", "merge", "type", "map", ("type",)),
    ("apps", "DaemonSet", "spec.template.spec.containers.[].env", "merge", "name", "map", ("name",)),
    ("apps", "DaemonSet", "status.conditions", "merge", "type", "map", ("type",)),
    ("batch", "Job", "spec.template.spec.containers", "merge", "name", "map", ("name",)),
    ("batch", "Job", "status.conditions", "merge", "type", "atomic", ()),
    ("policy", "PodDisruptionBudget", "status.conditions", "merge", "type", "map", ("type",)),
    ("apiextensions.k8s.io", "CustomResourceDefinition", "spec.versions", "", None, "atomic", ()),
    ("apiextensions.k8s.io", "CustomResourceDefinition", "status.conditions", "", None, "map", ("type",)),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration", "webhooks", "merge", "name", "map",
     ("name",)),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "webhooks.[].matchConditions", "merge",
     "name", "map", ("name",)),
]


@pytest.mark.parametrize(("group", "kind", "path", "strategy", "merge_key", "list_type", "map_keys"), LISTS,
                         ids=[f"{c[1]}.{c[2]}" for c in LISTS])
def test_list_semantics(group: str, kind: str, path: str, strategy: str, merge_key: str | None,
                        list_type: str, map_keys: tuple[str, ...]) -> None:
    schema = schema_for_builtin(group, kind)
    assert schema is not None
    node = _at(schema, path)
    assert (node.patch_strategy, node.patch_merge_key, node.list_type, node.list_map_keys) == (
        strategy, merge_key, list_type, map_keys
    )


MAPS = [
    ("", "Pod", "metadata.labels", "granular", ""),
    ("", "Pod", "spec.nodeSelector", "atomic", ""),
    ("", "Service", "spec.selector", "atomic", ""),
    ("", "ConfigMap", "data", "granular", ""),
    ("", "Secret", "stringData", "granular", ""),
    ("apps", "Deployment", "spec.selector", "atomic", ""),
    ("apps", "Deployment", "spec.strategy", "granular", "retainKeys"),
    ("policy", "PodDisruptionBudget", "spec.selector", "atomic", "replace"),
]


@pytest.mark.parametrize(("group", "kind", "path", "map_type", "strategy"), MAPS,
                         ids=[f"{c[1]}.{c[2]}" for c in MAPS])
def test_map_semantics(group: str, kind: str, path: str, map_type: str, strategy: str) -> None:
    schema = schema_for_builtin(group, kind)
    assert schema is not None
    node = _at(schema, path)
    assert (node.map_type, node.patch_strategy) == (map_type, strategy)


def test_unlisted_fields_fall_back_to_untyped() -> None:
    pod = schema_for_builtin("", "Pod")
    assert pod is not None
    assert _at(pod, "spec.containers.[].image") is UNKNOWN
    assert schema_for_builtin("apps", "ControllerRevision").child("data").untyped  # type: ignore[union-attr]


CRD_SCHEMA = {
    "type": "object",
    "properties": {
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                             "properties": {"matchLabels": {"type": "object",
                                                            "additionalProperties": {"type": "string"}}}},
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["port", "protocol"],
                          "items": {"type": "object", "properties": {"port": {"type": "integer"}}}},
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                "args": {"type": "array", "items": {"type": "string"}},
                "template": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "anything": {"x-kubernetes-int-or-string": True},
                "raw": {"type": "object", "x-kubernetes-embedded-resource": True,
                        "x-kubernetes-preserve-unknown-fields": True},
            },
        },
    },
}


def test_from_openapi_v3() -> None:
    node = from_openapi_v3(CRD_SCHEMA)
    spec = node.child("spec")
    assert not spec.untyped
    assert spec.child("selector").map_type == "atomic"
    assert spec.child("selector").child("matchLabels").child("any-key").map_type == "granular"
    ports = spec.child("ports")
    assert (ports.list_type, ports.list_map_keys, ports.patch_strategy) == ("map", ("port", "protocol"), "")
    assert ports.item().child("port").fields == {}
    assert spec.child("tags").list_type == "set"
    assert spec.child("args").list_type == "atomic"
    assert spec.child("template").untyped
    assert spec.child("anything").untyped
    # metadata is ObjectMeta at the root and in embedded resources, whatever the CRD says
    assert node.child("metadata").child("finalizers").list_type == "set"
    assert spec.child("raw").child("metadata").child("ownerReferences").list_map_keys == ("uid",)


def test_from_openapi_v3_of_an_empty_schema_is_untyped() -> None:
    node = from_openapi_v3({})
    assert node.untyped
    assert node.child("spec") is UNKNOWN
    assert node.child("metadata").child("finalizers").patch_strategy == "merge"
