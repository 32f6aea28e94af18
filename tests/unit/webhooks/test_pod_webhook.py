"""Pod mutating webhook mpod.kb.io: the KruisePodReady readiness gate (kruise-behaviour.md §1.3)."""

from __future__ import annotations

import base64
import copy
from typing import Any

import orjson
import pytest

from kruise.webhooks.pod import (
    MUTATING,
    inject_kruise_pod_ready,
    mutating_handler,
    owned_by_kruise,
    wants_kruise_pod_ready,
)
from kruise.webhooks.server import review_response

Obj = dict[str, Any]
GATE = {"conditionType": "KruisePodReady"}


def owner(api_version: str, kind: str = "CloneSet", controller: bool | None = True) -> Obj:
    ref: Obj = {"apiVersion": api_version, "kind": kind, "name": "o", "uid": "u"}
    if controller is not None:
        ref["controller"] = controller
    return ref


def pod(*refs: Obj, gates: list[Obj] | None = None) -> Obj:
    meta: Obj = {"name": "p", "namespace": "default"}
    if refs:
        meta["ownerReferences"] = list(refs)
    spec: Obj = {"containers": [{"name": "c", "image": "busybox"}]}
    if gates is not None:
        spec["readinessGates"] = gates
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def test_webhook_spec_as_upstream_chart() -> None:
    assert (MUTATING.name, MUTATING.path) == ("mpod.kb.io", "/mutate-pod")
    assert MUTATING.rules == [
        {
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "operations": ["CREATE"],
            "resources": ["pods"],
            "scope": "*",
        }
    ]
    # pod creation must not depend on the manager being up
    assert MUTATING.failure_policy == "Ignore"
    assert MUTATING.namespace_selector == {
        "matchExpressions": [{"key": "control-plane", "operator": "NotIn", "values": ["openkruise"]}]
    }


@pytest.mark.parametrize(
    ("refs", "owned"),
    [
        ((), False),
        ((owner("apps.kruise.io/v1alpha1"),), True),
        ((owner("apps.kruise.io/v1beta1", "StatefulSet"),), True),
        ((owner("apps.kruise.io/v1alpha1", "DaemonSet"),), True),
        ((owner("apps/v1", "ReplicaSet"),), False),
        ((owner("v1", "ReplicationController"),), False),
        ((owner("apps.kruise.io/v1alpha1", controller=False),), False),
        ((owner("apps.kruise.io/v1alpha1", controller=None),), False),
        ((owner("apps.kruise.io"),), False),  # no version: not a group/version
        ((owner("example.com/v1", "Foo", controller=False), owner("apps.kruise.io/v1alpha1")), True),
        ((owner("apps.kruise.io.example.com/v1"),), False),
    ],
)
def test_owned_by_kruise(refs: tuple[Obj, ...], owned: bool) -> None:
    assert owned_by_kruise(pod(*refs)) is owned


KRUISE = owner("apps.kruise.io/v1alpha1")
OTHER = owner("apps/v1", "ReplicaSet")


@pytest.mark.parametrize(
    ("p", "all_pods", "want"),
    [
        (pod(KRUISE), False, True),
        (pod(KRUISE, gates=[{"conditionType": "InPlaceUpdateReady"}]), False, True),
        (pod(KRUISE, gates=[GATE]), False, False),  # once
        (pod(OTHER), False, False),
        (pod(), False, False),
        (pod(), True, True),  # KruisePodReadinessGate=true: every pod
        (pod(OTHER, gates=[GATE]), True, False),
    ],
)
def test_wants_kruise_pod_ready(p: Obj, all_pods: bool, want: bool) -> None:
    assert wants_kruise_pod_ready(p, all_pods=all_pods) is want


def test_inject_appends_and_leaves_input_alone() -> None:
    p = pod(KRUISE, gates=[{"conditionType": "InPlaceUpdateReady"}])
    before = copy.deepcopy(p)
    out = inject_kruise_pod_ready(p)
    assert out["spec"]["readinessGates"] == [{"conditionType": "InPlaceUpdateReady"}, GATE]
    assert p == before
    assert inject_kruise_pod_ready(pod(KRUISE))["spec"]["readinessGates"] == [GATE]


def request(obj: Obj, operation: str = "CREATE", **extra: Any) -> Obj:
    return {"uid": "r1", "operation": operation, "object": obj, "namespace": "default", **extra}


async def test_handler_patches_kruise_pods_once() -> None:
    handler = mutating_handler()
    req = request(pod(KRUISE))
    decision = await handler(req)
    response = review_response(req, decision)["response"]
    assert response["allowed"] is True and response["patchType"] == "JSONPatch"
    ops = orjson.loads(base64.b64decode(response["patch"]))
    assert ops == [{"op": "add", "path": "/spec/readinessGates", "value": [GATE]}]

    already = request(pod(KRUISE, gates=[GATE]))
    response = review_response(already, await handler(already))["response"]
    assert response == {"uid": "r1", "allowed": True}


@pytest.mark.parametrize(
    "req",
    [
        request(pod()),
        request(pod(OTHER)),
        request(pod(KRUISE), operation="UPDATE"),
        request(pod(KRUISE), subResource="status"),
        {"uid": "r1", "operation": "CREATE"},
    ],
)
async def test_handler_leaves_other_requests_alone(req: Obj) -> None:
    decision = await mutating_handler()(req)
    assert decision.allowed and decision.patched is None


async def test_handler_with_feature_gate_patches_every_pod() -> None:
    decision = await mutating_handler(all_pods=True)(request(pod()))
    assert decision.patched is not None and decision.patched["spec"]["readinessGates"] == [GATE]
