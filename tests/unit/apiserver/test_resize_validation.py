"""pods/resize: what a resize request stores (prepare_resize) and kube 1.33's rules (validate_resize)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kruise.apiserver.resize import prepare_resize, validate_resize

Obj = dict[str, Any]
QOS = "Pod QOS Class may not change as a result of resizing"


def res(requests: Obj | None = None, limits: Obj | None = None) -> Obj:
    out: Obj = {}
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return out


BURSTABLE = res({"cpu": "100m", "memory": "64Mi"}, {"cpu": "200m", "memory": "128Mi"})
GUARANTEED = res({"cpu": "100m", "memory": "64Mi"}, {"cpu": "100m", "memory": "64Mi"})
MEM_RESTART = [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]


def pod(resources: Obj, *, policy: list[Obj] | None = None, qos: str | None = None, **spec: Any) -> Obj:
    ctr: Obj = {"name": "app", "image": "nginx", "resources": resources}
    if policy is not None:
        ctr["resizePolicy"] = policy
    out: Obj = {
        "metadata": {"name": "p", "namespace": "default", "uid": "u", "resourceVersion": "1"},
        "spec": {"containers": [ctr], **spec},
    }
    if qos:
        out["status"] = {"qosClass": qos}
    return out


def resize(old: Obj, resources: Obj, **container: Any) -> Obj:
    """A resize request that sets the first container's resources (and any other field given)."""
    request = copy.deepcopy(old)
    request["spec"]["containers"][0]["resources"] = resources
    request["spec"]["containers"][0].update(container)
    return prepare_resize(request, old)


def msgs(new: Obj, old: Obj) -> list[str]:
    return [str(e) for e in validate_resize(new, old)]


@pytest.mark.parametrize(
    ("old", "resources", "extra", "expected"),
    [
        # cpu and memory move freely within the QoS class
        (pod(BURSTABLE), res({"cpu": "150m", "memory": "96Mi"}, {"cpu": "1", "memory": "1Gi"}), {}, []),
        (
            pod(GUARANTEED, qos="Guaranteed"),
            res({"cpu": "300m", "memory": "128Mi"}, {"cpu": "300m", "memory": "128Mi"}),
            {},
            [],
        ),
        # requests only are raised
        (pod(res({"cpu": "100m"})), res({"cpu": "2"}), {}, []),
        # the QoS class is kept; the value shown is the stored class
        (
            pod(GUARANTEED, qos="Guaranteed"),
            res({"cpu": "50m", "memory": "64Mi"}, {"cpu": "100m", "memory": "64Mi"}),
            {},
            [f'spec: Invalid value: "Guaranteed": {QOS}'],
        ),
        (
            pod({}, qos="BestEffort"),
            res({"memory": "40Mi"}),
            {},
            [f'spec: Invalid value: "BestEffort": {QOS}'],
        ),
        (
            pod(BURSTABLE, qos="Burstable"),
            res({"cpu": "200m", "memory": "128Mi"}, {"cpu": "200m", "memory": "128Mi"}),
            {},
            [f'spec: Invalid value: "Burstable": {QOS}'],
        ),
        # requests and limits may not be removed
        (
            pod(BURSTABLE),
            res({"cpu": "100m", "memory": "64Mi"}, {"memory": "128Mi"}),
            {},
            ["spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed"],
        ),
        (
            pod(BURSTABLE),
            res({"cpu": "100m"}, {"cpu": "200m", "memory": "128Mi"}),
            {},
            ["spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed"],
        ),
        # 1.33: memory limits drop (or appear) only with a RestartContainer policy for memory
        (
            pod(BURSTABLE),
            res({"cpu": "100m", "memory": "64Mi"}, {"cpu": "200m", "memory": "100Mi"}),
            {},
            [
                "spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased "
                "unless resizePolicy is RestartContainer"
            ],
        ),
        (
            pod(res({"cpu": "100m"}, {"cpu": "200m"})),
            res({"cpu": "100m"}, {"cpu": "200m", "memory": "1Gi"}),
            {},
            [
                "spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be added "
                "unless resizePolicy is RestartContainer"
            ],
        ),
        (
            pod(BURSTABLE, policy=MEM_RESTART),
            res({"cpu": "100m", "memory": "64Mi"}, {"cpu": "200m", "memory": "100Mi"}),
            {},
            [],
        ),
        # equal quantities in another notation are no decrease
        (
            pod(BURSTABLE),
            res({"cpu": "0.1", "memory": "64Mi"}, {"cpu": "200m", "memory": "131072Ki"}),
            {},
            [],
        ),
        # only cpu and memory are resizable, and the resize policy is fixed (1.33)
        (
            pod(BURSTABLE),
            res(
                {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "1Gi"},
                {"cpu": "200m", "memory": "128Mi"},
            ),
            {},
            ["spec: Forbidden: only cpu and memory resources are mutable"],
        ),
        (
            pod(BURSTABLE),
            BURSTABLE,
            {"resizePolicy": MEM_RESTART},
            ["spec: Forbidden: only cpu and memory resources are mutable"],
        ),
        # the new spec's own rules still hold
        (
            pod(BURSTABLE),
            res({"cpu": "300m", "memory": "64Mi"}, {"cpu": "200m", "memory": "128Mi"}),
            {},
            [
                'spec.containers[0].resources.requests: Invalid value: "300m": must be less than or equal '
                "to cpu limit of 200m"
            ],
        ),
        # any other change rides along silently dropped, as kube's resize strategy drops it
        (
            pod(BURSTABLE),
            res({"cpu": "150m", "memory": "64Mi"}, {"cpu": "200m", "memory": "128Mi"}),
            {"image": "x:2"},
            [],
        ),
    ],
)
def test_resize_rules(old: Obj, resources: Obj, extra: Obj, expected: list[str]) -> None:
    assert msgs(resize(old, resources, **extra), old) == expected


