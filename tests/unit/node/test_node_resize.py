"""The node's in-place resize decisions (kruise.node.resize) and how they show in the Pod status."""

from __future__ import annotations

from typing import Any

import pytest

from kruise.node.resize import (
    DEFERRED,
    INFEASIBLE,
    Pending,
    amount,
    check_fit,
    container_resources,
    needs_restart,
    pod_requests,
    resize_conditions,
    same_resources,
)
from kruise.node.status import ContainerView, PodView, Running, container_status, pod_status, status_patch

Obj = dict[str, Any]


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("cpu", "100m", 100),
        ("cpu", "1.5", 1500),
        ("cpu", 2, 2000),
        ("cpu", "1n", 1),  # rounded up, as kube's MilliValue
        ("memory", "64Mi", 64 * 2**20),
        ("memory", "1G", 10**9),
        ("memory", "1e3", 1000),
        ("memory", "garbage", 0),
    ],
)
def test_amount(name: str, raw: Any, expected: int) -> None:
    assert amount(name, raw) == expected


ALLOCATABLE = {"cpu": 4000, "memory": 8 * 2**30}


@pytest.mark.parametrize(
    ("wanted", "used", "expected"),
    [
        ({"cpu": 1000, "memory": 2**30}, {"cpu": 2000}, None),
        ({"cpu": 2000}, {"cpu": 2000}, None),  # exactly full fits
        (
            {"cpu": 5000},
            {},
            Pending(INFEASIBLE, "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000"),
        ),
        (
            {"cpu": 3000},
            {"cpu": 1500},
            Pending(
                DEFERRED, "Node didn't have enough resource: cpu, requested: 3000, used: 1500, capacity: 4000"
            ),
        ),
        (
            {"memory": 9 * 2**30},
            {},
            Pending(
                INFEASIBLE,
                f"Node didn't have enough capacity: memory, requested: {9 * 2**30}, capacity: {8 * 2**30}",
            ),
        ),
    ],
)
def test_check_fit(wanted: Obj, used: Obj, expected: Pending | None) -> None:
    assert check_fit(wanted, ALLOCATABLE, used) == expected


def test_pod_requests_default_to_limits() -> None:
    allocations = [{"limits": {"cpu": "500m", "memory": "1Gi"}}, {"requests": {"cpu": "250m"}}, {}]
    assert pod_requests(allocations) == {"cpu": 750, "memory": 2**30}


@pytest.mark.parametrize(
    ("policy", "old", "new", "restart"),
    [
        (None, {"limits": {"memory": "1Gi"}}, {"limits": {"memory": "2Gi"}}, False),
        (
            [{"resourceName": "memory", "restartPolicy": "RestartContainer"}],
            {"limits": {"cpu": "1"}},
            {"limits": {"cpu": "2"}},
            False,
        ),
        (
            [{"resourceName": "memory", "restartPolicy": "RestartContainer"}],
            {"limits": {"memory": "1Gi"}},
            {"limits": {"memory": "2Gi"}},
            True,
        ),
        (
            [{"resourceName": "cpu", "restartPolicy": "RestartContainer"}],
            {"requests": {"cpu": "1"}},
            {"requests": {"cpu": "1000m"}},
            False,
        ),
        (
            [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
            {"requests": {"cpu": "1"}},
            {"requests": {"cpu": "2"}},
            False,
        ),
    ],
)
def test_needs_restart(policy: list[Obj] | None, old: Obj, new: Obj, restart: bool) -> None:
    container: Obj = {"name": "c"} if policy is None else {"name": "c", "resizePolicy": policy}
    assert needs_restart(container, old, new) is restart


def test_same_resources_compares_values() -> None:
    assert same_resources({"requests": {"cpu": "1"}}, {"requests": {"cpu": "1000m"}})
    assert not same_resources({"requests": {"cpu": "1"}}, {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}})
    assert not same_resources(None, {})
    assert container_resources({"name": "c", "resources": {"requests": {}, "limits": {"cpu": "1"}}}) == {
        "limits": {"cpu": "1"}
    }


def test_resize_conditions() -> None:
    assert resize_conditions(None, False) == []
    assert resize_conditions(Pending(DEFERRED, "m"), True) == [
        {"type": "PodResizePending", "status": "True", "reason": "Deferred", "message": "m"},
        {"type": "PodResizeInProgress", "status": "True"},
    ]


def test_container_status_reports_resources_and_allocation() -> None:
    view = ContainerView(
        "c",
        "img",
        Running("2025-01-01T00:00:00Z"),
        resources={"requests": {"cpu": "1"}},
        allocated={"cpu": "1"},
    )
    st = container_status(view)
    assert (st["resources"], st["allocatedResources"]) == ({"requests": {"cpu": "1"}}, {"cpu": "1"})
    assert container_status(ContainerView("c", "img", resources={}))["resources"] == {}  # BestEffort
    assert "resources" not in container_status(ContainerView("c", "img"))


def test_resize_conditions_are_published_then_removed() -> None:
    now = "2025-01-01T00:00:00Z"
    spec = {"containers": [{"name": "c"}]}
    containers = (ContainerView("c", "img", Running(now), ready=True, started=True),)
    busy = PodView(containers=containers, sandbox_ready=True, resize=tuple(resize_conditions(None, True)))
    status = pod_status({"spec": spec}, busy, now)
    assert status["conditions"][0] == {
        "type": "PodResizeInProgress",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": now,
    }
    idle = PodView(containers=containers, sandbox_ready=True)
    patch = status_patch(status, pod_status({"spec": spec, "status": status}, idle, now))
    assert patch == {"status": {"conditions": [{"type": "PodResizeInProgress", "$patch": "delete"}]}}
