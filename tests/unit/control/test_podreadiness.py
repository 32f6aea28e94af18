"""KruisePodReady not-ready keys shared by several writers (kruise-behaviour.md §1.3)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from kruise.client.errors import Conflict
from kruise.control.podreadiness import (
    add_not_ready_key,
    dump_messages,
    patch_not_ready_key,
    remove_not_ready_key,
)

Obj = dict[str, Any]
NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
T0 = "2024-05-01T12:00:00Z"
LC_DELETE = '{"userAgent":"Lifecycle","key":"preDeleteHook"}'
CRR = '{"userAgent":"ContainerRecreateRequest","key":"default/crr-1"}'


def make_pod(kruise_cond: Obj | None = None, *, gate: bool = True) -> Obj:
    conditions: list[Obj] = [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"},
        {"type": "ContainersReady", "status": "True"},
    ]
    if kruise_cond is not None:
        conditions.append({"type": "KruisePodReady", **kruise_cond})
    return {
        "metadata": {"name": "p", "namespace": "default", "resourceVersion": "5"},
        "spec": {
            "readinessGates": [{"conditionType": "KruisePodReady"}] if gate else [],
            "containers": [{"name": "c", "image": "x"}],
        },
        "status": {"conditions": conditions},
    }


def by_type(conditions: list[Obj]) -> dict[str, Obj]:
    return {c["type"]: c for c in conditions}


def test_add_first_key_sets_false_and_forces_ready_false() -> None:
    conds = add_not_ready_key(make_pod({"status": "True"}), "Lifecycle", "preDeleteHook", NOW)
    assert conds is not None
    got = by_type(conds)
    assert got["KruisePodReady"] == {
        "type": "KruisePodReady",
        "status": "False",
        "message": f"[{LC_DELETE}]",
        "lastTransitionTime": T0,
    }
    assert got["Ready"] == {
        "type": "Ready",
        "status": "False",
        "reason": "ReadinessGatesNotReady",
        "message": 'the status of pod readiness gate "KruisePodReady" is not "True", but False',
        "lastTransitionTime": T0,
    }


def test_add_without_condition_creates_it() -> None:
    conds = add_not_ready_key(make_pod(), "Lifecycle", "preDeleteHook", NOW)
    assert conds is not None
    assert by_type(conds)["KruisePodReady"]["status"] == "False"
    assert by_type(conds)["KruisePodReady"]["message"] == f"[{LC_DELETE}]"


def test_second_writer_key_is_merged_sorted() -> None:
    pod = make_pod({"status": "False", "message": f"[{LC_DELETE}]"})
    conds = add_not_ready_key(pod, "ContainerRecreateRequest", "default/crr-1", NOW)
    assert conds is not None
    assert by_type(conds)["KruisePodReady"]["message"] == f"[{CRR},{LC_DELETE}]"


def test_add_existing_key_is_a_no_op() -> None:
    pod = make_pod({"status": "False", "message": f"[{LC_DELETE}]"})
    assert add_not_ready_key(pod, "Lifecycle", "preDeleteHook", NOW) is None


@pytest.mark.parametrize("op", [add_not_ready_key, remove_not_ready_key])
def test_no_gate_no_change(op: Any) -> None:
    pod = make_pod({"status": "False", "message": f"[{LC_DELETE}]"}, gate=False)
    assert op(pod, "Lifecycle", "preDeleteHook", NOW) is None


def test_remove_one_of_two_keeps_false() -> None:
    pod = make_pod({"status": "False", "message": f"[{CRR},{LC_DELETE}]"})
    conds = remove_not_ready_key(pod, "Lifecycle", "preDeleteHook", NOW)
    assert conds is not None
    assert by_type(conds)["KruisePodReady"] == {
        "type": "KruisePodReady",
        "status": "False",
        "message": f"[{CRR}]",
        "lastTransitionTime": T0,
    }


def test_remove_last_key_sets_true_and_leaves_ready_to_kubelet() -> None:
    pod = make_pod({"status": "False", "message": f"[{LC_DELETE}]"})
    pod["status"]["conditions"][0]["status"] = "False"
    conds = remove_not_ready_key(pod, "Lifecycle", "preDeleteHook", NOW)
    assert conds is not None
    got = by_type(conds)
    assert got["KruisePodReady"]["status"] == "True"
    assert got["KruisePodReady"]["message"] == "[]"
    assert got["Ready"]["status"] == "False"


@pytest.mark.parametrize(
    "cond",
    [None, {"status": "True"}, {"status": "False", "message": f"[{CRR}]"}],
)
def test_remove_absent_key_is_a_no_op(cond: Obj | None) -> None:
    assert remove_not_ready_key(make_pod(cond), "Lifecycle", "preDeleteHook", NOW) is None


def test_dump_messages_sorts_by_user_agent_then_key() -> None:
    msgs = [{"userAgent": "b", "key": "1"}, {"key": "2", "userAgent": "a"}, {"userAgent": "a", "key": "1"}]
    assert dump_messages(msgs) == (
        '[{"userAgent":"a","key":"1"},{"userAgent":"a","key":"2"},{"userAgent":"b","key":"1"}]'
    )


class StatusApi:
    """Pods in memory; status writes compare resourceVersions."""

    def __init__(self, pod: Obj) -> None:
        self.pod = copy.deepcopy(pod)
        self.calls: list[str] = []

    async def get(self, res: Any, name: str, *, namespace: str | None = None) -> Obj:
        self.calls.append("get")
        return copy.deepcopy(self.pod)

    async def update_status(self, res: Any, body: Obj, *, namespace: str | None = None) -> Obj:
        self.calls.append("update_status")
        if body["metadata"]["resourceVersion"] != self.pod["metadata"]["resourceVersion"]:
            raise Conflict(409, "Conflict", "modified")
        self.pod["status"] = copy.deepcopy(body["status"])
        self.pod["metadata"]["resourceVersion"] = str(int(self.pod["metadata"]["resourceVersion"]) + 1)
        return copy.deepcopy(self.pod)


async def test_patch_not_ready_key_retries_on_conflict() -> None:
    pod = make_pod({"status": "True"})
    api = StatusApi(pod)
    api.pod["metadata"]["resourceVersion"] = "6"  # someone wrote meanwhile
    got = await patch_not_ready_key(api, pod, "Lifecycle", "preDeleteHook", True, clock=lambda: NOW)  # type: ignore[arg-type]
    assert api.calls == ["update_status", "get", "update_status"]
    assert by_type(got["status"]["conditions"])["KruisePodReady"]["message"] == f"[{LC_DELETE}]"
    assert got["metadata"]["resourceVersion"] == "7"
    again = await patch_not_ready_key(api, got, "Lifecycle", "preDeleteHook", False, clock=lambda: NOW)  # type: ignore[arg-type]
    assert by_type(again["status"]["conditions"])["KruisePodReady"]["status"] == "True"


async def test_patch_not_ready_key_without_change_writes_nothing() -> None:
    pod = make_pod(gate=False)
    api = StatusApi(pod)
    assert await patch_not_ready_key(api, pod, "Lifecycle", "x", True) is pod  # type: ignore[arg-type]
    assert api.calls == []
