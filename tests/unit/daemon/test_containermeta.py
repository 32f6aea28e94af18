"""kruise-daemon container meta: what is reported and which containers are restarted (§2.1, §2.4)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import orjson

from kruise.api.containermeta import (
    CONTAINER_HASH_LABEL,
    RUNTIME_META_KEY,
    _fnv32a,
    env_from_metadata_hash,
    plain_container_hash,
    running_env_hash,
)
from kruise.daemon.containermeta import (
    ContainerMetaController,
    is_tracked,
    meta_patch,
    needs_sync,
    plan_meta,
    reported_meta,
)

SPEC = {
    "name": "app",
    "image": "web:1",
    "env": [
        {"name": "PLAIN", "value": "x"},
        {"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}},
    ],
}


@dataclass
class Running:
    id: str
    name: str = "app"
    attempt: int = 0
    state: str = "running"
    labels: dict[str, str] = field(
        default_factory=lambda: {CONTAINER_HASH_LABEL: str(plain_container_hash(SPEC))}
    )
    env: dict[str, str] = field(default_factory=lambda: {"PLAIN": "x", "TIER": "a"})


def pod(
    tier: str = "a", container_id: str = "sim://1", updating: bool = False, meta: list | None = None
) -> dict:
    annotations = {RUNTIME_META_KEY: orjson.dumps({"containers": meta}).decode()} if meta is not None else {}
    return {
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "uid": "u1",
            "labels": {"tier": tier},
            "annotations": annotations,
            "ownerReferences": [
                {"apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet", "controller": True}
            ],
        },
        "spec": {"containers": [SPEC]},
        "status": {
            "conditions": [{"type": "InPlaceUpdateReady", "status": "False" if updating else "True"}],
            "containerStatuses": [{"name": "app", "containerID": container_id, "restartCount": 0}],
        },
    }


def test_a_new_container_is_reported_with_its_spec_hash_and_running_env_hash() -> None:
    plan = plan_meta(pod(), None, [Running("sim://1")])
    assert plan.restart == []
    [entry] = plan.containers
    assert entry == {
        "name": "app",
        "containerID": "sim://1",
        "restartCount": 0,
        "hashes": {
            "plainHash": plain_container_hash(SPEC),
            "plainHashWithoutResources": 0,
            "extractedEnvFromMetadataHash": env_from_metadata_hash(SPEC, pod()),
        },
    }
    # the env hash covers only the label-sourced values, in their positions
    assert (
        running_env_hash(SPEC, {"PLAIN": "changed", "TIER": "a"})
        == entry["hashes"]["extractedEnvFromMetadataHash"]
    )
    assert running_env_hash(SPEC, {"TIER": "b"}) != entry["hashes"]["extractedEnvFromMetadataHash"]


def test_a_stale_env_is_restarted_only_while_the_pod_is_updated_in_place() -> None:
    reported = plan_meta(pod(), None, [Running("sim://1")]).containers
    relabelled = pod("b", meta=reported)
    assert needs_sync(pod(meta=reported), relabelled)
    # label changed but no in-place update under way: reported as it is, nothing restarted
    idle = plan_meta(relabelled, reported, [Running("sim://1")])
    assert (idle.containers, idle.restart) == (reported, [])
    updating = plan_meta(pod("b", updating=True, meta=reported), reported, [Running("sim://1")])
    assert updating.restart == ["sim://1"]
    # the kubelet started a new instance with the new value: it is reported, and matches
    fresh = Running("sim://2", attempt=1, env={"PLAIN": "x", "TIER": "b"})
    after = plan_meta(
        pod("b", "sim://2", updating=True, meta=reported),
        reported,
        [Running("sim://1", state="exited"), fresh],
    )
    assert after.restart == []
    [entry] = after.containers
    assert (entry["containerID"], entry["restartCount"]) == ("sim://2", 1)
    assert entry["hashes"]["extractedEnvFromMetadataHash"] == env_from_metadata_hash(SPEC, pod("b"))


def test_only_kruise_pods_are_tracked_and_only_changes_sync() -> None:
    reported = plan_meta(pod(), None, [Running("sim://1")]).containers
    assert is_tracked(pod())
    plain = pod()
    plain["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "controller": True}
    ]
    assert not is_tracked(plain) and not needs_sync(None, plain)
    injected = {
        **plain,
        "metadata": {**plain["metadata"], "annotations": {"kruise.io/sidecarset-hash": "{}"}},
    }
    assert is_tracked(injected)
    assert needs_sync(None, pod())  # never reported
    assert not needs_sync(pod(meta=reported), pod(meta=reported))
    assert needs_sync(pod(meta=reported), pod(container_id="sim://2", meta=reported))  # a new instance


def test_the_report_is_a_status_patch_of_one_annotation() -> None:
    containers = plan_meta(pod(), None, [Running("sim://1")]).containers
    patch = meta_patch(containers)
    assert list(patch) == ["metadata"]
    assert reported_meta({"metadata": patch["metadata"]}) == containers
    assert reported_meta({"metadata": {"annotations": {RUNTIME_META_KEY: "not json"}}}) is None


class FakeRuntime:
    def __init__(self, fail: bool = False) -> None:
        self.containers = {"sim://1": Running("sim://1")}
        self.stops: list[tuple[str, float]] = []
        self.fail = fail

    def list_containers(self, pod_uid: str | None = None) -> list[Running]:
        return list(self.containers.values())

    def status(self, container_id: str) -> Running | None:
        return self.containers.get(container_id)

    async def stop_container(self, container_id: str, grace: float) -> None:
        self.stops.append((container_id, grace))
        if self.fail:
            raise RuntimeError("runtime lost it")
        self.containers[container_id].state = "exited"


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        self.seen.append((type_, reason, message))


async def test_a_stale_container_is_stopped_once_with_the_pods_grace_and_retried_after_a_backoff() -> None:
    target = pod("b", updating=True)
    target["spec"]["terminationGracePeriodSeconds"] = 7
    runtime, events = FakeRuntime(fail=True), Events()
    ctl = ContainerMetaController(None, runtime, events)  # type: ignore[arg-type]
    ctl._spawn_restart(target, "sim://1")
    ctl._spawn_restart(target, "sim://1")  # within the back-off: not again
    await asyncio.gather(*ctl._restarts)
    assert runtime.stops == [("sim://1", 7.0)]
    assert events.seen == [("Normal", "Killing", "Stopping containerID sim://1 by container meta restarter")]
    ctl._restart_not_before["sim://1"] = 0.0  # the back-off expired
    runtime.fail = False
    ctl._spawn_restart(target, "sim://1")
    await asyncio.gather(*ctl._restarts)
    assert len(runtime.stops) == 2 and runtime.containers["sim://1"].state == "exited"
    assert "sim://1" not in ctl._restart_failures  # forgotten once stopped
    await ctl.stop()


def test_container_hashes_are_fnv1a_and_remembered_answers_are_the_same() -> None:
    assert [_fnv32a(b""), _fnv32a(b"a"), _fnv32a(b"foobar")] == [0x811C9DC5, 0xE40C292C, 0xBF9CF968]
    assert _fnv32a(b"a") == 0xE40C292C  # asked again: from the memo, the same
    first = plain_container_hash(SPEC)
    assert plain_container_hash(dict(SPEC)) == first
    assert (
        plain_container_hash({**SPEC, "resources": {"limits": {"cpu": "2"}}}) == first
    )  # resizes restart nothing
    assert plain_container_hash({**SPEC, "image": "other:1"}) != first
