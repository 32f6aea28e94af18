"""CloneSet mutating-webhook defaults (kruise-behaviour.md §3.1)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kruise.api.cloneset import default_cloneset


def _cs(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
            },
        },
    }
    base["spec"].update(spec)
    return base


def test_minimal_cloneset_gets_every_default() -> None:
    out = default_cloneset(_cs())
    assert out["spec"] == {
        "replicas": 1,
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {"app": "web"}},
        "scaleStrategy": {},
        "updateStrategy": {"type": "ReCreate", "partition": 0, "maxUnavailable": "20%", "maxSurge": 0},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "main",
                        "image": "nginx:1.25",
                        "imagePullPolicy": "IfNotPresent",
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "resources": {},
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "schedulerName": "default-scheduler",
            },
        },
    }


def test_defaulting_is_pure_and_idempotent() -> None:
    obj = _cs()
    before = copy.deepcopy(obj)
    once = default_cloneset(obj)
    assert obj == before
    assert default_cloneset(once) == once


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ({"type": "InPlaceIfPossible"}, {"type": "InPlaceIfPossible", "inPlaceUpdateStrategy": {}}),
        ({"type": "InPlaceOnly"}, {"type": "InPlaceOnly", "inPlaceUpdateStrategy": {}}),
        (
            {"type": "InPlaceOnly", "inPlaceUpdateStrategy": {"gracePeriodSeconds": 5}},
            {"type": "InPlaceOnly", "inPlaceUpdateStrategy": {"gracePeriodSeconds": 5}},
        ),
        ({"type": "ReCreate"}, {"type": "ReCreate"}),
        ({"type": ""}, {"type": "ReCreate"}),
        (
            {"partition": "50%", "maxUnavailable": 2, "maxSurge": "10%"},
            {"type": "ReCreate", "partition": "50%", "maxUnavailable": 2, "maxSurge": "10%"},
        ),
    ],
)
def test_update_strategy_defaults(strategy: dict[str, Any], expected: dict[str, Any]) -> None:
    out = default_cloneset(_cs(updateStrategy=strategy))["spec"]["updateStrategy"]
    want = {"partition": 0, "maxUnavailable": "20%", "maxSurge": 0, **expected}
    assert out == want


def test_explicit_values_are_kept() -> None:
    out = default_cloneset(_cs(replicas=0, revisionHistoryLimit=0))["spec"]
    assert (out["replicas"], out["revisionHistoryLimit"]) == (0, 0)


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("localhost:5000/nginx", "Always"),
        ("localhost:5000/nginx:v1", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("nginx:latest@sha256:" + "a" * 64, "Always"),
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    obj = _cs()
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
    container = default_cloneset(obj)["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == policy


def test_container_details_volumes_and_claims_are_defaulted() -> None:
    obj = _cs(
        volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]
    )
    pod = obj["spec"]["template"]["spec"]
    pod["initContainers"] = [{"name": "init", "image": "busybox:1"}]
    c = pod["containers"][0]
    c["ports"] = [{"containerPort": 80}]
    c["readinessProbe"] = {"httpGet": {"port": 80}}
    c["env"] = [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    pod["volumes"] = [{"name": "cfg", "configMap": {"name": "c"}}, {"name": "scratch"}]
    out = default_cloneset(obj)["spec"]
    pod = out["template"]["spec"]
    c = pod["containers"][0]
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert c["readinessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name", "apiVersion": "v1"}
    assert pod["initContainers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert pod["volumes"] == [
        {"name": "cfg", "configMap": {"name": "c", "defaultMode": 420}},
        {"name": "scratch", "emptyDir": {}},
    ]
    assert out["volumeClaimTemplates"][0]["status"] == {"phase": "Pending"}


def test_template_defaults_can_be_skipped_for_an_unchanged_template_on_update() -> None:
    out = default_cloneset(_cs(), inject_template_defaults=False)
    assert out["spec"]["template"]["spec"] == {"containers": [{"name": "main", "image": "nginx:1.25"}]}
    assert out["spec"]["updateStrategy"]["type"] == "ReCreate"


def test_malformed_spec_is_left_alone() -> None:
    obj = {"metadata": {"name": "x"}, "spec": "nonsense"}
    assert default_cloneset(obj) == obj
