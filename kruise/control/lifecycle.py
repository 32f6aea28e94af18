"""Lifecycle hooks of CloneSet, Advanced StatefulSet and Advanced DaemonSet pods (kruise-behaviour.md §1.2).

A pod's state lives in label `lifecycle.apps.kruise.io/state` (with the RFC3339 time of the last write in
annotation `lifecycle.apps.kruise.io/timestamp`). Users hold a pod in a state by putting a hook's labels
or finalizers on it; the pure helpers below decide the transitions, `LifecycleControl` writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kruise.api.lifecycle import Lifecycle, LifecycleHook
from kruise.api.objects import clone
from kruise.client.errors import Conflict
from kruise.client.resources import PODS
from kruise.client.rest import Client
from kruise.control.pods import (
    LIFECYCLE_STATE_LABEL,
    LIFECYCLE_TIMESTAMP_ANNOTATION,
    format_time,
    is_scheduled,
    labels,
    lifecycle_state,
    now_utc,
)

from .podreadiness import patch_not_ready_key

Obj = dict[str, Any]

PREPARING_NORMAL = "PreparingNormal"
NORMAL = "Normal"
PREPARING_UPDATE = "PreparingUpdate"
UPDATING = "Updating"
UPDATED = "Updated"
PREPARING_DELETE = "PreparingDelete"
STATES = (PREPARING_NORMAL, NORMAL, PREPARING_UPDATE, UPDATING, UPDATED, PREPARING_DELETE)

READINESS_USER_AGENT = "Lifecycle"
PRE_DELETE_HOOK_KEY = "preDeleteHook"
PRE_UPDATE_HOOK_KEY = "preUpdateHook"

CONFLICT_RETRIES = 5

HookLike = LifecycleHook | Obj | None
LifecycleLike = Lifecycle | Obj | None


def _hook(hook: HookLike) -> LifecycleHook | None:
    if hook is None or isinstance(hook, LifecycleHook):
        return hook
    return LifecycleHook.model_validate(hook)


def _lifecycle(lifecycle: LifecycleLike) -> Lifecycle | None:
    if lifecycle is None or isinstance(lifecycle, Lifecycle):
        return lifecycle
    return Lifecycle.model_validate(lifecycle)


def _finalizers(pod: Obj) -> list[str]:
    return list((pod.get("metadata") or {}).get("finalizers") or ())


def is_hooked(hook: HookLike, pod: Obj) -> bool:
    """ANY of the hook's finalizers is on the pod, or ANY of its label pairs matches."""
    h = _hook(hook)
    if h is None:
        return False
    fins = _finalizers(pod)
    if any(f in fins for f in h.finalizers_handler or ()):
        return True
    pod_labels = labels(pod)
    # A missing label reads as "" (so a hook label with an empty value always matches), as upstream.
    return any(pod_labels.get(k, "") == v for k, v in (h.labels_handler or {}).items())


def all_hooked(hook: HookLike, pod: Obj) -> bool:
    """ALL of the hook's finalizers are on the pod and ALL its label pairs match; False without a hook."""
    h = _hook(hook)
    if h is None:
        return False
    fins = _finalizers(pod)
    if not all(f in fins for f in h.finalizers_handler or ()):
        return False
    pod_labels = labels(pod)
    return all(pod_labels.get(k, "") == v for k, v in (h.labels_handler or {}).items())


def state_patch(state: str, now: dt.datetime) -> Obj:
    """A merge patch writing `state` and its timestamp."""
    return {
        "metadata": {
            "labels": {LIFECYCLE_STATE_LABEL: state},
            "annotations": {LIFECYCLE_TIMESTAMP_ANNOTATION: format_time(now)},
        }
    }


def set_state(pod: Obj, state: str, now: dt.datetime) -> None:
    meta = pod.setdefault("metadata", {})
    if meta.get("labels") is None:
        meta["labels"] = {}
    meta["labels"][LIFECYCLE_STATE_LABEL] = state
    if meta.get("annotations") is None:
        meta["annotations"] = {}
    meta["annotations"][LIFECYCLE_TIMESTAMP_ANNOTATION] = format_time(now)


def apply_hook(hook: HookLike, pod: Obj) -> None:
    """Put the hook's labels and finalizers (back) on the pod, e.g. when an Updated pod goes straight
    back to PreparingUpdate for the next revision."""
    h = _hook(hook)
    if h is None:
        return
    meta = pod.setdefault("metadata", {})
    if h.labels_handler:
        if meta.get("labels") is None:
            meta["labels"] = {}
        meta["labels"].update(h.labels_handler)
    if h.finalizers_handler:
        fins = list(meta.get("finalizers") or [])
        fins.extend(f for f in h.finalizers_handler if f not in fins)
        meta["finalizers"] = fins


