"""ObjectMeta and name-format validation: exact kube paths and messages."""

import pytest

from kruise.apiserver.validation import name_rule_for, validate_create, validate_object_meta
from kruise.apiserver.validation.meta import validate_object_meta_update

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def msgs(errs):
    return [str(e) for e in errs]


@pytest.mark.parametrize(
    ("meta", "namespaced", "rule", "expected"),
    [
        ({"name": "ok", "namespace": "default"}, True, "dns1123-subdomain", []),
        (
            {"namespace": "default"},
            True,
            "dns1123-subdomain",
            ["metadata.name: Required value: name or generateName is required"],
        ),
        (
            {"name": "Bad_Name", "namespace": "default"},
            True,
            "dns1123-subdomain",
            [f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}'],
        ),
        (
            {"name": "a.b"},
            False,
            "dns1123-label",
            ['metadata.name: Invalid value: "a.b": must not contain dots'],
        ),
        ({"name": "Ns"}, False, "dns1123-label", [f'metadata.name: Invalid value: "Ns": {LABEL_MSG}']),
        ({"name": "x"}, True, "dns1123-subdomain", ["metadata.namespace: Required value"]),
        (
            {"name": "x", "namespace": "default"},
            False,
            "dns1123-subdomain",
            ["metadata.namespace: Forbidden: not allowed on this type"],
        ),
        (
            {"name": "a/b"},
            False,
            "path-segment",
            ["metadata.name: Invalid value: \"a/b\": may not contain '/'"],
        ),
        ({"name": ".."}, False, "path-segment", ["metadata.name: Invalid value: \"..\": may not be '..'"]),
        (
            {"generateName": "web-", "namespace": "d"},
            True,
            "dns1123-subdomain",
            ["metadata.name: Required value: name or generateName is required"],
        ),
    ],
)
def test_names_and_namespace(meta, namespaced, rule, expected):
    assert msgs(validate_object_meta(meta, namespaced=namespaced, name_rule=rule)) == expected


def test_labels_annotations_finalizers():
    meta = {
        "name": "x",
        "labels": {"app": "x" * 64, "-bad": "v"},
        "annotations": {"Example.com/Key": "ok", "big": "v" * (256 * 1024)},
        "finalizers": ["example.com/f", "bad//f"],
    }
    assert msgs(validate_object_meta(meta, namespaced=False)) == [
        'metadata.labels: Invalid value: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx": '
        "must be no more than 63 characters",
        f'metadata.labels: Invalid value: "-bad": {QUALIFIED_MSG}',
        "metadata.annotations: Too long: may not be more than 262144 bytes",
        'metadata.finalizers: Invalid value: "bad//f": a qualified name must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
        "or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
        "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]


def test_owner_references():
    refs = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a", "uid": "1", "controller": True},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "b", "uid": "2", "controller": True},
        {"apiVersion": "", "kind": "", "name": "", "uid": ""},
    ]
    out = msgs(validate_object_meta({"name": "x", "ownerReferences": refs}, namespaced=False))
    assert out[0].startswith("metadata.ownerReferences: Invalid value: [")
    assert out[0].endswith(
        'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and '
        "ReplicaSet/b"
    )
    assert out[1:] == [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ]


def test_meta_update_immutable_fields():
    old = {"name": "a", "namespace": "n", "uid": "u1", "generation": 3, "resourceVersion": "5"}
    new = {"name": "b", "namespace": "n", "uid": "u2", "generation": 2, "resourceVersion": "5"}
    assert msgs(validate_object_meta_update(new, old)) == [
        "metadata.generation: Invalid value: 2: must not be decremented",
        'metadata.name: Invalid value: "b": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
    ]
    # a missing uid is filled from the stored object by kube, so it is not an error
    assert validate_object_meta_update({"name": "a", "namespace": "n"}, old) == []


def test_no_new_finalizers_while_deleting():
    old = {"name": "a", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["a.io/x"]}
    new = {**old, "finalizers": ["a.io/x", "b.io/y"]}
    assert msgs(validate_object_meta_update(new, old)) == [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, "
        'found new finalizers []string{"b.io/y"}'
    ]


@pytest.mark.parametrize(
    ("group", "resource", "rule"),
    [
        ("", "pods", "dns1123-subdomain"),
        ("", "namespaces", "dns1123-label"),
        ("", "services", "dns1035-label"),
        ("rbac.authorization.k8s.io", "clusterroles", "path-segment"),
        ("apps.kruise.io", "clonesets", "dns1123-subdomain"),
    ],
)
def test_name_rule_for(group, resource, rule):
    assert name_rule_for(group, resource) == rule


def test_dispatch_falls_back_to_metadata():
    errs = validate_create("apps", "deployments", {"metadata": {"name": "UP"}}, namespaced=True)
    assert [e.field for e in errs] == ["metadata.name", "metadata.namespace"]
