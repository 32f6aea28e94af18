"""In-place update of one pod (kruise-behaviour.md §2.3, §2.4): pure planners plus a thin executor.

`plan_update` / `plan_refresh` compute the pod object to write; `InPlaceControl` writes it, re-reading
and re-planning when the pod changed underneath (Conflict). The pod UPDATE may only change what the
API server lets a Pod change (images, metadata); cpu/memory go through the `resize` subresource.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kruise.api.objects import clone
from kruise.client.errors import ApiError, Conflict, TransportError
from kruise.client.resources import PODS
from kruise.client.rest import Client
from kruise.control.podreadiness import (
    conditions_patch,
    force_ready_from_gates,
    has_readiness_gate,
    set_condition,
)
from kruise.control.pods import (
    INPLACE_UPDATE_READY,
    POD_TEMPLATE_HASH_LABEL,
    REVISION_LABEL,
    annotations,
    format_time,
    now_utc,
    revision_matches,
)

from .spec import UpdateSpec, calculate_spec
from .state import (
    GRACE_KEY,
    STATE_KEY,
    InPlaceUpdateState,
    StateError,
    containers_update_completed,
    is_update_completed,
    pre_check_passed,
    read_grace,
    read_state,
    remove_grace,
    write_grace,
    write_state,
)

Obj = dict[str, Any]

CONFLICT_RETRIES = 5
LAUNCH_PRIORITY_ANNOTATION = "apps.kruise.io/container-launch-priority"
BARRIER_ENV = "KRUISE_CONTAINER_BARRIER"
START_REASON = "StartInPlaceUpdate"

__all__ = [
    "InPlaceControl",
    "RefreshPlan",
    "RefreshResult",
    "UpdateResult",
    "apply_spec",
    "container_priority",
    "has_readiness_gate",
    "inject_inplace_readiness_gate",
    "needs_unready",
    "plan_condition",
    "plan_refresh",
    "plan_update",
    "write_revision",
]


# -- small pure helpers -----------------------------------------------------------------------------------


def inject_inplace_readiness_gate(pod_spec: Obj) -> None:
    """Add `{conditionType: InPlaceUpdateReady}` to a pod spec's readinessGates once."""
    gates = pod_spec.get("readinessGates")
    if gates is None:
        gates = pod_spec["readinessGates"] = []
    if not any(g.get("conditionType") == INPLACE_UPDATE_READY for g in gates):
        gates.append({"conditionType": INPLACE_UPDATE_READY})


def write_revision(pod: Obj, revision: str) -> None:
    """`controller-revision-hash` = the revision name, `pod-template-hash` = its hash part."""
    meta = pod.setdefault("metadata", {})
    if meta.get("labels") is None:
        meta["labels"] = {}
    meta["labels"][REVISION_LABEL] = revision
    meta["labels"][POD_TEMPLATE_HASH_LABEL] = revision.rsplit("-", 1)[-1]


def container_priority(pod: Obj, index: int) -> int | None:
    """Launch priority of the container at `index`: from the barrier env the pod webhook injects
    (`p_<N>`), else -index under `container-launch-priority: Ordered`; None = not prioritized."""
    container = pod["spec"]["containers"][index]
    for env in container.get("env") or ():
        if env.get("name") == BARRIER_ENV:
            key = (((env.get("valueFrom") or {}).get("configMapKeyRef")) or {}).get("key") or ""
            try:
                return int(key[2:])
            except ValueError:
                return 0
    if annotations(pod).get(LAUNCH_PRIORITY_ANNOTATION) == "Ordered":
        return -index
    return None


def needs_unready(pod: Obj, spec: UpdateSpec) -> bool:
    """Mark InPlaceUpdateReady=False first? Only with the gate, and not for a resize that restarts
    no container (every changed resource has resizePolicy NotRequired, the default)."""
    if not has_readiness_gate(pod, INPLACE_UPDATE_READY):
        return False
    if not spec.vertical_only():
        return True
    by_name = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or ()}
    for name, res in spec.container_resources.items():
        changed = {r for kind in res.values() for r in kind}
        for policy in (by_name.get(name) or {}).get("resizePolicy") or ():
            if policy.get("resourceName") in changed and policy.get("restartPolicy") == "RestartContainer":
                return True
    return False


