"""In-place update procedure, refresh and completion (kruise-behaviour.md §2.2-§2.4)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import orjson
import pytest

from kruise.client.errors import Conflict, Invalid, NotFound
from kruise.control.inplace import (
    InPlaceControl,
    RefreshPlan,
    SettledPods,
    UpdateSpec,
    inject_inplace_readiness_gate,
    is_update_completed,
    plan_refresh,
    plan_update,
)
from kruise.control.inplace.control import container_priority, needs_unready, plan_condition
from kruise.control.inplace.state import (
    GRACE_KEY,
    RUNTIME_META_KEY,
    STATE_KEY,
    STATE_KEY_OLD,
    InPlaceUpdateState,
    env_from_metadata_hash,
    plain_container_hash,
    read_grace,
    read_state,
)
from kruise.control.pods import format_time

Obj = dict[str, Any]
NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
T0 = "2024-05-01T12:00:00Z"


def container(name: str, image: str, **extra: Any) -> Obj:
    return {"name": name, "image": image, **extra}


def cstatus(name: str, image: str, image_id: str, *, ready: bool = True, **extra: Any) -> Obj:
    return {
        "name": name,
        "image": image,
        "imageID": image_id,
        "ready": ready,
        "containerID": f"cri://{name}",
        **extra,
    }


def make_pod(
    containers: list[Obj] | None = None, statuses: list[Obj] | None = None, *, gate: bool = True
) -> Obj:
    containers = containers or [container("main", "nginx:1.0"), container("sidecar", "busybox")]
    if statuses is None:
        statuses = [cstatus(c["name"], _norm(c["image"]), f"sha-{c['name']}-1") for c in containers]
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "cs-x1",
            "namespace": "default",
            "resourceVersion": "1",
            "labels": {"app": "demo", "controller-revision-hash": "cs-aaa", "pod-template-hash": "aaa"},
            "annotations": {"team": "a"},
        },
        "spec": {"containers": containers},
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "ContainersReady", "status": "True"},
            ],
            "containerStatuses": statuses,
        },
    }
    if gate:
        inject_inplace_readiness_gate(pod["spec"])
        pod["status"]["conditions"].append({"type": "InPlaceUpdateReady", "status": "True"})
    return pod


def _norm(image: str) -> str:
    return image if ":" in image else image + ":latest"


def revision(name: str, containers: list[Obj], labels: Obj | None = None) -> Obj:
    tpl = {
        "metadata": {"labels": labels or {"app": "demo"}},
        "spec": {"containers": copy.deepcopy(containers)},
        "$patch": "replace",
    }
    return {"metadata": {"name": name}, "data": {"spec": {"template": tpl}}}


def state_of(pod: Obj) -> Obj:
    return orjson.loads(pod["metadata"]["annotations"][STATE_KEY])


def cond(pod: Obj, ctype: str) -> Obj | None:
    return next((c for c in pod["status"].get("conditions") or () if c["type"] == ctype), None)


def barrier(priority: int) -> list[Obj]:
    ref = {"configMapKeyRef": {"name": "cs-x1-barrier", "key": f"p_{priority}"}}
    return [{"name": "KRUISE_CONTAINER_BARRIER", "valueFrom": ref}]


# -- plan_update ------------------------------------------------------------------------------------------


def test_plan_update_writes_labels_state_and_images() -> None:
    pod = make_pod()
    pod["metadata"]["annotations"][STATE_KEY_OLD] = "{}"
    spec = UpdateSpec(
        revision="cs-bbb",
        container_images={"main": "nginx:1.1"},
        meta_patch={"labels": {"tier": "web"}, "annotations": {"team": None}},
    )

    def mutate(p: Obj) -> None:
        p["metadata"]["labels"]["lifecycle.apps.kruise.io/state"] = "Updating"

    new, resize = plan_update(pod, spec, NOW, mutate=mutate)
    assert resize == []
    assert new["metadata"]["labels"] == {
        "app": "demo",
        "controller-revision-hash": "cs-bbb",
        "pod-template-hash": "bbb",
        "lifecycle.apps.kruise.io/state": "Updating",
        "tier": "web",
    }
    assert "team" not in new["metadata"]["annotations"]
    assert STATE_KEY_OLD not in new["metadata"]["annotations"]
    assert GRACE_KEY not in new["metadata"]["annotations"]
    assert [c["image"] for c in new["spec"]["containers"]] == ["nginx:1.1", "busybox"]
    assert state_of(new) == {
        "revision": "cs-bbb",
        "updateTimestamp": T0,
        "lastContainerStatuses": {"main": {"imageID": "sha-main-1"}},
        "updateImages": True,
        "containerBatchesRecord": [{"timestamp": T0, "containers": ["main"]}],
    }
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.0"  # input untouched


def test_plan_update_with_grace_parks_the_spec() -> None:
    pod = make_pod()
    spec = UpdateSpec(revision="cs-bbb", container_images={"main": "nginx:1.1"}, grace_period_seconds=30)
    new, resize = plan_update(pod, spec, NOW)
    assert resize == []
    assert new["spec"]["containers"][0]["image"] == "nginx:1.0"
    assert new["metadata"]["labels"]["controller-revision-hash"] == "cs-bbb"
    assert state_of(new) == {"revision": "cs-bbb", "updateTimestamp": T0, "updateImages": True}
    assert read_grace(new) == spec


def test_plan_update_resources_go_to_resize_not_the_pod() -> None:
    res = {"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}}
    pod = make_pod(
        [container("main", "nginx:1.0", resources=copy.deepcopy(res))],
        [cstatus("main", "nginx:1.0", "sha-1", resources=copy.deepcopy(res))],
    )
    spec = UpdateSpec(revision="cs-bbb", container_resources={"main": {"limits": {"cpu": "400m"}}})
    new, resize = plan_update(pod, spec, NOW)
    assert new["spec"]["containers"][0]["resources"] == res
    assert resize == [{"name": "main", "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "400m"}}}]
    st = state_of(new)
    assert st["updateResources"] is True
    assert st["lastContainerStatuses"] == {"main": {"resources": res}}


def test_launch_priority_batches() -> None:
    containers = [
        container("low", "a:1", env=barrier(0)),
        container("high", "b:1", env=barrier(100)),
        container("plain", "c:1"),
        container("high2", "d:1", env=barrier(100)),
    ]
    pod = make_pod(containers)
    spec = UpdateSpec(
        revision="cs-bbb",
        container_images={"low": "a:2", "high": "b:2", "plain": "c:2", "high2": "d:2"},
    )
    new, _ = plan_update(pod, spec, NOW)
    assert [c["image"] for c in new["spec"]["containers"]] == ["a:1", "b:2", "c:2", "d:2"]
    st = state_of(new)
    assert st["nextContainerImages"] == {"low": "a:2"}
    assert st["preCheckBeforeNext"] == {"containersRequiredReady": ["high", "high2", "plain"]}
    assert st["containerBatchesRecord"] == [{"timestamp": T0, "containers": ["high", "high2", "plain"]}]
    assert set(st["lastContainerStatuses"]) == {"high", "plain", "high2"}


def test_ordered_annotation_and_barrier_priority() -> None:
    pod = make_pod([container("a", "a:1"), container("b", "b:1", env=barrier(-5))])
    assert container_priority(pod, 0) is None
    assert container_priority(pod, 1) == -5
    pod["metadata"]["annotations"]["apps.kruise.io/container-launch-priority"] = "Ordered"
    assert container_priority(pod, 0) == 0


def test_metadata_shared_containers_join_the_batch() -> None:
    pod = make_pod([container("high", "a:1", env=barrier(10)), container("low", "b:1", env=barrier(1))])
    spec = UpdateSpec(
        revision="cs-bbb",
        container_images={"low": "b:2"},
        container_ref_metadata={"high": {"labels": {"v": "2"}}, "low": {"labels": {"v": "2"}}},
        update_env_from_metadata=True,
    )
    new, _ = plan_update(pod, spec, NOW)
    st = state_of(new)
    assert new["metadata"]["labels"]["v"] == "2"
    assert new["spec"]["containers"][1]["image"] == "b:2"
    assert "nextContainerImages" not in st and "preCheckBeforeNext" not in st
    assert st["updateEnvFromMetadata"] is True


def test_ref_metadata_of_a_later_batch_is_parked() -> None:
    pod = make_pod([container("high", "a:1", env=barrier(10)), container("low", "b:1", env=barrier(1))])
    spec = UpdateSpec(
        revision="cs-bbb",
        container_images={"high": "a:2"},
        container_ref_metadata={"low": {"annotations": {"k": "v"}}},
        update_env_from_metadata=True,
    )
    new, _ = plan_update(pod, spec, NOW)
    st = state_of(new)
    assert "k" not in new["metadata"]["annotations"]
    assert st["nextContainerRefMetadata"] == {"low": {"annotations": {"k": "v"}}}
    assert st["preCheckBeforeNext"] == {"containersRequiredReady": ["high"]}


# -- completion -----------------------------------------------------------------------------------------


def updated_pod(
    image: str = "nginx:1.1", status_image: str = "nginx:1.1", image_id: str = "sha-main-2"
) -> Obj:
    pod = make_pod()
    new, _ = plan_update(pod, UpdateSpec(revision="cs-bbb", container_images={"main": image}), NOW)
    new["status"]["containerStatuses"][0].update(image=status_image, imageID=image_id)
    return new


@pytest.mark.parametrize(
    ("image", "status_image", "image_id", "done"),
    [
        ("nginx:1.1", "nginx:1.1", "sha-main-2", True),  # imageID changed
        ("nginx:1.1", "nginx:1.0", "sha-main-1", False),  # kubelet has not restarted it yet
        ("nginx:1.1", "nginx:1.1", "sha-main-1", True),  # new tag, same image digest
        ("nginx", "nginx:latest", "sha-main-1", True),  # bare name means :latest
        ("nginx", "nginx:1.0", "sha-main-1", False),
    ],
)
def test_image_completion(image: str, status_image: str, image_id: str, done: bool) -> None:
    assert is_update_completed(updated_pod(image, status_image, image_id)) is done


def test_completion_needs_every_recorded_container_in_status() -> None:
    pod = updated_pod()
    pod["status"]["containerStatuses"] = pod["status"]["containerStatuses"][1:]
    assert is_update_completed(pod) is False


def test_completion_without_state_grace_or_with_next() -> None:
    assert is_update_completed(make_pod()) is True
    graced, _ = plan_update(
        make_pod(), UpdateSpec(revision="cs-b", container_images={"main": "x"}, grace_period_seconds=5), NOW
    )
    assert is_update_completed(graced) is False
    pod = make_pod([container("a", "a:1", env=barrier(2)), container("b", "b:1", env=barrier(1))])
    batched, _ = plan_update(pod, UpdateSpec(revision="cs-b", container_images={"a": "a:2", "b": "b:2"}), NOW)
    batched["status"]["containerStatuses"][0]["imageID"] = "sha-a-2"
    assert is_update_completed(batched) is False
    broken = make_pod()
    broken["metadata"]["annotations"][STATE_KEY] = "{not json"
    assert is_update_completed(broken) is False


def test_resource_completion_compares_status_resources_with_spec() -> None:
    res = {"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}}
    pod = make_pod(
        [container("main", "nginx:1.0", resources=copy.deepcopy(res))],
        [cstatus("main", "nginx:1.0", "sha-1", resources=copy.deepcopy(res))],
    )
    new, resize = plan_update(
        pod, UpdateSpec(revision="cs-b", container_resources={"main": {"limits": {"cpu": "400m"}}}), NOW
    )
    new["spec"]["containers"][0]["resources"] = resize[0]["resources"]  # the resize PATCH landed
    assert is_update_completed(new) is False
    new["status"]["containerStatuses"][0]["resources"] = {
        "requests": {"cpu": "0.1"},
        "limits": {"cpu": "400m"},
    }
    assert is_update_completed(new) is True


def runtime_meta(pod: Obj, **override: Any) -> str:
    containers = []
    for c in pod["spec"]["containers"]:
        hashes = {
            "plainHash": plain_container_hash(c),
            "extractedEnvFromMetadataHash": env_from_metadata_hash(c, pod),
        }
        hashes.update(override.get(c["name"], {}))
        containers.append(
            {"name": c["name"], "containerID": f"cri://{c['name']}", "restartCount": 0, "hashes": hashes}
        )
    return orjson.dumps({"containers": containers}).decode()


def test_env_from_metadata_completion_needs_daemon_hashes() -> None:
    containers = [
        container(
            "main",
            "nginx:1.0",
            env=[{"name": "V", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['v']"}}}],
        )
    ]
    pod = make_pod(containers)
    spec = UpdateSpec(
        revision="cs-b",
        container_ref_metadata={"main": {"labels": {"v": "2"}}},
        update_env_from_metadata=True,
    )
    new, _ = plan_update(pod, spec, NOW)
    assert is_update_completed(new) is False  # no runtime meta yet
    stale = copy.deepcopy(new)
    stale["metadata"]["labels"]["v"] = "1"
    new["metadata"]["annotations"][RUNTIME_META_KEY] = runtime_meta(stale)  # daemon saw the old value
    assert is_update_completed(new) is False
    new["metadata"]["annotations"][RUNTIME_META_KEY] = runtime_meta(new)
    assert is_update_completed(new) is True


def test_plain_hash_consistency_short_cuts_the_image_check() -> None:
    new = updated_pod(status_image="nginx:1.0", image_id="sha-main-1")
    assert is_update_completed(new) is False
    new["metadata"]["annotations"][RUNTIME_META_KEY] = runtime_meta(new)
    assert is_update_completed(new) is True
    new["metadata"]["annotations"][RUNTIME_META_KEY] = runtime_meta(new, main={"plainHash": 1})
    assert is_update_completed(new) is False  # stale meta: falls back to the imageID check


def test_state_reads_legacy_key() -> None:
    pod = make_pod()
    pod["metadata"]["annotations"][STATE_KEY_OLD] = orjson.dumps(
        {"revision": "r", "updateTimestamp": T0}
    ).decode()
    assert read_state(pod) == InPlaceUpdateState(revision="r", update_timestamp=NOW)


# -- plan_refresh ---------------------------------------------------------------------------------------


def test_refresh_grace_not_due_requeues_with_rounded_up_delay() -> None:
    spec = UpdateSpec(revision="cs-bbb", container_images={"main": "nginx:1.1"}, grace_period_seconds=30)
    pod, _ = plan_update(make_pod(), spec, NOW)
    plan = plan_refresh(pod, NOW + dt.timedelta(seconds=10, milliseconds=300))
    assert (plan.pod, plan.conditions, plan.delay) == (None, None, 20.0)


def test_refresh_grace_due_applies_the_spec() -> None:
    spec = UpdateSpec(revision="cs-bbb", container_images={"main": "nginx:1.1"}, grace_period_seconds=30)
    pod, _ = plan_update(make_pod(), spec, NOW)
    later = NOW + dt.timedelta(seconds=30)
    plan = plan_refresh(pod, later)
    assert plan.pod is not None and plan.delay is None
    assert GRACE_KEY not in plan.pod["metadata"]["annotations"]
    assert plan.pod["spec"]["containers"][0]["image"] == "nginx:1.1"
    st = state_of(plan.pod)
    assert st["updateTimestamp"] == T0
    assert st["lastContainerStatuses"] == {"main": {"imageID": "sha-main-1"}}
    assert st["containerBatchesRecord"] == [{"timestamp": "2024-05-01T12:00:30Z", "containers": ["main"]}]


def test_refresh_grace_dropped_when_revision_changed() -> None:
    spec = UpdateSpec(revision="cs-bbb", container_images={"main": "nginx:1.1"}, grace_period_seconds=30)
    pod, _ = plan_update(make_pod(), spec, NOW)
    pod["metadata"]["labels"]["controller-revision-hash"] = "cs-ccc"
    plan = plan_refresh(pod, NOW)
    assert plan.pod is not None
    assert GRACE_KEY not in plan.pod["metadata"]["annotations"]
    assert plan.pod["spec"] == pod["spec"]


def test_refresh_marks_ready_only_when_completed() -> None:
    pod = updated_pod(status_image="nginx:1.0", image_id="sha-main-1")
    pod["status"]["conditions"][2]["status"] = "False"
    assert plan_refresh(pod, NOW) == type(plan_refresh(pod, NOW))()  # nothing to do yet
    pod["status"]["containerStatuses"][0].update(image="nginx:1.1", imageID="sha-main-2")
    plan = plan_refresh(pod, NOW)
    assert plan.pod is None
    assert plan.conditions is not None
    assert cond({"status": {"conditions": plan.conditions}}, "InPlaceUpdateReady") == {
        "type": "InPlaceUpdateReady",
        "status": "True",
        "lastTransitionTime": T0,
    }
    pod["status"]["conditions"] = plan.conditions
    assert plan_refresh(pod, NOW).conditions is None  # already True


def test_refresh_sets_condition_on_new_pod_and_ignores_pods_without_gate() -> None:
    pod = make_pod()
    pod["status"]["conditions"] = pod["status"]["conditions"][:2]
    assert plan_refresh(pod, NOW).conditions is not None
    assert plan_refresh(make_pod(gate=False), NOW).conditions is None


def test_settled_pods_plan_a_pod_version_found_settled_only_once() -> None:
    settled = SettledPods()
    pod = updated_pod(status_image="nginx:1.0", image_id="sha-main-1")
    pod["metadata"]["uid"] = "u1"
    pod["status"]["conditions"][2]["status"] = "False"
    assert settled.plan(pod, NOW) == RefreshPlan()  # not completed yet: nothing to write
    # The same version again is answered without reading its annotations (spoiled here to show it).
    pod["metadata"]["annotations"][STATE_KEY] = "not json"
    assert settled.plan(pod, NOW) == RefreshPlan()
    # A new version of the pod (another object, even with equal content) is planned again.
    newer = copy.deepcopy(pod)
    with pytest.raises(ValueError, match=r"invalid apps\.kruise\.io/inplace-update-state"):
        settled.plan(newer, NOW)
    newer["metadata"]["annotations"] = copy.deepcopy(updated_pod()["metadata"]["annotations"])
    newer["status"]["containerStatuses"][0].update(image="nginx:1.1", imageID="sha-main-2")
    plan = settled.plan(newer, NOW)
    assert cond({"status": {"conditions": plan.conditions}}, "InPlaceUpdateReady")["status"] == "True"


def test_settled_pods_do_not_remember_plans_with_writes_or_a_requeue() -> None:
    settled = SettledPods(limit=1)
    spec = UpdateSpec(revision="cs-bbb", container_images={"main": "nginx:1.1"}, grace_period_seconds=30)
    waiting, _ = plan_update(make_pod(), spec, NOW)
    waiting["metadata"]["uid"] = "u1"
    assert settled.plan(waiting, NOW).delay == 30.0
    assert settled.plan(waiting, NOW + dt.timedelta(seconds=30)).pod is not None  # the clock counts
    fresh = make_pod()
    fresh["metadata"]["uid"] = "u2"
    fresh["status"]["conditions"] = fresh["status"]["conditions"][:2]
    assert settled.plan(fresh, NOW).conditions is not None
    assert settled.plan(fresh, NOW).conditions is not None  # still to write: asked again
    quiet = [make_pod(), make_pod()]
    for i, pod in enumerate(quiet):
        pod["metadata"]["uid"] = f"q{i}"
        assert settled.plan(pod, NOW) == RefreshPlan()
    assert len(settled._versions) == 1  # bounded: it starts over when full


def test_refresh_next_batch_waits_for_required_ready() -> None:
    pod = make_pod([container("a", "a:1", env=barrier(2)), container("b", "b:1", env=barrier(1))])
    pod, _ = plan_update(pod, UpdateSpec(revision="cs-b", container_images={"a": "a:2", "b": "b:2"}), NOW)
    pod["status"]["containerStatuses"][0].update(image="a:2", imageID="sha-a-2", ready=False)
    assert plan_refresh(pod, NOW).pod is None
    pod["status"]["containerStatuses"][0]["ready"] = True
    later = NOW + dt.timedelta(seconds=5)
    plan = plan_refresh(pod, later)
    assert plan.pod is not None
    assert [c["image"] for c in plan.pod["spec"]["containers"]] == ["a:2", "b:2"]
    st = state_of(plan.pod)
    assert "nextContainerImages" not in st and "preCheckBeforeNext" not in st
    assert st["lastContainerStatuses"] == {"a": {"imageID": "sha-a-1"}, "b": {"imageID": "sha-b-1"}}
    assert st["containerBatchesRecord"] == [
        {"timestamp": T0, "containers": ["a"]},
        {"timestamp": "2024-05-01T12:00:05Z", "containers": ["b"]},
    ]


def test_plan_condition_false_forces_ready_false() -> None:
    pod = make_pod()
    conditions = plan_condition(pod, False, NOW, "StartInPlaceUpdate")
    assert conditions is not None
    view = {"status": {"conditions": conditions}}
    assert cond(view, "InPlaceUpdateReady") == {
        "type": "InPlaceUpdateReady",
        "status": "False",
        "reason": "StartInPlaceUpdate",
        "lastTransitionTime": T0,
    }
    assert cond(view, "Ready") == {
        "type": "Ready",
        "status": "False",
        "reason": "ReadinessGatesNotReady",
        "message": 'the status of pod readiness gate "InPlaceUpdateReady" is not "True", but False',
        "lastTransitionTime": T0,
    }
    assert plan_condition({**pod, "status": view["status"]}, False, NOW, "StartInPlaceUpdate") is None


def test_needs_unready() -> None:
    spec_img = UpdateSpec(revision="r", container_images={"main": "x"})
    spec_res = UpdateSpec(revision="r", container_resources={"main": {"limits": {"memory": "1Gi"}}})
    assert needs_unready(make_pod(), spec_img) is True
    assert needs_unready(make_pod(gate=False), spec_img) is False
    assert needs_unready(make_pod(), spec_res) is False
    restart = [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]
    assert needs_unready(make_pod([container("main", "nginx:1.0", resizePolicy=restart)]), spec_res) is True


def test_inject_readiness_gate_once() -> None:
    spec: Obj = {"readinessGates": [{"conditionType": "KruisePodReady"}]}
    inject_inplace_readiness_gate(spec)
    inject_inplace_readiness_gate(spec)
    assert spec["readinessGates"] == [
        {"conditionType": "KruisePodReady"},
        {"conditionType": "InPlaceUpdateReady"},
    ]


# -- executor against an in-memory fake API -------------------------------------------------------------


class FakePods:
    """Pods in memory with resourceVersion compare-and-swap, the status and resize subresources, and
    the API server's rule that a pod UPDATE may change images but not resources."""

    def __init__(self, *pods: Obj) -> None:
        self.store: dict[tuple[str, str], Obj] = {}
        self.calls: list[tuple[str, str | None]] = []
        self.rv = 10
        self.missing = False
        for p in pods:
            self._save(copy.deepcopy(p))

    def _save(self, pod: Obj) -> Obj:
        self.rv += 1
        pod["metadata"]["resourceVersion"] = str(self.rv)
        self.store[(pod["metadata"]["namespace"], pod["metadata"]["name"])] = pod
        return copy.deepcopy(pod)

    def _stored(self, namespace: str | None, name: str) -> Obj:
        if self.missing or (namespace or "", name) not in self.store:
            raise NotFound(404, "NotFound", f'pods "{name}" not found')
        return self.store[(namespace or "", name)]

    def touch(self, namespace: str, name: str) -> None:
        """Someone else writes the pod (bumps the resourceVersion)."""
        self._save(copy.deepcopy(self.store[(namespace, name)]))

    async def get(self, res: Any, name: str, *, namespace: str | None = None) -> Obj:
        self.calls.append(("get", None))
        return copy.deepcopy(self._stored(namespace, name))

    async def update(
        self, res: Any, body: Obj, *, namespace: str | None = None, subresource: str | None = None
    ) -> Obj:
        self.calls.append(("update", subresource))
        stored = self._stored(namespace, body["metadata"]["name"])
        if body["metadata"].get("resourceVersion") != stored["metadata"]["resourceVersion"]:
            raise Conflict(409, "Conflict", "the object has been modified; please apply your changes")
        if subresource == "status":
            new = copy.deepcopy(stored)
            new["status"] = copy.deepcopy(body.get("status") or {})
            return self._save(new)
        for old_c, new_c in zip(stored["spec"]["containers"], body["spec"]["containers"], strict=True):
            if {k: v for k, v in old_c.items() if k != "image"} != {
                k: v for k, v in new_c.items() if k != "image"
            }:
                raise Invalid(
                    422, "Invalid", "Pod is invalid: spec: Forbidden: pod updates may not change fields"
                )
        new = copy.deepcopy(body)
        new["status"] = copy.deepcopy(stored.get("status") or {})
        return self._save(new)

    async def update_status(self, res: Any, body: Obj, *, namespace: str | None = None) -> Obj:
        return await self.update(res, body, namespace=namespace, subresource="status")

    async def patch(
        self,
        res: Any,
        name: str,
        body: Obj,
        *,
        patch_type: str = "merge",
        namespace: str | None = None,
        subresource: str | None = None,
    ) -> Obj:
        self.calls.append(("patch", subresource))
        assert patch_type == "strategic" and subresource in ("resize", "status")
        new = copy.deepcopy(self._stored(namespace, name))
        if subresource == "status":  # conditions merge by type; a null drops a field
            conditions = new["status"].setdefault("conditions", [])
            for patched in body["status"]["conditions"]:
                at = next((c for c in conditions if c["type"] == patched["type"]), None)
                if at is None:
                    at = {}
                    conditions.append(at)
                at.update(patched)
                for k in [k for k, v in at.items() if v is None]:
                    del at[k]
            return self._save(new)
        by_name = {c["name"]: c for c in new["spec"]["containers"]}
        for c in body["spec"]["containers"]:
            target = by_name[c["name"]].setdefault("resources", {})
            for kind, values in c["resources"].items():
                target.setdefault(kind, {}).update(values)
        return self._save(new)


