"""podreadiness controller (kruise-behaviour.md §1.3) and how the node agent honours its condition."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from kruise.client.errors import Conflict, NotFound
from kruise.control.podreadiness import add_not_ready_key
from kruise.controllers.podreadiness import PodReadinessReconciler, needs_condition, plan_conditions
from kruise.node.status import ContainerView, PodView, Running, pod_status, status_patch

Obj = dict[str, Any]
NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
T0 = "2024-05-01T12:00:00Z"
GATE = {"conditionType": "KruisePodReady"}
READY_TRUE = {"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}


def make_pod(conditions: list[Obj] | None = None, *, gate: bool = True, deleting: bool = False) -> Obj:
    meta: Obj = {"name": "p", "namespace": "ns", "resourceVersion": "5"}
    if deleting:
        meta["deletionTimestamp"] = T0
    return {
        "metadata": meta,
        "spec": {"readinessGates": [GATE] if gate else [], "containers": [{"name": "c", "image": "x"}]},
        "status": {"conditions": list(conditions or [])},
    }


@pytest.mark.parametrize(
    ("pod", "want"),
    [
        (make_pod(), True),
        (make_pod([READY_TRUE]), True),
        (make_pod(gate=False), False),
        (make_pod(deleting=True), False),
        (make_pod([{"type": "KruisePodReady", "status": "True"}]), False),
        # a not-ready key written first is never overwritten
        (make_pod([{"type": "KruisePodReady", "status": "False", "message": "[]"}]), False),
    ],
)
def test_needs_condition(pod: Obj, want: bool) -> None:
    assert needs_condition(pod) is want


def test_plan_appends_true_condition_and_keeps_others() -> None:
    pod = make_pod([READY_TRUE])
    before = copy.deepcopy(pod)
    assert plan_conditions(pod, NOW) == [
        READY_TRUE,
        {"type": "KruisePodReady", "status": "True", "lastTransitionTime": T0},
    ]
    assert pod == before
    assert plan_conditions(make_pod(gate=False), NOW) is None


class FakeStore:
    def __init__(self, objs: dict[str, Obj]) -> None:
        self.objs = objs

    def get(self, key: str) -> Obj | None:
        return self.objs.get(key)


class FakeInformer:
    def __init__(self, objs: dict[str, Obj]) -> None:
        self.store = FakeStore(objs)


class FakeInformers:
    def __init__(self, objs: dict[str, Obj]) -> None:
        self.pods = FakeInformer(objs)

    def informer(self, _res: Any) -> FakeInformer:
        return self.pods


class FakeClient:
    def __init__(self, server: Obj | None, conflicts: int = 0) -> None:
        self.server = server
        self.conflicts = conflicts
        self.writes: list[Obj] = []

    async def update_status(self, _res: Any, body: Obj, *, namespace: str | None = None) -> Obj:
        if self.server is None:
            raise NotFound(404, "NotFound", "gone")
        if self.conflicts:
            self.conflicts -= 1
            raise Conflict(409, "Conflict", "modified")
        self.writes.append(body)
        return body

    async def get(self, _res: Any, _name: str, *, namespace: str | None = None) -> Obj:
        if self.server is None:
            raise NotFound(404, "NotFound", "gone")
        return self.server


async def test_reconcile_writes_condition_through_status() -> None:
    pod = make_pod([READY_TRUE])
    client = FakeClient(pod)
    rec = PodReadinessReconciler(client, FakeInformers({"ns/p": pod}), clock=lambda: NOW)  # type: ignore[arg-type]
    assert await rec.reconcile("ns/p") is None
    assert [w["status"]["conditions"] for w in client.writes] == [
        [READY_TRUE, {"type": "KruisePodReady", "status": "True", "lastTransitionTime": T0}]
    ]


async def test_reconcile_conflict_rereads_and_respects_a_key_written_meanwhile() -> None:
    cached = make_pod([READY_TRUE])
    held = add_not_ready_key(cached, "Lifecycle", "preDeleteHook", NOW)
    server = {**cached, "status": {"conditions": held}}
    client = FakeClient(server, conflicts=1)
    rec = PodReadinessReconciler(client, FakeInformers({"ns/p": cached}), clock=lambda: NOW)  # type: ignore[arg-type]
    assert await rec.reconcile("ns/p") is None
    assert client.writes == []


async def test_reconcile_missing_or_deleted_pod_is_a_no_op() -> None:
    rec = PodReadinessReconciler(FakeClient(None), FakeInformers({}), clock=lambda: NOW)  # type: ignore[arg-type]
    assert await rec.reconcile("ns/p") is None
    gone = FakeClient(None)
    rec = PodReadinessReconciler(gone, FakeInformers({"ns/p": make_pod()}), clock=lambda: NOW)  # type: ignore[arg-type]
    assert await rec.reconcile("ns/p") is None


# ---- the node agent side: it computes Ready from the gates and never writes KruisePodReady
def _node_view() -> PodView:
    return PodView(
        containers=(ContainerView("c", "x", Running(T0), ready=True, started=True),),
        sandbox_ready=True,
    )


@pytest.mark.parametrize(
    ("kruise_cond", "ready", "message"),
    [
        (None, "False", 'corresponding condition of pod readiness gate "KruisePodReady" does not exist.'),
        ({"status": "True"}, "True", None),
        (
            {"status": "False", "message": '[{"userAgent":"Lifecycle","key":"preDeleteHook"}]'},
            "False",
            'the status of pod readiness gate "KruisePodReady" is not "True", but False',
        ),
    ],
)
def test_node_honours_kruise_pod_ready_and_leaves_it_alone(
    kruise_cond: Obj | None, ready: str, message: str | None
) -> None:
    pod = make_pod()
    if kruise_cond is not None:
        pod["status"]["conditions"].append({"type": "KruisePodReady", **kruise_cond})
    desired = pod_status(pod, _node_view(), T0)
    got = {c["type"]: c for c in desired["conditions"]}
    assert "KruisePodReady" not in got
    assert got["Ready"]["status"] == ready and got["Ready"].get("message") == message
    patch = status_patch(pod["status"], desired)
    assert patch is not None
    assert "KruisePodReady" not in {c["type"] for c in patch["status"]["conditions"]}
