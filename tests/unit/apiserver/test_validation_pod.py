"""Pod create/update/resize/status validation: exact kube paths and messages."""

import copy

import pytest

from kruise.apiserver.validation import (
    apply_resize,
    compute_qos,
    validate_pod_create,
    validate_pod_resize,
    validate_pod_status_update,
    validate_pod_update,
)
from kruise.apiserver.validation.quantity import quantity_string

FORBIDDEN_PREFIX = (
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
    "existing "
    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
    "negative)\n"
)


def pod(**spec):
    base = {"containers": [{"name": "app", "image": "nginx"}]}
    base.update(spec)
    return {
        "metadata": {"name": "p", "namespace": "default", "uid": "u", "resourceVersion": "1"},
        "spec": base,
    }


def msgs(errs):
    return [str(e) for e in errs]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, []),
        ({"containers": []}, ["spec.containers: Required value"]),
        (
            {"containers": [{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]},
            ['spec.containers[1].name: Duplicate value: "a"'],
        ),
        ({"containers": [{"name": "a"}]}, ["spec.containers[0].image: Required value"]),
        (
            {"containers": [{"name": "A_b", "image": "x"}]},
            [
                'spec.containers[0].name: Invalid value: "A_b": a lowercase RFC 1123 label must consist of '
                'lower '
                "case alphanumeric characters or '-', and must start and end with an alphanumeric character "
                "(e.g. "
                "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            ],
        ),
        (
            {
                "containers": [
                    {"name": "a", "image": "x", "ports": [{"containerPort": 70000}, {"containerPort": 0}]}
                ]
            },
            [
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and "
                "65535, "
                "inclusive",
                "spec.containers[0].ports[1].containerPort: Required value",
            ],
        ),
        (
            {"restartPolicy": "Sometimes"},
            [
                'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
                '"OnFailure", "Never"'
            ],
        ),
        (
            {"dnsPolicy": "Bogus"},
            [
                'spec.dnsPolicy: Unsupported value: "Bogus": supported values: "ClusterFirstWithHostNet", '
                '"ClusterFirst", "Default", "None"'
            ],
        ),
        (
            {"containers": [{"name": "a", "image": "x", "imagePullPolicy": "Sometimes"}]},
            [
                'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: '
                '"Always", '
                '"IfNotPresent", "Never"'
            ],
        ),
        (
            {
                "containers": [
                    {
                        "name": "a",
                        "image": "x",
                        "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1000m"}},
                    }
                ]
            },
            [
                'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to '
                'cpu limit of 1'
            ],
        ),
        (
            {"containers": [{"name": "a", "image": "x", "env": [{"name": "A=B"}, {"name": ""}]}]},
            [
                'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name '
                'must '
                "consist only of printable ASCII characters other than '='",
                "spec.containers[0].env[1].name: Required value",
                'spec.containers[0].env[1].name: Invalid value: "": environment variable name must be '
                'non-empty',
            ],
        ),
        (
            {
                "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}, {"name": "w"}],
                "containers": [
                    {"name": "a", "image": "x", "volumeMounts": [{"name": "nope", "mountPath": "/d"}]}
                ],
            },
            [
                'spec.volumes[1].name: Duplicate value: "v"',
                "spec.volumes[2]: Required value: must specify a volume type",
                'spec.containers[0].volumeMounts[0].name: Not found: "nope"',
            ],
        ),
        (
            {"initContainers": [{"name": "s", "image": "x", "restartPolicy": "Never", "livenessProbe": {}}]},
            [
                'spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: '
                '"Always"',
                "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without "
                "restartPolicy=Always",
            ],
        ),
        (
            {"initContainers": [{"name": "app", "image": "x"}]},
            ['spec.initContainers[0].name: Duplicate value: "app"'],
        ),
        (
            {
                "initContainers": [
                    {
                        "name": "sidecar",
                        "image": "x",
                        "restartPolicy": "Always",
                        "readinessProbe": {"exec": {"command": ["true"]}},
                    }
                ]
            },
            [],
        ),
        (
            {"containers": [{"name": "a", "image": "x", "restartPolicy": "Always"}]},
            ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"],
        ),
        (
            {"terminationGracePeriodSeconds": -1},
            ["spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0"],
        ),
    ],
)
def test_create(spec, expected):
    assert msgs(validate_pod_create(pod(**spec))) == expected


def test_update_image_and_additive_tolerations_are_allowed():
    old = pod(tolerations=[{"key": "a", "operator": "Exists"}])
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:2"
    new["spec"]["tolerations"].append(
        {"key": "b", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}
    )
    new["spec"]["activeDeadlineSeconds"] = 30
    assert validate_pod_update(new, old) == []


def test_update_other_fields_forbidden_with_kube_message():
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    errs = validate_pod_update(new, old)
    assert len(errs) == 1
    text = str(errs[0])
    assert text.startswith(FORBIDDEN_PREFIX + "  core.PodSpec{\n")
    assert errs[0].field == "spec" and errs[0].type == "Forbidden"
    assert '- \tContainers: [{"name":"app","image":"nginx"}],' in text