def clock() -> dt.datetime:
    return NOW


OLD_CONTAINERS = [container("main", "nginx:1.0"), container("sidecar", "busybox")]
OLD_REV = revision("cs-aaa", OLD_CONTAINERS)
NEW_REV = revision("cs-bbb", [container("main", "nginx:1.1"), container("sidecar", "busybox")])


async def test_update_marks_unready_first_then_updates() -> None:
    pod = make_pod()
    api = FakePods(pod)
    control = InPlaceControl(api, clock=clock)  # type: ignore[arg-type]
    result = await control.update(
        api.store[("default", "cs-x1")],
        OLD_REV,
        NEW_REV,
        mutate=lambda p: p["metadata"]["labels"].update({"lifecycle.apps.kruise.io/state": "Updating"}),
    )
    assert result.error is None
    assert (result.in_place_updated, result.delay) == (True, None)
    assert api.calls == [("patch", "status"), ("update", None)]  # the patch answers the latest pod
    stored = api.store[("default", "cs-x1")]
    assert result.pod == stored
    assert stored["spec"]["containers"][0]["image"] == "nginx:1.1"
    assert stored["metadata"]["labels"]["controller-revision-hash"] == "cs-bbb"
    assert stored["metadata"]["labels"]["lifecycle.apps.kruise.io/state"] == "Updating"
    assert cond(stored, "InPlaceUpdateReady")["reason"] == "StartInPlaceUpdate"
    assert cond(stored, "Ready")["status"] == "False"
    assert state_of(stored)["revision"] == "cs-bbb"