def test_prepare_keeps_everything_but_resources() -> None:
    old = pod(BURSTABLE)
    old["metadata"]["labels"] = {"a": "1"}
    old["status"] = {"phase": "Running", "qosClass": "Burstable"}
    request = copy.deepcopy(old)
    request["metadata"]["labels"] = {"a": "2"}
    request["status"] = {"phase": "Failed"}
    request["spec"]["nodeName"] = "elsewhere"
    request["spec"]["containers"][0].update(image="x:2", resources=GUARANTEED)
    request["spec"]["containers"].append({"name": "new", "image": "y"})
    out = prepare_resize(request, old)
    expected = copy.deepcopy(old)
    expected["spec"]["containers"][0]["resources"] = GUARANTEED
    assert out == expected


def test_only_native_sidecars_among_init_containers_are_resized() -> None:
    init = {"name": "setup", "image": "busybox", "resources": res({"cpu": "100m"})}
    sidecar = {
        "name": "log",
        "image": "busybox",
        "restartPolicy": "Always",
        "resources": res({"cpu": "100m"}),
    }
    old = pod(BURSTABLE, initContainers=[init, sidecar])
    request = copy.deepcopy(old)
    for c in request["spec"]["initContainers"]:
        c["resources"] = res({"cpu": "300m"})
    out = prepare_resize(request, old)
    assert out["spec"]["initContainers"][0]["resources"] == res({"cpu": "100m"})  # dropped
    assert out["spec"]["initContainers"][1]["resources"] == res({"cpu": "300m"})
    assert msgs(out, old) == []


def test_node_without_resize_support_is_refused() -> None:
    """A running container whose status reports no resources: its node cannot resize."""
    old = pod(BURSTABLE)
    old["status"] = {"containerStatuses": [{"name": "app", "state": {"running": {}}}]}
    new = resize(old, res({"cpu": "150m", "memory": "64Mi"}, {"cpu": "200m", "memory": "128Mi"}))
    assert msgs(new, old) == ["spec: Forbidden: Pod running on node without support for resize"]
    old["status"]["containerStatuses"][0]["resources"] = {}
    assert msgs(new, old) == []


def test_static_and_windows_pods_cannot_be_resized() -> None:
    static = pod(BURSTABLE)
    static["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "x"}
    assert msgs(resize(static, BURSTABLE), static) == ["Forbidden: static pods cannot be resized"]
    windows = pod(BURSTABLE, os={"name": "windows"})
    assert msgs(resize(windows, BURSTABLE), windows) == ["Forbidden: windows pods cannot be resized"]