def plan_condition(pod: Obj, ready: bool, now: dt.datetime, reason: str = "") -> list[Obj] | None:
    """New status.conditions with InPlaceUpdateReady set (False also forces Ready False), or None
    when an equal condition is already there."""
    status = "True" if ready else "False"
    current = (pod.get("status") or {}).get("conditions") or []
    for c in current:  # checked before copying: this runs for every pod on every reconcile
        if (
            c.get("type") == INPLACE_UPDATE_READY
            and c.get("status") == status
            and c.get("reason", "") == reason
            and not c.get("message")
        ):
            return None
    conditions = clone(current)
    new: Obj = {"type": INPLACE_UPDATE_READY, "status": status, "lastTransitionTime": format_time(now)}
    if reason:
        new["reason"] = reason
    before = clone(conditions)
    set_condition(conditions, new)
    if not ready:
        force_ready_from_gates(pod, conditions, now)
    return None if conditions == before else conditions


def _metadata_shared(to_update: set[str], ref_metadata: dict[str, Obj]) -> None:
    """Pull into this batch every container that reads a label/annotation a chosen container changes
    (the key is written once, so both restart now), transitively."""
    frontier = set(to_update)
    while frontier:
        keys = {
            (section, k)
            for name in frontier
            for section, kv in (ref_metadata.get(name) or {}).items()
            for k in kv or {}
        }
        frontier = set()
        for name, meta in ref_metadata.items():
            if name in to_update:
                continue
            if any((section, k) in keys for section, kv in meta.items() for k in kv or {}):
                to_update.add(name)
                frontier.add(name)


def _merged_resources(current: Obj | None, change: Obj) -> Obj:
    out = clone(current or {})
    for kind, values in change.items():
        out.setdefault(kind, {}).update(values)
    return out


def _status_resources(status: Obj | None) -> Obj:
    res = (status or {}).get("resources") or {}
    return {k: dict(v) for k, v in res.items() if k in ("limits", "requests") and v}


def apply_spec(pod: Obj, spec: UpdateSpec, state: InPlaceUpdateState, now: dt.datetime) -> list[Obj]:
    """Apply one batch of `spec` to `pod` (edited in place) and record it in `state` (written to the
    pod's annotation). Returns the resize container list: `[{"name", "resources"}]` to PATCH through
    pods/resize; the pod's own resources are left as they are."""
    meta = pod.setdefault("metadata", {})
    for section in ("labels", "annotations"):
        if meta.get(section) is None:
            meta[section] = {}
    for section, changes in (spec.meta_patch or {}).items():
        if section not in ("labels", "annotations"):
            continue
        target = meta[section]
        for k, v in (changes or {}).items():
            if v is None:
                target.pop(k, None)
            else:
                target[k] = v

    containers = (pod.get("spec") or {}).get("containers") or []
    state.next_container_images = {}
    state.next_container_ref_metadata = {}
    state.next_container_resources = {}

    # This batch: every unprioritized container, and the prioritized ones of the highest priority.
    to_update: set[str] = set()
    highest: int | None = None
    top: list[str] = []
    for i, c in enumerate(containers):
        name = c["name"]
        if not (
            name in spec.container_images
            or name in spec.container_ref_metadata
            or name in spec.container_resources
        ):
            continue
        p = container_priority(pod, i)
        if p is None:
            to_update.add(name)
        elif highest is None or p > highest:
            highest, top = p, [name]
        elif p == highest:
            top.append(name)
    to_update.update(top)
    _metadata_shared(to_update, spec.container_ref_metadata)

    statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or ()}
    resize: list[Obj] = []
    for c in containers:
        name = c["name"]
        image = spec.container_images.get(name)
        res = spec.container_resources.get(name)
        if name not in to_update:
            if image is not None:
                state.next_container_images[name] = image
            if res is not None:
                state.next_container_resources[name] = clone(res)
            continue
        if image is not None:
            c["image"] = image
            if name in statuses:
                record = state.last_container_statuses.setdefault(name, {})
                record["imageID"] = statuses[name].get("imageID", "")
        if res is not None:
            resize.append({"name": name, "resources": _merged_resources(c.get("resources"), res)})
            record = state.last_container_statuses.setdefault(name, {})
            record["resources"] = _status_resources(statuses.get(name))

    for name, ref in spec.container_ref_metadata.items():
        if name in to_update:
            for section in ("labels", "annotations"):
                meta[section].update(ref.get(section) or {})
        else:
            state.next_container_ref_metadata[name] = clone(ref)

    chosen = sorted(to_update)
    state.pre_check_before_next = {"containersRequiredReady": chosen} if state.has_next() else None
    state.container_batches_record.append({"timestamp": format_time(now), "containers": chosen})
    write_state(pod, state)
    return resize