async def test_update_retries_on_conflict_with_a_fresh_read() -> None:
    pod = make_pod(gate=False)
    api = FakePods(pod)
    stale = copy.deepcopy(api.store[("default", "cs-x1")])
    api.touch("default", "cs-x1")
    calls: list[int] = []
    control = InPlaceControl(api, clock=clock)  # type: ignore[arg-type]
    result = await control.update(stale, OLD_REV, NEW_REV, mutate=lambda p: calls.append(1))
    assert result.error is None and result.in_place_updated
    assert api.calls == [("update", None), ("get", None), ("update", None)]
    assert len(calls) == 2  # mutate ran on each attempt's fresh copy
    assert api.store[("default", "cs-x1")]["spec"]["containers"][0]["image"] == "nginx:1.1"


async def test_update_not_in_place_writes_nothing() -> None:
    api = FakePods(make_pod())
    new_rev = revision(
        "cs-bbb", [container("main", "nginx:1.0", command=["x"]), container("sidecar", "busybox")]
    )
    result = await InPlaceControl(api, clock=clock).update(make_pod(), OLD_REV, new_rev)  # type: ignore[arg-type]
    assert result == type(result)()
    assert api.calls == []


async def test_update_reports_api_errors() -> None:
    api = FakePods(make_pod())
    api.missing = True
    result = await InPlaceControl(api, clock=clock).update(make_pod(), OLD_REV, NEW_REV)  # type: ignore[arg-type]
    assert result.in_place_updated is True
    assert isinstance(result.error, NotFound)


