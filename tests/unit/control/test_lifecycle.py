"""Lifecycle hooks: hooked / allHooked, transitions and the state writer (kruise-behaviour.md §1.2)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import orjson
import pytest

from kruise.api.lifecycle import Lifecycle, LifecycleHook
from kruise.client.errors import Conflict
from kruise.control import lifecycle as lc

Obj = dict[str, Any]
NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
T0 = "2024-05-01T12:00:00Z"

HOOK = LifecycleHook(labels_handler={"hold": "true", "zone": "a"}, finalizers_handler=["x.io/f1", "x.io/f2"])


def make_pod(labels: Obj | None = None, finalizers: list[str] | None = None, state: str | None = None) -> Obj:
    meta: Obj = {"name": "p", "namespace": "default", "resourceVersion": "3", "labels": dict(labels or {})}
    if finalizers is not None:
        meta["finalizers"] = finalizers
    if state is not None:
        meta["labels"]["lifecycle.apps.kruise.io/state"] = state
    return {"metadata": meta, "spec": {"containers": [{"name": "c", "image": "x"}]}, "status": {}}


@pytest.mark.parametrize(
    ("labels", "finalizers", "hooked", "all_hooked"),
    [
        ({}, None, False, False),
        ({"hold": "true"}, None, True, False),
        ({"hold": "false"}, None, False, False),
        ({}, ["x.io/f2"], True, False),
        ({"hold": "true", "zone": "a"}, ["x.io/f1"], True, False),
        ({"hold": "true", "zone": "a"}, ["x.io/f2", "x.io/f1", "other"], True, True),
        ({"hold": "true", "zone": "b"}, ["x.io/f1", "x.io/f2"], True, False),
    ],
)
def test_hooked_and_all_hooked(
    labels: Obj, finalizers: list[str] | None, hooked: bool, all_hooked: bool
) -> None:
    pod = make_pod(labels, finalizers)
    assert lc.is_hooked(HOOK, pod) is hooked
    assert lc.all_hooked(HOOK, pod) is all_hooked
    # Hooks given as wire dicts behave the same.
    assert lc.is_hooked(HOOK.wire(), pod) is hooked


def test_nil_hook() -> None:
    pod = make_pod({"hold": "true"})
    assert lc.is_hooked(None, pod) is False
    assert lc.all_hooked(None, pod) is False


def test_empty_hook_is_all_hooked_but_not_hooked() -> None:
    assert lc.all_hooked(LifecycleHook(), make_pod()) is True
    assert lc.is_hooked(LifecycleHook(), make_pod()) is False


IPU = LifecycleHook(labels_handler={"ready-for-update": "true"})


@pytest.mark.parametrize(
    ("lifecycle", "labels", "expected"),
    [
        (None, {}, lc.NORMAL),
        (Lifecycle(in_place_update=IPU), {}, lc.UPDATED),
        (Lifecycle(in_place_update=IPU), {"ready-for-update": "true"}, lc.NORMAL),
        # Lifecycle without an inPlaceUpdate hook: Updated first (then Normal on the next pass).
        (Lifecycle(pre_delete=HOOK), {}, lc.UPDATED),
    ],
)
def test_next_state_after_update(lifecycle: Lifecycle | None, labels: Obj, expected: str) -> None:
    assert lc.next_state_after_update(lifecycle, make_pod(labels)) == expected


@pytest.mark.parametrize(
    ("lifecycle", "labels", "expected"),
    [
        (None, {}, True),
        (Lifecycle(pre_delete=HOOK), {}, True),
        (Lifecycle(in_place_update=IPU), {}, False),
        (Lifecycle(in_place_update=IPU), {"ready-for-update": "true"}, True),
    ],
)
def test_updated_to_normal(lifecycle: Lifecycle | None, labels: Obj, expected: bool) -> None:
    assert lc.updated_to_normal(lifecycle, make_pod(labels)) is expected


PRE_NORMAL = LifecycleHook(finalizers_handler=["x.io/online"])


@pytest.mark.parametrize(
    ("lifecycle", "finalizers", "node", "require_scheduled", "expected"),
    [
        (None, None, "", True, False),
        (None, None, "n1", True, True),
        (None, None, "", False, True),
        (Lifecycle(pre_normal=PRE_NORMAL), None, "n1", True, False),
        (Lifecycle(pre_normal=PRE_NORMAL), ["x.io/online"], "", True, True),
    ],
)
def test_preparing_normal_done(
    lifecycle: Lifecycle | None,
    finalizers: list[str] | None,
    node: str,
    require_scheduled: bool,
    expected: bool,
) -> None:
    pod = make_pod(finalizers=finalizers)
    if node:
        pod["spec"]["nodeName"] = node
    assert lc.preparing_normal_done(lifecycle, pod, require_scheduled=require_scheduled) is expected


@pytest.mark.parametrize(
    ("state", "hooked", "expected"),
    [
        ("", True, True),
        ("Normal", True, True),
        ("PreparingNormal", True, True),
        ("Updated", True, False),
        ("Normal", False, False),
    ],
)
def test_needs_preparing_update(state: str, hooked: bool, expected: bool) -> None:
    pod = make_pod({"ready-for-update": "true"} if hooked else {}, state=state or None)
    assert lc.needs_preparing_update(Lifecycle(in_place_update=IPU), pod) is expected
    assert lc.needs_preparing_update(None, pod) is False


def test_needs_preparing_delete() -> None:
    assert lc.needs_preparing_delete(Lifecycle(pre_delete=HOOK), make_pod(finalizers=["x.io/f1"])) is True
    assert lc.needs_preparing_delete(Lifecycle(pre_delete=HOOK), make_pod()) is False
    assert lc.needs_preparing_delete(None, make_pod(finalizers=["x.io/f1"])) is False


def test_set_state_and_apply_hook() -> None:
    pod: Obj = {"metadata": {"name": "p"}}
    lc.set_state(pod, lc.PREPARING_UPDATE, NOW)
    assert pod["metadata"] == {
        "name": "p",
        "labels": {"lifecycle.apps.kruise.io/state": "PreparingUpdate"},
        "annotations": {"lifecycle.apps.kruise.io/timestamp": T0},
    }
    pod["metadata"]["finalizers"] = ["x.io/f2"]
    lc.apply_hook(HOOK, pod)
    lc.apply_hook(HOOK, pod)
    assert pod["metadata"]["finalizers"] == ["x.io/f2", "x.io/f1"]
    assert pod["metadata"]["labels"]["hold"] == "true" and pod["metadata"]["labels"]["zone"] == "a"
    assert lc.all_hooked(HOOK, pod)


@pytest.mark.parametrize(
    ("state", "mark", "expected"),
    [
        (lc.PREPARING_DELETE, True, ("preDeleteHook", True)),
        (lc.PREPARING_DELETE, False, ("preDeleteHook", False)),
        (lc.PREPARING_UPDATE, True, ("preUpdateHook", True)),
        (lc.UPDATED, True, ("preUpdateHook", False)),
        (lc.NORMAL, True, ("preUpdateHook", False)),
        (lc.PREPARING_NORMAL, False, ("preDeleteHook", False)),
        (lc.UPDATING, True, None),
    ],
)
def test_not_ready_change(state: str, mark: bool, expected: tuple[str, bool] | None) -> None:
    assert lc.not_ready_change(state, mark) == expected


# -- LifecycleControl against an in-memory fake ------------------------------------------------------------


class FakePods:
    def __init__(self, pod: Obj) -> None:
        self.pod = copy.deepcopy(pod)
        self.calls: list[str] = []

    def _bump(self) -> Obj:
        self.pod["metadata"]["resourceVersion"] = str(int(self.pod["metadata"]["resourceVersion"]) + 1)
        return copy.deepcopy(self.pod)

    async def get(self, res: Any, name: str, *, namespace: str | None = None) -> Obj:
        self.calls.append("get")
        return copy.deepcopy(self.pod)

    async def update(
        self, res: Any, body: Obj, *, namespace: str | None = None, subresource: str | None = None
    ) -> Obj:
        self.calls.append("update" if subresource is None else f"update/{subresource}")
        if body["metadata"]["resourceVersion"] != self.pod["metadata"]["resourceVersion"]:
            raise Conflict(409, "Conflict", "modified")
        if subresource == "status":
            self.pod["status"] = copy.deepcopy(body["status"])
        else:
            status = self.pod.get("status")
            self.pod = copy.deepcopy(body)
            self.pod["status"] = status
        return self._bump()

    async def update_status(self, res: Any, body: Obj, *, namespace: str | None = None) -> Obj:
        return await self.update(res, body, namespace=namespace, subresource="status")

    async def patch(self, res: Any, name: str, body: Obj, *, namespace: str | None = None) -> Obj:
        self.calls.append("patch")
        meta = self.pod["metadata"]
        for field, values in body["metadata"].items():
            meta[field] = {**(meta.get(field) or {}), **values}
        return self._bump()


def kruise_ready_pod(state: str = "Normal") -> Obj:
    pod = make_pod(state=state)
    pod["spec"]["readinessGates"] = [{"conditionType": "KruisePodReady"}]
    pod["status"] = {"conditions": [{"type": "KruisePodReady", "status": "True"}]}
    return pod


async def test_update_state_with_mark_not_ready_writes_key_then_state() -> None:
    api = FakePods(kruise_ready_pod())
    control = lc.LifecycleControl(api, clock=lambda: NOW)  # type: ignore[arg-type]
    got = await control.update_state(api.pod, lc.PREPARING_DELETE, mark_not_ready=True)
    assert api.calls == ["update/status", "patch"]
    assert got == api.pod
    assert got["metadata"]["labels"]["lifecycle.apps.kruise.io/state"] == "PreparingDelete"
    assert got["metadata"]["annotations"]["lifecycle.apps.kruise.io/timestamp"] == T0
    kruise = got["status"]["conditions"][0]
    assert kruise["status"] == "False"
    assert orjson.loads(kruise["message"]) == [{"userAgent": "Lifecycle", "key": "preDeleteHook"}]


async def test_update_state_release_key_on_updated() -> None:
    pod = kruise_ready_pod("Updating")
    pod["status"]["conditions"][0] = {
        "type": "KruisePodReady",
        "status": "False",
        "message": '[{"userAgent":"Lifecycle","key":"preUpdateHook"}]',
    }
    api = FakePods(pod)
    control = lc.LifecycleControl(api, clock=lambda: NOW)  # type: ignore[arg-type]
    got = await control.update_state(api.pod, lc.UPDATED, mark_not_ready=True)
    assert got["status"]["conditions"][0]["status"] == "True"
    assert got["metadata"]["labels"]["lifecycle.apps.kruise.io/state"] == "Updated"


async def test_update_state_same_state_writes_nothing() -> None:
    api = FakePods(kruise_ready_pod("Normal"))
    control = lc.LifecycleControl(api, clock=lambda: NOW)  # type: ignore[arg-type]
    got = await control.update_state(api.pod, lc.NORMAL)
    assert api.calls == []
    assert got["metadata"]["resourceVersion"] == "3"


async def test_update_state_retries_on_conflict_and_applies_extra() -> None:
    api = FakePods(make_pod(state="Updated"))
    stale = copy.deepcopy(api.pod)
    api.pod["metadata"]["resourceVersion"] = "9"
    control = lc.LifecycleControl(api, clock=lambda: NOW)  # type: ignore[arg-type]
    got = await control.update_state(stale, lc.PREPARING_UPDATE, extra=lambda p: lc.apply_hook(IPU, p))
    assert api.calls == ["update", "get", "update"]
    assert got["metadata"]["labels"]["lifecycle.apps.kruise.io/state"] == "PreparingUpdate"
    assert got["metadata"]["labels"]["ready-for-update"] == "true"