def plan_update(
    pod: Obj, spec: UpdateSpec, now: dt.datetime, *, mutate: Callable[[Obj], None] | None = None
) -> tuple[Obj, list[Obj]]:
    """The pod object of the in-place UPDATE (§2.3 step 2) and the resize list to PATCH after it."""
    new = clone(pod)
    write_revision(new, spec.revision)
    if mutate is not None:
        mutate(new)
    state = InPlaceUpdateState(
        revision=spec.revision,
        update_timestamp=now,
        update_env_from_metadata=spec.update_env_from_metadata,
        update_images=bool(spec.container_images),
        update_resources=bool(spec.container_resources),
    )
    write_state(new, state)
    if spec.grace_period_seconds > 0:
        write_grace(new, spec)
        return new, []
    resize = apply_spec(new, spec, state, now)
    remove_grace(new)
    return new, resize


@dataclass
class RefreshPlan:
    pod: Obj | None = None  # object for a pod UPDATE
    resize: list[Obj] = field(default_factory=list)  # containers to PATCH through pods/resize after it
    conditions: list[Obj] | None = None  # new status.conditions for a status write
    delay: float | None = None  # requeue after (seconds)


def plan_refresh(pod: Obj, now: dt.datetime) -> RefreshPlan:
    """§2.4: finish a due grace period; else start the next batch once the previous one is ready;
    else mark InPlaceUpdateReady True once the update completed. StateError on unreadable state."""
    spec = read_grace(pod)
    if spec is not None:
        state = read_state(pod)
        if state is None:
            raise StateError(f"pod has {GRACE_KEY} but {STATE_KEY} not found")
        new = clone(pod)
        if not revision_matches(pod, spec.revision):
            # The pod moved to another revision meanwhile: forget this spec.
            remove_grace(new)
            return RefreshPlan(pod=new)
        started = state.update_timestamp or now
        remaining = spec.grace_period_seconds - (now - started).total_seconds()
        if remaining > 0:
            return RefreshPlan(delay=float(math.ceil(remaining)))
        resize = apply_spec(new, spec, state, now)
        remove_grace(new)
        return RefreshPlan(pod=new, resize=resize)

    state = read_state(pod)
    if state is not None:
        if not containers_update_completed(pod, state):
            return RefreshPlan()
        if state.has_next():
            if not pre_check_passed(pod, state):
                return RefreshPlan()
            batch = UpdateSpec(
                revision=state.revision,
                container_images=dict(state.next_container_images),
                container_resources=clone(state.next_container_resources),
                container_ref_metadata=clone(state.next_container_ref_metadata),
                update_env_from_metadata=state.update_env_from_metadata,
            )
            new = clone(pod)
            resize = apply_spec(new, batch, state, now)
            return RefreshPlan(pod=new, resize=resize)

    if has_readiness_gate(pod, INPLACE_UPDATE_READY):
        conditions = plan_condition(pod, True, now)
        if conditions is not None:
            return RefreshPlan(conditions=conditions)
    return RefreshPlan()


