"""CRD and core-kind validation: exact kube paths and messages."""

import copy

import pytest

from kruise.apiserver.validation import (
    validate_configmap,
    validate_crd,
    validate_crd_update,
    validate_create,
    validate_namespace,
    validate_node,
    validate_secret,
    validate_service,
    validate_update,
)

SCHEMA = {"openAPIV3Schema": {"type": "object"}}
V1_JSON = '{"name":"v1","storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}'
TWO_V1 = f"{V1_JSON},{V1_JSON}"


def crd(**overrides):
    obj = {
        "metadata": {"name": "clonesets.apps.kruise.io"},
        "spec": {
            "group": "apps.kruise.io",
            "scope": "Namespaced",
            "names": {
                "plural": "clonesets",
                "singular": "cloneset",
                "kind": "CloneSet",
                "listKind": "CloneSetList",
            },
            "versions": [{"name": "v1alpha1", "served": True, "storage": True, "schema": SCHEMA}],
        },
    }
    obj["spec"].update(overrides)
    return obj


def msgs(errs):
    return [str(e) for e in errs]


def test_valid_crd():
    assert validate_crd(crd()) == []


def test_name_must_be_plural_dot_group():
    obj = crd()
    obj["metadata"]["name"] = "foo.apps.kruise.io"
    assert msgs(validate_crd(obj)) == [
        'metadata.name: Invalid value: "foo.apps.kruise.io": must be spec.names.plural+"."+spec.group'
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"scope": "Global"},
            ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'],
        ),
        (
            {"versions": []},
            [
                "spec.versions: Required value: must have at least one version",
                "spec.versions: Invalid value: []: must have exactly one version marked as storage version",
            ],
        ),
        (
            {
                "versions": [
                    {"name": "v1", "storage": True, "schema": SCHEMA},
                    {"name": "v1", "storage": True, "schema": SCHEMA},
                ]
            },
            [
                f"spec.versions: Invalid value: [{TWO_V1}]: "
                "must have exactly one version marked as storage version",
                f"spec.versions: Invalid value: [{TWO_V1}]: must contain unique version names",
            ],
        ),
        (
            {"versions": [{"name": "v1", "storage": True}]},
            ["spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required"],
        ),
        (
            {
                "versions": [
                    {
                        "name": "v1",
                        "storage": True,
                        "schema": SCHEMA,
                        "subresources": {
                            "scale": {
                                "specReplicasPath": ".status.replicas",
                                "statusReplicasPath": "status.replicas",
                            }
                        },
                        "additionalPrinterColumns": [
                            {"name": "X", "type": "time", "jsonPath": ".spec.x"},
                            {"name": "Y", "type": "string"},
                        ],
                    }
                ]
            },
            [
                'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": '
                "should be "
                "a json path under .spec",
                'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: "status.replicas": '
                "must be "
                "a simple json path starting with .",
                'spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "time": must be one of '
                "boolean,date,integer,number,string",
                "spec.versions[0].additionalPrinterColumns[1].JSONPath: Required value",
            ],
        ),
    ],
)
def test_spec_rules(overrides, expected):
    assert msgs(validate_crd(crd(**overrides))) == expected


def test_group_needs_a_dot():
    obj = crd(group="kruise")
    obj["metadata"]["name"] = "clonesets.kruise"
    assert msgs(validate_crd(obj)) == [
        'spec.group: Invalid value: "kruise": should be a domain with at least one dot'
    ]


def test_update_immutable_fields():
    old = crd()
    old["metadata"].update(uid="u", resourceVersion="1")
    old["status"] = {
        "conditions": [{"type": "Established", "status": "True"}],
        "storedVersions": ["v1alpha1"],
    }
    new = copy.deepcopy(old)
    new["spec"]["scope"] = "Cluster"
    new["spec"]["names"]["kind"] = "Other"
    assert msgs(validate_crd_update(new, old)) == [
        'spec.scope: Invalid value: "Cluster": field is immutable',
        'spec.names.kind: Invalid value: "Other": field is immutable',
    ]
    new = copy.deepcopy(old)
    new["spec"]["versions"][0]["name"] = "v1"
    assert msgs(validate_crd_update(new, old)) == [
        'status.storedVersions[0]: Invalid value: "v1alpha1": must appear in spec.versions'
    ]


def test_namespace_service_configmap_secret_node():
    assert validate_namespace({"metadata": {"name": "a.b"}}) == []  # metadata is validate_object_meta's
    assert msgs(validate_create("", "namespaces", {"metadata": {"name": "a.b"}}, namespaced=False)) == [
        'metadata.name: Invalid value: "a.b": must not contain dots'
    ]
    svc = {
        "metadata": {"name": "web", "namespace": "d"},
        "spec": {"type": "Magic", "ports": [{"name": "http", "port": 0}, {"name": "http", "port": 80}]},
    }
    assert msgs(validate_service(svc)) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        'spec.ports[1].name: Duplicate value: "http"',
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", '
        '"LoadBalancer", '
        '"NodePort"',
    ]
    cm = {"metadata": {"name": "c", "namespace": "d"}, "data": {"bad key": "x", "big": "x" * (1024 * 1024)}}
    assert msgs(validate_configmap(cm)) == [
        'data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric '
        "characters, "
        "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')",
        "Too long: may not be more than 1048576 bytes",
    ]
    secret = {
        "metadata": {"name": "s", "namespace": "d"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "eA=="},
    }
    assert msgs(validate_secret(secret)) == ["data[tls.key]: Required value"]
    node = {"metadata": {"name": "n1"}, "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}}
    assert msgs(validate_node(node)) == [
        'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", '
        '"PreferNoSchedule", "NoExecute"'
    ]


def test_immutable_configmap_update():
    old = {
        "metadata": {"name": "c", "namespace": "d", "resourceVersion": "1"},
        "data": {"a": "1"},
        "immutable": True,
    }
    new = copy.deepcopy(old)
    new["data"]["a"] = "2"
    assert msgs(validate_update("", "configmaps", new, old, namespaced=True)) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]