# -- transitions ----------------------------------------------------------------------------------------


def next_state_after_update(lifecycle: LifecycleLike, pod: Obj) -> str:
    """Where an in-place update that finished (or a PreparingUpdate pod already at the update
    revision) goes: Updated while the inPlaceUpdate hook is not fully back on, else Normal."""
    lc = _lifecycle(lifecycle)
    if lc is not None and not all_hooked(lc.in_place_update, pod):
        return UPDATED
    return NORMAL


def updated_to_normal(lifecycle: LifecycleLike, pod: Obj) -> bool:
    """An Updated pod becomes Normal once no inPlaceUpdate hook applies or the user re-added all of it."""
    lc = _lifecycle(lifecycle)
    return lc is None or lc.in_place_update is None or all_hooked(lc.in_place_update, pod)


def preparing_normal_done(lifecycle: LifecycleLike, pod: Obj, *, require_scheduled: bool = True) -> bool:
    """PreparingNormal -> Normal: without a preNormal hook once scheduled (StatefulSet passes
    require_scheduled=False), with one once it is fully applied."""
    lc = _lifecycle(lifecycle)
    hook = lc.pre_normal if lc is not None else None
    if hook is None:
        return is_scheduled(pod) or not require_scheduled
    return all_hooked(hook, pod)


def needs_preparing_update(lifecycle: LifecycleLike, pod: Obj) -> bool:
    """A pod about to be updated in place must first wait in PreparingUpdate."""
    lc = _lifecycle(lifecycle)
    return (
        lc is not None
        and lifecycle_state(pod) in ("", NORMAL, PREPARING_NORMAL)
        and is_hooked(lc.in_place_update, pod)
    )


def needs_preparing_delete(lifecycle: LifecycleLike, pod: Obj) -> bool:
    """A pod about to be deleted must first wait in PreparingDelete."""
    lc = _lifecycle(lifecycle)
    return lc is not None and is_hooked(lc.pre_delete, pod)


def not_ready_change(state: str, mark_not_ready: bool) -> tuple[str, bool] | None:
    """The (key, add) readiness change that goes with writing `state`: the Preparing* states hold
    their hook's key while markPodNotReady is set; leaving an update releases the preUpdateHook key."""
    if state == PREPARING_DELETE:
        return PRE_DELETE_HOOK_KEY, mark_not_ready
    if state == PREPARING_UPDATE:
        return PRE_UPDATE_HOOK_KEY, mark_not_ready
    if state in (UPDATED, NORMAL):
        return PRE_UPDATE_HOOK_KEY, False
    if state == PREPARING_NORMAL and not mark_not_ready:
        return PRE_DELETE_HOOK_KEY, False  # a regretted delete
    return None


class LifecycleControl:
    """Writes lifecycle states to pods through the API."""

    def __init__(self, client: Client, clock: Callable[[], dt.datetime] = now_utc) -> None:
        self._client = client
        self._clock = clock

    async def update_state(
        self,
        pod: Obj,
        state: str,
        *,
        mark_not_ready: bool | None = None,
        extra: Callable[[Obj], None] | None = None,
    ) -> Obj:
        """Write `state`: alone with a merge patch, with whatever `extra` changes in a pod UPDATE
        (re-reading on Conflict).
        mark_not_ready True/False first adds/removes the state's KruisePodReady key; None leaves
        readiness alone. Returns the latest pod (unchanged input when nothing had to be written)."""
        meta = pod.get("metadata") or {}
        ns, name = meta.get("namespace"), meta["name"]
        current = pod
        if mark_not_ready is not None and (change := not_ready_change(state, mark_not_ready)):
            key, add = change
            current = await patch_not_ready_key(
                self._client, current, READINESS_USER_AGENT, key, add, clock=self._clock
            )
        if extra is None:
            if lifecycle_state(current) == state:
                return current
            # The state label and its timestamp alone: a merge patch, as upstream writes them, so a
            # status write by the node in between is no conflict.
            return await self._client.patch(PODS, name, state_patch(state, self._clock()), namespace=ns)
        for attempt in range(CONFLICT_RETRIES):
            body = clone(current)
            set_state(body, state, self._clock())
            extra(body)
            try:
                return await self._client.update(PODS, body, namespace=ns)
            except Conflict:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                current = await self._client.get(PODS, name, namespace=ns)
        return current  # unreachable: the loop returns or raises