async def test_update_with_grace_returns_delay_and_refresh_finishes_later() -> None:
    api = FakePods(make_pod(gate=False))
    now = [NOW]
    control = InPlaceControl(api, clock=lambda: now[0])  # type: ignore[arg-type]
    result = await control.update(api.store[("default", "cs-x1")], OLD_REV, NEW_REV, grace_period_seconds=10)
    assert (result.error, result.delay) == (None, 10.0)
    stored = api.store[("default", "cs-x1")]
    assert stored["spec"]["containers"][0]["image"] == "nginx:1.0"
    now[0] = NOW + dt.timedelta(seconds=4)
    assert await control.refresh(stored) == type(await control.refresh(stored))(pod=None, delay=6.0)
    now[0] = NOW + dt.timedelta(seconds=10)
    refreshed = await control.refresh(stored)
    assert refreshed.pod is not None
    assert refreshed.pod["spec"]["containers"][0]["image"] == "nginx:1.1"
    assert GRACE_KEY not in refreshed.pod["metadata"]["annotations"]


async def test_vertical_resize_goes_through_the_resize_subresource() -> None:
    res = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}
    old = [container("main", "nginx:1.0", resources=res)]
    new = [container("main", "nginx:1.0", resources={**res, "limits": {"cpu": "500m", "memory": "128Mi"}})]
    pod = make_pod(copy.deepcopy(old), [cstatus("main", "nginx:1.0", "sha-1", resources=copy.deepcopy(res))])
    api = FakePods(pod)
    control = InPlaceControl(api, clock=clock)  # type: ignore[arg-type]
    result = await control.update(
        api.store[("default", "cs-x1")], revision("cs-aaa", old), revision("cs-bbb", new)
    )
    assert result.error is None
    # Resource-only and no RestartContainer policy: the pod stays ready, no status write.
    assert api.calls == [("update", None), ("patch", "resize")]
    stored = api.store[("default", "cs-x1")]
    assert stored["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "128Mi"}
    assert result.pod == stored
    assert is_update_completed(stored) is False
    stored["status"]["containerStatuses"][0]["resources"] = copy.deepcopy(
        stored["spec"]["containers"][0]["resources"]
    )
    assert is_update_completed(stored) is True


async def test_refresh_patches_only_its_condition_even_from_a_stale_pod() -> None:
    pod = make_pod()
    pod["status"]["conditions"][2]["status"] = "False"
    api = FakePods(pod)
    stale = copy.deepcopy(api.store[("default", "cs-x1")])
    api.touch("default", "cs-x1")  # say, the node wrote the status meanwhile
    others_before = [
        c
        for c in api.store[("default", "cs-x1")]["status"]["conditions"]
        if c["type"] != "InPlaceUpdateReady"
    ]
    control = InPlaceControl(api, clock=clock)  # type: ignore[arg-type]
    refreshed = await control.refresh(stale)
    assert api.calls == [("patch", "status")]  # no Conflict, no re-read
    assert refreshed.pod is not None
    assert cond(refreshed.pod, "InPlaceUpdateReady") == {
        "type": "InPlaceUpdateReady",
        "status": "True",
        "lastTransitionTime": format_time(NOW),
    }
    others = [c for c in refreshed.pod["status"]["conditions"] if c["type"] != "InPlaceUpdateReady"]
    assert others == others_before
    assert (await control.refresh(refreshed.pod)).pod is None  # nothing left to write


async def test_full_cycle_update_then_refresh_to_ready() -> None:
    api = FakePods(make_pod())
    control = InPlaceControl(api, clock=clock)  # type: ignore[arg-type]
    result = await control.update(api.store[("default", "cs-x1")], OLD_REV, NEW_REV)
    assert result.pod is not None
    assert (await control.refresh(result.pod)).pod is None  # kubelet not done
    # The kubelet restarts the container with the new image.
    stored = api.store[("default", "cs-x1")]
    stored["status"]["containerStatuses"][0].update(image="nginx:1.1", imageID="sha-main-2")
    final = await control.refresh(copy.deepcopy(stored))
    assert final.pod is not None
    assert cond(final.pod, "InPlaceUpdateReady")["status"] == "True"
