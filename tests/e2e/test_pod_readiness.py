"""The KruisePodReady readiness gate end to end (kruise-behaviour.md §1.3): the mpod.kb.io webhook injects
it, the podreadiness controller sets it True, lifecycle hooks with markPodNotReady turn it (and Ready)
False on a real node agent, and pod creation survives a manager that does not answer."""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest

from tests.cluster import Up
from tests.e2e.test_cloneset import apply, cloneset, pods

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
STATE = "lifecycle.apps.kruise.io/state"
GATE = {"conditionType": "KruisePodReady"}
PRE_DELETE_KEY = '[{"userAgent":"Lifecycle","key":"preDeleteHook"}]'


def plain_pod(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]},
    }


def condition(pod: Obj, ctype: str) -> Obj | None:
    return next((c for c in (pod.get("status") or {}).get("conditions") or [] if c["type"] == ctype), None)


def status_of(pod: Obj, ctype: str) -> str | None:
    c = condition(pod, ctype)
    return None if c is None else c["status"]


def ready_count(up: Up, ns: str, name: str) -> int:
    return (up.get("cloneset", name, "-n", ns).get("status") or {}).get("readyReplicas", 0)


def test_cloneset_pods_get_the_gate_and_become_ready(cluster: Up, ns: str) -> None:
    apply(cluster, ns, cloneset("web", 2))
    cluster.wait_for(lambda: ready_count(cluster, ns, "web") == 2, "2 ready replicas", 90)
    items = pods(cluster, ns, "web")
    assert len(items) == 2
    for p in items:
        gates = p["spec"]["readinessGates"]
        assert gates.count(GATE) == 1 and {"conditionType": "InPlaceUpdateReady"} in gates
        kruise = condition(p, "KruisePodReady")
        assert kruise is not None and kruise["status"] == "True" and "message" not in kruise
        assert status_of(p, "Ready") == "True"


def test_plain_pod_does_not_get_the_gate(cluster: Up, ns: str) -> None:
    apply(cluster, ns, plain_pod("plain"))
    pod = cluster.get("pod", "plain", "-n", ns)
    assert "readinessGates" not in pod["spec"]
    cluster.wait_for(
        lambda: status_of(cluster.get("pod", "plain", "-n", ns), "Ready") == "True", "plain pod Ready"
    )
    assert condition(cluster.get("pod", "plain", "-n", ns), "KruisePodReady") is None


def test_pre_delete_hook_with_mark_pod_not_ready(cluster: Up, ns: str) -> None:
    cs = cloneset(
        "hold",
        2,
        template_labels={"hold": "true"},
        lifecycle={"preDelete": {"labelsHandler": {"hold": "true"}, "markPodNotReady": True}},
    )
    apply(cluster, ns, cs)
    cluster.wait_for(lambda: ready_count(cluster, ns, "hold") == 2, "2 ready replicas", 90)
    cluster.kubectl("scale", "cloneset", "hold", "-n", ns, "--replicas=1")

    def held() -> list[Obj]:
        return [p for p in pods(cluster, ns, "hold") if p["metadata"]["labels"][STATE] == "PreparingDelete"]

    def held_not_ready() -> bool:
        waiting = held()
        return (
            len(waiting) == 1
            and status_of(waiting[0], "KruisePodReady") == "False"
            and status_of(waiting[0], "Ready") == "False"
        )

    cluster.wait_for(held_not_ready, "held pod in PreparingDelete and not ready")
    pod = held()[0]
    name = pod["metadata"]["name"]
    kruise = condition(pod, "KruisePodReady")
    assert kruise is not None and kruise["message"] == PRE_DELETE_KEY
    ready = condition(pod, "Ready")
    assert ready is not None and ready["reason"] == "ReadinessGatesNotReady"
    assert ready["message"] == 'the status of pod readiness gate "KruisePodReady" is not "True", but False'
    # the containers are still fine: only the gate holds it not-ready, and the node keeps it so
    assert status_of(pod, "ContainersReady") == "True"
    cluster.kubectl("annotate", "cloneset", "hold", "-n", ns, "poke=1")
    cluster.wait_for(lambda: ready_count(cluster, ns, "hold") == 1, "1 ready replica")
    again = cluster.get("pod", name, "-n", ns)
    assert (status_of(again, "KruisePodReady"), status_of(again, "Ready")) == ("False", "False")

    cluster.kubectl("label", "pod", name, "-n", ns, "hold-")
    cluster.wait_for(
        lambda: name not in {p["metadata"]["name"] for p in pods(cluster, ns, "hold")}, "deletion"
    )
    cluster.wait_for(lambda: len(pods(cluster, ns, "hold")) == 1, "one pod left")


def test_pod_creation_does_not_need_the_manager(cluster: Up, ns: str) -> None:
    """failurePolicy Ignore: a manager that does not answer delays pod creation by the webhook
    timeout at most; the pod is created, only without the gate."""
    manager = cluster.component_pid("manager")
    os.kill(manager, signal.SIGSTOP)
    try:
        out = cluster.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(plain_pod("alone")), check=False)
    finally:
        os.kill(manager, signal.SIGCONT)
    assert out.returncode == 0, out.stderr
    assert "readinessGates" not in cluster.get("pod", "alone", "-n", ns)["spec"]