def test_update_node_name_only_via_binding():
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["nodeName"] = "node-1"
    [err] = validate_pod_update(new, old)
    assert str(err).startswith(FORBIDDEN_PREFIX)
    assert '+ \tNodeName: "node-1",' in str(err)


def test_update_container_count_and_rules():
    old = pod(tolerations=[{"key": "a", "operator": "Exists"}], activeDeadlineSeconds=10)
    new = copy.deepcopy(old)
    new["spec"]["containers"].append({"name": "b", "image": "x"})
    assert msgs(validate_pod_update(new, old)) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]
    new = copy.deepcopy(old)
    new["spec"]["activeDeadlineSeconds"] = 20
    assert msgs(validate_pod_update(new, old)) == [
        "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value"
    ]
    new = copy.deepcopy(old)
    new["spec"]["tolerations"] = []
    assert msgs(validate_pod_update(new, old)) == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    ]


def test_update_negative_grace_period_may_become_one():
    old = pod(terminationGracePeriodSeconds=-1)
    new = copy.deepcopy(old)
    new["spec"]["terminationGracePeriodSeconds"] = 1
    assert validate_pod_update(new, old) == []


def test_update_ignores_quantity_spelling():
    old = pod(containers=[{"name": "app", "image": "x", "resources": {"requests": {"cpu": "1000m"}}}])
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["resources"]["requests"]["cpu"] = 1
    assert validate_pod_update(new, old) == []


def res(req=None, lim=None):
    out = {}
    if req:
        out["requests"] = req
    if lim:
        out["limits"] = lim
    return out


def resized(old, resources):
    request = copy.deepcopy(old)
    request["spec"]["containers"][0]["resources"] = resources
    request["metadata"]["labels"] = {"ignored": "yes"}  # non-resource changes are dropped by a resize
    return apply_resize(request, old)


def test_resize_cpu_memory_allowed():
    old = pod(containers=[{"name": "app", "image": "x", "resources": res({"cpu": "100m"}, {"cpu": "200m"})}])
    new = resized(old, res({"cpu": "150m"}, {"cpu": "300m"}))
    assert "labels" not in new["metadata"]
    assert validate_pod_resize(new, old) == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            res({"cpu": "100m", "memory": "64Mi"}, {"cpu": "100m", "memory": "64Mi"}),
            res({"cpu": "50m", "memory": "64Mi"}, {"cpu": "100m", "memory": "64Mi"}),
            ['spec: Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing'],
        ),
        (
            res({"cpu": "100m"}, {"cpu": "200m"}),
            res({"cpu": "100m"}),
            ["spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed"],
        ),
        (
            res({"cpu": "100m"}, {"cpu": "200m"}),
            res({"cpu": "100m", "ephemeral-storage": "1Gi"}, {"cpu": "200m"}),
            ["spec: Forbidden: only cpu and memory resources are mutable"],
        ),
        (
            res({"cpu": "100m"}, {"cpu": "200m"}),
            res({"cpu": "300m"}, {"cpu": "200m"}),
            [
                'spec.containers[0].resources.requests: Invalid value: "300m": must be less than or equal '
                'to cpu '
                "limit of 200m"
            ],
        ),
    ],
)
def test_resize_rejections(before, after, expected):
    old = pod(containers=[{"name": "app", "image": "x", "resources": before}])
    assert msgs(validate_pod_resize(resized(old, after), old)) == expected


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ({}, "BestEffort"),
        (res(None, {"cpu": "1", "memory": "1Gi"}), "Guaranteed"),
        (res({"cpu": "1"}), "Burstable"),
        (res({"cpu": "1", "memory": "1Gi"}, {"cpu": "2", "memory": "1Gi"}), "Burstable"),
    ],
)
def test_qos(resources, qos):
    assert compute_qos(pod(containers=[{"name": "a", "image": "x", "resources": resources}])) == qos


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("1000m", "1"),
        ("1.5", "1500m"),
        ("1024Mi", "1Gi"),
        ("0.5Gi", "512Mi"),
        ("1500", "1500"),
        ("1e3", "1e3"),
    ],
)
def test_quantity_canonical(raw, text):
    assert quantity_string(raw) == text


def test_status_update_rules():
    old = pod(restartPolicy="Never")
    old["status"] = {
        "phase": "Running",
        "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 0}}}],
    }
    new = copy.deepcopy(old)
    new["status"] = {"phase": "Weird", "containerStatuses": [{"name": "app", "state": {"running": {}}}]}
    assert msgs(validate_pod_status_update(new, old)) == [
        'status.phase: Unsupported value: "Weird": supported values: "Pending", "Running", "Succeeded", '
        '"Failed", "Unknown"',
        "status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state",
    ]
