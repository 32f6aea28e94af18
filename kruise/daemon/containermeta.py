"""Container meta: report each running container's hashes in `apps.kruise.io/runtime-containers-meta`
and restart containers whose env-from-metadata values are stale during an in-place update
(kruise-behaviour.md §2.1 env-from-metadata, §2.2, §2.4).

`plan_meta` is pure; `ContainerMetaController` watches the node's Pods (sharing the node agent's
informer), patches the annotation through pods/status as kruise-daemon does, and stops the stale
containers (the kubelet restarts them with their env resolved again from the Pod's metadata).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from kruise.api.containermeta import (
    CONTAINER_HASH_LABEL,
    RUNTIME_META_KEY,
    env_from_metadata_hash,
    running_env_hash,
)
from kruise.client import errors as api_errors
from kruise.client.controller import Controller, Result, object_key, split_key
from kruise.client.events import EventRecorder
from kruise.client.informer import Informer
from kruise.client.resources import PODS
from kruise.client.rest import Client

log = logging.getLogger("kruise.daemon.containermeta")
Obj = dict[str, Any]

KRUISE_GROUP = "apps.kruise.io"
SIDECARSET_HASH_ANNOTATION = "kruise.io/sidecarset-hash"
INPLACE_UPDATE_READY = "InPlaceUpdateReady"
REPORT_DELAY = 1.0  # as upstream: a pod's changes settle for a second before it is looked at
RESTART_BACKOFF = (3.0, 600.0)  # per container: first retry after 3 s, doubling up to 10 min


class RuntimeContainer(Protocol):
    id: str
    name: str
    attempt: int
    state: str
    labels: dict[str, str]
    env: dict[str, str]


class ContainerRuntime(Protocol):
    def list_containers(self, pod_uid: str | None = None) -> Sequence[RuntimeContainer]: ...

    def status(self, container_id: str) -> RuntimeContainer | None: ...

    async def stop_container(self, container_id: str, grace: float) -> None: ...


# ---------------------------------------------------------------------------------------------- planning
def is_tracked(pod: Obj) -> bool:
    """Pods owned by a Kruise workload or injected by a SidecarSet (the only ones reported)."""
    meta = pod.get("metadata") or {}
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller") and (ref.get("apiVersion") or "").split("/")[0] == KRUISE_GROUP:
            return True
    return SIDECARSET_HASH_ANNOTATION in (meta.get("annotations") or {})


def reported_meta(pod: Obj) -> list[Obj] | None:
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(RUNTIME_META_KEY)
    if not raw:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    containers = data.get("containers") if isinstance(data, dict) else None
    return [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else None


def _spec(pod: Obj, name: str) -> Obj | None:
    return next((c for c in (pod.get("spec") or {}).get("containers") or () if c.get("name") == name), None)


def _updating_in_place(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == INPLACE_UPDATE_READY:
            return c.get("status") == "False"
    return False


def needs_sync(old: Obj | None, new: Obj) -> bool:
    """Upstream's event filter: a tracked pod whose reported meta is missing or behind its
    containers, or whose env-from-metadata values changed."""
    if not is_tracked(new):
        return False
    old_specs = (old.get("spec") or {}).get("containers") or [] if old is not None else None
    if old_specs is not None and len(old_specs) != len((new.get("spec") or {}).get("containers") or []):
        return True
    statuses = (new.get("status") or {}).get("containerStatuses") or []
    meta = reported_meta(new)
    for i, cs in enumerate(statuses):
        if not cs.get("containerID"):
            continue
        if meta is None or len(meta) != len(statuses) or meta[i].get("containerID") != cs["containerID"]:
            return True
        spec = _spec(new, cs.get("name", ""))
        if spec is None:
            continue
        expected = env_from_metadata_hash(spec, new)
        if expected != (meta[i].get("hashes") or {}).get("extractedEnvFromMetadataHash"):
            return True
        old_spec = _spec(old, cs.get("name", "")) if old is not None else None
        if old_spec is not None and expected != env_from_metadata_hash(old_spec, old):
            return True
    return False


@dataclass
class MetaPlan:
    containers: list[Obj]  # the runtime-containers-meta entries to report
    restart: list[str]  # ids of running containers whose env-from-metadata values are stale


def plan_meta(pod: Obj, previous: list[Obj] | None, runtime: Sequence[RuntimeContainer]) -> MetaPlan:
    """The meta of each container in the pod's status, as the runtime runs it now (its newest
    instance), keeping what was reported for a container id already seen; and, while the pod is
    being updated in place, the containers running with env values other than the metadata's."""
    newest: dict[str, RuntimeContainer] = {}
    for c in runtime:
        if c.name not in newest or c.attempt > newest[c.name].attempt:
            newest[c.name] = c
    by_id = {m.get("containerID"): m for m in previous or ()}
    plan = MetaPlan([], [])
    updating = _updating_in_place(pod)
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        name = cs.get("name", "")
        container, spec = newest.get(name), _spec(pod, name)
        if container is None or spec is None:
            continue
        seen = by_id.get(container.id)
        if seen is not None:
            entry = {**seen, "hashes": dict(seen.get("hashes") or {})}
        else:
            plain = container.labels.get(CONTAINER_HASH_LABEL, "")
            entry = {
                "name": name,
                "containerID": container.id,
                "restartCount": container.attempt,
                "hashes": {"plainHash": int(plain) if plain.isdigit() else 0, "plainHashWithoutResources": 0},
            }
        hashes = entry["hashes"]
        if not hashes.get("extractedEnvFromMetadataHash") and container.state == "running":
            hashes["extractedEnvFromMetadataHash"] = running_env_hash(spec, container.env)
        current = hashes.get("extractedEnvFromMetadataHash")
        if updating and current and current != env_from_metadata_hash(spec, pod):
            plan.restart.append(container.id)
        plan.containers.append(entry)
    return plan