class SettledPods:
    """plan_refresh for cached pods, remembering per uid the pod version found to need nothing.

    That answer depends on the pod alone (no grace period, so not on the clock) and cached pods
    are never modified, so the same version met again is not planned again: decoding the state and
    runtime-meta annotations of every pod on every reconcile was most of a large CloneSet's
    reconcile. A new version (another object) is always planned."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit  # pods remembered (one version each) before starting over
        self._versions: dict[str, Obj] = {}

    def plan(self, pod: Obj, now: dt.datetime) -> RefreshPlan:
        uid = pod["metadata"]["uid"]
        if self._versions.get(uid) is pod:
            return _NOTHING
        plan = plan_refresh(pod, now)
        if plan.pod is None and plan.conditions is None and plan.delay is None:
            if len(self._versions) >= self.limit:
                self._versions.clear()
            self._versions[uid] = pod
        return plan


_NOTHING = RefreshPlan()


# -- executor ---------------------------------------------------------------------------------------------


@dataclass
class UpdateResult:
    in_place_updated: bool = False  # the change could go in place (even when writing it failed)
    delay: float | None = None  # requeue after (grace period)
    pod: Obj | None = None  # the latest pod the API returned
    error: Exception | None = None


@dataclass
class RefreshResult:
    pod: Obj | None = None  # the written pod, if anything was written
    delay: float | None = None


class InPlaceControl:
    def __init__(self, client: Client, *, clock: Callable[[], dt.datetime] = now_utc) -> None:
        self._client = client
        self._clock = clock

    async def update(
        self,
        pod: Obj,
        old_rev: Obj | None,
        new_rev: Obj,
        *,
        grace_period_seconds: int = 0,
        mutate: Callable[[Obj], None] | None = None,
    ) -> UpdateResult:
        """Update `pod` in place from `old_rev` to `new_rev` (§2.3). Not possible in place ->
        `in_place_updated=False` and nothing written. `mutate` must be repeatable (Conflict retries)."""
        spec = calculate_spec(old_rev, new_rev, grace_period_seconds=grace_period_seconds)
        if spec is None:
            return UpdateResult()
        try:
            latest = pod
            if needs_unready(pod, spec):
                latest = await self._mark_unready(pod)
            latest = await self._write_update(latest, spec, mutate)
        except (ApiError, TransportError) as e:
            return UpdateResult(in_place_updated=True, error=e)
        delay = float(grace_period_seconds) if grace_period_seconds > 0 else None
        return UpdateResult(in_place_updated=True, delay=delay, pod=latest)

    def is_completed(self, pod: Obj) -> bool:
        """The pod's in-place update finished (lifecycle Updating -> Updated/Normal)."""
        return is_update_completed(pod)

    async def refresh(self, pod: Obj) -> RefreshResult:
        """§2.4 for one pod. API errors other than Conflict raise (the caller requeues)."""
        ns, name = _ns_name(pod)
        current = pod
        for attempt in range(CONFLICT_RETRIES):
            plan = plan_refresh(current, self._clock())
            if plan.pod is not None:
                try:
                    written = await self._client.update(PODS, plan.pod, namespace=ns)
                except Conflict:
                    if attempt == CONFLICT_RETRIES - 1:
                        raise
                    current = await self._client.get(PODS, name, namespace=ns)
                    continue
                written = await self._resize(written, plan.resize)
                return RefreshResult(pod=written, delay=plan.delay)
            if plan.conditions is not None:
                # Only this controller writes InPlaceUpdateReady and the node's status only moves
                # forward, so the change goes in a patch: a node status write in between is no conflict.
                written = await self._patch_conditions(current, plan.conditions)
                return RefreshResult(pod=written)
            return RefreshResult(delay=plan.delay)
        return RefreshResult()  # unreachable: the loop returns or raises

    async def _mark_unready(self, pod: Obj) -> Obj:
        """InPlaceUpdateReady=False/StartInPlaceUpdate (and Ready False) through pods/status."""
        conditions = plan_condition(pod, False, self._clock(), START_REASON)
        if conditions is None:
            return pod
        return await self._patch_conditions(pod, conditions)

    async def _patch_conditions(self, pod: Obj, conditions: list[Obj]) -> Obj:
        ns, name = _ns_name(pod)
        before = (pod.get("status") or {}).get("conditions") or []
        patch = {"status": {"conditions": conditions_patch(before, conditions)}}
        return await self._client.patch(
            PODS, name, patch, patch_type="strategic", namespace=ns, subresource="status"
        )

    async def _write_update(self, pod: Obj, spec: UpdateSpec, mutate: Callable[[Obj], None] | None) -> Obj:
        ns, name = _ns_name(pod)
        current = pod
        for attempt in range(CONFLICT_RETRIES):
            new, resize = plan_update(current, spec, self._clock(), mutate=mutate)
            try:
                written = await self._client.update(PODS, new, namespace=ns)
            except Conflict:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                current = await self._client.get(PODS, name, namespace=ns)
                continue
            return await self._resize(written, resize)
        raise AssertionError("unreachable")

    async def _resize(self, pod: Obj, containers: list[Obj]) -> Obj:
        if not containers:
            return pod
        ns, name = _ns_name(pod)
        body = {"spec": {"containers": containers}}
        return await self._client.patch(
            PODS, name, body, patch_type="strategic", namespace=ns, subresource="resize"
        )


def _ns_name(pod: Obj) -> tuple[str | None, str]:
    meta = pod.get("metadata") or {}
    return meta.get("namespace"), meta["name"]