def meta_patch(containers: list[Obj]) -> Obj:
    """The pods/status strategic merge patch that reports `containers`."""
    value = orjson.dumps({"containers": containers}).decode()
    return {"metadata": {"annotations": {RUNTIME_META_KEY: value}}}


# ---------------------------------------------------------------------------------------------- effects
class ContainerMetaController:
    def __init__(self, client: Client, runtime: ContainerRuntime, recorder: EventRecorder) -> None:
        self.client = client
        self.runtime = runtime
        self.recorder = recorder
        self.pods: Informer | None = None
        self.controller = Controller("containermeta", self.reconcile, workers=2)
        self._clock = asyncio.get_running_loop().time
        self._restart_failures: dict[str, int] = {}
        self._restart_not_before: dict[str, float] = {}
        self._restarts: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self, pods: Informer) -> None:
        """Run on the node agent's pod informer (Pods bound to this node)."""
        self.pods = pods

        def on_add(pod: Obj) -> None:
            # pods seen at start without any meta are left to their next change (as upstream:
            # no burst of reports when the daemon restarts)
            if reported_meta(pod) is not None and needs_sync(None, pod):
                self._enqueue(pod)

        def on_update(old: Obj, new: Obj) -> None:
            if needs_sync(old, new):
                self._enqueue(new)

        pods.add_handler(on_add, on_update, None)
        self._task = asyncio.create_task(self.controller.run(), name="containermeta")

    async def stop(self) -> None:
        tasks = [*self._restarts, *([self._task] if self._task is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    def _enqueue(self, pod: Obj) -> None:
        meta = pod.get("metadata") or {}
        if not meta.get("deletionTimestamp") and (pod.get("status") or {}).get("containerStatuses"):
            self.controller.enqueue_after(object_key(pod), REPORT_DELAY)

    async def reconcile(self, key: str) -> Result | None:
        assert self.pods is not None
        namespace, name = split_key(key)
        pod = self.pods.store.get_by(namespace, name)
        if pod is None or (pod.get("metadata") or {}).get("deletionTimestamp"):
            return None
        uid = pod["metadata"].get("uid", "")
        previous = reported_meta(pod)
        plan = plan_meta(pod, previous, self.runtime.list_containers(uid))
        for container_id in plan.restart:
            self._spawn_restart(pod, container_id)
        if plan.containers != (previous or []):
            try:
                await self.client.patch(
                    PODS, name, meta_patch(plan.containers), patch_type="strategic",
                    namespace=namespace, subresource="status",
                )  # fmt: skip
            except api_errors.NotFound:
                return None
            log.info("event=container_meta_reported pod=%s containers=%d", key, len(plan.containers))
        return None

    # ---- the restarter: one stop per stale container, retried with backoff
    def _spawn_restart(self, pod: Obj, container_id: str) -> None:
        now = self._clock()
        if now < self._restart_not_before.get(container_id, 0.0):
            return
        failures = self._restart_failures.get(container_id, 0)
        first, cap = RESTART_BACKOFF
        self._restart_not_before[container_id] = now + min(first * 2**failures, cap)
        self._restart_failures[container_id] = failures + 1
        task = asyncio.create_task(self._restart(pod, container_id), name=f"restart:{container_id}")
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, pod: Obj, container_id: str) -> None:
        container = self.runtime.status(container_id)
        if container is None or container.state != "running":
            self._restart_failures.pop(container_id, None)  # gone: nothing left to back off
            self._restart_not_before.pop(container_id, None)
            return
        grace = float((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
        message = f"Stopping containerID {container_id} by container meta restarter"
        log.info("event=container_meta_restart pod=%s container=%s", object_key(pod), container.name)
        self.recorder.event(pod, "Normal", "Killing", message)
        try:
            await self.runtime.stop_container(container_id, grace)
        except Exception as e:  # the runtime may have lost it meanwhile: the next sync retries
            log.warning("event=container_meta_restart_failed container=%s error=%r", container_id, e)
            return
        self._restart_failures.pop(container_id, None)
        self._restart_not_before.pop(container_id, None)
